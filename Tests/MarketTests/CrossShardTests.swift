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
    /// A solar producer in the North, the destination's region, who sells to cross-shard bids.
    let seller: KeyPair
    var source: Fixture
    var destination: Fixture

    init() {
        let keys = RandomStream(masterSeed: 9, name: "cross-shard-tests")
        sender = KeyPair(drawingFrom: keys)
        recipient = KeyPair(drawingFrom: keys)
        seller = KeyPair(drawingFrom: keys)
        source = Fixture(funded: [sender], tokens: 1_000)
        destination = Fixture(seed: 1, funded: [seller], tokens: 10)
    }

    /// Per asset: held (unspent + escrow) over both states.
    private func held(_ states: [ExchangeState<TestGrid>]) -> [Int64] {
        Asset.allCases.map { asset in states.reduce(0) { $0 + $1.ledger.unspentTotals[asset] + $1.ledger.escrowTotals[asset] } }
    }

    /// Per asset: created − burned over both states.
    private func created(_ states: [ExchangeState<TestGrid>]) -> [Int64] {
        Asset.allCases.map { asset in states.reduce(0) { $0 + $1.ledger.createdTotals[asset] - $1.ledger.burnedTotals[asset] } }
    }

    /// The sender's lock of `terms` in Bangkok, funded by all its payment, the change back to it.
    private mutating func locking(_ terms: LockTerms) -> Transaction {
        let funds = source.outputs(of: sender.publicKey, .payment)
        let total = funds.reduce(0) { $0 + $1.1.amount }
        let fee = source.state.ledger.parameters.minimumFee.rawValue
        let change = total - terms.amounts.payment - fee
        return Transaction(signedBy: sender, region: .bangkok,
                           kind: .lockTransfer(inputs: funds.map(\.0),
                                               change: [TxOutput(owner: sender.publicKey, asset: .payment, amount: change)],
                                               terms),
                           fee: MicroTokens(fee), validUntil: source.now + .hours(1), nonce: source.nextNonce(), scheme: .ed25519)
    }

    private mutating func lock(amount: Int64, deadlineIn: SimDuration = .minutes(1)) -> Transaction {
        locking(LockTerms(destination: .north, deadline: source.now + deadlineIn,
                          outputs: [TxOutput(owner: recipient.publicKey, asset: .payment, amount: amount)]))
    }

    /// A cross-shard bid by the sender in Bangkok for `kWh` at `milliTokens` per kWh, locked
    /// for the North's book, delivered within the next half hour.
    private mutating func bid(kWh: Int64, price milliTokens: Int64, deadlineIn: SimDuration = .minutes(1),
                              expiresIn: SimDuration = .hours(1)) throws -> Transaction {
        let order = OrderTerms(side: .buy, price: .milliTokens(milliTokens), quantity: .kWh(kWh),
                               location: GridLocation(region: .bangkok, zone: 0),
                               deliveryStart: source.now + .minutes(15), deliveryEnd: source.now + .minutes(30),
                               expiresAt: source.now + expiresIn, source: .conventional)
        return locking(try #require(LockTerms.bid(order, by: sender.publicKey, in: .north, deadline: source.now + deadlineIn)))
    }

    /// The seller's 10 kWh of solar minted and offered at 3 tokens per kWh in the North.
    private mutating func offerInTheNorth() throws {
        let north = GridLocation(region: .north, zone: 0)
        try #require(destination.commitBlock([destination.mint(seller, .kWh(10), at: north)]).receipt != nil)
        let ask = destination.order(seller, .sell, kWh: 10, price: 3_000, at: north, source: .solar,
                                    window: (source.now + .minutes(10), source.now + .minutes(40)))
        try #require(destination.commitBlock([ask]).receipt?.trades.isEmpty == true)
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

    /// Relays the credit of `lock`, final in the source's last block, into the North's next
    /// block `advance` later, with that source block trusted. Returns the credit, its evidence
    /// of the lock, and the North's receipt.
    private mutating func relayCredit(of lock: Transaction, advance: SimDuration = .seconds(10)) throws
        -> (credit: Transaction, lockEvidence: InclusionEvidence, resolved: BlockReceipt) {
        let lockEvidence = evidence([lock], 0, at: source.now, chain: 1)
        trust([lockEvidence])
        let credit = relayed(.creditTransfer(lock: lock, lockEvidence), into: .north, by: destination, nonce: 1)
        let resolved = try #require(destination.commitBlock([credit], advance: advance).receipt)
        return (credit, lockEvidence, resolved)
    }

    /// Relays the settlement of `credit`, final in the North's last block, into Bangkok's next
    /// block, with both blocks trusted. Returns the evidence of the credit and Bangkok's receipt.
    @discardableResult
    private mutating func relaySettlement(of credit: Transaction, lockEvidence: InclusionEvidence,
                                          nonce: UInt64 = 2) throws -> (acknowledgement: InclusionEvidence, settled: BlockReceipt) {
        let acknowledgement = evidence([credit], 0, at: destination.now, chain: 2)
        trust([lockEvidence, acknowledgement])
        let settle = relayed(.settleLock(credit: credit, acknowledgement), into: .bangkok, by: source, nonce: nonce)
        return (acknowledgement, try #require(source.commitBlock([settle]).receipt))
    }

    /// Reports count rejected relayed steps by kind name: the names must be exactly the
    /// credit's and the settlement's.
    @Test mutating func theRelayedStepNamesAreTheCreditsAndTheSettlements() {
        let lockTransaction = lock(amount: 1_000)
        let lockEvidence = evidence([lockTransaction], 0, at: source.now, chain: 1)
        let credit = relayed(.creditTransfer(lock: lockTransaction, lockEvidence), into: .north, by: destination, nonce: 1)
        let acknowledgement = evidence([credit], 0, at: destination.now, chain: 2)
        let settle = relayed(.settleLock(credit: credit, acknowledgement), into: .bangkok, by: source, nonce: 2)
        #expect(TransactionKind.relayedStepNames == [credit.kind.name, settle.kind.name])
        #expect([lockTransaction, credit, settle].map(\.isRelayedStep) == [false, true, true])
        #expect(!TransactionKind.relayedStepNames.contains(lockTransaction.kind.name))
    }

    @Test mutating func aCreditInTimeDeliversAndTheSettlementReleasesTheLock() throws {
        trust([])
        let lockTransaction = lock(amount: 250_000)
        let locked = try #require(source.commitBlock([lockTransaction]).receipt)
        guard case .locked = try #require(locked.crossShard.first) else { Issue.record("no lock step"); return }
        #expect(source.state.openLockCount == 1 && source.state.ledger.escrowTotals.payment == 250_000)
        #expect(source.state.conservationViolations().isEmpty)

        let (credit, receipt, resolved) = try relayCredit(of: lockTransaction)
        guard case .resolved(_, _, let credited) = try #require(resolved.crossShard.first) else { return }
        #expect(credited)
        #expect(destination.balance(of: recipient.publicKey, .payment) == 250_000)
        #expect(destination.state.ledger.importedTotals.payment == 250_000)
        #expect(destination.state.conservationViolations().isEmpty)

        // A second credit of the same lock (another relayer's) is refused.
        let again = relayed(.creditTransfer(lock: lockTransaction, receipt), into: .north, by: destination, nonce: 2)
        #expect(destination.commitBlock([again]).failure?.reason == .lockResolved)

        let (acknowledgement, _) = try relaySettlement(of: credit, lockEvidence: receipt, nonce: 3)
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
        // The destination's next block is 30 s after the lock was made: past its 15 s deadline.
        let (credit, receipt, resolved) = try relayCredit(of: lockTransaction, advance: .seconds(30))
        guard case .resolved(_, _, let credited) = try #require(resolved.crossShard.first) else { return }
        #expect(!credited)
        #expect(destination.balance(of: recipient.publicKey, .payment) == 0)
        #expect(destination.state.ledger.importedTotals.payment == 0)
        let (_, settled) = try relaySettlement(of: credit, lockEvidence: receipt)
        guard case .settled(_, let released) = try #require(settled.crossShard.first) else { return }
        #expect(!released)
        #expect(source.balance(of: sender.publicKey, .payment) == afterLock + 300_000)
        #expect(source.state.ledger.exportedTotals.payment == 0)
        #expect(source.state.conservationViolations().isEmpty)
    }

    /// A credit made before the deadline whose settlement reaches the source after it: the lock
    /// is released, because the credit's block decides. Under `settle-own-clock` the source
    /// goes by its own block's time and refunds the sender as well, so the value exists twice.
    @Test(arguments: [nil, ExchangeMutation.settleOwnClock])
    mutating func aTimelyCreditSettledLateIsReleasedUnlessTheSourceGoesByItsOwnClock(_ mutation: ExchangeMutation?) throws {
        source = Fixture(funded: [sender], tokens: 1_000, configuration: MarketConfiguration(mutation: mutation))
        trust([])
        let lockTransaction = lock(amount: 200_000, deadlineIn: .seconds(15))
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        let afterLock = source.balance(of: sender.publicKey, .payment)
        // Credited 10 s after the lock was made, settled by the source's block 20 s after.
        let (credit, receipt, resolved) = try relayCredit(of: lockTransaction)
        guard case .resolved(_, _, let credited) = try #require(resolved.crossShard.first) else { return }
        #expect(credited)
        let (_, settled) = try relaySettlement(of: credit, lockEvidence: receipt)
        guard case .settled(_, let released) = try #require(settled.crossShard.first) else { return }
        #expect(released == (mutation == nil))
        #expect(source.balance(of: sender.publicKey, .payment) == afterLock + (mutation == nil ? 0 : 200_000))
        let states = [source.state, destination.state]
        let createdTwice = held(states).enumerated().map { $0.element - created(states)[$0.offset] }
        #expect(createdTwice == Asset.allCases.map { $0 == .payment && mutation != nil ? 200_000 : 0 })
    }

    /// A credit the destination does not record as imported leaves its books short by the
    /// amount, which its conservation check names; the real rules balance.
    @Test(arguments: [nil, ExchangeMutation.creditUnrecorded])
    mutating func aCreditIsRecordedAsImported(_ mutation: ExchangeMutation?) throws {
        destination = Fixture(seed: 1, funded: [seller], tokens: 10, configuration: MarketConfiguration(mutation: mutation))
        trust([])
        let lockTransaction = lock(amount: 150_000)
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        _ = try relayCredit(of: lockTransaction)
        #expect(destination.balance(of: recipient.publicKey, .payment) == 150_000)
        #expect(destination.state.ledger.importedTotals.payment == (mutation == nil ? 150_000 : 0))
        let problems = destination.state.conservationViolations()
        #expect(mutation == nil ? problems.isEmpty : problems.count == 1 && problems[0].hasPrefix("payment"), "\(problems)")
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

    @Test mutating func aCrossShardBidIsCreditedIntoTheDestinationsBookAndTradesThere() throws {
        trust([])
        try offerInTheNorth()
        let lockTransaction = try bid(kWh: 4, price: 3_500)
        let locked = try #require(source.commitBlock([lockTransaction]).receipt)
        #expect(locked.crossShard.count == 1 && source.state.ledger.escrowTotals.payment == 14_000_000)

        let (credit, receipt, resolved) = try relayCredit(of: lockTransaction)
        // The bid met the seller's ask in the North's book at the ask's price: 4 kWh for 12 tokens.
        let trade = try #require(resolved.trades.first)
        #expect(resolved.trades.count == 1)
        #expect(trade.buyer == sender.publicKey && trade.seller == seller.publicKey)
        #expect(trade.buyOrder == lockTransaction.id && trade.quantity == .kWh(4) && trade.value == .tokens(12))
        #expect(trade.buyerLocation.region == .bangkok && trade.sellerLocation.region == .north)
        #expect(destination.state.ledger.importedTotals.payment == 14_000_000)
        // The bid was filled: it is off the book, and the 2 tokens its limit price left over are the buyer's there.
        #expect(destination.state.openOrder(placedBy: lockTransaction.id) == nil)
        #expect(destination.balance(of: sender.publicKey, .payment) == 2_000_000)
        #expect(destination.state.conservationViolations().isEmpty)

        try relaySettlement(of: credit, lockEvidence: receipt)
        #expect(source.state.ledger.exportedTotals.payment == 14_000_000 && source.state.ledger.escrowTotals.payment == 0)

        // Delivery confirmed in the seller's shard: the buyer holds the energy there, the seller the payment.
        let sellerBefore = destination.balance(of: seller.publicKey, .payment)
        let reading = destination.settle(trade, delivered: .kWh(4))
        try #require(destination.commitBlock([reading], advance: .minutes(40)).receipt?.settlements.count == 1)
        #expect(destination.balance(of: sender.publicKey, .energy) == EnergyWh.kWh(4).rawValue)
        #expect(destination.balance(of: seller.publicKey, .payment) > sellerBefore)
        #expect(source.state.conservationViolations().isEmpty && destination.state.conservationViolations().isEmpty)
        #expect(held([source.state, destination.state]) == created([source.state, destination.state]))
    }

    @Test mutating func anUnfilledCrossShardBidRestsThenExpiresToTheBuyerAbroad() throws {
        trust([])
        try offerInTheNorth()
        // Below the ask: nothing matches, the bid rests in the North's book.
        let lockTransaction = try bid(kWh: 2, price: 2_000, expiresIn: .minutes(2))
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        #expect(try relayCredit(of: lockTransaction).resolved.trades.isEmpty)
        let resting = try #require(destination.state.openOrder(placedBy: lockTransaction.id))
        #expect(resting.escrow == 4_000_000 && destination.state.book(area: MarketConfiguration().area(of: .north)).count == 2)
        // Its owner's cancel is sent to the bid's book, in the North.
        let cancel = Transaction(signedBy: sender, region: .north, kind: .cancelOrder(order: lockTransaction.id),
                                 validUntil: destination.now + .hours(1), nonce: 99, scheme: .ed25519)
        var work = WorkMeter()
        #expect(destination.state.check(cancel, at: destination.now, verifier: destination.verifier, work: &work) == nil)
        // Left alone it expires, and its escrow becomes the buyer's output in the North.
        try #require(destination.commitBlock([], advance: .minutes(5)).receipt != nil)
        #expect(destination.state.openOrder(placedBy: lockTransaction.id) == nil)
        #expect(destination.balance(of: sender.publicKey, .payment) == 4_000_000)
        #expect(destination.state.conservationViolations().isEmpty)
    }

    @Test mutating func aLateCrossShardBidIsRefundedAndNeverReachesTheBook() throws {
        trust([])
        try offerInTheNorth()
        let lockTransaction = try bid(kWh: 4, price: 3_500, deadlineIn: .seconds(15))
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        let afterLock = source.balance(of: sender.publicKey, .payment)
        let (credit, receipt, resolved) = try relayCredit(of: lockTransaction, advance: .seconds(30))
        #expect(resolved.trades.isEmpty && destination.state.openOrder(placedBy: lockTransaction.id) == nil)
        #expect(destination.state.ledger.importedTotals.payment == 0)
        try relaySettlement(of: credit, lockEvidence: receipt)
        #expect(source.balance(of: sender.publicKey, .payment) == afterLock + 14_000_000)
        #expect(held([source.state, destination.state]) == created([source.state, destination.state]))
    }

    @Test mutating func aBidLockMustEscrowExactlyItsOrderForItsSigner() throws {
        trust([])
        let honest = try bid(kWh: 4, price: 3_500)
        guard case .lockTransfer(let inputs, let change, var terms) = honest.kind else { Issue.record("not a lock"); return }
        let fee = MicroTokens(source.state.ledger.parameters.minimumFee.rawValue)
        func lock(_ terms: LockTerms) -> Transaction {
            Transaction(signedBy: sender, region: .bangkok, kind: .lockTransfer(inputs: inputs, change: change, terms),
                        fee: fee, validUntil: source.now + .hours(1), nonce: 50, scheme: .ed25519)
        }
        var work = WorkMeter()
        // The escrow paid to someone else, or short of the order's value.
        terms.outputs = [TxOutput(owner: recipient.publicKey, asset: .payment, amount: 14_000_000)]
        #expect(source.state.check(lock(terms), at: source.now, verifier: source.verifier, work: &work) == .invalidLock)
        terms.outputs = [TxOutput(owner: sender.publicKey, asset: .payment, amount: 13_000_000)]
        #expect(source.state.check(lock(terms), at: source.now, verifier: source.verifier, work: &work) == .invalidLock)
        // An order for somewhere other than the signer's region.
        terms.outputs = [TxOutput(owner: sender.publicKey, asset: .payment, amount: 14_000_000)]
        terms.order?.location = GridLocation(region: .south, zone: 0)
        #expect(source.state.check(lock(terms), at: source.now, verifier: source.verifier, work: &work) == .wrongRegion)
        #expect(source.state.check(honest, at: source.now, verifier: source.verifier, work: &work) == nil)
    }

    @Test mutating func aSplitOfTheSellersShardKeepsACrossShardTradeWithItsArea() throws {
        trust([])
        try offerInTheNorth()
        let lockTransaction = try bid(kWh: 4, price: 3_500)
        try #require(source.commitBlock([lockTransaction]).receipt != nil)
        let trade = try #require(try relayCredit(of: lockTransaction).resolved.trades.first)
        let northArea = MarketConfiguration().area(of: .north)
        let sellerKey = seller.publicKey
        let (kept, moved) = destination.state.splitting(movingAreas: { $0 == northArea },
                                                        movingOwners: { $0 == sellerKey }, instances: (kept: 1, moved: 2))
        #expect(moved.trade(trade.id) != nil && kept.trade(trade.id) == nil)
        #expect(kept.conservationViolations().isEmpty && moved.conservationViolations().isEmpty)
        #expect(held([kept, moved]) == held([destination.state]))
        var north = destination
        north.state = moved
        try #require(north.commitBlock([north.settle(trade, delivered: .kWh(4))], advance: .minutes(40)).receipt != nil)
        #expect(north.balance(of: sender.publicKey, .energy) == EnergyWh.kWh(4).rawValue)
        #expect(north.state.conservationViolations().isEmpty)
    }
}
