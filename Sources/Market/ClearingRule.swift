import GridCore
import Ledger

/// How a matched pair's price is set.
public enum ClearingRule: String, Sendable, CaseIterable {
    /// The seller's price (the seed: bid 4.0, ask 3.5 ⇒ 3.5). The default.
    case payAsAsk = "pay-as-ask"
    /// The buyer's price.
    case payAsBid = "pay-as-bid"
    /// Halfway between, rounded down.
    case midpoint
    /// No continuous matching: orders rest until the end of each delivery slot, when every area
    /// clears at one price (a periodic uniform-price call auction).
    case uniformPriceCall = "uniform-price-call"

    /// The continuous rules, in the order governance's `clearing_rule` numbers them.
    public static let continuous: [ClearingRule] = [.payAsAsk, .payAsBid, .midpoint]

    /// The price of a continuous match between a bid and an ask (µtoken/kWh).
    public func price(bid: Int64, ask: Int64) -> Int64 {
        switch self {
        case .payAsAsk, .uniformPriceCall: ask
        case .payAsBid: bid
        case .midpoint: ask + (bid - ask) / 2
        }
    }
}

/// How the market is organised.
public struct MarketConfiguration: Sendable {
    /// Market areas: each a set of regions with one order book. Every region is in exactly one.
    public var areas: [[Region]]
    public var clearingRule: ClearingRule
    /// Length of a delivery slot (15 minutes by default); call auctions clear at slot ends.
    public var slotLength: SimDuration
    /// Most resting orders one incoming order examines (bounds matching cost when compatibility
    /// checks skip many candidates).
    public var candidateLimit: Int
    /// A deliberately broken cross-shard rule, to test the checkers; `nil` for the real rules.
    public var mutation: ExchangeMutation?

    public init(areas: [[Region]] = Region.allCases.map { [$0] }, clearingRule: ClearingRule = .payAsAsk,
                slotLength: SimDuration = .minutes(15), candidateLimit: Int = 64, mutation: ExchangeMutation? = nil) {
        precondition(Set(areas.flatMap { $0 }).count == Region.allCases.count
                        && areas.flatMap { $0 }.count == Region.allCases.count,
                     "every region must be in exactly one market area")
        precondition(slotLength > .zero && candidateLimit > 0)
        self.areas = areas
        self.clearingRule = clearingRule
        self.slotLength = slotLength
        self.candidateLimit = candidateLimit
        self.mutation = mutation
    }

    /// The area of `region`.
    public func area(of region: Region) -> Int {
        areas.firstIndex { $0.contains(region) }!
    }

    /// The start of the slot containing `time`.
    public func slotStart(containing time: SimTime) -> SimTime {
        SimTime(nanoseconds: time.nanoseconds - time.nanoseconds % slotLength.nanoseconds)
    }
}

/// A matched trade, locked until its delivery is settled.
public struct Trade: Hashable, Sendable {
    public var id: TradeID
    public var buyOrder: TransactionID
    public var sellOrder: TransactionID
    public var buyer: PublicKey
    public var seller: PublicKey
    public var buyerLocation: GridLocation
    public var sellerLocation: GridLocation
    /// µtoken/kWh.
    public var price: MicroTokensPerKWh
    public var quantity: EnergyWh
    /// quantity × price, rounded down: escrowed from the buyer.
    public var value: MicroTokens
    /// The grid's peak premium on the value, escrowed from the buyer, paid to the grid operator.
    public var premium: MicroTokens
    /// Transmission loss the buyer bears on full delivery.
    public var loss: EnergyWh
    public var deliveryStart: SimTime
    public var deliveryEnd: SimTime
    public var source: EnergySource
    public var matchedAt: SimTime

    /// The grid's request for this trade (what was reserved).
    public var gridRequest: GridTradeRequest {
        GridTradeRequest(seller: sellerLocation, buyer: buyerLocation, energy: quantity, deliveryStart: deliveryStart,
                         deliveryEnd: deliveryEnd, decidedAt: matchedAt)
    }

    static func identity(buy: TransactionID, sell: TransactionID, fill: UInt64) -> TradeID {
        var encoder = CanonicalEncoder()
        encoder.append("trade")
        encoder.append(buy)
        encoder.append(sell)
        encoder.append(fill)
        return encoder.blake2b
    }

    var digest: Digest32 {
        Blake2b.hash(capacity: 96) { encoder in
            encoder.append(id)
            encoder.append(price)
            encoder.append(quantity)
            encoder.append(value)
            encoder.append(premium)
            encoder.append(loss)
            encoder.append(deliveryStart)
            encoder.append(deliveryEnd)
        }
    }
}

/// How a trade ended.
public struct Settlement: Hashable, Sendable {
    public var trade: TradeID
    public var delivered: EnergyWh
    /// Energy tokens the buyer received (delivered minus its share of losses).
    public var energyToBuyer: EnergyWh
    public var paidToSeller: MicroTokens
    public var fee: MicroTokens
    public var refundedToBuyer: MicroTokens
    public var premiumPaid: MicroTokens
    public var creditsIssued: MilliCredits
    /// Settled by timeout (no meter reading), refunding both sides.
    public var timedOut: Bool
}
