import GridCore
import Ledger
import Market
import Testing

/// A block commitment as a test builds it: the commit certificate's checks belong to the
/// Sharding module's directory (tested there); here a verifier trusts a fixed list of blocks.
private struct TestCommitment: BlockCommitment {
    var chain: UInt64
    var height: UInt64
    var timestamp: SimTime
    var transactionRoot: Digest32
    var digest: Digest32 { Blake2b.hash(capacity: 48) { $0.append(transactionRoot); $0.append(height) } }
    var encodedSize: Int { 64 }
}

private struct TrustedBlocks: CommitVerifier {
    var trusted: Set<Digest32>
    func verifies(_ commitment: any BlockCommitment, verifier: SignatureVerifier, work: inout WorkMeter) -> Bool {
        trusted.contains(commitment.digest)
    }
}

/// Evidence that `transactions[index]` is in a block at `time`, and the block's commitment.
private func evidence(_ transactions: [Transaction], _ index: Int, at time: SimTime, chain: UInt64)
    -> InclusionEvidence {
    let tree = MerkleTree(leaves: transactions.map(\.id))
    return InclusionEvidence(commitment: TestCommitment(chain: chain, height: 1, timestamp: time, transactionRoot: tree.root),
                             path: tree.proof(forLeafAt: index))
}

/// Cross-shard transfers between two exchange states (two shards): lock, credit, settle.
@Suite struct CrossShardTests {
    let sender: KeyPair
    let recipient: KeyPair
    var source: Fixture
    var destination: Fixture

    init() {
        let keys = RandomStream(masterSeed: 9, name: "cross-shard-tests")
        sender = KeyPair(drawingFrom: keys)
        recipient = KeyPair(drawingFrom: keys)
        source = Fixture(funded: [sender], tokens: 1_000)
        destination = Fixture(seed: 1, funded: [])
    }

    /// Per asset: held (unspent + escrow) over both states.
    private func held(_ states: [ExchangeState<TestGrid>]) -> [Int64] {
        Asset.allCases.map { asset in states.reduce(0) { $0 + $1.ledger.unspentTotals[asset] + $1.ledger.escrowTotals[asset] } }
    }

    /// Per asset: created − burned over both states.
    private func created(_ states: [ExchangeState<TestGrid>]) -> [Int64] {
        Asset.allCases.map { asset in states.reduce(0) { $0 + $1.ledger.createdTotals[asset] - $1.ledger.burnedTotals[asset] } }
    }

    private mutating func lock(amount: Int64, deadlineIn: SimDuration = .minutes(1)) -> Transaction {
        let funds = source.outputs(of: sender.publicKey, .payment)
        let total = funds.reduce(0) { $0 + $1.1.amount }
        let fee = source.state.ledger.parameters.minimumFee.rawValue
        let terms = LockTerms(destination: .north, deadline: source.now + deadlineIn,
                              outputs: [TxOutput(owner: recipient.publicKey, asset: .payment, amount: amount)])
        return Transaction(signedBy: sender, region: .bangkok,
                           kind: .lockTransfer(inputs: funds.map(\.0),
                                               change: [TxOutput(owner: sender.publicKey, asset: .payment, amount: total - amount - fee)],
                                               terms),
                           fee: MicroTokens(fee), validUntil: source.now + .hours(1), nonce: source.nextNonce(), scheme: .ed25519)
    }

    private func relayed(_ kind: TransactionKind, into region: Region, by fixture: Fixture, nonce: UInt64) -> Transaction {
        Transaction(signedBy: fixture.gridOperator(region), region: region, kind: kind,
                    validUntil: fixture.now + .hours(1), nonce: nonce, scheme: .ed25519)
    }

    /// Both states trust each other's blocks named in `blocks`.
    private mutating func trust(_ blocks: [InclusionEvidence]) {
        let verifier = TrustedBlocks(trusted: Set(blocks.map(\.commitment.digest)))
        source.state.commitVerifier = verifier
        destination.state.commitVerifier = verifier
    }

