import GridCore

/// The ledger's rules that a scenario (and, later, governance) sets.
public struct LedgerParameters: Sendable {
    /// Each region's grid operator, by `Region.index`: signs meter attestations and settlements.
    public var gridOperators: [PublicKey]
    /// The least fee a transaction that spends inputs must pay.
    public var minimumFee: MicroTokens
    /// Charged on each settled trade's value, paid by the seller, to the block proposer.
    public var tradingFee: BasisPoints
    /// Payment tokens created for the proposer of each finalized block.
    public var blockReward: MicroTokens
    /// Carbon credits issued to the buyer per kWh delivered on a renewable trade (seed: 0.05).
    public var creditsPerKWh: MilliCredits
    /// A trade not settled this long after its delivery window ends is refunded to both sides.
    public var settlementTimeout: SimDuration

    public init(gridOperators: [PublicKey], minimumFee: MicroTokens = MicroTokens(1_000),
                tradingFee: BasisPoints = BasisPoints(10), blockReward: MicroTokens = .tokens(1),
                creditsPerKWh: MilliCredits = MilliCredits(50), settlementTimeout: SimDuration = .hours(1)) {
        precondition(gridOperators.count == Region.allCases.count, "one grid operator per region")
        precondition(minimumFee >= .zero && blockReward >= .zero && creditsPerKWh >= .zero)
        precondition(tradingFee >= .zero && tradingFee <= .whole)
        self.gridOperators = gridOperators
        self.minimumFee = minimumFee
        self.tradingFee = tradingFee
        self.blockReward = blockReward
        self.creditsPerKWh = creditsPerKWh
        self.settlementTimeout = settlementTimeout
    }

    /// The grid operator of `region`.
    public func gridOperator(of region: Region) -> PublicKey { gridOperators[region.index] }

    /// Credits for `energy` delivered on a renewable trade, rounded down.
    public func credits(for energy: EnergyWh) -> MilliCredits {
        MilliCredits(mulDivFloor(energy.rawValue, creditsPerKWh.rawValue, 1_000) ?? 0)
    }
}
