import Consensus
import GridCore
import Ledger
import Testing

/// Drives n LeaderRotation state machines by hand, delivering every broadcast to every other
/// validator immediately; crashed validators neither send nor receive.
struct Harness {
    var engines: [LeaderRotation]
    let verifier = SignatureVerifier()
    var commits: [[Block]]
    var crashed: Set<Int> = []

    init(validators count: Int) {
        let stream = RandomStream(masterSeed: 1, name: "consensus-tests/keys")
        let keys = (0..<count).map { _ in KeyPair(drawingFrom: stream) }
        let set = ValidatorSet(keys.enumerated().map {
            Validator(id: NodeID($0.offset), publicKey: $0.element.publicKey, stake: 100, region: .bangkok)
        })
        engines = keys.enumerated().map {
            LeaderRotation(validators: set, me: NodeID($0.offset), keyPair: $0.element, scheme: .ed25519,
                           blockInterval: .seconds(1), maxBlockTransactions: 10)
        }
        commits = Array(repeating: [], count: count)
    }

    /// Lets the leader of its current height propose, then floods messages until quiet.
    mutating func runHeight(at time: SimTime) {
        let height = engines[0].height
        let leader = engines[0].leader(of: height).index
        var pending: [(from: Int, action: ConsensusAction)] = []
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        engines[leader].proposalDue(height: height, now: time, transactions: [], work: &work, actions: &actions) { _, _ in true }
        pending += actions.map { (leader, $0) }
        while !pending.isEmpty {
            let (from, action) = pending.removeFirst()
            if case .commit(let block, _) = action { commits[from].append(block) }
            for to in engines.indices where to != from && !crashed.contains(to) {
                actions.removeAll()
                switch action {
                case .broadcastProposal(let proposal):
                    engines[to].receive(proposal, verifier: verifier, work: &work, actions: &actions) { _, _ in true }
                case .broadcastVote(let vote):
                    engines[to].receive(vote, verifier: verifier, work: &work, actions: &actions) { _, _ in true }
                default:
                    continue
                }
                pending += actions.map { (to, $0) }
            }
        }
    }
}

@Suite struct LeaderRotationTests {
    @Test func allHonestValidatorsCommitTheSameBlocks() {
        var harness = Harness(validators: 4)
        for second in 1...5 { harness.runHeight(at: .zero + .seconds(Int64(second))) }
        let chains = harness.commits.map { $0.map(\.hash) }
        #expect(chains[0].count == 5)
        #expect(chains.allSatisfy { $0 == chains[0] })
        #expect(harness.commits[0].map(\.height) == [1, 2, 3, 4, 5])
        #expect(harness.commits[0].map(\.proposer.index) == [1, 2, 3, 0, 1], "leader is height mod n")
    }

    @Test func twoOfFourVotesAreNotAQuorum() {
        var harness = Harness(validators: 4)
        // Validators 2 and 3 are down: the leader (1) and validator 0 hold 2/4 of stake.
        harness.crashed = [2, 3]
        harness.runHeight(at: .zero + .seconds(1))
        #expect(harness.commits.allSatisfy { $0.isEmpty })
    }

    @Test func threeOfFourVotesAreAQuorum() {
        var harness = Harness(validators: 4)
        harness.crashed = [3]
        harness.runHeight(at: .zero + .seconds(1))
        #expect(harness.commits[0...2].allSatisfy { $0.count == 1 })
        #expect(harness.commits[3].isEmpty)
    }

    @Test func quorumIsStrictlyMoreThanTwoThirds() {
        let set = ValidatorSet((0..<3).map {
            Validator(id: NodeID($0), publicKey: PublicKey(bytes: .zero), stake: 100, region: .north)
        })
        #expect(!set.isQuorum(200))
        #expect(set.isQuorum(201))
    }

    @Test func aForgedVoteIsIgnored() {
        var harness = Harness(validators: 4)
        let height = harness.engines[0].height
        let forged = Vote(height: height, blockHash: Blake2b.hash([1]), voter: NodeID(2),
                          signature: Signature(bytes: .zero))
        var actions: [ConsensusAction] = []
        var work = WorkMeter()
        harness.engines[0].receive(forged, verifier: harness.verifier, work: &work, actions: &actions) { _, _ in true }
        #expect(actions.isEmpty)
        #expect(work.signaturesChecked == 1, "the check is charged even though it fails")
    }
}
