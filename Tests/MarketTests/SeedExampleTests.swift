import GridCore
import Ledger
import Market
import Testing

/// The seed's trading flow: a factory bids 500 kWh at 4.0 tokens/kWh; a Bangkok North solar farm
/// asks 1,000 kWh at 3.5 ⇒ 500 kWh at 3.5 = 1,750 tokens, +25 carbon credits, 500 kWh left on the ask.
@Suite struct SeedExampleTests {
    @Test func factoryMeetsSolarFarm() throws {
        let factory = KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "factory"))
        let farm = KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "farm"))
        var fixture = Fixture(funded: [factory, farm], tokens: 5_000)
        let bangkokNorth = GridLocation(region: .bangkok, zone: 2)
        let factorySite = GridLocation(region: .bangkok, zone: 5)
        try #require(fixture.commitBlock([fixture.mint(farm, .kWh(1_000), at: bangkokNorth)]).receipt != nil)

        let ask = fixture.order(farm, .sell, kWh: 1_000, price: 3_500, at: bangkokNorth, source: .solar)
        let bid = fixture.order(factory, .buy, kWh: 500, price: 4_000, at: factorySite)
        let receipt = try #require(fixture.commitBlock([ask, bid]).receipt)

        #expect(receipt.trades.count == 1)
        let trade = try #require(receipt.trades.first)
        #expect(trade.quantity == .kWh(500))
        #expect(trade.price == .milliTokens(3_500), "pay-as-ask: the seller's price")
        #expect(trade.value == .tokens(1_750))
        #expect(fixture.state.openOrder(placedBy: ask.id)?.remaining == .kWh(500), "500 kWh left on the ask")
        #expect(fixture.state.openOrder(placedBy: bid.id) == nil, "the bid is filled")
        // The bid escrowed 2,000 tokens at its limit; the 250 above the trade value came back.
        #expect(fixture.balance(of: factory.publicKey, .payment)
                == MicroTokens.tokens(5_000 - 1_750).rawValue - fixture.state.ledger.parameters.minimumFee.rawValue)

        fixture.now = trade.deliveryEnd
        let settlement = try #require(fixture.commitBlock([fixture.settle(trade, delivered: .kWh(500))]).receipt)
        let settled = try #require(settlement.settlements.first)
        #expect(settled.creditsIssued == MilliCredits(25_000), "+25 carbon credits")
        #expect(settled.energyToBuyer == .kWh(500))
        #expect(fixture.balance(of: factory.publicKey, .carbonCredit) == 25_000)
        #expect(fixture.balance(of: factory.publicKey, .energy) == EnergyWh.kWh(500).rawValue)
        let fee = MicroTokens.tokens(1_750).share(fixture.state.ledger.parameters.tradingFee)
        #expect(fixture.balance(of: farm.publicKey, .payment)
                == (MicroTokens.tokens(5_000 + 1_750) - fee - fixture.state.ledger.parameters.minimumFee).rawValue)
        #expect(fixture.state.conservationViolations().isEmpty)
    }
}
