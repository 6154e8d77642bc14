import GridCore
import Ledger
import Market
import Testing

/// Replicas that share block execution must end exactly where executing it themselves would
/// have taken them, charged the same work.
@Suite struct ExecutionCacheTests {
    private let keys = RandomStream(masterSeed: 4, name: "execution-cache-tests")

    private func transfer(_ fixture: inout Fixture, from payer: KeyPair, to payee: KeyPair, amount: Int64,
                          spending funds: (OutPoint, TxOutput)? = nil, nonce: UInt64? = nil) -> Transaction {
        let funds = funds ?? fixture.outputs(of: payer.publicKey, .payment)[0]
        let fee = fixture.state.ledger.parameters.minimumFee
        return Transaction(signedBy: payer, region: .bangkok,
                           kind: .transfer(inputs: [funds.0], outputs: [
                               TxOutput(owner: payee.publicKey, asset: .payment, amount: amount),
                               TxOutput(owner: payer.publicKey, asset: .payment, amount: funds.1.amount - amount - fee.rawValue),
                           ]),
                           fee: fee, validUntil: fixture.now + .hours(1), nonce: nonce ?? fixture.nextNonce(), scheme: .ed25519)
    }

    /// Two funded accounts, a cache, and the genesis state it has identified: where the
    /// replicas of a chain start.
    private func start() -> (Fixture, payer: KeyPair, payee: KeyPair, ExecutionCache<TestGrid>, ExchangeState<TestGrid>) {
        let (payer, payee) = (KeyPair(drawingFrom: keys), KeyPair(drawingFrom: keys))
        let fixture = Fixture(funded: [payer, payee])
        let cache = ExecutionCache<TestGrid>()
        var genesis = fixture.state
        cache.identify(&genesis)
        return (fixture, payer, payee, cache, genesis)
    }

    private func context(_ fixture: Fixture, height: UInt64 = 1) -> BlockContext {
        BlockContext(height: height, timestamp: fixture.now + .seconds(10), proposer: fixture.proposer.publicKey)
    }

