import Consensus
import Grid
import GridCore
import Ledger
import Governance
import Market
import Node
import Testing

/// A chain state on the uniform test grid with one operator key for every region.
func testGenesis(operator key: PublicKey, funding: [TxOutput], maxBlockTransactions: Int = 100) -> ChainState {
    let parameters = LedgerParameters(gridOperators: Region.allCases.map { _ in key })
    return ChainState(parameters: parameters, configuration: MarketConfiguration(),
                      grid: GridState(network: GridNetwork(topology: .uniform, calendar: SimCalendar()), slotLength: .minutes(15)),
                      governance: GovernanceState(
                        rules: GovernanceRules(deposit: .tokens(100), epochLength: 100),
                        parameters: GovernanceParameters(maxBlockTransactions: maxBlockTransactions, blockInterval: .seconds(1),
                                                         minimumFee: parameters.minimumFee, tradingFee: parameters.tradingFee)),
                      genesis: funding)
}

@Suite struct MempoolTests {
    private func transactions(_ count: Int) -> [Transaction] {
        let alice = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "mempool-tests"))
        return (0..<count).map {
            Transaction(signedBy: alice, region: .east,
                        kind: .transfer(inputs: [OutPoint(transaction: Blake2b.hash([UInt8($0)]), index: 0)],
                                        outputs: [TxOutput(owner: alice.publicKey, asset: .payment, amount: 1)]),
                        fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: UInt64($0), scheme: .modelled)
        }
    }

    @Test func takesOldestFirstAndForgetsRemoved() {
        var pool = Mempool()
        let items = transactions(5)
        for item in items {
            let inserted = pool.insert(item)
            #expect(inserted)
        }
        let duplicate = pool.insert(items[0])
        #expect(!duplicate, "a duplicate is refused")
        #expect(pool.spender(of: items[2].inputs[0]) === items[2])
        pool.remove(items[0].id)
        pool.remove(items[2].id)
        #expect(pool.spender(of: items[2].inputs[0]) == nil)
        #expect(pool.take(10).map(\.id) == [items[1], items[3], items[4]].map(\.id))
        #expect(pool.take(2).map(\.id) == [items[1], items[3]].map(\.id))
        #expect(pool.count == 3)
    }

    /// A transaction removed (its block failed, say) and admitted again before its old queue
    /// entry is trimmed is handed out once, from its new place, by both `take` and `lapsed`.
    @Test func readmittedTransactionIsHandedOutOnceFromItsNewPlace() {
        var pool = Mempool()
        let items = transactions(3)
        for item in items { pool.insert(item) }
        pool.remove(items[1].id)
        let readmitted = pool.insert(items[1])
        #expect(readmitted)
        let arrivals = [items[0], items[2], items[1]].map(\.id)
        #expect(pool.take(10).map(\.id) == arrivals)
        #expect(pool.take(2).map(\.id) == Array(arrivals.prefix(2)), "the stale entry takes no slot")
        #expect(pool.waitingInArrivalOrder.map(\.id) == arrivals, "what a crash would lose, each once")
        #expect(pool.lapsed(by: .zero + .hours(2)).map(\.id) == arrivals)
        pool.remove(items[0].id)
        pool.remove(items[1].id)
        #expect(pool.take(10).map(\.id) == [items[2].id], "neither entry of a removed one comes back")
        #expect(pool.count == 1)
    }

    /// Two waiting transactions spending one output (the node evicts a lapsed spender before
    /// admitting another): the later is the output's spender, removing the earlier leaves it so
    /// even once the earlier's place has left the queue, and removing the later frees the output.
    @Test func anOutputsSpenderIsItsLatestWaitingAdmission() {
        let alice = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "mempool-tests/spender"))
        let coin = OutPoint(transaction: Blake2b.hash([7]), index: 0)
        let spend = { (nonce: UInt64) in
            Transaction(signedBy: alice, region: .east,
                        kind: .transfer(inputs: [coin], outputs: [TxOutput(owner: alice.publicKey, asset: .payment, amount: 1)]),
                        fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: nonce, scheme: .modelled)
        }
        let (earlier, later) = (spend(1), spend(2))
        var pool = Mempool()
        pool.insert(earlier)
        pool.insert(later)
        #expect(pool.spender(of: coin) === later)
        pool.remove(earlier.id)
        #expect(pool.take(10).map(\.id) == [later.id], "the earlier's place has left the front")
        #expect(pool.spender(of: coin) === later)
        pool.remove(later.id)
        #expect(pool.spender(of: coin) == nil)
        #expect(pool.count == 0)
    }

    /// A transaction lapses after its replay window, a lock at its deadline, an order at its
    /// expiry or delivery end, whichever comes first; the pool hands out those lapsed by a time.
    @Test func lapsedTransactionsComeOutInLapseOrder() {
        let alice = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "mempool-tests/lapse"))
        let coin = { (index: UInt8) in OutPoint(transaction: Blake2b.hash([index]), index: 0) }
        let change = [TxOutput(owner: alice.publicKey, asset: .payment, amount: 1)]
        let transfer = Transaction(signedBy: alice, region: .east, kind: .transfer(inputs: [coin(1)], outputs: change),
                                   fee: MicroTokens(1_000), validUntil: .zero + .seconds(30), nonce: 1, scheme: .modelled)
        let lock = Transaction(signedBy: alice, region: .east,
                               kind: .lockTransfer(inputs: [coin(2)], change: change,
                                                   LockTerms(destination: .north, deadline: .zero + .seconds(20), outputs: change)),
                               fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: 2, scheme: .modelled)
        let order = OrderTerms(side: .buy, price: MicroTokensPerKWh(4_000_000), quantity: EnergyWh(1_000),
                               location: GridLocation(region: .east, zone: 0), deliveryStart: .zero + .seconds(5),
                               deliveryEnd: .zero + .seconds(10), expiresAt: .zero + .seconds(40), source: .conventional)
        let bid = Transaction(signedBy: alice, region: .east, kind: .placeOrder(order, inputs: [coin(3)], change: change),
                              fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: 3, scheme: .modelled)
        #expect(transfer.lapseTime.nanoseconds == 30_000_000_001, "the first instant past its replay window")
        #expect(lock.lapseTime == .zero + .seconds(20))
        #expect(bid.lapseTime == .zero + .seconds(10))
        var pool = Mempool()
        for item in [transfer, lock, bid] + transactions(3) { pool.insert(item) }
        #expect(pool.lapsed(by: .zero + .seconds(9)).isEmpty)
        #expect(pool.lapsed(by: .zero + .seconds(10)).map(\.id) == [bid.id])
        #expect(pool.lapsed(by: .zero + .seconds(20)).map(\.id) == [lock.id, bid.id], "in arrival order")
        pool.remove(transfer.id)
        #expect(pool.lapsed(by: .zero + .hours(2)).map(\.id) == [lock.id, bid.id] + transactions(3).map(\.id),
                "a removed one is not handed out")
        #expect(pool.count == 5, "lapsed ones stay until removed")
    }

    /// Cross-shard credits relaying each of `locks`, with evidence from one block holding them all.
    private func credits(relaying locks: [Transaction]) -> [Transaction] {
        let relayer = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "mempool-tests/relayer"))
        let block = Block(height: 1, round: 0, parentHash: Block.genesisHash, proposer: NodeID(0), timestamp: .zero,
                          transactions: locks, lastCommit: [], evidence: [])
        let tree = MerkleTree(leaves: locks.map(\.id))
        return locks.indices.map {
            let evidence = InclusionEvidence(commitment: CommitCertificate(chain: 1, header: block.header, precommits: []),
                                             path: tree.proof(forLeafAt: $0))
            return Transaction(signedBy: relayer, region: .north, kind: .creditTransfer(lock: locks[$0], evidence),
                               validUntil: .zero + .hours(1), nonce: UInt64($0), scheme: .modelled)
        }
    }

    /// A block holds everything waiting, in arrival order; a backlog larger than a block gives
    /// way to the relayed steps of cross-shard transfers, which would otherwise miss their deadline.
    @Test func relayedStepsGoFirstOnlyWhenMoreWaitThanABlockHolds() {
        var pool = Mempool()
        let items = transactions(6)
        let relayed = credits(relaying: Array(items.prefix(2)))
        #expect(relayed.allSatisfy(\.isRelayedStep) && !items.contains(where: \.isRelayedStep))
        let arrivals = [items[0], items[1], relayed[0], items[2], items[3], relayed[1], items[4]]
        for item in arrivals { pool.insert(item) }
        #expect(pool.take(7).map(\.id) == arrivals.map(\.id), "room for all: arrival order")
        #expect(pool.take(4).map(\.id) == [items[0], items[1], relayed[0], relayed[1]].map(\.id),
                "both credits, then the oldest others, still in arrival order")
        #expect(pool.take(1).map(\.id) == [relayed[0].id])
        pool.remove(relayed[0].id)
        #expect(pool.take(2).map(\.id) == [items[0], relayed[1]].map(\.id), "a removed credit no longer counts")
        pool.remove(relayed[1].id)
        #expect(pool.take(2).map(\.id) == [items[0], items[1]].map(\.id))
    }

    /// A full pool refuses new transactions but still takes those that finish work a finalized
    /// block began: relayed cross-shard steps and trade settlements.
    @Test func aFullPoolStillTakesRelayedStepsAndSettlements() {
        var pool = Mempool(limit: 2)
        let items = transactions(3)
        let relayed = credits(relaying: [items[0]])[0]
        let operatorKey = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "mempool-tests/operator"))
        let settlement = Transaction(signedBy: operatorKey, region: .east,
                                     kind: .settleTrade(trade: Blake2b.hash([7]), delivered: .kWh(5)),
                                     validUntil: .zero + .hours(1), nonce: 0, scheme: .modelled)
        #expect(Mempool().hasRoom(for: items[0]) && pool.hasRoom(for: items[0]))
        pool.insert(items[0])
        pool.insert(items[1])
        #expect(!pool.hasRoom(for: items[2]), "two of two: full")
        #expect(pool.hasRoom(for: relayed) && pool.hasRoom(for: settlement))
        pool.insert(relayed)
        pool.insert(settlement)
        #expect(pool.count == 4 && !pool.hasRoom(for: items[2]))
        pool.remove(items[0].id)
        pool.remove(relayed.id)
        pool.remove(settlement.id)
        #expect(pool.hasRoom(for: items[2]), "a slot freed")
    }
}

