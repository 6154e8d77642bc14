import Foundation

/// The differences between two reports, metric by metric, and which of them regress past a
/// threshold: for `gridsim compare` in CI.
public struct ReportComparison: Sendable {
    /// Which way a metric gets better.
    public enum Direction: String, Sendable {
        case higherIsBetter = "higher is better"
        case lowerIsBetter = "lower is better"
        /// Shown, never a regression (e.g. traded volume).
        case informational
    }

    public struct Row: Sendable {
        public var metric: String
        public var direction: Direction
        public var baseline: Double
        public var candidate: Double
        /// (candidate − baseline) ÷ |baseline|; infinite when the baseline is 0 and the candidate is not.
        public var change: Double
        public var regressed: Bool
    }

    public var rows: [Row]
    /// The relative change past which a worse figure is a regression (0.10 = 10 %).
    public var threshold: Double
    /// How the two runs were set up differently, each as "what: baseline → candidate" (the
    /// scenario and its file, seed, overrides, cost profile, signatures, simulated time, load
    /// model, mutation): a metric's change may come from these rather than from the code.
    public var setupDifferences: [String]

    public var regressions: [Row] { rows.filter(\.regressed) }

    /// Compares `candidate` against `baseline`. With `includeHarness`, the harness's wall-clock
    /// speed counts too (noisy between machines and runs, so off by default).
    public init(baseline: Report, candidate: Report, threshold: Double, includeHarness: Bool = false) {
        precondition(threshold >= 0, "a threshold is not negative")
        self.threshold = threshold
        setupDifferences = ReportComparison.setupDifferences(baseline, candidate)
        var metrics: [(String, Direction, (Report) -> Double?)] = [
            ("throughput.tps", .higherIsBetter, { $0.throughput.tps }),
            ("transactions.rejected_share", .lowerIsBetter, {
                $0.transactions.submitted > 0 ? Double($0.transactions.rejected) / Double($0.transactions.submitted) : 0
            }),
            ("consensus.block_time_ms_mean", .lowerIsBetter, { $0.consensus.blockTimeMsMean }),
        ]
        for stage in ["admission", "inclusion", "finality", "match", "settlement"] {
            for (name, statistic) in [("p50_ms", "p50"), ("p99_ms", "p99")] {
                metrics.append(("latency.\(stage).\(name)", .lowerIsBetter, { report in
                    guard let summary = report.latency.stages.summary(of: stage), summary.count > 0 else { return nil }
                    return summary.statistic(statistic)
                }))
            }
        }
        // Each shard both runs had, by id (a split or merge in one run only leaves the others out),
        // and the cross-shard transfers' latency.
        let shardIDs = Set(candidate.shards.map(\.id))
        for id in baseline.shards.map(\.id) where shardIDs.contains(id) {
            func shard(_ report: Report) -> Report.Shard? { report.shards.first { $0.id == id } }
            metrics.append(("shards[\(id)].tps", .higherIsBetter, { shard($0)?.tps }))
            metrics.append(("shards[\(id)].finality.p99_ms", .lowerIsBetter, { report in
                guard let finality = shard(report)?.finality, finality.count > 0 else { return nil }
                return finality.p99Ms
            }))
        }
        for (name, summary) in [("credit", \Report.CrossShard.credit), ("settlement", \Report.CrossShard.settlement)] {
            metrics.append(("cross_shard.\(name).p99_ms", .lowerIsBetter, { report in
                guard let latency = report.crossShard?[keyPath: summary], latency.count > 0 else { return nil }
                return latency.p99Ms
            }))
        }
        metrics += [
            ("market.trades", .informational, { Double($0.market.trades) }),
            ("market.energy_wh", .informational, { Double($0.market.energyWh) }),
            ("market.average_price_micro_per_kwh", .informational, { Double($0.market.averagePriceMicroPerKwh) }),
        ]
        if includeHarness {
            metrics.append(("harness.events_per_second", .higherIsBetter, { $0.harness.eventsPerSecond }))
        }
        rows = metrics.compactMap { name, direction, value in
            guard let old = value(baseline), let new = value(candidate) else { return nil }
            let change = old == new ? 0 : old == 0 ? (new > 0 ? .infinity : -.infinity) : (new - old) / abs(old)
            let worse = switch direction {
            case .higherIsBetter: -change
            case .lowerIsBetter: change
            case .informational: 0.0
            }
            return Row(metric: name, direction: direction, baseline: old, candidate: new, change: change,
                       regressed: worse > threshold)
        }
    }

    /// What differs between the runs' manifests; a load model or grid data hash only one report
    /// recorded is not counted (reports before them had none).
    private static func setupDifferences(_ baseline: Report, _ candidate: Report) -> [String] {
        let old = baseline.manifest, new = candidate.manifest
        func overrides(_ manifest: Report.Manifest) -> String {
            manifest.overrides.isEmpty ? "none" : manifest.overrides.joined(separator: ", ")
        }
        var pairs: [(String, String, String)] = [
            ("scenario", old.scenario, new.scenario),
            ("scenario file", "hash " + old.scenarioHash.prefix(12), "hash " + new.scenarioHash.prefix(12)),
            ("seed", "\(old.seed)", "\(new.seed)"),
            ("overrides", overrides(old), overrides(new)),
            ("cost profile", old.costProfile, new.costProfile),
            ("signatures", old.signatureScheme, new.signatureScheme),
            ("simulated time", MarkdownReport.format(old.simulatedSeconds) + " s", MarkdownReport.format(new.simulatedSeconds) + " s"),
            ("mutation", baseline.consensus.mutation ?? "none", candidate.consensus.mutation ?? "none"),
        ]
        if let oldLoad = old.load, let newLoad = new.load { pairs.append(("load", oldLoad.sentence, newLoad.sentence)) }
        if let oldGrid = old.gridDataHash, let newGrid = new.gridDataHash {
            pairs.append(("grid data", "hash " + oldGrid.prefix(12), "hash " + newGrid.prefix(12)))
        }
        return pairs.filter { $0.1 != $0.2 }.map { "\($0.0): \($0.1) → \($0.2)" }
    }

    /// A table for the terminal, regressions first, after the set-up differences if any.
    public func render() -> String {
        var lines: [String] = []
        if !setupDifferences.isEmpty {
            lines.append("The runs were set up differently, so a change below may come from that rather than the code:")
            lines += setupDifferences.map { "  \($0)" }
            lines.append("")
        }
        lines.append("metric                                  baseline      candidate     change    verdict")
        for row in rows.sorted(by: { $0.regressed && !$1.regressed }) {
            let change = row.change.isFinite ? String(format: "%+.1f %%", row.change * 100) : "new"
            let verdict = row.regressed ? "REGRESSED" : row.direction == .informational ? "" : "ok"
            lines.append(row.metric.padding(toLength: 40, withPad: " ", startingAt: 0)
                + pad(String(format: "%.4g", row.baseline), 14) + pad(String(format: "%.4g", row.candidate), 14)
                + pad(change, 10) + "  " + verdict)
        }
        let count = regressions.count
        lines.append(count == 0 ? "no regression past \(String(format: "%.4g", threshold * 100)) %"
                                : "\(count) regression\(count == 1 ? "" : "s") past \(String(format: "%.4g", threshold * 100)) %")
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
