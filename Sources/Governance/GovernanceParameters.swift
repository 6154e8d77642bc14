import GridCore
import Ledger

/// The values of every ``GovernedParameter``: what the chain runs with at a height.
public struct GovernanceParameters: Hashable, Sendable {
    private var values: [Int64]

    /// Every parameter at its given value. Genesis values are the operator's choice; only
    /// changes must stay inside the safe ranges.
    public init(_ values: [GovernedParameter: Int64]) {
        precondition(values.count == GovernedParameter.allCases.count, "a value for every parameter")
        self.values = GovernedParameter.allCases.map { values[$0]! }
    }

    /// The parameters a chain starts with. `finalityThreshold` 6,667 bp stands for "more than
    /// 2/3"; `clearingRule` numbers the continuous rules (0 pay-as-ask, 1 pay-as-bid, 2 midpoint).
    public init(maxBlockTransactions: Int, blockInterval: SimDuration, minimumFee: MicroTokens,
                tradingFee: BasisPoints, finalityThreshold: BasisPoints = BasisPoints(6_667), clearingRule: Int64 = 0,
                quorum: BasisPoints = BasisPoints(3_340), passThreshold: BasisPoints = BasisPoints(5_000)) {
        self.init([
            .maxBlockTransactions: Int64(maxBlockTransactions), .blockIntervalMillis: blockInterval.nanoseconds / 1_000_000,
            .minimumFeeMicro: minimumFee.rawValue, .tradingFeeBasisPoints: tradingFee.rawValue,
            .finalityThresholdBasisPoints: finalityThreshold.rawValue, .clearingRule: clearingRule,
            .governanceQuorumBasisPoints: quorum.rawValue, .governancePassBasisPoints: passThreshold.rawValue,
        ])
    }

    public subscript(parameter: GovernedParameter) -> Int64 { values[Int(parameter.code)] }

    public var maxBlockTransactions: Int { Int(self[.maxBlockTransactions]) }
    public var blockInterval: SimDuration { .milliseconds(self[.blockIntervalMillis]) }
    public var minimumFee: MicroTokens { MicroTokens(self[.minimumFeeMicro]) }
    public var tradingFee: BasisPoints { BasisPoints(self[.tradingFeeBasisPoints]) }
    public var finalityThreshold: BasisPoints { BasisPoints(self[.finalityThresholdBasisPoints]) }
    public var quorum: BasisPoints { BasisPoints(self[.governanceQuorumBasisPoints]) }
    public var passThreshold: BasisPoints { BasisPoints(self[.governancePassBasisPoints]) }

    /// These parameters with `change` made; `change` must be valid (``validate(_:)``).
    public func applying(_ change: ParameterChange) -> GovernanceParameters {
        precondition(Self.validate(change) == nil, "an unsafe change cannot be applied")
        var copy = self
        copy.values[Int(change.parameter.code)] = change.value
        return copy
    }

    /// Why `change` would make the chain unsafe or stall it, or `nil` if it is inside the
    /// parameter's safe range.
    public static func validate(_ change: ParameterChange) -> RejectionReason? {
        change.parameter.safeRange.contains(change.value) ? nil : .unsafeParameter
    }

    /// Every value in parameter order: the parameters' part of the state root.
    public var digest: Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append("governance-parameters")
        for value in values { encoder.append(value) }
        return encoder.blake2b
    }
}

/// The fixed rules of governance, set at genesis.
public struct GovernanceRules: Hashable, Sendable {
    /// Locked by each proposal: returned when its vote reaches quorum, burned when it does not.
    public var deposit: MicroTokens
    /// Voting periods a proposal may ask for, in blocks.
    public var votingPeriods: ClosedRange<UInt64>
    /// Passed changes execute at the first height divisible by this after their voting period.
    public var epochLength: UInt64

    public init(deposit: MicroTokens, votingPeriods: ClosedRange<UInt64> = 1...100_000, epochLength: UInt64) {
        precondition(deposit >= .zero && votingPeriods.lowerBound > 0 && epochLength > 0)
        self.deposit = deposit
        self.votingPeriods = votingPeriods
        self.epochLength = epochLength
    }
}
