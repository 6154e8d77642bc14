import Foundation
import Reporting

/// The short summary `gridsim run` prints.
enum RunSummary {
    static func render(_ report: Report, directory: String) -> String {
        let t = report.transactions
        let f = report.latency.finality
        var lines = [
            "scenario \(report.manifest.scenario) · seed \(report.manifest.seed) · \(format(report.manifest.simulatedSeconds)) s simulated",
            "digest   \(report.manifest.digest)",
            "load     \(report.manifest.load?.brief ?? "not recorded")",
            "tx       submitted \(t.submitted) = accepted \(t.accepted) + rejected \(t.rejected) + pending \(t.pending)",
            "tps      \(format(report.throughput.tps))   finality p50 \(format(f.p50Ms)) ms  p99 \(format(f.p99Ms)) ms   height \(report.consensus.height)",
        ]
        for target in report.targets {
            let measured = target.measured.isNaN ? "no samples" : "measured \(format(target.measured)) \(target.unit)"
            lines.append("target   \(target.met ? "met   " : "MISSED") \(target.target)  (\(measured))")
            if !target.met { lines.append("         \(target.reason)") }
        }
        lines.append("harness  \(report.harness.events) events in \(format(report.harness.wallSeconds)) s (\(format(report.harness.simToWallRatio))× real time)")
        lines.append("report   \(directory)/report.html (and report.md, report.json)")
        return lines.joined(separator: "\n")
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(format: value >= 100 ? "%.0f" : "%.2f", value) : "n/a"
    }
}
