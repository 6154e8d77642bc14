import GridCore
import Ledger

/// A deliberately broken variant of the protocol, to prove the invariant checkers can fail.
public enum ConsensusMutation: String, Sendable, CaseIterable {
    /// Quorums of more than 1/2 of stake instead of more than 2/3: two conflicting blocks can
    /// both gather a "quorum" when Byzantine validators vote twice.
    case quorumHalf = "quorum-half"
    /// Locks are ignored: a validator prevotes for any valid proposal.
    case noLock = "no-lock"
    /// Proposals are not executed before the vote: a validator checks a block's structure,
    /// signatures and evidence but not that its transactions apply, so a block that does not
    /// apply can be finalized.
    case noBlockCheck = "no-block-check"
    /// A validator executes a block at its own clock's reading instead of the block's
    /// timestamp: the replicated state machine depends on when each replica applies the block,
    /// so replicas can differ after it (a market slot cleared, or an order or a lock lapsed, at
    /// one and not at another). The consensus rules are untouched; the validators' nodes read
    /// this.
    case localClock = "local-clock"
}

/// The protocol's parameters.
public struct ConsensusParameters: Hashable, Sendable {
    /// Target time between blocks: a height starts no earlier than the previous block's time
    /// plus this (Tendermint's commit timeout).
    public var blockInterval: SimDuration
    /// Round r waits `timeout + r × delta` for a proposal, for prevotes, for precommits.
    public var timeoutPropose: SimDuration
    public var timeoutPrevote: SimDuration
    public var timeoutPrecommit: SimDuration
    public var timeoutDelta: SimDuration
    public var epochLength: UInt64
    public var slashShare: BasisPoints
    /// Leading zero bits the proof-of-work stamp of a proposal needs (0: no stamp).
    public var proofOfWorkBits: Int
    public var signatureScheme: SignatureScheme
    public var mutation: ConsensusMutation?
    /// This validator forgets its locks and valid blocks (a Byzantine "amnesia" validator): it
    /// prevotes for any valid proposal and proposes a fresh block in every round it leads. Its
    /// votes are single and well formed, so nothing it signs is evidence; only the locks of the
    /// honest validators keep it from finalizing a second block at a height.
    public var forgetsLocks: Bool

    public init(blockInterval: SimDuration, timeoutPropose: SimDuration = .seconds(3),
                timeoutPrevote: SimDuration = .seconds(1), timeoutPrecommit: SimDuration = .seconds(1),
                timeoutDelta: SimDuration = .milliseconds(500), epochLength: UInt64 = 100,
                slashShare: BasisPoints = BasisPoints(1_000), proofOfWorkBits: Int = 0,
                signatureScheme: SignatureScheme = .ed25519, mutation: ConsensusMutation? = nil,
                forgetsLocks: Bool = false) {
        precondition(epochLength > 0 && (0...32).contains(proofOfWorkBits))
        self.blockInterval = blockInterval
        self.timeoutPropose = timeoutPropose
        self.timeoutPrevote = timeoutPrevote
        self.timeoutPrecommit = timeoutPrecommit
        self.timeoutDelta = timeoutDelta
        self.epochLength = epochLength
        self.slashShare = slashShare
        self.proofOfWorkBits = proofOfWorkBits
        self.signatureScheme = signatureScheme
        self.mutation = mutation
        self.forgetsLocks = forgetsLocks
    }
}

/// A timer the engine asks its host to fire.
public struct ConsensusTimeout: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case startHeight, propose, prevote, precommit
        /// Still at this height and round: send this validator's votes (and proposal) again.
        case rebroadcast
    }

    public var kind: Kind
    public var height: UInt64
    public var round: UInt32

    public init(kind: Kind, height: UInt64, round: UInt32) {
        self.kind = kind
        self.height = height
        self.round = round
    }
}

/// What the consensus state machine asks its host to do.
public enum ConsensusAction: Sendable {
    case broadcastProposal(Proposal)
    case broadcastVote(Vote)
    /// Send on another validator's vote as received (gossip): never re-signed.
    case relayVote(Vote)
    /// Send on the proposal of an earlier round as received (gossip): the block of the polka this
    /// validator holds, for validators that missed that round's proposal.
    case relayProposal(Proposal)
    case scheduleTimeout(ConsensusTimeout, at: SimTime)
    /// Persist (and sync) the signing record before the vote that follows it leaves.
    case persist(SigningRecord)
    /// The block is final: `commit` holds precommits from more than 2/3 of `validators`' stake.
    case commit(Block, commit: [Vote], validators: ValidatorSet)
}