@Suite struct ValidatorNodeTests {
    let stream = RandomStream(masterSeed: 4, name: "node-tests")

    /// `count` validators (node 0 first) and a client funded with `coins` coins of 100 tokens at
    /// genesis (`OutPoint(genesisOrigin, i)`).
    private func makeNodes(_ count: Int = 1, behaviour: ByzantineBehaviour? = nil, coins: Int = 1,
                           mempoolLimit: Int? = nil) -> ([ValidatorNode], KeyPair) {
        let keys = (0..<count).map { _ in KeyPair(drawingFrom: stream) }
        let client = KeyPair(drawingFrom: stream)
        let set = ValidatorSet(keys.enumerated().map {
            Validator(id: NodeID($0.offset), publicKey: $0.element.publicKey, stake: 1, region: .bangkok)
        })
        let genesis = testGenesis(operator: keys[0].publicKey,
                                  funding: Array(repeating: TxOutput(owner: client.publicKey, asset: .payment,
                                                                     amount: MicroTokens.tokens(100).rawValue), count: coins))
        let configuration = NodeConfiguration(
            consensus: ConsensusParameters(blockInterval: .seconds(1)), behaviour: behaviour, mempoolLimit: mempoolLimit)
        let nodes = keys.indices.map {
            ValidatorNode(id: NodeID($0), validators: set, keyPair: keys[$0], configuration: configuration,
                          verifier: SignatureVerifier(), genesis: genesis, collusion: Collusion())
        }
        return (nodes, client)
    }

