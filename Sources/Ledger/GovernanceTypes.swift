import GridCore

/// A chain parameter that on-chain governance can change. Values are integers in the unit the
/// name ends with; ``GovernedParameter/safeRange`` is what validation accepts.
public enum GovernedParameter: String, Sendable, CaseIterable, Comparable {
    /// Most transactions in one block.
    case maxBlockTransactions = "max_block_txs"
    /// Target time between blocks.
    case blockIntervalMillis = "block_interval_ms"
    /// Least fee of a transaction that spends inputs.
    case minimumFeeMicro = "minimum_fee_micro"
    /// Share of each settled trade's value paid by the seller to the proposer.
    case tradingFeeBasisPoints = "trading_fee_bp"
    /// Precommit stake a block needs to be final, in basis points of the total; finality also
    /// always needs more than 2/3, so only a stricter threshold changes anything.
    case finalityThresholdBasisPoints = "finality_threshold_bp"
    /// The continuous clearing rule: 0 pay-as-ask, 1 pay-as-bid, 2 midpoint.
    case clearingRule = "clearing_rule"
    /// Turnout (stake that voted, abstentions included) a proposal needs to count.
    case governanceQuorumBasisPoints = "governance_quorum_bp"
    /// Share of yes in yes + no that passes a proposal (strictly more than this).
    case governancePassBasisPoints = "governance_pass_bp"

    /// The values validation accepts. Outside them the chain would be unsafe (a finality
    /// threshold at or below 2/3 lets two conflicting blocks be final), stall (a threshold above
    /// 90 % halts on a tenth of stake crashing; a zero block size) or be unusable.
    public var safeRange: ClosedRange<Int64> {
        switch self {
        case .maxBlockTransactions: 1...100_000
        case .blockIntervalMillis: 100...60_000
        case .minimumFeeMicro: 0...1_000_000_000
        case .tradingFeeBasisPoints: 0...1_000
        case .finalityThresholdBasisPoints: 6_667...9_000
        case .clearingRule: 0...2
        case .governanceQuorumBasisPoints: 1...10_000
        case .governancePassBasisPoints: 5_000...9_999
        }
    }

    /// Stable number in the canonical encoding.
    public var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.code < rhs.code }
}

/// A new value for one parameter.
public struct ParameterChange: Hashable, Sendable {
    public var parameter: GovernedParameter
    public var value: Int64

    public init(_ parameter: GovernedParameter, to value: Int64) {
        self.parameter = parameter
        self.value = value
    }
}

/// What a governance proposal asks: one parameter change, voted on for `votingPeriodBlocks`
/// blocks after the one that includes it; `textHash` names the off-chain rationale.
public struct GovernanceProposal: Hashable, Sendable {
    public var change: ParameterChange
    public var votingPeriodBlocks: UInt64
    public var textHash: Digest32

    public init(change: ParameterChange, votingPeriodBlocks: UInt64, textHash: Digest32) {
        self.change = change
        self.votingPeriodBlocks = votingPeriodBlocks
        self.textHash = textHash
    }
}

/// A vote on a proposal.
public enum Ballot: UInt8, Sendable, CaseIterable {
    case yes, no, abstain
}