/// What a validator has signed at its current height and its lock: written durably before any
/// vote leaves, so that a validator restarting after a crash never signs a conflicting vote, and
/// one restarting locked can still propose its locked block with the proof, as a Tendermint node
/// does by replaying its write-ahead log.
public struct SigningRecord: Sendable {
    public struct Signed: Hashable, Sendable {
        public var kind: VoteKind
        public var round: UInt32
        public var blockHash: Digest32?
    }

    /// The block a validator locked on, the round it locked in, and the prevotes of that round
    /// for the block (more than 2/3 of stake: its proof of lock).
    public struct Lock: Sendable {
        public var round: UInt32
        public var block: Block
        public var polka: [Vote]
    }

    public var height: UInt64
    public var signed: [Signed]
    public var lock: Lock?

    public init(height: UInt64) {
        self.height = height
        self.signed = []
        self.lock = nil
    }

    /// The round of the lock; −1 when not locked.
    public var lockedRound: Int32 { lock.map { Int32($0.round) } ?? -1 }

    public var lockedHash: Digest32? { lock?.block.hash }
}

/// The host's side of consensus: building a proposal's transactions and checking a block.
public struct ConsensusHooks {
    /// The transactions of a new block at (height, time) and the governance parameter changes
    /// it executes.
    public var assemble: (_ height: UInt64, _ timestamp: SimTime, _ work: inout WorkMeter)
        -> (transactions: [Transaction], parameterChanges: [ParameterChange])
    /// Whether a block's transactions apply on the host's state.
    public var validate: (_ block: Block, _ work: inout WorkMeter) -> Bool

    public init(assemble: @escaping (UInt64, SimTime, inout WorkMeter) -> (transactions: [Transaction], parameterChanges: [ParameterChange]),
                validate: @escaping (Block, inout WorkMeter) -> Bool) {
        self.assemble = assemble
        self.validate = validate
    }
}

/// Proof-of-stake BFT consensus in the style of Tendermint (Buchman, Kwon, Milosevic 2018), as a
/// sans-I/O state machine: inputs are proposals, votes and timeouts; outputs are
/// ``ConsensusAction``s. It reads no clock and sends nothing itself.
///
/// Each height runs rounds of propose → prevote → precommit. Quorums are stake-weighted: more than
/// 2/3 of stake ("2f + 1"), and more than 1/3 ("f + 1") to skip to a later round. The rules that
/// make it safe with less than 1/3 of stake Byzantine:
/// - A validator signs at most one prevote and one precommit per round (persisted before sending).
/// - It precommits a block only after seeing a polka (> 2/3 prevotes) for it in that round, and
///   then locks on it; while locked it prevotes only the locked block or a block with a polka in a
///   round at or after its lock.
/// - A block is final once > 2/3 of stake precommitted it in one round. Two conflicting finals
///   would need two such quorums, which intersect in > 1/3 of stake; honest validators in the
///   intersection precommitted one block and stayed locked, so they cannot have precommitted the
///   other — only Byzantine stake ≥ 1/3 could.
/// Liveness once the network is stable comes from timeouts that grow with the round, valid-value
/// re-proposal with its proof of lock, round skipping on f + 1 messages, and — standing in for
/// Tendermint's gossip reactor — re-broadcasting a validator's own votes and proposal while it
/// stays at one height and round, so that messages lost to partitions or loss are sent again,
/// and relaying every vote of that round it holds from others, the precommits of the round
/// before (which let a validator still waiting in it move on), and the prevotes of its valid
/// block's polka: an equivocator that sent one block to half the network and its twin to the
/// other half cannot keep the honest validators' views apart (Tendermint's liveness assumes
/// that what one honest validator received, all do). A polka of an earlier round seen that way
/// makes its block the valid one, to be proposed again with its proof.
///
/// Beyond the paper: proposer choice by the seed's weighted score (``ValidatorRegistry``), block
/// pacing to `blockInterval`, the last commit and equivocation evidence carried in blocks, an
/// optional proof-of-work stamp, and reputation and slashing applied on commit.
public struct Tendermint: Sendable {
    public enum Step: UInt8, Sendable, Comparable {
        case newHeight, propose, prevote, precommit
        public static func < (lhs: Step, rhs: Step) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One round's votes of one kind. A validator counts once toward the total and once toward
    /// each block it voted for: an equivocator's two votes both count, as in Tendermint's vote
    /// sets. That is safe — two conflicting quorums would intersect in more than 1/3 of stake,
    /// which would have to include an honest validator voting twice — and it lets honest nodes see
    /// the polka an equivocator helped form in the other half of the network.
    struct RoundVotes: Sendable {
        struct Key: Hashable, Sendable {
            var voter: NodeID
            var target: Digest32?
        }