    @Test func aReplicaHoldingTheSameStateTakesTheResultAndTheWork() throws {
        var (fixture, payer, payee, cache, first) = start()
        var second = first
        let payment = transfer(&fixture, from: payer, to: payee, amount: 1_000)
        let block = Blake2b.hash([1])

        var firstWork = WorkMeter()
        let firstReceipt = try #require(cache.apply(&first, block: block, transactions: [payment], context: context(fixture),
                                                    peers: 1, verifier: fixture.verifier, work: &firstWork).receipt)
        var secondWork = WorkMeter()
        let secondReceipt = try #require(cache.apply(&second, block: block, transactions: [payment], context: context(fixture),
                                                     peers: 1, verifier: fixture.verifier, work: &secondWork).receipt)
        #expect((cache.computed, cache.reused) == (1, 1))
        #expect(secondWork == firstWork && firstWork != WorkMeter())
        #expect(secondReceipt.applied.map(\.id) == firstReceipt.applied.map(\.id))
        cache.commit(&first, firstReceipt, peers: 1)
        cache.commit(&second, secondReceipt, peers: 1)
        #expect((cache.computed, cache.reused) == (2, 2))

        var alone = fixture.state
        var aloneWork = WorkMeter()
        let aloneReceipt = try #require(alone.apply([payment], context: context(fixture), mode: .strict,
                                                    verifier: fixture.verifier, work: &aloneWork).receipt)
        alone.commit(aloneReceipt)
        #expect(first.stateRoot == alone.stateRoot && second.stateRoot == alone.stateRoot)
        #expect(aloneWork == firstWork)
        #expect(second.lineage == first.lineage && first.lineage != 0)

        let rootBefore = first.stateRoot
        var laterWork = WorkMeter()
        let later = transfer(&fixture, from: payee, to: payer, amount: 10)
        _ = try #require(cache.apply(&second, block: Blake2b.hash([2]), transactions: [later], context: context(fixture, height: 2),
                                     peers: 0, verifier: fixture.verifier, work: &laterWork).receipt)
        #expect(first.stateRoot == rootBefore, "a change to one replica's shared state leaves the other's alone")
        #expect(second.lineage != first.lineage)
    }

    @Test func anotherStateOrOtherTransactionsAreExecutedAgain() throws {
        var (fixture, payer, payee, cache, first) = start()
        var sameValue = first
        var unidentified = fixture.state
        let funds = fixture.outputs(of: payer.publicKey, .payment)[0]
        let payment = transfer(&fixture, from: payer, to: payee, amount: 1_000, spending: funds)
        let twin = transfer(&fixture, from: payer, to: payee, amount: 1_000, spending: funds, nonce: fixture.nonce)
        #expect(twin.id == payment.id && twin !== payment)
        let block = Blake2b.hash([1])
        var work = WorkMeter()

        _ = cache.apply(&first, block: block, transactions: [payment], context: context(fixture), peers: 2,
                        verifier: fixture.verifier, work: &work)
        _ = cache.apply(&unidentified, block: block, transactions: [payment], context: context(fixture), peers: 2,
                        verifier: fixture.verifier, work: &work)
        _ = cache.apply(&sameValue, block: block, transactions: [twin], context: context(fixture), peers: 2,
                        verifier: fixture.verifier, work: &work)
        #expect((cache.computed, cache.reused) == (3, 0))
        #expect(unidentified.stateRoot == first.stateRoot && sameValue.stateRoot == first.stateRoot)
    }

    @Test func aFailedBlockLeavesEveryReplicaWhereItWas() throws {
        var (fixture, payer, payee, cache, first) = start()
        var second = first
        let (root, lineage) = (first.stateRoot, first.lineage)
        let funds = fixture.outputs(of: payer.publicKey, .payment)[0]
        let spends = [transfer(&fixture, from: payer, to: payee, amount: 1_000, spending: funds),
                      transfer(&fixture, from: payer, to: payee, amount: 2_000, spending: funds)]
        var work = WorkMeter()
        let firstFailure = cache.apply(&first, block: Blake2b.hash([3]), transactions: spends, context: context(fixture),
                                       peers: 1, verifier: fixture.verifier, work: &work).failure
        let secondFailure = cache.apply(&second, block: Blake2b.hash([3]), transactions: spends, context: context(fixture),
                                        peers: 1, verifier: fixture.verifier, work: &work).failure
        #expect(firstFailure?.reason == .doubleSpendInBlock && secondFailure?.reason == .doubleSpendInBlock)
        #expect(secondFailure?.transactionIndex == 1)
        #expect(cache.reused == 1)
        #expect(first.stateRoot == root && second.stateRoot == root)
        #expect(first.lineage == lineage && second.lineage == lineage)
    }

    @Test func admissionAnswersAreSharedAndExpiryIsCheckedEachTime() throws {
        var (fixture, payer, payee, cache, first) = start()
        var second = first
        var unidentified = fixture.state
        let payment = transfer(&fixture, from: payer, to: payee, amount: 1_000)
        let funds = fixture.outputs(of: payer.publicKey, .payment)[0]
        let overdrawn = Transaction(signedBy: payer, region: .bangkok,
                                    kind: .transfer(inputs: [funds.0], outputs: [
                                        TxOutput(owner: payee.publicKey, asset: .payment, amount: funds.1.amount)]),
                                    fee: fixture.state.ledger.parameters.minimumFee, validUntil: fixture.now + .hours(1),
                                    nonce: fixture.nextNonce(), scheme: .ed25519)

        var firstWork = WorkMeter(), secondWork = WorkMeter(), aloneWork = WorkMeter()
        #expect(cache.check(payment, on: &first, at: fixture.now, verifier: fixture.verifier, work: &firstWork) == nil)
        #expect(cache.check(payment, on: &second, at: fixture.now, verifier: fixture.verifier, work: &secondWork) == nil)
        #expect(cache.checksReused == 1)
        #expect(secondWork == firstWork)
        #expect(unidentified.check(payment, at: fixture.now, verifier: fixture.verifier, work: &aloneWork) == nil)
        #expect(aloneWork == firstWork)

        // A mint's answer depends on the time (its meter period must have ended): each replica
        // checks it, and each is charged the attestation's signature check.
        let mint = fixture.mint(payee, .kWh(5), at: GridLocation(region: .bangkok, zone: 0))
        var firstMintWork = WorkMeter(), secondMintWork = WorkMeter()
        #expect(cache.check(mint, on: &first, at: fixture.now, verifier: fixture.verifier, work: &firstMintWork) == nil)
        #expect(cache.check(mint, on: &second, at: fixture.now, verifier: fixture.verifier, work: &secondMintWork) == nil)
        #expect(cache.checksReused == 1)
        #expect(firstMintWork.signaturesChecked == 1 && secondMintWork == firstMintWork)

        var work = WorkMeter()
        #expect(cache.check(overdrawn, on: &first, at: fixture.now, verifier: fixture.verifier, work: &work) == .insufficientFunds)
        #expect(cache.check(overdrawn, on: &second, at: fixture.now, verifier: fixture.verifier, work: &work) == .insufficientFunds)
        #expect(cache.checksReused == 2)
        #expect(cache.check(payment, on: &second, at: payment.validUntil + .seconds(1), verifier: fixture.verifier,
                            work: &work) == .expired)
        #expect(cache.check(payment, on: &unidentified, at: fixture.now, verifier: fixture.verifier, work: &work) == nil)
        #expect(cache.checksReused == 2, "a state without a lineage is checked itself")
    }
}
