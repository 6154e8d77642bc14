import GridCore
import Ledger
import Market
import Testing

@Suite struct ExchangeTests {
    let here = GridLocation(region: .bangkok, zone: 0)
    let there = GridLocation(region: .bangkok, zone: 3)

    /// A fixture with one funded buyer and a producer holding `kWh` energy tokens.
    private func market(kWh: Int64 = 1_000, grid: TestGrid = TestGrid(), rule: ClearingRule = .payAsAsk,
                        producers: Int = 1, buyers: Int = 1)
        -> (Fixture, producers: [KeyPair], buyers: [KeyPair]) {
        let keys = RandomStream(masterSeed: 2, name: "exchange-tests")
        let producerKeys = (0..<producers).map { _ in KeyPair(drawingFrom: keys) }
        let buyerKeys = (0..<buyers).map { _ in KeyPair(drawingFrom: keys) }
        var fixture = Fixture(funded: producerKeys + buyerKeys, tokens: 100_000, grid: grid,
                              configuration: MarketConfiguration(clearingRule: rule))
        let mints = producerKeys.map { fixture.mint($0, .kWh(kWh), at: here) }
        precondition(fixture.commitBlock(mints).receipt != nil)
        return (fixture, producerKeys, buyerKeys)
    }

    @Test func betterPriceFirstThenOlderFirst() throws {
        var (fixture, producers, buyers) = market(producers: 3)
        let cheapLate = fixture.order(producers[0], .sell, kWh: 10, price: 3_000, at: here, source: .solar)
        let dearEarly = fixture.order(producers[1], .sell, kWh: 10, price: 3_400, at: here, source: .solar)
        let dearLate = fixture.order(producers[2], .sell, kWh: 10, price: 3_400, at: here, source: .solar)
        try #require(fixture.commitBlock([dearEarly, dearLate, cheapLate]).receipt != nil)
        let bid = fixture.order(buyers[0], .buy, kWh: 15, price: 4_000, at: there)
        let receipt = try #require(fixture.commitBlock([bid]).receipt)
        #expect(receipt.trades.map(\.sellOrder) == [cheapLate.id, dearEarly.id])
        #expect(receipt.trades.map(\.quantity) == [.kWh(10), .kWh(5)])
        #expect(fixture.state.openOrder(placedBy: dearEarly.id)?.remaining == .kWh(5))
        #expect(fixture.state.openOrder(placedBy: dearLate.id)?.remaining == .kWh(10))
    }