        var first: [NodeID: Vote] = [:]
        var counted: Set<Key> = []
        var stakeFor: [Digest32?: Int64] = [:]
        var stake: Int64 = 0
        var inOrder: [Vote] = []

        /// Counts `vote` with `stake`; `false` if this voter already voted for this target.
        mutating func add(_ vote: Vote, stake weight: Int64) -> Bool {
            guard counted.insert(Key(voter: vote.voter, target: vote.blockHash)).inserted else { return false }
            if first[vote.voter] == nil {
                first[vote.voter] = vote
                stake += weight
            }
            stakeFor[vote.blockHash, default: 0] += weight
            inOrder.append(vote)
            return true
        }
    }

    /// A round and a vote kind: where a vote is counted.
    struct VoteSlot: Hashable, Sendable {
        var round: UInt32
        var kind: VoteKind
    }

    public let me: NodeID
    public private(set) var parameters: ConsensusParameters
    private let keyPair: KeyPair
    public private(set) var registry: ValidatorRegistry
    /// The validators that signed the previous height (for checking a block's last commit).
    private var previousValidators: ValidatorSet

    public private(set) var height: UInt64 = 1
    public private(set) var round: UInt32 = 0
    public private(set) var step: Step = .newHeight
    public private(set) var lastCommittedHash = Block.genesisHash
    private var lastBlockTimestamp = SimTime.zero
    private var lastCommit: [Vote] = []
    /// The block this validator is locked on at this height and the round it locked in (−1: not
    /// locked), read from the signing record, so the lock holds across a restart; none while the
    /// record is of a later height.
    private var lockedHash: Digest32? { isBehindSigningRecord ? nil : signing.lockedHash }
    private var lockedRound: Int32 { isBehindSigningRecord ? -1 : signing.lockedRound }
    private var validBlock: Block?
    private var validRound: Int32 = -1
    private var proposals: [UInt32: Proposal] = [:]
    private var votes: [VoteSlot: RoundVotes] = [:]
    /// The highest round any vote of this height was seen in (for round skipping).
    private var highestVotedRound: UInt32 = 0
    private var validity: [Digest32: Bool] = [:]
    private var prevoteTimeoutScheduled: Set<UInt32> = []
    private var precommitTimeoutScheduled: Set<UInt32> = []
    private var polkaSeen: Set<UInt32> = []
    private var signing: SigningRecord
    private var futureProposals: [Proposal] = []
    private var futureVotes: [Vote] = []
    private var evidencePool: [Evidence] = []
    private var includedEvidence: Set<Digest32> = []

    public init(me: NodeID, keyPair: KeyPair, validators: ValidatorSet, parameters: ConsensusParameters) {
        precondition(validators[me].publicKey == keyPair.publicKey, "key pair must be this validator's")
        self.me = me
        self.keyPair = keyPair
        self.parameters = parameters
        self.registry = ValidatorRegistry(validators: validators, epochLength: parameters.epochLength,
                                          slashShare: parameters.slashShare)
        self.previousValidators = validators
        self.signing = SigningRecord(height: 1)
    }

    public var validators: ValidatorSet { registry.validators }

    /// Evidence seen and not yet in a committed block.
    public var pendingEvidence: [Evidence] { evidencePool }

    /// The proposer of (`height`, `round`) at this node's current chain position.
    public func proposer(round: UInt32) -> NodeID {
        registry.proposer(height: height, round: round, previousHash: lastCommittedHash)
    }

    // MARK: Inputs

    /// Starts height 1 one block interval after `now`.
    public mutating func start(at now: SimTime, actions: inout [ConsensusAction]) {
        actions.append(.scheduleTimeout(ConsensusTimeout(kind: .startHeight, height: height, round: 0),
                                        at: now + parameters.blockInterval))
    }

    /// Resumes after a restart: the signing record of the interrupted height, if any, is honoured
    /// — its votes are never contradicted and its lock holds (now, or once this validator has
    /// caught up to that height).
    public mutating func restore(_ record: SigningRecord?) {
        guard let record, record.height >= height else { return }
        signing = record
        adoptLock()
    }