    private func makeNode() -> (ValidatorNode, KeyPair) {
        let (nodes, client) = makeNodes()
        return (nodes[0], client)
    }

    private func payment(from client: KeyPair, amount: Int64, input: OutPoint = OutPoint(transaction: genesisOrigin, index: 0),
                         total: Int64 = MicroTokens.tokens(100).rawValue, nonce: UInt64 = 0,
                         validUntil: SimTime = .zero + .hours(1)) -> Transaction {
        Transaction(signedBy: client, region: .bangkok,
                    kind: .transfer(inputs: [input], outputs: [
                        TxOutput(owner: client.publicKey, asset: .payment, amount: amount),
                        TxOutput(owner: client.publicKey, asset: .payment, amount: total - amount - 1_000),
                    ]),
                    fee: MicroTokens(1_000), validUntil: validUntil, nonce: nonce, scheme: .ed25519)
    }

    private func reasons(_ effects: [NodeEffect]) -> [String] {
        effects.compactMap {
            switch $0 {
            case .admitted: "admitted"
            case .rejected(_, let reason): reason.rawValue
            default: nil
            }
        }
    }

    @Test func admitsRejectsAndReportsWhy() {
        let (node, client) = makeNode()
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        let good = payment(from: client, amount: 5)
        let conflicting = payment(from: client, amount: 7)
        let badSignature = payment(from: client, amount: 9).withCorruptedSignature()
        let unknownInput = payment(from: client, amount: 5, input: OutPoint(transaction: genesisOrigin, index: 9))
        for transaction in [good, good, conflicting, badSignature, unknownInput] {
            node.handle(.client(transaction), now: .zero, work: &work, effects: &effects)
        }
        #expect(reasons(effects) == ["admitted", "duplicate", "spent_input", "bad_signature", "unknown_input"])
        #expect(node.mempoolCount == 1)
    }

