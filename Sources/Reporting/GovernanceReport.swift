import GridCore
import Simulation

extension Report {
    /// One counted proposal.
    public struct GovernanceTallyRow: Codable, Sendable {
        public var parameter: String
        public var value: Int64
        /// passed, rejected or expired.
        public var outcome: String
        public var yesMicro: Int64
        public var noMicro: Int64
        public var abstainMicro: Int64
        public var eligibleMicro: Int64
        public var turnoutBp: Int64
        public var depositReturned: Bool
        public var height: UInt64
        public var timeSeconds: Double
    }

    /// One parameter change, with throughput over equal windows before and after it.
    public struct ParameterChangeRow: Codable, Sendable {
        public var parameter: String
        public var from: Int64
        public var to: Int64
        public var height: UInt64
        public var timeSeconds: Double
        /// Finalized transactions per second over the window before the change (from the end of
        /// warm-up, or the previous change) and over an equally long window after it.
        public var tpsBefore: Double
        public var tpsAfter: Double
        public var windowSeconds: Double
    }

    /// What on-chain governance did: counts, mean turnout, every tally and the parameter timeline.
    public struct Governance: Codable, Sendable {
        /// Proposals submitted by the scenario's participants.
        public var proposals: Int
        /// Proposals in finalized blocks, how their votes ended, and the passed ones executed
        /// (each executed proposal is one entry of `timeline`).
        public var opened: Int
        public var passed: Int
        public var rejected: Int
        public var expired: Int
        public var executed: Int
        public var votes: Int
        /// Mean turnout of the proposals counted (stake that voted ÷ stake eligible).
        public var turnoutBp: Int64
        public var tallies: [GovernanceTallyRow]
        public var timeline: [ParameterChangeRow]
    }

    /// The governance section as text lines: counts, then one line per tally and per change;
    /// empty when the run had no proposal. Markdown and HTML both print them.
    public static func governanceLines(_ governance: Governance?) -> [String] {
        guard let governance, governance.proposals > 0 else { return [] }
        var lines = ["\(governance.proposals) proposals · \(governance.opened) opened · \(governance.passed) passed · \(governance.rejected) rejected · \(governance.expired) expired · \(governance.executed) executed · \(governance.votes) votes · mean turnout \(MarkdownReport.format(Double(governance.turnoutBp) / 100)) %"]
        for tally in governance.tallies {
            lines.append("Vote on \(tally.parameter) = \(tally.value) ended at height \(tally.height) (\(MarkdownReport.format(tally.timeSeconds)) s): \(tally.outcome), turnout \(MarkdownReport.format(Double(tally.turnoutBp) / 100)) %, yes \(MarkdownReport.format(Double(tally.yesMicro) / 1e6)), no \(MarkdownReport.format(Double(tally.noMicro) / 1e6)), abstain \(MarkdownReport.format(Double(tally.abstainMicro) / 1e6)) tokens; deposit \(tally.depositReturned ? "returned" : "burned")")
        }
        for change in governance.timeline {
            lines.append("At height \(change.height) (\(MarkdownReport.format(change.timeSeconds)) s) \(change.parameter) \(change.from) → \(change.to): \(MarkdownReport.format(change.tpsBefore)) tx/s in the \(MarkdownReport.format(change.windowSeconds)) s before, \(MarkdownReport.format(change.tpsAfter)) tx/s in the \(MarkdownReport.format(change.windowSeconds)) s after")
        }
        return lines
    }

    /// The governance section of `result`.
    ///
    /// Complexity: O(transactions × changes).
    static func governanceSection(_ result: RunResult) -> Governance {
        let statistics = result.governance
        let warmup = result.scenario.run.warmup.seconds
        let end = result.endTime.seconds
        let finalized = result.transactions.finalizedNanos.filter { $0 >= 0 }.map { Double($0) / 1e9 }
        func tps(_ from: Double, _ to: Double) -> Double {
            to > from ? Double(finalized.filter { $0 >= from && $0 < to }.count) / (to - from) : 0
        }
        var previous = warmup
        let timeline = statistics.changes.map { change in
            let at = change.time.seconds
            let window = max(0, min(at - previous, end - at))
            defer { previous = at }
            return ParameterChangeRow(parameter: change.parameter.rawValue, from: change.from, to: change.to,
                                      height: change.height, timeSeconds: at, tpsBefore: tps(at - window, at),
                                      tpsAfter: tps(at, at + window), windowSeconds: window)
        }
        let tallies = statistics.tallies.map { row in
            let tally = row.tally
            return GovernanceTallyRow(
                parameter: tally.change.parameter.rawValue, value: tally.change.value, outcome: tally.outcome.rawValue,
                yesMicro: tally.yes, noMicro: tally.no, abstainMicro: tally.abstain, eligibleMicro: tally.eligible,
                turnoutBp: tally.turnout.rawValue, depositReturned: tally.depositReturned, height: row.height,
                timeSeconds: row.time.seconds)
        }
        return Governance(proposals: statistics.submitted, opened: statistics.opened, passed: statistics.count(.passed),
                          rejected: statistics.count(.rejected), expired: statistics.count(.expired), executed: statistics.changes.count,
                          votes: statistics.votes, turnoutBp: statistics.meanTurnout.rawValue, tallies: tallies,
                          timeline: timeline)
    }
}
