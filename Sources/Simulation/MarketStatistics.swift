import GridCore
import Ledger
import Market

/// What the market did over a run, from the blocks as first finalized.
public struct MarketStatistics: Sendable {
    public var trades = 0
    public var energyWh: Int64 = 0
    public var valueMicro: Int64 = 0
    public var premiumMicro: Int64 = 0
    public var renewableWh: Int64 = 0
    public var settlements = 0
    public var settlementsTimedOut = 0
    public var deliveredWh: Int64 = 0
    public var creditsIssued = MilliCredits.zero
    public var expiredOrders = 0
    public var gridDecisions = GridDecisionCounts()
    /// Every finalized trade's commit time, energy and value, in commit order (for time series).
    public private(set) var tradeCommitNanos: [Int64] = []
    public private(set) var tradeEnergyWh: [Int64] = []
    public private(set) var tradeValueMicro: [Int64] = []

    public init() {}

    /// Value ÷ energy, µtoken/kWh.
    public var averagePrice: MicroTokensPerKWh {
        energyWh == 0 ? .zero : MicroTokensPerKWh(mulDivFloor(valueMicro, 1_000, energyWh) ?? 0)
    }

    mutating func record(_ receipt: BlockReceipt, committedAt time: SimTime) {
        for trade in receipt.trades {
            trades += 1
            tradeCommitNanos.append(time.nanoseconds)
            tradeEnergyWh.append(trade.quantity.rawValue)
            tradeValueMicro.append(trade.value.rawValue)
            energyWh += trade.quantity.rawValue
            valueMicro += trade.value.rawValue
            premiumMicro += trade.premium.rawValue
            if trade.source.isRenewable { renewableWh += trade.quantity.rawValue }
        }
        for settlement in receipt.settlements {
            settlements += 1
            if settlement.timedOut { settlementsTimedOut += 1 }
            deliveredWh += settlement.delivered.rawValue
            creditsIssued += settlement.creditsIssued
        }
        expiredOrders += receipt.expiredOrders
        gridDecisions.add(receipt.gridDecisions)
    }
}
