import Consensus
import GridCore
import HeapModule
import Ledger
import Testing

/// Drives n Tendermint engines in simulated time: every broadcast reaches every other live
/// validator 1 ms later; timeouts fire when due; crashed validators neither send nor receive.
struct Cluster {
    enum Event {
        case proposal(to: Int, Proposal)
        case vote(to: Int, Vote)
        case timeout(node: Int, ConsensusTimeout)
    }

    struct Scheduled: Comparable {
        var time: SimTime
        var sequence: Int
        var event: Event
        static func < (a: Scheduled, b: Scheduled) -> Bool { (a.time, a.sequence) < (b.time, b.sequence) }
        static func == (a: Scheduled, b: Scheduled) -> Bool { a.sequence == b.sequence }
    }

    var engines: [Tendermint]
    let keys: [KeyPair]
    let verifier = SignatureVerifier(scheme: .modelled)
    var queue = Heap<Scheduled>()
    var sequence = 0
    var now = SimTime.zero
    var commits: [[Block]]
    var signedVotes: [[Vote]]
    /// The last signing record each engine asked to persist.
    var persisted: [SigningRecord?]
    var crashed: Set<Int> = []
    var validate: (Block) -> Bool = { _ in true }

    init(validators count: Int, stakes: [Int64]? = nil, parameters: ConsensusParameters = Cluster.parameters) {
        let stream = RandomStream(masterSeed: 1, name: "consensus-tests/keys")
        keys = (0..<count).map { _ in KeyPair(drawingFrom: stream) }
        let keys = self.keys
        let set = ValidatorSet(keys.enumerated().map {
            Validator(id: NodeID($0.offset), publicKey: $0.element.publicKey, stake: stakes?[$0.offset] ?? 100,
                      region: Region.allCases[$0.offset % 5])
        })
        engines = keys.enumerated().map {
            Tendermint(me: NodeID($0.offset), keyPair: $0.element, validators: set, parameters: parameters)
        }
        commits = Array(repeating: [], count: count)
        signedVotes = Array(repeating: [], count: count)
        persisted = Array(repeating: nil, count: count)
    }

    static let parameters = ConsensusParameters(
        blockInterval: .seconds(1), timeoutPropose: .seconds(1),
        timeoutPrevote: .milliseconds(500), timeoutPrecommit: .milliseconds(500), timeoutDelta: .milliseconds(250),
        epochLength: 5, signatureScheme: .modelled)

    var hooks: ConsensusHooks {
        let validate = self.validate
        return ConsensusHooks(assemble: { _, _, _ in ([], []) }, validate: { block, _ in validate(block) })
    }

    mutating func schedule(_ event: Event, at time: SimTime) {
        sequence += 1
        queue.insert(Scheduled(time: time, sequence: sequence, event: event))
    }

    mutating func start() {
        for index in engines.indices {
            var actions: [ConsensusAction] = []
            engines[index].start(at: .zero, actions: &actions)
            carryOut(actions, from: index)
        }
    }

    mutating func carryOut(_ actions: [ConsensusAction], from index: Int) {
        for action in actions {
            switch action {
            case .broadcastProposal(let proposal):
                for peer in engines.indices where peer != index { schedule(.proposal(to: peer, proposal), at: now + .milliseconds(1)) }
            case .broadcastVote(let vote):
                signedVotes[index].append(vote)
                for peer in engines.indices where peer != index { schedule(.vote(to: peer, vote), at: now + .milliseconds(1)) }
            case .relayVote(let vote):
                for peer in engines.indices where peer != index { schedule(.vote(to: peer, vote), at: now + .milliseconds(1)) }
            case .relayProposal(let proposal):
                for peer in engines.indices where peer != index { schedule(.proposal(to: peer, proposal), at: now + .milliseconds(1)) }
            case .scheduleTimeout(let timeout, let at):
                schedule(.timeout(node: index, timeout), at: at)
            case .commit(let block, _, _):
                commits[index].append(block)
            case .persist(let record):
                persisted[index] = record
            }
        }
    }

