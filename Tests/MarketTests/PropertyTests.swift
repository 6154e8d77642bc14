import GridCore
import Ledger
import Market
import Testing

/// Random order streams of thousands of orders against the standalone matcher and the full
/// exchange, checking the book's invariants after every step.
@Suite struct OrderBookPropertyTests {
    @Test(arguments: [ClearingRule.payAsAsk, .payAsBid, .midpoint])
    func standaloneMatcherInvariants(rule: ClearingRule) {
        let random = RandomStream(masterSeed: 77, name: "property/\(rule.rawValue)")
        var matcher = StandaloneMatcher(rule: rule)
        var quantities: [OrderNumber: Int64] = [:]
        var prices: [OrderNumber: (OrderSide, Int64)] = [:]
        var filled: [OrderNumber: Int64] = [:]
        var live: [OrderNumber] = []
        for number in OrderNumber(0)..<5_000 {
            if random.bernoulli(0.15), !live.isEmpty {
                let victim = live.remove(at: random.uniformInt(below: live.count))
                matcher.cancel(victim)
                continue
            }
            let side: OrderSide = random.bernoulli(0.5) ? .buy : .sell
            let price = Int64(random.gaussian(mean: 3_200_000, sigma: 150_000).rounded())
            let quantity = Int64(random.uniformInt(below: 900)) + 1
            quantities[number] = quantity
            prices[number] = (side, price)
            for fill in matcher.add(number: number, side: side, price: price, quantity: quantity) {
                filled[fill.buyOrder, default: 0] += fill.quantity
                filled[fill.sellOrder, default: 0] += fill.quantity
                let bid = prices[fill.buyOrder]!.1, ask = prices[fill.sellOrder]!.1
                #expect(bid >= ask, "a fill only between crossing prices")
                #expect(fill.price >= ask && fill.price <= bid, "the price lies between ask and bid")
                #expect(fill.quantity > 0)
            }
            #expect(!matcher.orderBook.isCrossed, "the book is never left crossed after matching")
            if matcher.isResting(number) { live.append(number) }
            live.removeAll { !matcher.isResting($0) }
        }
        for (number, quantity) in quantities {
            let done = filled[number, default: 0]
            #expect(done <= quantity, "fills never exceed the order's quantity")
            if let resting = matcher.orderBook.order(number) {
                #expect(resting.remaining == quantity - done, "resting remainder is what is unfilled")
                #expect(resting.remaining > 0, "no order is both open and fully filled")
            }
        }
    }

    @Test func exchangeInvariantsHoldAfterEveryBlockAndRollbackRestoresState() throws {
        let random = RandomStream(masterSeed: 5, name: "property/exchange")
        let keys = RandomStream(masterSeed: 5, name: "property/keys")
        let producers = (0..<8).map { _ in KeyPair(drawingFrom: keys) }
        let buyers = (0..<8).map { _ in KeyPair(drawingFrom: keys) }
        var fixture = Fixture(funded: producers + buyers, tokens: 1_000_000,
                              grid: TestGrid(capacityWh: EnergyWh.kWh(40_000).rawValue, lossShare: BasisPoints(165)))
        let regions: [Region] = [.bangkok, .east]
        let mints = producers.enumerated().map { index, producer in
            fixture.mint(producer, .kWh(20_000), at: GridLocation(region: regions[index % 2], zone: 0))
        }
        try #require(fixture.commitBlock(mints).receipt != nil)
        var orders: [(Transaction, KeyPair)] = []
        var tradesSeen: [Trade] = []
        var placed = 0
        for block in 0..<60 {
            var transactions: [Transaction] = []
            for _ in 0..<40 {
                let isSell = random.bernoulli(0.5)
                let owner = isSell ? producers[random.uniformInt(below: 8)] : buyers[random.uniformInt(below: 8)]
                let index = isSell ? producers.firstIndex { $0.publicKey == owner.publicKey }!
                                   : buyers.firstIndex { $0.publicKey == owner.publicKey }!
                let location = GridLocation(region: regions[index % 2], zone: UInt16(random.uniformInt(below: 4)))
                let price = Int64(random.gaussian(mean: 3_300, sigma: 250).rounded())
                let order = fixture.order(owner, isSell ? .sell : .buy, kWh: Int64(random.uniformInt(below: 60)) + 1,
                                          price: max(1, price), at: location, source: .solar,
                                          expiresIn: .minutes(Int64(random.uniformInt(below: 30)) + 1))
                // Funding overlaps between orders of one owner in one block: assemble keeps the valid ones.
                transactions.append(order)
                orders.append((order, owner))
                placed += 1
            }
            if random.bernoulli(0.3), let (old, owner) = orders.randomElement(using: random) {
                transactions.append(fixture.cancel(owner, old))
            }
            for trade in tradesSeen where trade.deliveryEnd <= fixture.now && random.bernoulli(0.5) {
                transactions.append(fixture.settle(trade, delivered: EnergyWh(Int64(random.uniformInt(below: Int(trade.quantity.rawValue) + 1)))))
            }
            fixture.height += 1
            fixture.now += .seconds(30)
            var work = WorkMeter()
            let context = BlockContext(height: fixture.height, timestamp: fixture.now, proposer: fixture.proposer.publicKey)
            let rootBefore = fixture.state.stateRoot
            let assembled = try #require(fixture.state.apply(transactions, context: context, mode: .assemble,
                                                             verifier: fixture.verifier, work: &work).receipt)
            #expect(fixture.state.conservationViolations().isEmpty, "block \(block): \(fixture.state.conservationViolations())")
            fixture.state.rollback(assembled)
            #expect(fixture.state.stateRoot == rootBefore, "undo restores the state (block \(block))")
            #expect(fixture.state.conservationViolations().isEmpty)
            let strict = try #require(fixture.state.apply(assembled.applied, context: context, mode: .strict,
                                                          verifier: fixture.verifier, work: &work).receipt)
            #expect(strict.stateRoot == assembled.stateRoot, "re-applying the assembled block gives the same state")
            fixture.state.commit(strict)
            tradesSeen.append(contentsOf: strict.trades)
            tradesSeen.removeAll { fixture.state.trade($0.id) == nil }
            for trade in strict.trades {
                #expect(trade.quantity > .zero)
                #expect(trade.value + trade.premium <= MicroTokens.value(of: trade.quantity, at: trade.price)! + trade.premium)
            }
        }
        #expect(placed == 2_400)
        #expect(fixture.state.conservationViolations().isEmpty)
    }
}

extension Array {
    func randomElement(using stream: RandomStream) -> Element? {
        isEmpty ? nil : self[stream.uniformInt(below: count)]
    }
}
