import Consensus
import GridCore
import Ledger
import Node
import Testing

@Suite struct MempoolTests {
    private func transactions(_ count: Int) -> [Transaction] {
        let stream = RandomStream(masterSeed: 3, name: "mempool-tests")
        let alice = KeyPair(drawingFrom: stream)
        return (0..<count).map {
            Transaction(body: TransactionBody(sender: alice.publicKey, recipient: alice.publicKey,
                                              amount: MicroTokens(1), nonce: UInt64($0), region: .east),
                        signedBy: alice, scheme: .modelled)
        }
    }

    @Test func takesOldestFirstAndSkipsCommitted() {
        var pool = Mempool()
        let items = transactions(5)
        for item in items {
            let inserted = pool.insert(item)
            #expect(inserted)
        }
        let duplicate = pool.insert(items[0])
        #expect(!duplicate, "a duplicate is refused")
        pool.markCommitted(items[0].id)
        pool.markCommitted(items[2].id)
        #expect(pool.take(10).map(\.id) == [items[1], items[3], items[4]].map(\.id))
        #expect(pool.take(2).map(\.id) == [items[1], items[3]].map(\.id))
        #expect(pool.count == 3)
    }
}

@Suite struct ValidatorNodeTests {
    let stream = RandomStream(masterSeed: 4, name: "node-tests")

    private func makeNode() -> (ValidatorNode, KeyPair) {
        let validatorKey = KeyPair(drawingFrom: stream)
        let set = ValidatorSet([Validator(id: NodeID(0), publicKey: validatorKey.publicKey, stake: 1, region: .bangkok)])
        let node = ValidatorNode(
            id: NodeID(0), validators: set, keyPair: validatorKey,
            configuration: NodeConfiguration(blockInterval: .seconds(1), maxBlockTransactions: 100,
                                             signatureScheme: .ed25519),
            verifier: SignatureVerifier())
        return (node, KeyPair(drawingFrom: stream))
    }

    private func transfer(from client: KeyPair, nonce: UInt64) -> Transaction {
        Transaction(body: TransactionBody(sender: client.publicKey, recipient: client.publicKey, amount: .tokens(1),
                                          nonce: nonce, region: .bangkok),
                    signedBy: client, scheme: .ed25519)
    }

    @Test func admitsRejectsAndReportsWhy() {
        let (node, client) = makeNode()
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        let good = transfer(from: client, nonce: 0)
        let bad = Transaction(body: transfer(from: client, nonce: 1).body, signature: good.signature)
        node.handle(.client(good), now: .zero, work: &work, effects: &effects)
        node.handle(.client(good), now: .zero, work: &work, effects: &effects)
        node.handle(.client(bad), now: .zero, work: &work, effects: &effects)
        let reported: [String] = effects.compactMap {
            switch $0 {
            case .admitted: "admitted"
            case .rejected(_, let reason): reason.rawValue
            default: nil
            }
        }
        #expect(reported == ["admitted", "duplicate", "bad_signature"])
        #expect(node.mempoolCount == 1)
        #expect(work.signaturesChecked == 2, "the duplicate is refused before its signature is checked")
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
        let transaction = transfer(from: client, nonce: 0)
        node.handle(.client(transaction), now: .zero, work: &work, effects: &effects)
        effects.removeAll()
        node.handle(.timer(timer), now: due, work: &work, effects: &effects)
        let committed = effects.compactMap { effect -> Block? in
            if case .committed(let block, _) = effect { return block }
            return nil
        }
        #expect(committed.count == 1)
        #expect(committed.first?.transactions.map(\.id) == [transaction.id])
        #expect(node.height == 2)
        effects.removeAll()
        node.handle(.client(transaction), now: due, work: &work, effects: &effects)
        guard case .rejected(_, .replayed)? = effects.first else {
            Issue.record("a committed transaction submitted again is a replay")
            return
        }
    }
}
