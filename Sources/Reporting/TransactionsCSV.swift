import Foundation
import Simulation

/// `transactions.csv`: one row per submitted transaction, in submission order, for pandas.
/// Times are simulated seconds from the start; a stage not reached is empty.
public enum TransactionsCSV {
    public static let header = "index,id,kind,region,submitted_s,admitted_s,included_s,finalized_s,matched_s,settled_s,outcome,reason,height"

    /// Complexity: O(transactions).
    public static func render(_ result: RunResult) -> String {
        let tracker = result.transactions
        var rows = [header]
        rows.reserveCapacity(tracker.count + 1)
        for index in 0..<tracker.count {
            var row = [String(index), tracker.ids[index].hex, tracker.kinds[index], tracker.regions[index].rawValue,
                       seconds(tracker.submittedNanos[index])]
            for stage in LatencyStage.allCases {
                row.append(tracker.time(of: stage, at: index).map(seconds) ?? "")
            }
            switch tracker.outcome(at: index) {
            case .accepted: row += ["accepted", "", String(tracker.finalizedHeights[index])]
            case .rejected(let reason): row += ["rejected", reason.rawValue, ""]
            case .pending: row += ["pending", "", ""]
            }
            rows.append(row.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    private static func seconds(_ nanos: Int64) -> String { String(format: "%.6f", Double(nanos) / 1e9) }
}