    /// A full mempool refuses a client's transaction as `mempool_full` before any other check
    /// (a resend of one waiting is still a duplicate), drops a peer's gossip without passing it
    /// on, and takes a reshard's handover beyond its limit.
    @Test func aFullMempoolRefusesClientsAndGossipButTakesAHandover() {
        let (nodes, client) = makeNodes(2, coins: 5, mempoolLimit: 2)
        let node = nodes[0]
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        let payments = (0..<5).map { payment(from: client, amount: 5, input: OutPoint(transaction: genesisOrigin, index: UInt32($0))) }
        for transaction in [payments[0], payments[1], payments[2], payments[0], payments[3].withCorruptedSignature()] {
            node.handle(.client(transaction), now: .zero, work: &work, effects: &effects)
        }
        #expect(reasons(effects) == ["admitted", "admitted", "mempool_full", "duplicate", "mempool_full"])
        effects.removeAll()
        node.handle(.message(from: NodeID(1), .transaction(payments[3])), now: .zero, work: &work, effects: &effects)
        #expect(effects.isEmpty, "a full node neither admits nor passes on a peer's transaction")
        node.handle(.handover(payments[2]), now: .zero, work: &work, effects: &effects)
        #expect(reasons(effects) == ["admitted"])
        #expect(effects.contains { if case .gossip(let transaction, nil) = $0 { transaction === payments[2] } else { false } })
        #expect(node.mempoolCount == 3)
        effects.removeAll()
        node.handle(.handover(payments[4].withCorruptedSignature()), now: .zero, work: &work, effects: &effects)
        #expect(reasons(effects) == ["bad_signature"], "a handover is checked like any submission")
    }