    /// Whether this validator restarted behind its signing record: it had reached the record's
    /// height before the crash, so it signed at this height already (whatever it signed) and
    /// signs nothing here again — no proposal, no vote — until block sync brings it to the record.
    private var isBehindSigningRecord: Bool { signing.height > height }

    /// Takes the locked block back from the signing record when the record is for the current
    /// height: it becomes the valid block again, its polka counted, so that this validator
    /// proposes it with its proof when its turn comes rather than a block no locked peer accepts.
    private mutating func adoptLock() {
        guard signing.height == height, let lock = signing.lock, Int32(lock.round) > validRound else { return }
        for vote in lock.polka { record(vote) }
        validBlock = lock.block
        validRound = Int32(lock.round)
    }

    public mutating func timeoutFired(_ timeout: ConsensusTimeout, at now: SimTime, verifier: SignatureVerifier,
                                      work: inout WorkMeter, hooks: ConsensusHooks, actions: inout [ConsensusAction]) {
        guard timeout.height == height else { return }
        switch timeout.kind {
        case .startHeight:
            guard step == .newHeight else { return }
            startRound(0, at: now, work: &work, hooks: hooks, actions: &actions)
        case .propose:
            guard timeout.round == round, step == .propose else { return }
            sign(.prevote, nil, at: now, actions: &actions)
            step = .prevote
        case .prevote:
            guard timeout.round == round, step == .prevote else { return }
            sign(.precommit, nil, at: now, actions: &actions)
            step = .precommit
        case .precommit:
            guard timeout.round == round else { return }
            startRound(round + 1, at: now, work: &work, hooks: hooks, actions: &actions)
        case .rebroadcast:
            guard timeout.round == round, step != .newHeight else { return }
            if let proposal = proposals[round], proposal.proposer == me { actions.append(.broadcastProposal(proposal)) }
            for kind in VoteKind.allCases {
                guard let votes = roundVotes(round, kind) else { continue }
                if let own = votes.first[me] { actions.append(.broadcastVote(own)) }
                for vote in votes.inOrder where vote.voter != me { actions.append(.relayVote(vote)) }
            }
            if round > 0 {
                // The precommits that ended the last round, for validators still waiting in it.
                for vote in roundVotes(round - 1, .precommit)?.inOrder ?? [] { actions.append(.relayVote(vote)) }
            }
            if validRound >= 0, validRound != Int32(round), let valid = proposals[UInt32(validRound)] {
                actions.append(.relayProposal(valid))
                for vote in validPolka { actions.append(.relayVote(vote)) }
            }
            scheduleRebroadcast(at: now, actions: &actions)
        }
        evaluate(at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
    }

    public mutating func receive(_ proposal: Proposal, at now: SimTime, verifier: SignatureVerifier,
                                 work: inout WorkMeter, hooks: ConsensusHooks, actions: inout [ConsensusAction]) {
        if proposal.height > height {
            if proposal.height <= height + 2, futureProposals.count < 64 { futureProposals.append(proposal) }
            return
        }
        guard proposal.height == height, proposals[proposal.round] == nil,
              proposal.proposer == proposer(round: proposal.round),
              proposal.block.round <= proposal.round else { return }
        work.signaturesChecked += 1
        guard verifier.verify(proposal.signature, of: proposal.signedDigest,
                              by: validators[proposal.proposer].publicKey) else { return }
        proposals[proposal.round] = proposal
        for vote in proposal.polka where vote.kind == .prevote && Int32(vote.round) == proposal.validRound
            && vote.blockHash == proposal.block.hash {
            _ = accept(vote, verifier: verifier, work: &work)
        }
        if proposal.round < round {
            noteEarlierPolka(in: proposal.round, verifier: verifier, work: &work, hooks: hooks)
        }
        evaluate(at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
    }

    public mutating func receive(_ vote: Vote, at now: SimTime, verifier: SignatureVerifier, work: inout WorkMeter,
                                 hooks: ConsensusHooks, actions: inout [ConsensusAction]) {
        if vote.height > height {
            if vote.height <= height + 2, futureVotes.count < 4 * validators.count { futureVotes.append(vote) }
            return
        }
        if vote.height + 1 == height, vote.kind == .precommit, vote.blockHash == lastCommittedHash,
           vote.voter.index < previousValidators.count, !lastCommit.contains(where: { $0.voter == vote.voter }) {
            // A late precommit for the block just finalized joins the last commit the next block carries.
            work.signaturesChecked += 1
            if verifier.verify(vote.signature, of: vote.signedDigest, by: previousValidators[vote.voter].publicKey) {
                lastCommit.append(vote)
            }
            return
        }
        guard accept(vote, verifier: verifier, work: &work) else { return }
        if vote.kind == .prevote, vote.round < round {
            noteEarlierPolka(in: vote.round, verifier: verifier, work: &work, hooks: hooks)
        }
        evaluate(at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
    }

    /// A polka of an earlier round of this height, seen late (its prevotes relayed): its block
    /// becomes the valid block if the round is later than the valid round held, so that this
    /// validator proposes it again with its proof when its turn comes, which every honest lock
    /// at or before that round accepts. Locks are untouched: only the current round's polka locks.
    private mutating func noteEarlierPolka(in earlier: UInt32, verifier: SignatureVerifier, work: inout WorkMeter,
                                           hooks: ConsensusHooks) {
        guard Int32(earlier) > validRound, let proposal = proposals[earlier],
              isQuorum(roundVotes(earlier, .prevote)?.stakeFor[proposal.block.hash] ?? 0),
              isValid(proposal.block, verifier: verifier, work: &work, hooks: hooks) else { return }
        validBlock = proposal.block
        validRound = Int32(earlier)
    }

    /// Checks and records a vote of the current height; `false` if it was not new or not valid.
    /// A second, different vote from the same validator in the same step is kept as evidence.
    private mutating func accept(_ vote: Vote, verifier: SignatureVerifier, work: inout WorkMeter) -> Bool {
        guard vote.height == height, vote.voter.index < validators.count else { return false }
        let slot = VoteSlot(round: vote.round, kind: vote.kind)
        guard votes[slot]?.counted.contains(RoundVotes.Key(voter: vote.voter, target: vote.blockHash)) != true else {
            return false
        }
        work.signaturesChecked += 1
        guard verifier.verify(vote.signature, of: vote.signedDigest, by: validators[vote.voter].publicKey) else {
            return false
        }
        if let earlier = votes[slot]?.first[vote.voter] {
            let evidence = Evidence(first: earlier, second: vote)
            if !includedEvidence.contains(evidence.digest), !evidencePool.contains(evidence) {
                evidencePool.append(evidence)
            }
        }
        record(vote)
        return true
    }

    /// Applies a block the rest of the network already finalized (block sync): `commit` must hold
    /// valid precommits from more than 2/3 of stake for it at this node's height.
    @discardableResult
    public mutating func fastForward(_ block: Block, commit: [Vote], at now: SimTime, verifier: SignatureVerifier,
                                     work: inout WorkMeter, hooks: ConsensusHooks,
                                     actions: inout [ConsensusAction]) -> Bool {
        guard block.height == height, block.parentHash == lastCommittedHash,
              isCertified(commit, height: block.height, hash: block.hash, by: validators, verifier: verifier, work: &work),
              isValid(block, verifier: verifier, work: &work, hooks: hooks) else { return false }
        finalize(block, commit: commit, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        return true
    }

    // MARK: Rounds

    private mutating func startRound(_ newRound: UInt32, at now: SimTime, work: inout WorkMeter, hooks: ConsensusHooks,
                                     actions: inout [ConsensusAction]) {
        round = newRound
        step = .propose
        scheduleRebroadcast(at: now, actions: &actions)
        if proposer(round: newRound) == me, !isBehindSigningRecord {
            // The valid block, proposed again with its polka, unless this validator forgets it.
            let reproposed = validRound >= 0 && !parameters.forgetsLocks ? validBlock : nil
            let block: Block
            if let reproposed {
                block = reproposed
            } else {
                let (transactions, changes) = hooks.assemble(height, now, &work)
                block = stamp(Block(height: height, round: newRound, parentHash: lastCommittedHash, proposer: me,
                                    timestamp: now, transactions: transactions, lastCommit: lastCommit,
                                    evidence: evidencePool, parameterChanges: changes), work: &work)
                work.merkleLeaves += transactions.count
            }
            work.signaturesMade += 1
            let proposal = Proposal(block: block, round: newRound, validRound: reproposed != nil ? validRound : -1,
                                    proposer: me, keyPair: keyPair, scheme: parameters.signatureScheme,
                                    polka: reproposed != nil ? validPolka : [])
            proposals[newRound] = proposal
            actions.append(.broadcastProposal(proposal))
        } else {
            actions.append(.scheduleTimeout(ConsensusTimeout(kind: .propose, height: height, round: newRound),
                                            at: now + timeout(parameters.timeoutPropose, newRound)))
        }
    }

    /// The upon-rules of the protocol, applied until none fires.
    private mutating func evaluate(at now: SimTime, verifier: SignatureVerifier, work: inout WorkMeter,
                                   hooks: ConsensusHooks, actions: inout [ConsensusAction]) {
        var progressed = true
        while progressed {
            progressed = false
            guard step != .newHeight else { return }
            // Commit: a proposal with > 2/3 precommits in its round, in any round (lowest first).
            for proposalRound in proposals.count == 1 ? Array(proposals.keys) : proposals.keys.sorted() {
                let proposal = proposals[proposalRound]!
                guard isQuorum(roundVotes(proposalRound, .precommit)?.stakeFor[proposal.block.hash] ?? 0),
                      isValid(proposal.block, verifier: verifier, work: &work, hooks: hooks) else { continue }
                let commit = roundVotes(proposalRound, .precommit)!.inOrder.filter { $0.blockHash == proposal.block.hash }
                finalize(proposal.block, commit: commit, at: now, verifier: verifier, work: &work, hooks: hooks,
                         actions: &actions)
                return
            }
            // Round skip: > 1/3 of stake already speaks in a later round.
            if highestVotedRound > round,
               let later = ((round + 1)...highestVotedRound).first(where: { stakeInRound($0) }) {
                startRound(later, at: now, work: &work, hooks: hooks, actions: &actions)
                progressed = true
                continue
            }
            let proposal = proposals[round]
            if step == .propose, let proposal {
                let hash = proposal.block.hash
                if proposal.validRound == -1 {
                    let acceptable = isValid(proposal.block, verifier: verifier, work: &work, hooks: hooks)
                        && (lockedRound == -1 || lockedHash == hash || ignoresLocks)
                    sign(.prevote, acceptable ? hash : nil, at: now, actions: &actions)
                    step = .prevote
                    progressed = true
                    continue
                }
                let validRound = UInt32(proposal.validRound)
                if validRound < round, isQuorum(roundVotes(validRound, .prevote)?.stakeFor[hash] ?? 0) {
                    let acceptable = isValid(proposal.block, verifier: verifier, work: &work, hooks: hooks)
                        && (lockedRound <= proposal.validRound || lockedHash == hash || ignoresLocks)
                    sign(.prevote, acceptable ? hash : nil, at: now, actions: &actions)
                    step = .prevote
                    progressed = true
                    continue
                }
            }
            let prevotes = roundVotes(round, .prevote)
            if step == .prevote, isQuorum(prevotes?.stake ?? 0), !prevoteTimeoutScheduled.contains(round) {
                prevoteTimeoutScheduled.insert(round)
                actions.append(.scheduleTimeout(ConsensusTimeout(kind: .prevote, height: height, round: round),
                                                at: now + timeout(parameters.timeoutPrevote, round)))
            }
            if step >= .prevote, let proposal, !polkaSeen.contains(round),
               isQuorum(prevotes?.stakeFor[proposal.block.hash] ?? 0),
               isValid(proposal.block, verifier: verifier, work: &work, hooks: hooks) {
                polkaSeen.insert(round)
                if step == .prevote {
                    // Behind its record a validator signs nothing here, so it locks on nothing
                    // either: the record's lock is of the later height and must stand.
                    if !isBehindSigningRecord {
                        let polka = prevotes?.inOrder.filter { $0.blockHash == proposal.block.hash } ?? []
                        signing.lock = SigningRecord.Lock(round: round, block: proposal.block, polka: polka)
                    }
                    sign(.precommit, proposal.block.hash, at: now, actions: &actions)
                    step = .precommit
                }
                validBlock = proposal.block
                validRound = Int32(round)
                progressed = true
                continue
            }
            if step == .prevote, isQuorum(prevotes?.stakeFor[nil] ?? 0) {
                sign(.precommit, nil, at: now, actions: &actions)
                step = .precommit
                progressed = true
                continue
            }
            if isQuorum(roundVotes(round, .precommit)?.stake ?? 0), !precommitTimeoutScheduled.contains(round) {
                precommitTimeoutScheduled.insert(round)
                actions.append(.scheduleTimeout(ConsensusTimeout(kind: .precommit, height: height, round: round),
                                                at: now + timeout(parameters.timeoutPrecommit, round)))
            }
        }
    }

    /// Commits `block`: reports it, updates the registry, and moves to the next height, which
    /// starts no earlier than one block interval after this block's time.
    private mutating func finalize(_ block: Block, commit: [Vote], at now: SimTime, verifier: SignatureVerifier,
                                   work: inout WorkMeter, hooks: ConsensusHooks, actions: inout [ConsensusAction]) {
        actions.append(.commit(block, commit: commit, validators: registry.validators))
        let failed = (0..<block.round).map { proposer(round: $0) }
        let fresh = block.evidence.filter { !includedEvidence.contains($0.digest) }
        for evidence in fresh { includedEvidence.insert(evidence.digest) }
        evidencePool.removeAll { includedEvidence.contains($0.digest) }
        previousValidators = registry.validators
        registry.record(committed: block, failedProposers: failed, newEvidence: fresh)
        for change in block.parameterChanges where change.parameter == .blockIntervalMillis {
            parameters.blockInterval = .milliseconds(change.value)
        }
        lastCommittedHash = block.hash
        lastBlockTimestamp = block.timestamp
        lastCommit = commit
        height += 1
        round = 0
        step = .newHeight
        validBlock = nil
        validRound = -1
        proposals = [:]
        votes = [:]
        highestVotedRound = 0
        validity = [:]
        prevoteTimeoutScheduled = []
        precommitTimeoutScheduled = []
        polkaSeen = []
        if signing.height < height {
            signing = SigningRecord(height: height)
        } else {
            adoptLock()
        }
        actions.append(.scheduleTimeout(ConsensusTimeout(kind: .startHeight, height: height, round: 0),
                                        at: max(now, lastBlockTimestamp + parameters.blockInterval)))
        let (proposalsLater, votesLater) = (futureProposals, futureVotes)
        futureProposals = []
        futureVotes = []
        for proposal in proposalsLater {
            receive(proposal, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        }
        for vote in votesLater {
            receive(vote, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        }
    }

    // MARK: Helpers

    /// Re-sends this round's own messages every prevote timeout while the round lasts.
    private func scheduleRebroadcast(at now: SimTime, actions: inout [ConsensusAction]) {
        actions.append(.scheduleTimeout(ConsensusTimeout(kind: .rebroadcast, height: height, round: round),
                                        at: now + timeout(parameters.timeoutPropose, round) + parameters.timeoutPrevote))
    }

    private var ignoresLocks: Bool { parameters.mutation == .noLock || parameters.forgetsLocks }

    private func isQuorum(_ stake: Int64) -> Bool {
        parameters.mutation == .quorumHalf ? 2 * stake > validators.totalStake : validators.isQuorum(stake)
    }

    private func stakeInRound(_ round: UInt32) -> Bool {
        var voters = Set<NodeID>()
        for kind in VoteKind.allCases {
            for voter in roundVotes(round, kind)?.first.keys ?? [:].keys { voters.insert(voter) }
        }
        return validators.isOneThird(voters.reduce(0) { $0 + validators[$1].stake })
    }

    private func timeout(_ base: SimDuration, _ round: UInt32) -> SimDuration {
        base + parameters.timeoutDelta * Int64(round)
    }

    private mutating func record(_ vote: Vote) {
        // Mutated in place: copying a round's votes out and back would cost O(n) per vote.
        if votes[VoteSlot(round: vote.round, kind: vote.kind), default: RoundVotes()]
            .add(vote, stake: validators[vote.voter].stake) {
            highestVotedRound = max(highestVotedRound, vote.round)
        }
    }

    private func roundVotes(_ round: UInt32, _ kind: VoteKind) -> RoundVotes? {
        votes[VoteSlot(round: round, kind: kind)]
    }

    /// The prevotes of the valid block's polka, its proof of lock (none without a valid block).
    private var validPolka: [Vote] {
        guard validRound >= 0, let valid = validBlock else { return [] }
        return roundVotes(UInt32(validRound), .prevote)?.inOrder.filter { $0.blockHash == valid.hash } ?? []
    }

    /// Signs and sends a vote, unless this validator already signed a vote of this kind in this
    /// round (after a restart) — then the same vote again, never a different one — or it is behind
    /// its signing record (then nothing).
    private mutating func sign(_ kind: VoteKind, _ hash: Digest32?, at now: SimTime, actions: inout [ConsensusAction]) {
        guard !isBehindSigningRecord else { return }
        var target = hash
        if let earlier = signing.signed.first(where: { $0.kind == kind && $0.round == round }), signing.height == height {
            target = earlier.blockHash
        } else {
            signing.height = height
            signing.signed.append(SigningRecord.Signed(kind: kind, round: round, blockHash: hash))
            actions.append(.persist(signing))
        }
        let vote = Vote(kind: kind, height: height, round: round, blockHash: target, voter: me, keyPair: keyPair,
                        scheme: parameters.signatureScheme)
        record(vote)
        actions.append(.broadcastVote(vote))
    }

    /// Whether `commit` holds valid precommits from more than 2/3 of `set`'s stake for `hash`.
    public func isCertified(_ commit: [Vote], height: UInt64, hash: Digest32, by set: ValidatorSet,
                            verifier: SignatureVerifier, work: inout WorkMeter) -> Bool {
        var counted = Set<NodeID>()
        var stake: Int64 = 0
        for vote in commit where vote.kind == .precommit && vote.height == height && vote.blockHash == hash {
            guard vote.voter.index < set.count, counted.insert(vote.voter).inserted else { continue }
            work.signaturesChecked += 1
            guard verifier.verify(vote.signature, of: vote.signedDigest, by: set[vote.voter].publicKey) else { continue }
            stake += set[vote.voter].stake
        }
        return parameters.mutation == .quorumHalf ? 2 * stake > set.totalStake : set.isQuorum(stake)
    }

    /// A block's validity, checked once per block: structure (parent, Merkle root, proof of work,
    /// last commit, evidence), then the host's state.
    private mutating func isValid(_ block: Block, verifier: SignatureVerifier, work: inout WorkMeter,
                                  hooks: ConsensusHooks) -> Bool {
        if let known = validity[block.hash] { return known }
        var valid = block.height == height && block.parentHash == lastCommittedHash
        if valid {
            // Checking the Merkle root is charged, not computed: a block's only initializer derives
            // `transactionRoot` from its immutable transactions, so in process it always matches.
            // A driver that decoded blocks from the wire would compare the root here.
            work.merkleLeaves += block.transactions.count
        }
        if valid, parameters.proofOfWorkBits > 0 {
            work.hashes += 1
            valid = Self.proofOfWorkBits(block) >= parameters.proofOfWorkBits
        }
        if valid, block.height > 1 {
            valid = isCertified(block.lastCommit, height: block.height - 1, hash: block.parentHash, by: previousValidators,
                                verifier: verifier, work: &work)
        }
        if valid {
            for evidence in block.evidence {
                guard evidence.isConflicting, evidence.offender.index < validators.count,
                      !includedEvidence.contains(evidence.digest) else {
                    valid = false
                    break
                }
                work.signaturesChecked += 2
                let key = validators[evidence.offender].publicKey
                guard verifier.verify(evidence.first.signature, of: evidence.first.signedDigest, by: key),
                      verifier.verify(evidence.second.signature, of: evidence.second.signedDigest, by: key) else {
                    valid = false
                    break
                }
            }
        }
        if valid, parameters.mutation != .noBlockCheck { valid = hooks.validate(block, &work) }
        validity[block.hash] = valid
        return valid
    }

    /// Finds the proof-of-work nonce when stamps are on (2^bits hashes on average, charged).
    private func stamp(_ block: Block, work: inout WorkMeter) -> Block {
        guard parameters.proofOfWorkBits > 0 else { return block }
        var nonce: UInt64 = 1
        let base = block.unstampedHash
        while Self.leadingZeroBits(Self.powDigest(base, nonce)) < parameters.proofOfWorkBits { nonce += 1 }
        work.hashes += Int(nonce)
        return block.stamped(nonce)
    }

    static func proofOfWorkBits(_ block: Block) -> Int {
        leadingZeroBits(powDigest(block.unstampedHash, block.proofOfWorkNonce))
    }

    static func powDigest(_ base: Digest32, _ nonce: UInt64) -> Digest32 {
        Blake2b.hash(capacity: 40) { encoder in
            encoder.append(base)
            encoder.append(nonce)
        }
    }

    static func leadingZeroBits(_ digest: Digest32) -> Int {
        var bits = 0
        for byte in digest.bytes {
            if byte == 0 {
                bits += 8
                continue
            }
            bits += byte.leadingZeroBitCount
            break
        }
        return bits
    }
}
