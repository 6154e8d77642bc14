import GridCore
import Ledger
import Market
import Testing

/// Splitting a state by region for a shard split, and joining two for a merge.
@Suite struct ReshardingTests {
    let bangkok = GridLocation(region: .bangkok, zone: 0)
    let east = GridLocation(region: .east, zone: 0)

    /// Per asset: what the states hold (unspent + escrow) and their supply (created − burned).
    private func totals(_ states: [ExchangeState<TestGrid>]) -> [Int64] {
        Asset.allCases.flatMap { asset in
            [states.reduce(0) { $0 + $1.ledger.unspentTotals[asset] + $1.ledger.escrowTotals[asset] },
             states.reduce(0) { $0 + $1.ledger.createdTotals[asset] - $1.ledger.burnedTotals[asset] }]
        }
    }

    /// A market with a producer and a buyer in each of Bangkok and the East, a resting order on
    /// each book and a trade awaiting delivery in each.
    private func busyMarket(mutation: ExchangeMutation? = nil) throws -> (Fixture, bangkok: [KeyPair], east: [KeyPair]) {
        let keys = RandomStream(masterSeed: 5, name: "resharding-tests")
        let inBangkok = (0..<2).map { _ in KeyPair(drawingFrom: keys) }
        let inEast = (0..<2).map { _ in KeyPair(drawingFrom: keys) }
        var fixture = Fixture(funded: inBangkok + inEast, tokens: 100_000,
                              configuration: MarketConfiguration(mutation: mutation))
        try #require(fixture.commitBlock([fixture.mint(inBangkok[0], .kWh(100), at: bangkok),
                                          fixture.mint(inEast[0], .kWh(100), at: east)]).receipt != nil)
        let orders = [
            fixture.order(inBangkok[0], .sell, kWh: 40, price: 3_000, at: bangkok, source: .solar),
            fixture.order(inEast[0], .sell, kWh: 40, price: 3_000, at: east, source: .solar),
        ]
        try #require(fixture.commitBlock(orders).receipt != nil)
        let bids = [fixture.order(inBangkok[1], .buy, kWh: 10, price: 4_000, at: bangkok),
                    fixture.order(inEast[1], .buy, kWh: 10, price: 4_000, at: east)]
        let receipt = try #require(fixture.commitBlock(bids).receipt)
        try #require(receipt.trades.count == 2)
        return (fixture, inBangkok, inEast)
    }

    @Test func splitMovesTheRegionsAccountsBookAndTradesAndConservesEveryAsset() throws {
        let (fixture, inBangkok, inEast) = try busyMarket()
        let state = fixture.state
        let eastKeys = Set(inEast.map(\.publicKey))
        let eastArea = MarketConfiguration().area(of: .east)
        let (kept, moved) = state.splitting(movingAreas: { $0 == eastArea }, movingOwners: { eastKeys.contains($0) },
                                            instances: (kept: 1, moved: 2))
        #expect(kept.conservationViolations().isEmpty)
        #expect(moved.conservationViolations().isEmpty)
        #expect(totals([kept, moved]) == totals([state]))
        #expect(kept.openOrderCount == 1 && moved.openOrderCount == 1)
        #expect(kept.openTradeCount == 1 && moved.openTradeCount == 1)
        #expect(moved.ledger.outputs.values.allSatisfy { eastKeys.contains($0.owner) })
        #expect(!kept.ledger.outputs.values.contains { eastKeys.contains($0.owner) })
        #expect(moved.book(area: eastArea).count == 1 && kept.book(area: eastArea).count == 0)
        #expect(kept.ledger.outputs.values.contains { $0.owner == inBangkok[1].publicKey })
        // Both remember what was committed, so nothing replays on either side.
        #expect(kept.ledger.rememberedTransactionCount == state.ledger.rememberedTransactionCount)
        #expect(moved.ledger.rememberedTransactionCount == state.ledger.rememberedTransactionCount)
    }

    /// Under `split-keeps-escrow` the moved East order's escrow stays behind: each part's
    /// escrow misses or exceeds what its orders hold by that much, though the totals over both
    /// still sum to the state's (the ledger alone cannot see it).
    @Test func aSplitThatKeepsTheMovedOrdersEscrowBreaksEachPartsConservation() throws {
        let (fixture, _, inEast) = try busyMarket(mutation: .splitKeepsEscrow)
        let eastKeys = Set(inEast.map(\.publicKey))
        let eastArea = MarketConfiguration().area(of: .east)
        let (kept, moved) = fixture.state.splitting(movingAreas: { $0 == eastArea },
                                                    movingOwners: { eastKeys.contains($0) },
                                                    instances: (kept: 1, moved: 2))
        #expect(totals([kept, moved]) == totals([fixture.state]))
        #expect(kept.ledger.conservationViolations().isEmpty && moved.ledger.conservationViolations().isEmpty)
        #expect(kept.conservationViolations().count == 1 && moved.conservationViolations().count == 1)
        #expect(kept.conservationViolations().first?.hasPrefix("energy") == true, "the resting East ask escrows energy")
    }

    @Test func mergeUndoesASplitExactly() throws {
        let (fixture, _, inEast) = try busyMarket()
        let state = fixture.state
        let eastKeys = Set(inEast.map(\.publicKey))
        let eastArea = MarketConfiguration().area(of: .east)
        let (kept, moved) = state.splitting(movingAreas: { $0 == eastArea }, movingOwners: { eastKeys.contains($0) },
                                            instances: (kept: 1, moved: 2))
        var joined = kept
        joined.absorb(moved, instance: 3)
        #expect(joined.conservationViolations().isEmpty)
        #expect(totals([joined]) == totals([state]))
        #expect(joined.ledger.outputs == state.ledger.outputs)
        #expect(joined.openOrderCount == state.openOrderCount && joined.openTradeCount == state.openTradeCount)
        #expect(joined.ledger.commitments == state.ledger.commitments)
    }

    @Test func bothPartsKeepTrading() throws {
        var (fixture, inBangkok, inEast) = try busyMarket()
        let eastKeys = Set(inEast.map(\.publicKey))
        let eastArea = MarketConfiguration().area(of: .east)
        let (kept, moved) = fixture.state.splitting(movingAreas: { $0 == eastArea },
                                                    movingOwners: { eastKeys.contains($0) },
                                                    instances: (kept: 1, moved: 2))
        var eastShard = fixture
        eastShard.state = moved
        let eastBid = eastShard.order(inEast[1], .buy, kWh: 5, price: 4_000, at: east)
        let eastReceipt = try #require(eastShard.commitBlock([eastBid]).receipt)
        #expect(eastReceipt.trades.count == 1)
        fixture.state = kept
        // An East account does not exist on the kept side any more.
        let stranded = eastShard.order(inEast[1], .buy, kWh: 1, price: 4_000, at: east)
        #expect(fixture.commitBlock([stranded]).receipt == nil)
        let bangkokBid = fixture.order(inBangkok[1], .buy, kWh: 5, price: 4_000, at: bangkok)
        #expect(try #require(fixture.commitBlock([bangkokBid]).receipt).trades.count == 1)
        #expect(fixture.state.conservationViolations().isEmpty && eastShard.state.conservationViolations().isEmpty)
    }
}
