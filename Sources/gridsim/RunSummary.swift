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
            "tps      \(format(report.throughput.tps))   finality p50 \(format(f.p50Ms)) ms  p99 \(format(f.p99Ms)) ms   "
                + report.chainProgress.lowercased(),
        ]
        for target in report.targets {
            let measured = target.measured.isNaN ? "no samples" : "measured \(format(target.measured)) \(target.unit)"
            lines.append("target   \(target.met ? "met   " : "MISSED") \(target.target)  (\(measured))")
            if !target.met { lines.append("         \(target.reason)") }
        }
        lines += shardLines(report)
        lines.append("harness  \(report.harness.events) events in \(format(report.harness.wallSeconds)) s (\(format(report.harness.simToWallRatio))× real time)")
        lines.append("report   \(directory)/report.html (and report.md, report.json)")
        return lines.joined(separator: "\n")
    }

    /// A sharded run's shards (one line each, with the blocks of its chains), the autoscaler's
    /// changes and the cross-shard transfers' outcomes; nothing for a run without sharding.
    private static func shardLines(_ report: Report) -> [String] {
        guard let autoscaler = report.autoscaler else { return [] }
        var lines = report.shards.map { shard in
            var line = "shard \(shard.id)  \(shard.regions.joined(separator: ", ")) · \(format(shard.tps)) tx/s"
            if shard.finality.count > 0 { line += " · finality p99 \(format(shard.finality.p99Ms)) ms" }
            if let blocks = shard.blocks { line += " · \(blocks) blocks" }
            if let created = shard.createdSeconds, created > 0 { line += " · from \(format(created)) s" }
            if let removed = shard.removedSeconds { line += " · merged away at \(format(removed)) s" }
            return line
        }
        let shown = 4
        var changes = autoscaler.events.prefix(shown).map { event in
            let what = switch event.action {
            case "split": "split of shard \(event.shards[0]) (\(event.regions.joined(separator: ", ")) to shard \(event.shards[1]))"
            case "merge": "merge of shard \(event.shards[1]) into \(event.shards[0])"
            default: "\(event.action) of shard \(event.shards.map(String.init).joined(separator: " and "))"
            }
            return "\(format(event.timeSeconds)) s \(what)"
        }
        if autoscaler.events.count > shown { changes.append("and \(autoscaler.events.count - shown) more") }
        lines.append("reshard  " + (changes.isEmpty ? "none" : changes.joined(separator: " · ")))
        if let cross = report.crossShard {
            var line = "cross    locked \(cross.locked) = delivered \(cross.delivered) + refunded \(cross.refunded)"
                + " + awaiting credit \(cross.awaitingCredit) + awaiting settlement \(cross.awaitingSettlement)"
            if cross.credit.count > 0 { line += "   credit p99 \(format(cross.credit.p99Ms)) ms" }
            lines.append(line)
        }
        return lines
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(format: value >= 100 ? "%.0f" : "%.2f", value) : "n/a"
    }
}
