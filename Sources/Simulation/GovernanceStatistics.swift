import Governance
import GridCore
import Ledger
import Market

/// What governance did in a run, from the chain as finalized: proposals submitted and opened,
/// each vote's tally, and every parameter change with the height and time it took effect.
public struct GovernanceStatistics: Sendable {
    /// One proposal's count, when and where its voting ended.
    public struct Tally: Sendable {
        public var tally: GovernanceTally
        public var height: UInt64
        public var time: SimTime
    }

    /// A parameter change made at an epoch boundary.
    public struct Change: Sendable {
        public var parameter: GovernedParameter
        public var from: Int64
        public var to: Int64
        public var height: UInt64
        public var time: SimTime
    }

    /// Proposals the scenario's participants submitted (a proposer without the deposit submits nothing).
    public var submitted = 0
    /// Proposals in finalized blocks.
    public var opened = 0
    /// Votes submitted.
    public var votes = 0
    public var tallies: [Tally] = []
    public var changes: [Change] = []
    /// The parameters at genesis.
    public var initial: GovernanceParameters?

    /// Turnout averaged over the proposals counted, in basis points (zero when none was).
    public var meanTurnout: BasisPoints {
        guard !tallies.isEmpty else { return .zero }
        return BasisPoints(tallies.reduce(Int64(0)) { $0 + $1.tally.turnout.rawValue } / Int64(tallies.count))
    }

    public func count(_ outcome: ProposalStatus) -> Int { tallies.filter { $0.tally.outcome == outcome }.count }

    /// A finalized block's tallies and parameter changes; `before` are the parameters it started from.
    mutating func record(_ receipt: BlockReceipt, before: GovernanceParameters, height: UInt64, at time: SimTime) {
        for tally in receipt.tallies { tallies.append(Tally(tally: tally, height: height, time: time)) }
        var current = before
        for change in receipt.parameterChanges {
            changes.append(Change(parameter: change.parameter, from: current[change.parameter], to: change.value,
                                  height: height, time: time))
            current = current.applying(change)
        }
    }
}