    @Test mutating func aCreditInTimeDeliversAndTheSettlementReleasesTheLock() throws {
        trust([])
        let lockTransaction = lock(amount: 250_000)
        let locked = try #require(source.commitBlock([lockTransaction]).receipt)
        guard case .locked = try #require(locked.crossShard.first) else { Issue.record("no lock step"); return }
        #expect(source.state.openLockCount == 1 && source.state.ledger.escrowTotals.payment == 250_000)
        #expect(source.state.conservationViolations().isEmpty)

        let receipt = evidence([lockTransaction], 0, at: source.now, chain: 1)
        let credit = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .north, by: destination, nonce: 1)
        trust([receipt])
        let resolved = try #require(destination.commitBlock([credit]).receipt)
        guard case .resolved(_, _, let credited) = try #require(resolved.crossShard.first) else { return }
        #expect(credited)
        #expect(destination.balance(of: recipient.publicKey, .payment) == 250_000)
        #expect(destination.state.ledger.importedTotals.payment == 250_000)
        #expect(destination.state.conservationViolations().isEmpty)

        // A second credit of the same lock (another relayer's) is refused.
        let again = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .north, by: destination, nonce: 2)
        #expect(destination.commitBlock([again]).failure?.reason == .lockResolved)

        let acknowledgement = evidence([credit], 0, at: destination.now, chain: 2)
        trust([receipt, acknowledgement])
        let settle = relayed(.settleLock(credit: credit, acknowledgement), into: .bangkok, by: source, nonce: 3)
        try #require(source.commitBlock([settle]).receipt != nil)
        #expect(source.state.openLockCount == 0 && source.state.ledger.escrowTotals.payment == 0)
        #expect(source.state.ledger.exportedTotals.payment == 250_000)
        #expect(source.state.conservationViolations().isEmpty)
        // Nothing created or lost over the two shards: they hold what they minted, the import
        // and the export cancel.
        #expect(held([source.state, destination.state]) == created([source.state, destination.state]))
        let settleAgain = relayed(.settleLock(credit: credit, acknowledgement), into: .bangkok, by: source, nonce: 4)
        #expect(source.commitBlock([settleAgain]).failure?.reason == .unknownLock)
    }

    @Test mutating func aCreditPastTheDeadlineVoidsTheLockAndTheSenderIsRefunded() throws {
        trust([])
        let lockTransaction = lock(amount: 300_000, deadlineIn: .seconds(15))
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        let afterLock = source.balance(of: sender.publicKey, .payment)
        let receipt = evidence([lockTransaction], 0, at: source.now, chain: 1)
        trust([receipt])
        // The destination's next block is 30 s after the lock was made: past its 15 s deadline.
        let credit = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .north, by: destination, nonce: 1)
        let resolved = try #require(destination.commitBlock([credit], advance: .seconds(30)).receipt)
        guard case .resolved(_, _, let credited) = try #require(resolved.crossShard.first) else { return }
        #expect(!credited)
        #expect(destination.balance(of: recipient.publicKey, .payment) == 0)
        #expect(destination.state.ledger.importedTotals.payment == 0)
        let acknowledgement = evidence([credit], 0, at: destination.now, chain: 2)
        trust([receipt, acknowledgement])
        let settle = relayed(.settleLock(credit: credit, acknowledgement), into: .bangkok, by: source, nonce: 2)
        let settled = try #require(source.commitBlock([settle]).receipt)
        guard case .settled(_, let released) = try #require(settled.crossShard.first) else { return }
        #expect(!released)
        #expect(source.balance(of: sender.publicKey, .payment) == afterLock + 300_000)
        #expect(source.state.ledger.exportedTotals.payment == 0)
        #expect(source.state.conservationViolations().isEmpty)
    }

    @Test mutating func evidenceThatProvesNothingIsRejected() throws {
        let lockTransaction = lock(amount: 100_000)
        // Outside a sharded network there is no one to lock for.
        #expect(source.commitBlock([lockTransaction]).failure?.reason == .notSharded)
        trust([])
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        let receipt = evidence([lockTransaction], 0, at: source.now, chain: 1)
        // A block nobody finalized (not trusted).
        let untrusted = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .north, by: destination, nonce: 1)
        #expect(destination.commitBlock([untrusted]).failure?.reason == .badReceipt)
        // A trusted block whose Merkle path leads elsewhere: another transaction's path.
        let other = lock(amount: 1)
        let wrongPath = evidence([other, lockTransaction], 0, at: source.now, chain: 1)
        trust([wrongPath])
        let forged = relayed(.creditTransfer(lock: lockTransaction, wrongPath), into: .north, by: destination, nonce: 2)
        #expect(destination.commitBlock([forged]).failure?.reason == .badReceipt)
        // A credit relayed into a region that is not the lock's destination.
        trust([receipt])
        let misrouted = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .south, by: destination, nonce: 3)
        #expect(destination.commitBlock([misrouted]).failure?.reason == .wrongRegion)
    }
}