    /// Runs events until `end`.
    mutating func run(until end: SimTime) {
        while let next = queue.min, next.time <= end {
            queue.removeMin()
            now = next.time
            var actions: [ConsensusAction] = []
            var work = WorkMeter()
            let hooks = self.hooks
            switch next.event {
            case .proposal(let to, let proposal):
                guard !crashed.contains(to), !crashed.contains(Int(proposal.proposer.rawValue)) else { continue }
                engines[to].receive(proposal, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
                carryOut(actions, from: to)
            case .vote(let to, let vote):
                guard !crashed.contains(to), !crashed.contains(vote.voter.index) else { continue }
                engines[to].receive(vote, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
                carryOut(actions, from: to)
            case .timeout(let node, let timeout):
                guard !crashed.contains(node) else { continue }
                engines[node].timeoutFired(timeout, at: now, verifier: verifier, work: &work, hooks: hooks,
                                           actions: &actions)
                carryOut(actions, from: node)
            }
        }
        now = end
    }
}

/// One validator of a 4-validator cluster driven by hand at height 1: a test hands it messages
/// and fires its timeouts, and reads what it asked for.
struct HandDriven {
    let cluster = Cluster(validators: 4)
    var engine: Tendermint
    var actions: [ConsensusAction] = []
    var work = WorkMeter()
    let start = SimTime.zero + .seconds(1)

    init() {
        engine = cluster.engines[0]
    }

    mutating func fire(_ kind: ConsensusTimeout.Kind, round: UInt32, at time: SimTime) {
        engine.timeoutFired(ConsensusTimeout(kind: kind, height: 1, round: round), at: time, verifier: cluster.verifier,
                            work: &work, hooks: cluster.hooks, actions: &actions)
    }

    mutating func receive(_ vote: Vote, at time: SimTime) {
        engine.receive(vote, at: time, verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
    }

    /// Starts height 1 and hands the validator round 0's proposal (its own, or one for a block
    /// made here); returns the proposed block.
    mutating func startWithProposal() -> Block {
        fire(.startHeight, round: 0, at: start)
        if let own = proposals.first { return own.block }
        let proposer = engine.proposer(round: 0)
        let block = Block(height: 1, round: 0, parentHash: Block.genesisHash, proposer: proposer, timestamp: start,
                          transactions: [], lastCommit: [], evidence: [])
        engine.receive(Proposal(block: block, round: 0, validRound: -1, proposer: proposer,
                                keyPair: cluster.keys[proposer.index], scheme: .modelled),
                       at: start, verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        return block
    }

    /// A new proposal of a block of its own in `round` by that round's proposer.
    mutating func receiveFreshProposal(round: UInt32, at time: SimTime) {
        let proposer = engine.proposer(round: round)
        let block = Block(height: 1, round: round, parentHash: Block.genesisHash, proposer: proposer, timestamp: time,
                          transactions: [], lastCommit: [], evidence: [])
        engine.receive(Proposal(block: block, round: round, validRound: -1, proposer: proposer,
                                keyPair: cluster.keys[proposer.index], scheme: .modelled),
                       at: time, verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
    }

    func prevote(_ hash: Digest32?, by voter: Int, round: UInt32) -> Vote {
        Vote(kind: .prevote, height: 1, round: round, blockHash: hash, voter: NodeID(voter),
             keyPair: cluster.keys[voter], scheme: .modelled)
    }

    var proposals: [Proposal] {
        actions.compactMap { if case .broadcastProposal(let proposal) = $0 { proposal } else { nil } }
    }

    /// Votes the validator signed and sent.
    var signed: [Vote] {
        actions.compactMap { if case .broadcastVote(let vote) = $0 { vote } else { nil } }
    }

    var relayed: [Vote] {
        actions.compactMap { if case .relayVote(let vote) = $0 { vote } else { nil } }
    }

    var relayedProposals: [Proposal] {
        actions.compactMap { if case .relayProposal(let proposal) = $0 { proposal } else { nil } }
    }

    var persisted: [SigningRecord] {
        actions.compactMap { if case .persist(let record) = $0 { record } else { nil } }
    }
}

@Suite struct TendermintTests {
    @Test func honestValidatorsAgreeAtTheTargetInterval() {
        var cluster = Cluster(validators: 4)
        cluster.start()
        cluster.run(until: .zero + .seconds(10))
        let chains = cluster.commits.map { $0.map(\.hash) }
        #expect(chains[0].count >= 8)
        #expect(chains.allSatisfy { Array($0.prefix(8)) == Array(chains[0].prefix(8)) })
        #expect(cluster.commits[0].map(\.height).prefix(8) == [1, 2, 3, 4, 5, 6, 7, 8])
        let times = cluster.commits[0].map(\.timestamp)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= .seconds(1), "blocks are paced to the interval")
        }
        #expect(cluster.commits[0].allSatisfy { $0.round == 0 }, "no timeouts in a healthy network")
    }

    /// The quorum rules count stake in thirds and, under a governance finality threshold, in
    /// basis points of the total; at the most stake a set may hold, both stay exact (the basis
    /// point product once overflowed 64 bits and stopped the run).
    @Test func quorumsAreCountedExactlyAtTheLargestTotalStake() {
        let quarter = MicroTokens.maximumTotalStake.rawValue / 4
        let members = (0..<4).map { Validator(id: NodeID($0), publicKey: PublicKey(bytes: .zero), stake: quarter, region: .bangkok) }
        let plain = ValidatorSet(members)
        #expect(plain.totalStake == MicroTokens.maximumTotalStake.rawValue)
        #expect(!plain.isQuorum(2 * quarter + quarter * 2 / 3) && plain.isQuorum(3 * quarter))
        #expect(!plain.isOneThird(quarter) && plain.isOneThird(2 * quarter))
        let strict = ValidatorSet(members, finalityThreshold: BasisPoints(9_000))
        #expect(!strict.isQuorum(3 * quarter), "75 % is not above 90 %")
        #expect(!strict.isQuorum(MicroTokens.maximumTotalStake.rawValue / 10 * 9))
        #expect(strict.isQuorum(MicroTokens.maximumTotalStake.rawValue / 10 * 9 + 1))
    }

    @Test func twoOfFourIsNotAQuorumButThreeIs() {
        var halted = Cluster(validators: 4)
        halted.crashed = [2, 3]
        halted.start()
        halted.run(until: .zero + .seconds(20))
        #expect(halted.commits.allSatisfy { $0.isEmpty }, "half the stake never finalizes")
        #expect(halted.engines[0].round == 0 && halted.engines[0].step == .prevote,
                "without prevotes from 2/3 of stake a round cannot even time out")

        var degraded = Cluster(validators: 4)
        degraded.crashed = [3]
        degraded.start()
        degraded.run(until: .zero + .seconds(20))
        #expect(degraded.commits[0].count >= 5, "three of four finalize, skipping the crashed proposer's rounds")
        #expect(degraded.commits[0].contains { $0.round > 0 })
    }

    @Test func timeoutsGrowWithTheRound() {
        let cluster = Cluster(validators: 4)
        var engine = cluster.engines[0]
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        engine.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 1, round: 0), at: .zero,
                            verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        var waits: [UInt32: SimDuration] = [:]
        var now = SimTime.zero
        for round in UInt32(0)..<4 {
            for action in actions {
                if case .scheduleTimeout(let timeout, let at) = action, timeout.kind == .propose { waits[timeout.round] = at - now }
            }
            actions.removeAll()
            now += .seconds(10)
            engine.timeoutFired(ConsensusTimeout(kind: .precommit, height: 1, round: round), at: now,
                                verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        }
        // Rounds this validator proposes have no propose timeout; the others wait 1 s + r × 250 ms.
        for (round, wait) in waits {
            #expect(wait == .seconds(1) + .milliseconds(250) * Int64(round), "round \(round)")
        }
        #expect(waits.count >= 2)
    }

    /// How a validator locked on X treats a later round: the real protocol, the no-lock mutation
    /// and an amnesia validator (``ConsensusParameters/forgetsLocks``).
    enum LockHandling: CaseIterable { case real, noLock, amnesia }

    @Test(arguments: LockHandling.allCases)
    func aLockedValidatorPrevotesNilForAnotherBlockUnlessLocksAreIgnored(handling: LockHandling) throws {
        var parameters = Cluster.parameters
        parameters.mutation = handling == .noLock ? .noLock : nil
        parameters.forgetsLocks = handling == .amnesia
        let cluster = Cluster(validators: 4, parameters: parameters)
        var engine = cluster.engines[0]
        let hooks = cluster.hooks
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        engine.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 1, round: 0), at: .zero + .seconds(1),
                            verifier: cluster.verifier, work: &work, hooks: hooks, actions: &actions)
        func block(_ round: UInt32, _ stamp: Int64) -> Block {
            Block(height: 1, round: round, parentHash: Block.genesisHash, proposer: engine.proposer(round: round),
                  timestamp: .zero + .seconds(stamp), transactions: [], lastCommit: [], evidence: [])
        }
        func proposal(_ block: Block, round: UInt32) -> Proposal {
            let proposer = engine.proposer(round: round)
            return Proposal(block: block, round: round, validRound: -1, proposer: proposer,
                            keyPair: cluster.keys[proposer.index], scheme: .modelled)
        }
        func prevote(_ hash: Digest32?, by voter: Int, round: UInt32) -> Vote {
            Vote(kind: .prevote, height: 1, round: round, blockHash: hash, voter: NodeID(voter),
                 keyPair: cluster.keys[voter], scheme: .modelled)
        }
        let x = block(0, 1)
        let now = SimTime.zero + .seconds(1)
        engine.receive(proposal(x, round: 0), at: now, verifier: cluster.verifier, work: &work, hooks: hooks,
                       actions: &actions)
        for voter in 1...3 {
            engine.receive(prevote(x.hash, by: voter, round: 0), at: now, verifier: cluster.verifier, work: &work,
                           hooks: hooks, actions: &actions)
        }
        let precommits = actions.compactMap { action -> Vote? in
            if case .broadcastVote(let vote) = action, vote.kind == .precommit { return vote }
            return nil
        }
        #expect(precommits.map(\.blockHash) == [x.hash], "a polka for X: precommit X and lock on it")
        actions.removeAll()
        engine.timeoutFired(ConsensusTimeout(kind: .precommit, height: 1, round: 0), at: now + .seconds(1),
                            verifier: cluster.verifier, work: &work, hooks: hooks, actions: &actions)
        let y = block(1, 2)
        actions.removeAll()
        engine.receive(proposal(y, round: 1), at: now + .seconds(1), verifier: cluster.verifier, work: &work,
                       hooks: hooks, actions: &actions)
        let prevotes = actions.compactMap { action -> Vote? in
            if case .broadcastVote(let vote) = action, vote.kind == .prevote, vote.round == 1 { return vote }
            return nil
        }
        if handling == .real {
            #expect(prevotes.map(\.blockHash) == [nil], "locked on X, it refuses Y")
        } else {
            #expect(prevotes.map(\.blockHash) == [y.hash], "ignoring its lock, it prevotes Y anyway")
        }
        // Rounds pass on precommit timeouts until this validator leads one: it proposes X
        // again with its polka, unless it forgets its valid block and proposes a fresh one.
        var round: UInt32 = 1
        while engine.proposer(round: round) != NodeID(0) {
            engine.timeoutFired(ConsensusTimeout(kind: .precommit, height: 1, round: round),
                                at: now + .seconds(2 + Int64(round)), verifier: cluster.verifier, work: &work,
                                hooks: hooks, actions: &actions)
            round += 1
        }
        let proposed = try #require(actions.compactMap { action -> Proposal? in
            if case .broadcastProposal(let proposal) = action, proposal.round == round { return proposal }
            return nil
        }.first)
        if handling == .amnesia {
            #expect(proposed.block.hash != x.hash && proposed.validRound == -1 && proposed.polka.isEmpty,
                    "an amnesia validator proposes a fresh block")
        } else {
            #expect(proposed.block.hash == x.hash && proposed.validRound == 0 && proposed.polka.count == 4,
                    "X again, with the four prevotes of its polka in round 0")
        }
    }

    @Test func aPolkaSeenLateIsRelayedAndProposedAgainWithItsProof() {
        var node = HandDriven()
        let x = node.startWithProposal()
        // Round 0 ends without this validator seeing the polka for X: one of its prevotes is late.
        node.receive(node.prevote(x.hash, by: 1, round: 0), at: node.start)
        var round: UInt32 = 0
        func endRound() {
            node.fire(.precommit, round: round, at: node.start + .seconds(Int64(round) + 1))
            round += 1
        }
        endRound()
        #expect(node.engine.round == 1)
        // Relayed in round 1, the late prevote completes round 0's polka.
        node.receive(node.prevote(x.hash, by: 2, round: 0), at: node.start + .seconds(1))
        node.actions.removeAll()
        node.fire(.rebroadcast, round: 1, at: node.start + .seconds(2))
        #expect(Set(node.relayed.filter { $0.round == 0 && $0.kind == .prevote && $0.blockHash == x.hash }.map(\.voter))
                == [NodeID(0), NodeID(1), NodeID(2)], "the polka goes out again for validators still without it")
        while node.engine.proposer(round: round + 1) != node.engine.me { endRound() }
        node.actions.removeAll()
        endRound()
        #expect(node.proposals.map(\.block.hash) == [x.hash], "its turn to propose, in round \(round): X again")
        #expect(node.proposals.map(\.validRound) == [0], "with round 0's polka as its proof")
    }

    /// Swarm seed 986 stalled this way: two validators locked on a polka's block, and the
    /// validator whose turns came next had missed that round's proposal, so it kept proposing
    /// fresh blocks the locked ones refused.
    @Test func aMissedProposalRelayedLaterIsProposedAgainWithItsPolka() throws {
        var node = HandDriven()
        let proposer = node.engine.proposer(round: 0)
        try #require(proposer != node.engine.me, "another validator proposes round 0")
        node.fire(.startHeight, round: 0, at: node.start)
        let x = Block(height: 1, round: 0, parentHash: Block.genesisHash, proposer: proposer, timestamp: node.start,
                      transactions: [], lastCommit: [], evidence: [])
        // Round 0's polka for X reaches this validator; X's proposal does not.
        for voter in 1...3 { node.receive(node.prevote(x.hash, by: voter, round: 0), at: node.start) }
        var round: UInt32 = 0
        func endRound() {
            node.fire(.precommit, round: round, at: node.start + .seconds(Int64(round) + 1))
            round += 1
        }
        endRound()
        node.actions.removeAll()
        node.fire(.rebroadcast, round: 1, at: node.start + .seconds(1))
        #expect(node.relayedProposals.isEmpty, "without the block there is nothing to relay")
        // In round 1 a validator holding X relays round 0's proposal.
        node.engine.receive(Proposal(block: x, round: 0, validRound: -1, proposer: proposer,
                                     keyPair: node.cluster.keys[proposer.index], scheme: .modelled),
                            at: node.start + .seconds(1), verifier: node.cluster.verifier, work: &node.work,
                            hooks: node.cluster.hooks, actions: &node.actions)
        node.actions.removeAll()
        node.fire(.rebroadcast, round: 1, at: node.start + .seconds(2))
        #expect(node.relayedProposals.map(\.block.hash) == [x.hash], "now it relays X in turn, beside its polka")
        #expect(node.relayedProposals.map(\.round) == [0])
        while node.engine.proposer(round: round + 1) != node.engine.me { endRound() }
        node.actions.removeAll()
        endRound()
        #expect(node.proposals.map(\.block.hash) == [x.hash], "its turn to propose, in round \(round): X again")
        #expect(node.proposals.map(\.validRound) == [0])
        #expect(node.proposals.first?.polka.count == 3, "with round 0's polka as its proof")
    }

    @Test func proposerChoiceIsTheSameEverywhereAndFollowsStake() {
        let cluster = Cluster(validators: 5, stakes: [1_000, 100, 100, 100, 100])
        for round in UInt32(0)..<20 {
            let choices = Set(cluster.engines.map { $0.proposer(round: round) })
            #expect(choices.count == 1, "every node agrees on round \(round)")
        }
        let registry = cluster.engines[0].registry
        var counts = [Int](repeating: 0, count: 5)
        for height in UInt64(1)...2_000 {
            counts[registry.proposer(height: height, round: 0, previousHash: Block.genesisHash).index] += 1
        }
        // Scores: 4,000 (stake) + 1,750 (reputation) + 1,500 (diversity) + ~500 (random) for the
        // heavy validator against 400 + 1,750 + 1,500 + ~500: about 1.9 times the weight.
        #expect(Double(counts[0]) > 1.6 * Double(counts[1]), "the heavy validator proposes more: \(counts)")
        #expect(counts.allSatisfy { $0 > 0 }, "everyone gets a turn")
    }

    @Test func noValidatorProposesTwoRoundsOfACycle() {
        let cluster = Cluster(validators: 5, stakes: [1_000, 100, 100, 100, 100])
        let registry = cluster.engines[0].registry
        var heavyFirst = 0
        for height in UInt64(1)...300 {
            let proposers = (UInt32(0)..<12).map {
                registry.proposer(height: height, round: $0, previousHash: Block.genesisHash).index
            }
            #expect(Set(proposers[0..<5]) == Set(0..<5), "height \(height): rounds 0 to 4 are five proposers: \(proposers)")
            #expect(Set(proposers[5..<10]) == Set(0..<5), "height \(height): and so are rounds 5 to 9: \(proposers)")
            #expect(proposers[10] != proposers[11], "height \(height): the third cycle starts afresh")
            if proposers[0] == 0 { heavyFirst += 1 }
        }
        // Within a cycle the order still follows the score: the heavy validator, with about
        // 1.9 times a light one's weight, leads about 1.9 / 5.9 of the cycles.
        #expect(heavyFirst > 75, "the heavy validator opens the cycle most often: \(heavyFirst) of 300")
    }

    @Test func equivocationBecomesEvidenceAndIsSlashedAtTheEpoch() throws {
        var cluster = Cluster(validators: 4)
        cluster.start()
        cluster.run(until: .zero + .milliseconds(1_500))
        let height = cluster.engines[0].height
        let round = cluster.engines[0].round
        let a = Vote(kind: .prevote, height: height, round: round, blockHash: Blake2b.hash([1]), voter: NodeID(3),
                     keyPair: cluster.keys[3], scheme: .modelled)
        let b = Vote(kind: .prevote, height: height, round: round, blockHash: Blake2b.hash([2]), voter: NodeID(3),
                     keyPair: cluster.keys[3], scheme: .modelled)
        for vote in [a, b] { cluster.schedule(.vote(to: 0, vote), at: cluster.now + .milliseconds(1)) }
        cluster.run(until: .zero + .seconds(12))
        let registry = cluster.engines[1].registry
        #expect(registry.equivocations == 2, "its real prevote and the two forged ones make two conflicting pairs")
        #expect(registry.slashed[3])
        #expect(registry.reputation[3] < 5_000)
        #expect(registry.validators[NodeID(3)].stake == 90, "10 % slashed from the next epoch")
        #expect(cluster.commits[0].contains { !$0.evidence.isEmpty })
    }

    @Test func proofOfWorkStampsAreRequired() {
        var parameters = Cluster.parameters
        parameters.proofOfWorkBits = 6
        var cluster = Cluster(validators: 4, parameters: parameters)
        cluster.start()
        cluster.run(until: .zero + .seconds(5))
        #expect(cluster.commits[0].count >= 3)
        #expect(cluster.commits[0].allSatisfy { $0.proofOfWorkNonce > 0 })
    }

    /// Blocks whose transactions do not apply are never finalized; under `no-block-check`,
    /// which votes without executing, every one of them is.
    @Test(arguments: [nil, ConsensusMutation.noBlockCheck])
    func invalidBlocksAreNotFinalizedUnlessTheyAreNotChecked(_ mutation: ConsensusMutation?) {
        var parameters = Cluster.parameters
        parameters.mutation = mutation
        var cluster = Cluster(validators: 4, parameters: parameters)
        var executed = 0
        cluster.validate = { _ in
            executed += 1
            return false
        }
        cluster.start()
        cluster.run(until: .zero + .seconds(10))
        if mutation == nil {
            #expect(cluster.commits.allSatisfy { $0.isEmpty })
            #expect(executed > 0)
        } else {
            #expect(cluster.commits.allSatisfy { $0.count >= 5 }, "\(cluster.commits.map(\.count))")
            #expect(executed == 0)
        }
    }

    @Test func aRestartedValidatorKeepsItsLock() throws {
        var node = HandDriven()
        let x = node.startWithProposal()
        for voter in 1...3 { node.receive(node.prevote(x.hash, by: voter, round: 0), at: node.start) }
        let record = try #require(node.persisted.last)
        #expect(record.lockedHash == x.hash && record.lockedRound == 0, "the lock is in the signing record")
        // The validator crashes and restarts from that record, then round 0 ends.
        node.engine = Tendermint(me: node.engine.me, keyPair: node.cluster.keys[0], validators: node.engine.validators,
                                 parameters: Cluster.parameters)
        node.engine.restore(record)
        node.actions.removeAll()
        node.fire(.startHeight, round: 0, at: node.start + .seconds(1))
        node.fire(.precommit, round: 0, at: node.start + .seconds(2))
        #expect(node.engine.round == 1)
        if node.engine.proposer(round: 1) != node.engine.me {
            node.receiveFreshProposal(round: 1, at: node.start + .seconds(2))
        }
        let prevotes = node.signed.filter { $0.kind == .prevote && $0.round == 1 }
        #expect(prevotes.count == 1)
        #expect(prevotes.allSatisfy { $0.blockHash == nil || $0.blockHash == x.hash },
                "still locked on X after the restart: no prevote for another block without a proof")
    }

    /// A validator restarting locked proposes its locked block again when its turn comes, with
    /// the polka from its signing record, and an unlocked peer prevotes for it on that proof.
    /// Without the block in the record it would offer a fresh block, which every validator
    /// locked on X refuses, and the round would be lost.
    @Test func aRestartedLockedProposerProposesItsLockedBlockWithTheProof() throws {
        var node = HandDriven()
        let x = node.startWithProposal()
        for voter in 1...3 { node.receive(node.prevote(x.hash, by: voter, round: 0), at: node.start) }
        let record = try #require(node.persisted.last)
        #expect(record.lock?.polka.map(\.voter) == [0, 1, 2].map { NodeID($0) }, "its own prevote and the two that made a quorum")
        node.engine = Tendermint(me: node.engine.me, keyPair: node.cluster.keys[0], validators: node.engine.validators,
                                 parameters: Cluster.parameters)
        node.engine.restore(record)
        node.actions.removeAll()
        node.fire(.startHeight, round: 0, at: node.start + .seconds(1))
        let turn = try #require((1...8).first { node.engine.proposer(round: UInt32($0)) == node.engine.me })
        for round in 0..<turn {
            node.fire(.precommit, round: UInt32(round), at: node.start + .seconds(2 + Int64(round)))
        }
        let proposal = try #require(node.proposals.last)
        #expect(proposal.round == UInt32(turn))
        #expect(proposal.block.hash == x.hash && proposal.validRound == 0)
        #expect(proposal.polka.count == 3 && proposal.polka.allSatisfy { $0.blockHash == x.hash && $0.round == 0 })

        let peer = 1
        var engine = node.cluster.engines[peer]
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        let hooks = node.cluster.hooks
        engine.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 1, round: 0), at: node.start,
                            verifier: node.cluster.verifier, work: &work, hooks: hooks, actions: &actions)
        for round in 0..<turn {
            engine.timeoutFired(ConsensusTimeout(kind: .precommit, height: 1, round: UInt32(round)),
                                at: node.start + .seconds(2 + Int64(round)), verifier: node.cluster.verifier, work: &work,
                                hooks: hooks, actions: &actions)
        }
        actions.removeAll()
        engine.receive(proposal, at: node.start + .seconds(2 + Int64(turn)), verifier: node.cluster.verifier, work: &work,
                       hooks: hooks, actions: &actions)
        let prevotes = actions.compactMap { action -> Vote? in
            if case .broadcastVote(let vote) = action, vote.kind == .prevote { return vote }
            return nil
        }
        #expect(prevotes.map(\.blockHash) == [x.hash], "the peer prevotes for X on the relayed proof")
    }

    /// A validator whose disk kept its signing record for height 2 but lost block 1 restarts at
    /// height 1. It signed at height 1 before the crash, so it signs nothing there now, and its
    /// height-2 record survives until it has caught up: then it sends its height-2 votes again.
    @Test func aValidatorRestartedBehindItsSigningRecordSignsNothingUntilItCatchesUp() throws {
        var cluster = Cluster(validators: 4)
        cluster.start()
        cluster.run(until: .zero + .milliseconds(2_010))
        let record = try #require(cluster.persisted[0])
        #expect(record.height == 2)
        let original = try #require(cluster.signedVotes[0].first { $0.height == 2 && $0.kind == .prevote })
        let block1 = try #require(cluster.commits[1].first)
        let commit1 = cluster.signedVotes.flatMap { $0 }.filter {
            $0.height == 1 && $0.kind == .precommit && $0.blockHash == block1.hash
        }
        var restarted = Tendermint(me: NodeID(0), keyPair: cluster.keys[0], validators: cluster.engines[0].validators,
                                   parameters: Cluster.parameters)
        restarted.restore(record)
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        for (kind, second) in [(ConsensusTimeout.Kind.startHeight, Int64(3)), (.propose, 4), (.prevote, 5), (.precommit, 6)] {
            restarted.timeoutFired(ConsensusTimeout(kind: kind, height: 1, round: 0), at: .zero + .seconds(second),
                                   verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        }
        #expect(!actions.contains { if case .broadcastVote = $0 { true } else { false } }, "no vote at height 1")
        #expect(!actions.contains { if case .persist = $0 { true } else { false } }, "the height-2 record stands")
        #expect(restarted.fastForward(block1, commit: commit1, at: .zero + .seconds(7), verifier: cluster.verifier,
                                      work: &work, hooks: cluster.hooks, actions: &actions))
        #expect(restarted.height == 2)
        actions.removeAll()
        restarted.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 2, round: 0), at: .zero + .seconds(8),
                               verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        restarted.timeoutFired(ConsensusTimeout(kind: .propose, height: 2, round: 0), at: .zero + .seconds(9),
                               verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        let resent = actions.compactMap { action -> Vote? in
            if case .broadcastVote(let vote) = action, vote.kind == .prevote, vote.height == 2, vote.round == 0 { return vote }
            return nil
        }
        #expect(resent.map(\.blockHash) == [original.blockHash], "the same height-2 prevote again, not a nil one")
    }

    /// A validator restarted behind its signing record (locked at height 2) walks height 1 again
    /// without signing, so a polka it sees there locks nothing: the height-2 lock stands, and
    /// once caught up the validator proposes height 2's locked block, not height 1's.
    @Test func aPolkaSeenBehindTheSigningRecordLeavesItsLockStanding() throws {
        var cluster = Cluster(validators: 4)
        cluster.start()
        cluster.run(until: .zero + .milliseconds(2_500))
        let record = try #require(cluster.persisted[0])
        let locked = try #require(record.lock?.block)
        #expect(record.height == 2 && locked.height == 2)
        let block1 = try #require(cluster.commits[1].first)
        let votes1 = cluster.signedVotes.flatMap { $0 }.filter { $0.height == 1 && $0.round == 0 }
        let commit1 = votes1.filter { $0.kind == .precommit && $0.blockHash == block1.hash }
        var restarted = Tendermint(me: NodeID(0), keyPair: cluster.keys[0], validators: cluster.engines[0].validators,
                                   parameters: Cluster.parameters)
        restarted.restore(record)
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        let (verifier, hooks) = (cluster.verifier, cluster.hooks)
        let at = SimTime.zero + .seconds(3)
        restarted.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 1, round: 0), at: at, verifier: verifier,
                               work: &work, hooks: hooks, actions: &actions)
        let proposal1 = Proposal(block: block1, round: 0, validRound: -1, proposer: block1.proposer,
                                 keyPair: cluster.keys[block1.proposer.index], scheme: .modelled)
        restarted.receive(proposal1, at: at, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        for vote in votes1 where vote.kind == .prevote && vote.voter != NodeID(0) {
            restarted.receive(vote, at: at, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        }
        #expect(restarted.step == .precommit, "it saw height 1's polka")
        #expect(restarted.fastForward(block1, commit: commit1, at: at, verifier: verifier, work: &work, hooks: hooks,
                                      actions: &actions))
        let turn = try #require((1...8).first { restarted.proposer(round: UInt32($0)) == NodeID(0) })
        restarted.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 2, round: 0), at: at + .seconds(1),
                               verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        for round in 0..<turn {
            restarted.timeoutFired(ConsensusTimeout(kind: .precommit, height: 2, round: UInt32(round)),
                                   at: at + .seconds(2 + Int64(round)), verifier: verifier, work: &work, hooks: hooks,
                                   actions: &actions)
        }
        let proposal = try #require(actions.compactMap { action -> Proposal? in
            if case .broadcastProposal(let proposal) = action { proposal } else { nil }
        }.last)
        #expect(proposal.height == 2 && proposal.round == UInt32(turn))
        #expect(proposal.block.hash == locked.hash && proposal.validRound == Int32(record.lockedRound))
    }

    @Test func aRestartedValidatorNeverSignsAConflictingVote() {
        var cluster = Cluster(validators: 4)
        cluster.start()
        cluster.run(until: .zero + .milliseconds(1_003))
        // Validator 0 has prevoted at height 1 round 0. It "restarts" with that signing record.
        let before = cluster.signedVotes[0]
        #expect(before.contains { $0.kind == .prevote && $0.height == 1 })
        let record = cluster.persisted[0]
        #expect(record?.height == 1)
        var restarted = Tendermint(me: NodeID(0), keyPair: cluster.keys[0], validators: cluster.engines[0].validators,
                                   parameters: Cluster.parameters)
        restarted.restore(record)
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        restarted.timeoutFired(ConsensusTimeout(kind: .startHeight, height: 1, round: 0), at: .zero + .seconds(1),
                               verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        restarted.timeoutFired(ConsensusTimeout(kind: .propose, height: 1, round: 0), at: .zero + .seconds(2),
                               verifier: cluster.verifier, work: &work, hooks: cluster.hooks, actions: &actions)
        let resent = actions.compactMap { action -> Vote? in
            if case .broadcastVote(let vote) = action, vote.kind == .prevote, vote.round == 0 { return vote }
            return nil
        }
        let original = before.first { $0.kind == .prevote && $0.round == 0 }
        #expect(resent.first?.blockHash == original?.blockHash, "the same vote again, not a nil prevote")
    }
}
