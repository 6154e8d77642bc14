import Consensus
import Grid
import GridCore
import Ledger
import Market
import Node
import Testing

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
        #expect(pool.spender(of: items[2].inputs[0]) == items[2].id)
        pool.remove(items[0].id)
        pool.remove(items[2].id)
        #expect(pool.spender(of: items[2].inputs[0]) == nil)
        #expect(pool.take(10).map(\.id) == [items[1], items[3], items[4]].map(\.id))
        #expect(pool.take(2).map(\.id) == [items[1], items[3]].map(\.id))
        #expect(pool.count == 3)
    }
}

@Suite struct ValidatorNodeTests {
    let stream = RandomStream(masterSeed: 4, name: "node-tests")

    /// A single validator and a client funded with 100 tokens at genesis.
    private func makeNode() -> (ValidatorNode, KeyPair) {
        let validatorKey = KeyPair(drawingFrom: stream)
        let client = KeyPair(drawingFrom: stream)
        let set = ValidatorSet([Validator(id: NodeID(0), publicKey: validatorKey.publicKey, stake: 1, region: .bangkok)])
        let genesis = ChainState(
            parameters: LedgerParameters(gridOperators: Region.allCases.map { _ in validatorKey.publicKey }),
            configuration: MarketConfiguration(),
            grid: GridState(network: GridNetwork(topology: .uniform, calendar: SimCalendar()), slotLength: .minutes(15)),
            genesis: [TxOutput(owner: client.publicKey, asset: .payment, amount: MicroTokens.tokens(100).rawValue)])
        let node = ValidatorNode(
            id: NodeID(0), validators: set, keyPair: validatorKey,
            configuration: NodeConfiguration(blockInterval: .seconds(1), maxBlockTransactions: 100,
                                             signatureScheme: .ed25519),
            verifier: SignatureVerifier(), genesis: genesis)
        return (node, client)
    }

    private func payment(from client: KeyPair, amount: Int64, input: OutPoint = OutPoint(transaction: genesisOrigin, index: 0),
                         total: Int64 = MicroTokens.tokens(100).rawValue, nonce: UInt64 = 0) -> Transaction {
        Transaction(signedBy: client, region: .bangkok,
                    kind: .transfer(inputs: [input], outputs: [
                        TxOutput(owner: client.publicKey, asset: .payment, amount: amount),
                        TxOutput(owner: client.publicKey, asset: .payment, amount: total - amount - 1_000),
                    ]),
                    fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: nonce, scheme: .ed25519)
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

    @Test func aSingleValidatorCommitsItsOwnBlockAndThenRefusesReplays() {
        let (node, client) = makeNode()
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        node.start(effects: &effects)
        guard case .setTimer(let timer, let due)? = effects.first else {
            Issue.record("the leader of height 1 schedules its proposal")
            return
        }
        #expect(due == .zero + .seconds(1))
        let transaction = payment(from: client, amount: 5)
        node.handle(.client(transaction), now: .zero, work: &work, effects: &effects)
        let rootBefore = node.state.stateRoot
        effects.removeAll()
        node.handle(.timer(timer), now: due, work: &work, effects: &effects)
        let receipts = effects.compactMap { effect -> BlockReceipt? in
            if case .committed(_, _, let receipt, _) = effect { return receipt }
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