    @Test func aSpendOfCoinsHeldByALapsedTransactionEvictsIt() {
        let (node, client) = makeNode()
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        let shortLived = payment(from: client, amount: 5, validUntil: .zero + .seconds(2))
        let retry = payment(from: client, amount: 7, nonce: 1)
        node.handle(.client(shortLived), now: .zero, work: &work, effects: &effects)
        node.handle(.client(retry), now: .zero + .seconds(1), work: &work, effects: &effects)
        node.handle(.client(retry), now: .zero + .seconds(3), work: &work, effects: &effects)
        #expect(reasons(effects) == ["admitted", "spent_input", "admitted", "expired"],
                "a live spender holds the coin; one past its replay window gives it up")
        let expired = effects.compactMap { effect -> TransactionID? in
            if case .rejected(let id, .expired) = effect { return id }
            return nil
        }
        #expect(expired == [shortLived.id])
        #expect(node.mempoolCount == 1)
    }

    @Test func aSingleValidatorCommitsItsOwnBlockAndThenRefusesReplays() {
        let (node, client) = makeNode()
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        node.start(at: .zero, effects: &effects)
        guard case .setTimer(let timer, let due)? = effects.first else {
            Issue.record("height 1 is scheduled")
            return
        }
        #expect(due == .zero + .seconds(1))
        let transaction = payment(from: client, amount: 5)
        node.handle(.client(transaction), now: .zero, work: &work, effects: &effects)
        let rootBefore = node.state.stateRoot
        effects.removeAll()
        node.handle(.timer(timer), now: due, work: &work, effects: &effects)
        let receipts = effects.compactMap { effect -> BlockReceipt? in
            if case .committed(_, _, _, let receipt, _) = effect { return receipt }
            return nil
        }
        #expect(receipts.count == 1)
        #expect(receipts.first?.applied.map(\.id) == [transaction.id])
        #expect(node.height == 2)
        #expect(node.state.stateRoot != rootBefore)
        #expect(node.state.ledger.output(at: OutPoint(transaction: transaction.id, index: 0))?.amount == 5)
        #expect(node.state.conservationViolations().isEmpty)
        effects.removeAll()
        node.handle(.client(transaction), now: due, work: &work, effects: &effects)
        #expect(reasons(effects) == ["replayed"])
    }
}

@Suite struct ByzantineNodeTests {
    let stream = RandomStream(masterSeed: 5, name: "byzantine-node-tests")

    private func node(_ behaviour: ByzantineBehaviour?, count: Int = 4) -> ValidatorNode {
        nodeAndKeys(behaviour, count: count).node
    }

    /// The round-0 proposer of height 1 with `behaviour`, and every validator's key.
    private func nodeAndKeys(_ behaviour: ByzantineBehaviour?, count: Int = 4) -> (node: ValidatorNode, keys: [KeyPair]) {
        let keys = (0..<count).map { _ in KeyPair(drawingFrom: stream) }
        let set = ValidatorSet(keys.enumerated().map {
            Validator(id: NodeID($0.offset), publicKey: $0.element.publicKey, stake: 1, region: .bangkok)
        })
        let genesis = testGenesis(operator: keys[0].publicKey, funding: [], maxBlockTransactions: 10)
        // A huge stake skew is not possible here, so find which node proposes height 1, round 0.
        let probe = Tendermint(me: NodeID(0), keyPair: keys[0], validators: set,
                               parameters: ConsensusParameters(blockInterval: .seconds(1)))
        let proposer = probe.proposer(round: 0)
        let node = ValidatorNode(id: proposer, validators: set, keyPair: keys[proposer.index],
                                 configuration: NodeConfiguration(
                                    consensus: ConsensusParameters(blockInterval: .seconds(1)),
                                    behaviour: behaviour),
                                 verifier: SignatureVerifier(), genesis: genesis, collusion: Collusion())
        return (node, keys)
    }