    @Test(arguments: [(ClearingRule.payAsAsk, Int64(3_500)), (.payAsBid, 4_000), (.midpoint, 3_750)])
    func clearingRules(rule: ClearingRule, expected: Int64) throws {
        var (fixture, producers, buyers) = market(rule: rule)
        let ask = fixture.order(producers[0], .sell, kWh: 10, price: 3_500, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 10, price: 4_000, at: there)
        let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)
        #expect(receipt.trades.first?.price == .milliTokens(expected))
    }

    @Test func noTradeWhenPricesDoNotCross() throws {
        var (fixture, producers, buyers) = market()
        let ask = fixture.order(producers[0], .sell, kWh: 10, price: 4_100, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 10, price: 4_000, at: there)
        let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)
        #expect(receipt.trades.isEmpty)
        #expect(!fixture.state.book(area: 0).isCrossed)
        #expect(fixture.state.openOrderCount == 2)
    }

    @Test func cancelAndExpiryReleaseEscrow() throws {
        var (fixture, _, buyers) = market()
        let buyer = buyers[0]
        let startBalance = fixture.balance(of: buyer.publicKey, .payment)
        let bid = fixture.order(buyer, .buy, kWh: 100, price: 3_000, at: there)
        try #require(fixture.commitBlock([bid]).receipt != nil)
        let shortBid = fixture.order(buyer, .buy, kWh: 10, price: 3_000, at: there, expiresIn: .minutes(1))
        try #require(fixture.commitBlock([shortBid]).receipt != nil)
        #expect(fixture.balance(of: buyer.publicKey, .payment) < startBalance - MicroTokens.tokens(300).rawValue)
        try #require(fixture.commitBlock([fixture.cancel(buyer, bid)]).receipt != nil)
        let receipt = try #require(fixture.commitBlock([], advance: .minutes(2)).receipt)
        #expect(receipt.expiredOrders == 1)
        #expect(fixture.state.openOrderCount == 0)
        let fees = 2 * fixture.state.ledger.parameters.minimumFee.rawValue  // the two orders; a cancel spends nothing
        let endBalance = fixture.balance(of: buyer.publicKey, .payment)
        #expect(endBalance == startBalance - fees, "everything but the two order fees came back")
        #expect(fixture.state.conservationViolations().isEmpty)
    }

    @Test func congestionRejectsWhatAnIdleLineApproves() throws {
        var idle = market(grid: TestGrid())
        var busy = market(grid: TestGrid(capacityWh: EnergyWh.kWh(5).rawValue))
        for index in 0..<2 {
            var fixture = index == 0 ? idle.0 : busy.0
            let producer = index == 0 ? idle.producers[0] : busy.producers[0]
            let buyer = index == 0 ? idle.buyers[0] : busy.buyers[0]
            let ask = fixture.order(producer, .sell, kWh: 10, price: 3_500, at: here, source: .solar)
            let bid = fixture.order(buyer, .buy, kWh: 10, price: 4_000, at: there)
            let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)
            if index == 0 {
                #expect(receipt.trades.count == 1)
                #expect(receipt.gridDecisions.approved == 1)
                idle.0 = fixture
            } else {
                #expect(receipt.trades.isEmpty)
                #expect(receipt.gridDecisions.rejected[.congestion] == 1)
                busy.0 = fixture
            }
        }
    }

    @Test func peakPremiumIsChargedToTheBuyerAndPaidToTheOperator() throws {
        var (fixture, producers, buyers) = market(grid: TestGrid(premium: BasisPoints(1_000)))
        let ask = fixture.order(producers[0], .sell, kWh: 100, price: 3_500, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 100, price: 4_000, at: there)
        let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)
        let trade = try #require(receipt.trades.first)
        #expect(receipt.gridDecisions.conditional == 1)
        #expect(trade.premium == MicroTokens.tokens(35), "10 % of 350 tokens")
        fixture.now = trade.deliveryEnd
        let settlement = try #require(fixture.commitBlock([fixture.settle(trade, delivered: .kWh(100))]).receipt)
        #expect(settlement.settlements.first?.premiumPaid == .tokens(35))
        #expect(fixture.balance(of: fixture.gridOperator(.bangkok).publicKey, .payment) == MicroTokens.tokens(35).rawValue)
    }

    @Test func aPremiumTheBuyerCannotAffordBlocksTheMatch() throws {
        var (fixture, producers, buyers) = market(grid: TestGrid(premium: BasisPoints(2_000)))
        let ask = fixture.order(producers[0], .sell, kWh: 100, price: 3_500, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 100, price: 4_000, at: there)
        let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)
        #expect(receipt.trades.isEmpty, "3.5 × 1.2 = 4.2 > 4.0")
    }

    @Test func shortfallSettlesProRataAndLossesAreBurned() throws {
        var (fixture, producers, buyers) = market(grid: TestGrid(lossShare: BasisPoints(165)))
        let ask = fixture.order(producers[0], .sell, kWh: 200, price: 3_000, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 200, price: 3_000, at: there)
        let trade = try #require(fixture.commitBlock([ask, bid]).receipt?.trades.first)
        #expect(trade.loss == EnergyWh(3_300), "1.65 % of 200 kWh")
        fixture.now = trade.deliveryEnd
        let buyerBefore = fixture.balance(of: buyers[0].publicKey, .payment)
        let settled = try #require(fixture.commitBlock([fixture.settle(trade, delivered: .kWh(150))]).receipt?
            .settlements.first)
        #expect(settled.delivered == .kWh(150))
        #expect(settled.energyToBuyer == .kWh(150) - EnergyWh(2_475), "the delivered share of the loss")
        #expect(settled.refundedToBuyer == .tokens(150), "a quarter of 600 tokens")
        #expect(fixture.balance(of: buyers[0].publicKey, .payment) - buyerBefore == MicroTokens.tokens(150).rawValue)
        #expect(fixture.state.ledger.burnedTotals.energy == 2_475)
        #expect(settled.creditsIssued == MilliCredits(7_500))
        #expect(fixture.state.conservationViolations().isEmpty)
    }

    @Test func unsettledTradesTimeOutAndRefundBothSides() throws {
        var (fixture, producers, buyers) = market()
        let producerEnergy = fixture.balance(of: producers[0].publicKey, .energy)
        let buyerPayment = fixture.balance(of: buyers[0].publicKey, .payment)
        let ask = fixture.order(producers[0], .sell, kWh: 50, price: 3_000, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 50, price: 3_000, at: there)
        try #require(fixture.commitBlock([ask, bid]).receipt?.trades.count == 1)
        let receipt = try #require(fixture.commitBlock([], advance: .hours(2)).receipt)
        #expect(receipt.settlements.first?.timedOut == true)
        #expect(fixture.state.openTradeCount == 0)
        #expect(fixture.balance(of: producers[0].publicKey, .energy) == producerEnergy)
        let fee = fixture.state.ledger.parameters.minimumFee.rawValue
        #expect(fixture.balance(of: buyers[0].publicKey, .payment) == buyerPayment - fee)
    }

    @Test func uniformPriceCallAuctionClearsAtTheSlotEnd() throws {
        var (fixture, producers, buyers) = market(rule: .uniformPriceCall, producers: 2, buyers: 2)
        let window = (fixture.now + .hours(1), fixture.now + .hours(2))
        let orders = [
            fixture.order(producers[0], .sell, kWh: 10, price: 3_000, at: here, source: .solar, window: window),
            fixture.order(producers[1], .sell, kWh: 10, price: 3_600, at: here, source: .solar, window: window),
            fixture.order(buyers[0], .buy, kWh: 10, price: 4_200, at: there, window: window),
            fixture.order(buyers[1], .buy, kWh: 10, price: 3_800, at: there, window: window),
        ]
        let sameSlot = try #require(fixture.commitBlock(orders, advance: .seconds(1)).receipt)
        #expect(sameSlot.trades.isEmpty, "a call auction does not match continuously")
        let cleared = try #require(fixture.commitBlock([], advance: .minutes(15)).receipt)
        #expect(cleared.trades.count == 2)
        #expect(Set(cleared.trades.map(\.price)) == [MicroTokensPerKWh.milliTokens(3_700)],
                "one price: the midpoint of the lowest matched bid (3.8) and the highest matched ask (3.6)")
        #expect(fixture.state.openOrderCount == 0)
        #expect(fixture.state.conservationViolations().isEmpty)
    }

    @Test func transactionsAreRejectedWithTheirReason() throws {
        var (fixture, producers, buyers) = market()
        let buyer = buyers[0], producer = producers[0]
        let funds = try #require(fixture.outputs(of: buyer.publicKey, .payment).first)
        let fee = fixture.state.ledger.parameters.minimumFee
        func transfer(amount: Int64, fee: MicroTokens = fee, inputs: [OutPoint]? = nil, signer: KeyPair? = nil,
                      validUntil: SimTime? = nil) -> Transaction {
            let signer = signer ?? buyer
            return Transaction(signedBy: signer, region: .bangkok,
                               kind: .transfer(inputs: inputs ?? [funds.0],
                                               outputs: [TxOutput(owner: producer.publicKey, asset: .payment, amount: amount)]),
                               fee: fee, validUntil: validUntil ?? fixture.now + .hours(1), nonce: fixture.nextNonce(),
                               scheme: .ed25519)
        }
        let all = funds.1.amount
        let cases: [(Transaction, RejectionReason)] = [
            (transfer(amount: all), .insufficientFunds),
            (transfer(amount: all - fee.rawValue - 1), .unbalanced),
            (transfer(amount: all - fee.rawValue, fee: MicroTokens(1)), .feeTooLow),
            (transfer(amount: 0), .amountNotPositive),
            (transfer(amount: 10, inputs: [OutPoint(transaction: Blake2b.hash([42]), index: 0)]), .unknownInput),
            (transfer(amount: 10, signer: producer), .notOwner),
            (transfer(amount: all - fee.rawValue, validUntil: fixture.now), .expired),
            (fixture.mint(producer, .kWh(1), at: GridLocation(region: .north, zone: 0)).withRegion(.bangkok), .wrongRegion),
        ]
        for (transaction, reason) in cases {
            let failure = fixture.commitBlock([transaction]).failure
            #expect(failure?.reason == reason, "expected \(reason), got \(String(describing: failure))")
        }
        let good = transfer(amount: all - fee.rawValue)
        try #require(fixture.commitBlock([good]).receipt != nil)
        #expect(fixture.commitBlock([good]).failure?.reason == .replayed)
        let spendAgain = transfer(amount: all - fee.rawValue)
        #expect(fixture.commitBlock([spendAgain]).failure?.reason == .unknownInput)

        let attestationMint = fixture.mint(producer, .kWh(5), at: here)
        try #require(fixture.commitBlock([attestationMint]).receipt != nil)
        guard case .mint(let attestation) = attestationMint.kind else { return }
        let reused = Transaction(signedBy: producer, region: .bangkok, kind: .mint(attestation),
                                 validUntil: fixture.now + .hours(1), nonce: fixture.nextNonce(), scheme: .ed25519)
        #expect(fixture.commitBlock([reused]).failure?.reason == .attestationReused)
        var forged = attestation
        forged.energy = .kWh(5_000)
        forged.periodEnd = fixture.now - .seconds(1)
        let forgedMint = Transaction(signedBy: producer, region: .bangkok, kind: .mint(forged),
                                     validUntil: fixture.now + .hours(1), nonce: fixture.nextNonce(), scheme: .ed25519)
        #expect(fixture.commitBlock([forgedMint]).failure?.reason == .badAttestation)
    }

    @Test func twoSpendsOfOneOutputInABlock() throws {
        var (fixture, producers, buyers) = market()
        let funds = try #require(fixture.outputs(of: buyers[0].publicKey, .payment).first)
        let fee = fixture.state.ledger.parameters.minimumFee.rawValue
        let spends = (0..<2).map { _ in
            Transaction(signedBy: buyers[0], region: .bangkok,
                        kind: .transfer(inputs: [funds.0], outputs: [
                            TxOutput(owner: producers[0].publicKey, asset: .payment, amount: funds.1.amount - fee)]),
                        fee: MicroTokens(fee), validUntil: fixture.now + .hours(1), nonce: fixture.nextNonce(),
                        scheme: .ed25519)
        }
        let root = fixture.state.stateRoot
        let failure = fixture.commitBlock(spends).failure
        #expect(failure?.reason == .doubleSpendInBlock)
        #expect(failure?.transactionIndex == 1)
        #expect(fixture.state.stateRoot == root, "a rejected block leaves the state exactly as it was")

        var work = WorkMeter()
        let assembled = try #require(fixture.state.apply(
            spends, context: BlockContext(height: 99, timestamp: fixture.now + .seconds(1), proposer: fixture.proposer.publicKey),
            mode: .assemble, verifier: fixture.verifier, work: &work).receipt)
        #expect(assembled.applied.map(\.id) == [spends[0].id])
        #expect(assembled.rejected.map(\.reason) == [.doubleSpendInBlock])
        fixture.state.rollback(assembled)
        #expect(fixture.state.stateRoot == root)
    }

    @Test func rewardsAndFeesGoToTheProposer() throws {
        var (fixture, producers, buyers) = market()
        let before = fixture.balance(of: fixture.proposer.publicKey, .payment)
        let ask = fixture.order(producers[0], .sell, kWh: 10, price: 3_000, at: here, source: .solar)
        let bid = fixture.order(buyers[0], .buy, kWh: 10, price: 3_000, at: there)
        try #require(fixture.commitBlock([ask, bid]).receipt != nil)
        let parameters = fixture.state.ledger.parameters
        #expect(fixture.balance(of: fixture.proposer.publicKey, .payment) - before
                == parameters.blockReward.rawValue + 2 * parameters.minimumFee.rawValue)
    }

    @Test func sellersMustSellTheirOwnSource() throws {
        var (fixture, producers, _) = market()
        let wrongSource = fixture.order(producers[0], .sell, kWh: 10, price: 3_000, at: here, source: .wind)
        #expect(fixture.commitBlock([wrongSource]).failure?.reason == .invalidOrder)
    }
}

extension Transaction {
    /// The same content moved to another region (the signature no longer matches; the ledger
    /// checks the region before the attestation).
    func withRegion(_ region: Region) -> Transaction {
        Transaction(signer: signer, region: region, kind: kind, fee: fee, validUntil: validUntil, nonce: nonce,
                    signature: signature)
    }
}