    /// Starts height 1 on the round-0 proposer and returns what it sends.
    private func firstRound(_ node: ValidatorNode) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        node.handle(.timer(.consensus(ConsensusTimeout(kind: .startHeight, height: 1, round: 0))), now: .zero + .seconds(1),
                    work: &work, effects: &effects)
        return effects
    }

    private func proposals(_ effects: [NodeEffect]) -> [(targets: [NodeID]?, proposal: Proposal)] {
        effects.compactMap {
            switch $0 {
            case .broadcast(.proposal(let proposal)): (nil, proposal)
            case .send(let targets, .proposal(let proposal)): (targets, proposal)
            default: nil
            }
        }
    }

    @Test func anHonestProposerBroadcastsOneProposalAndItsVote() {
        let effects = firstRound(node(nil))
        #expect(proposals(effects).count == 1)
        #expect(proposals(effects).first?.targets == nil)
        #expect(effects.contains { if case .broadcast(.vote) = $0 { true } else { false } })
    }

    @Test func anEquivocatorSendsTwinProposalsAndVotesToTheTwoHalves() {
        let effects = firstRound(node(.equivocation))
        let sent = proposals(effects)
        #expect(sent.count == 2)
        #expect(sent[0].proposal.block.hash != sent[1].proposal.block.hash)
        #expect(Set(sent[0].targets ?? []).isDisjoint(with: sent[1].targets ?? []))
        let votes = effects.compactMap { effect -> Vote? in
            if case .send(_, .vote(let vote)) = effect { return vote }
            return nil
        }
        #expect(Set(votes.map(\.blockHash)) == Set(sent.map { Optional($0.proposal.block.hash) }),
                "it backs its even block to one half and the twin to the other")
    }

    /// A split-amnesia proposer keeps one peer out of its first round (no proposal, no prevote
    /// for its block), sends its precommit for the block to one other peer alone, and does not
    /// finalize it on the first round's precommits, so that it stays at the height with the
    /// peers that could not finalize; an honest proposer in its place finalizes.
    @Test func aSplitAmnesiaProposerSplitsItsFirstRoundAndStaysAtTheHeight() throws {
        func play(_ behaviour: ByzantineBehaviour?) throws -> (proposalTo: [NodeID]?, prevoteTo: [NodeID]?,
                                                              precommitTo: [NodeID]?, committed: Bool) {
            let (proposer, keys) = nodeAndKeys(behaviour)
            var effects = firstRound(proposer)
            let sent = try #require(proposals(effects).first)
            let block = sent.proposal.block
            let others = keys.indices.map(NodeID.init).filter { $0 != proposer.id }
            func targets(of kind: VoteKind) -> [NodeID]?? {
                effects.lazy.compactMap { effect -> [NodeID]?? in
                    switch effect {
                    case .broadcast(.vote(let vote)) where vote.kind == kind && vote.voter == proposer.id: .some(nil)
                    case .send(let to, .vote(let vote)) where vote.kind == kind && vote.voter == proposer.id: .some(to)
                    default: nil
                    }
                }.first
            }
            let prevoteTo = try #require(targets(of: .prevote))
            var work = WorkMeter()
            for kind in [VoteKind.prevote, .precommit] {
                for voter in others.prefix(2) {
                    let vote = Vote(kind: kind, height: 1, round: 0, blockHash: block.hash, voter: voter,
                                    keyPair: keys[voter.index], scheme: .ed25519)
                    proposer.handle(.message(from: voter, .vote(vote)), now: .zero + .seconds(1), work: &work,
                                    effects: &effects)
                }
            }
            let precommitTo = try #require(targets(of: .precommit))
            let committed = effects.contains { if case .committed = $0 { true } else { false } }
            return (sent.targets, prevoteTo, precommitTo, committed)
        }
        let honest = try play(nil)
        #expect(honest.proposalTo == nil && honest.prevoteTo == nil && honest.precommitTo == nil && honest.committed)
        let split = try play(.splitAmnesia)
        let proposalTo = try #require(split.proposalTo)
        #expect(proposalTo.count == 2, "one of the three peers is left out")
        #expect(split.prevoteTo == proposalTo)
        let precommitTo = try #require(split.precommitTo)
        #expect(precommitTo.count == 1 && proposalTo.contains(precommitTo[0]))
        #expect(!split.committed, "it stays at the height")
    }

    @Test func otherBehaviours() {
        let withheld = firstRound(node(.withholdVotes))
        #expect(!withheld.contains { if case .broadcast(.vote) = $0 { true } else { false } })
        let corrupted = firstRound(node(.invalidSignatures))
        let proposal = proposals(corrupted).first!.proposal
        #expect(!Ed25519.verify(proposal.signature, of: proposal.signedDigest,
                                by: PublicKey(bytes: .zero)))
        let forged = proposals(firstRound(node(.invalidProposals))).first!.proposal.block
        #expect(MerkleTree.root(of: forged.transactions.map(\.id)) == forged.transactionRoot
                || forged.transactions.isEmpty, "with no transactions the forgery is an empty duplicate")
    }
}
