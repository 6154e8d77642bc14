import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG; no script, no network) with the
/// verdicts first and the charts after: throughput over time, latency percentiles and CDF,
/// per-shard load, grid frequency, price and volume over the run.
public enum HTMLReport {
    /// The ids of the charts the page draws, in page order (`price` and `volume` only when
    /// something traded: without trades the page says so instead of drawing an empty chart and
    /// a flat line at zero).
    public static let chartIDs = ["tps", "latency-percentiles", "latency-cdf", "shard-load", "frequency", "price",
                                  "volume"]

    public static func render(_ report: Report) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>GridTokenX report: \(escape(report.manifest.scenario)) seed \(report.manifest.seed)</title>
        <style>\(style)</style></head><body>
        """
        html += summary(report)
        html += charts(report)
        html += tables(report)
        html += "</body></html>\n"
        return html
    }

    private static func summary(_ report: Report) -> String {
        let manifest = report.manifest
        let missed = report.targets.filter { !$0.met }.count
        let healthy = missed == 0 && report.violations.isEmpty
        var html = "<h1>\(escape(manifest.scenario)) · seed \(manifest.seed)</h1>"
        html += "<p class=\"meta\">\(format(manifest.simulatedSeconds)) s simulated · digest <code>\(manifest.digest.prefix(16))…</code> · stopped: \(escape(manifest.stopReason)) · cost profile \(escape(manifest.costProfile)) · signatures \(escape(manifest.signatureScheme))</p>"
        if let load = manifest.load { html += "<p class=\"meta\">Load: \(escape(load.sentence)).</p>" }
        let verdict = report.violations.isEmpty
            ? (report.targets.isEmpty ? "No targets set; every invariant held."
                : missed == 0 ? "Every target met; every invariant held."
                : "\(missed) of \(report.targets.count) targets missed; every invariant held.")
            : "\(report.violations.count) invariant\(report.violations.count == 1 ? "" : "s") broken."
        html += "<p class=\"banner \(healthy ? "ok" : "bad")\">\(verdict)</p>"
        if let mutation = report.consensus.mutation {
            html += "<p><b>Mutation <code>\(escape(mutation))</code></b>: a deliberately broken protocol or cross-shard rule, run to test the checkers.</p>"
        }
        if let warnings = manifest.warnings, !warnings.isEmpty {
            html += "<p>Scenario warnings (values this run ignored):</p><ul>"
                + warnings.map { "<li><code>\(escape($0))</code></li>" }.joined() + "</ul>"
        }
        if !report.violations.isEmpty {
            html += "<ul>" + report.violations.map {
                "<li>\(escape($0.kind)) <code>\(escape($0.invariant))</code> at \(escape($0.place)): \(escape($0.detail))</li>"
            }.joined() + "</ul>"
        }
        if !report.targets.isEmpty {
            html += "<table><tr><th>target</th><th>measured</th><th>verdict</th><th>why</th></tr>"
            for target in report.targets {
                let measured = target.measured.isNaN ? "no samples" : "\(format(target.measured)) \(escape(target.unit))"
                let verdict = target.met ? "met" : target.reachable ? "missed" : "missed: out of reach"
                html += "<tr><td><code>\(escape(target.target))</code></td><td class=\"n\">\(measured)</td><td class=\"\(target.met ? "ok" : "bad")\">\(verdict)</td><td>\(escape(target.reason))</td></tr>"
            }
            html += "</table>"
        }
        let capacity = report.capacity
        html += "<p>Capacity of this configuration: throughput at most \(escape(capacity.tpsArithmetic)); admission at least \(escape(capacity.admissionArithmetic)); finality at least \(escape(capacity.finalityArithmetic)).</p>"
        let transactions = report.transactions
        html += "<p><b>\(transactions.submitted)</b> submitted = <b>\(transactions.accepted)</b> accepted + <b>\(transactions.rejected)</b> rejected + <b>\(transactions.pending)</b> pending · <b>\(format(report.throughput.tps)) tx/s</b> finalized after warm-up"
        if !transactions.rejectedByReason.isEmpty {
            html += " · rejected: " + transactions.rejectedByReason.sorted { $0.key < $1.key }
                .map { "\(escape($0.key)) \($0.value)" }.joined(separator: ", ")
        }
        if transactions.relayedStepsRejected > 0 {
            html += " (\(transactions.relayedStepsRejected) of them relayed cross-shard steps, each sent again until final)"
        }
        if transactions.refusedByFullMempools > 0 {
            html += " (\(transactions.refusedByFullMempools) refused by full mempools)"
        }
        return html + "</p>"
    }

    private static func charts(_ report: Report) -> String {
        let series = report.series
        var html = ""
        func figure(_ title: String, _ svg: String) {
            html += "<figure><figcaption>\(escape(title))</figcaption>\(svg)</figure>"
        }
        figure("Throughput: transactions finalized per second (\(format(series.bucketSeconds)) s buckets)",
               SVGChart.line(id: "tps", series: [ChartSeries(name: "tx/s", points: Array(zip(series.startSeconds, series.tps)).map { (x: $0.0, y: $0.1) })],
                             xLabel: "simulated time (s)", yLabel: "tx/s"))
        let stages = MarkdownReport.stageRows(report.latency.stages).filter { $0.1.count > 0 }
        let statistics = ["p50", "p90", "p99", "p99.9", "max"]
        figure("Latency percentiles by stage (simulated ms)",
               SVGChart.bars(id: "latency-percentiles", categories: statistics,
                             series: stages.map { name, summary in
                                 ChartSeries(name: name, points: [summary.p50Ms, summary.p90Ms, summary.p99Ms, summary.p999Ms, summary.maxMs]
                                     .enumerated().map { (x: Double($0.offset), y: $0.element) })
                             }, yLabel: "ms"))
        figure("Latency CDF by stage (share of transactions at or below, log time axis)",
               SVGChart.line(id: "latency-cdf", series: stages.map { name, summary in
                   ChartSeries(name: name, points: (summary.cdf ?? []).map { (x: max($0.ms, 0.001), y: $0.percentile) })
               }, xLabel: "latency (ms)", yLabel: "percentile", logX: true))
        // A shard the autoscaler created or merged away is drawn over the buckets of its life only.
        figure("Load per shard: transactions finalized per second",
               SVGChart.line(id: "shard-load", series: report.shards.map { shard in
                   ChartSeries(name: "shard \(shard.id)", points: zip(series.startSeconds, shard.finalizedPerBucket)
                       .filter { start, _ in
                           start + series.bucketSeconds > (shard.createdSeconds ?? 0) && start < (shard.removedSeconds ?? .infinity)
                       }
                       .map { (x: $0.0, y: Double($0.1) / series.bucketSeconds) })
               }, xLabel: "simulated time (s)", yLabel: "tx/s"))
        figure("Grid frequency",
               SVGChart.line(id: "frequency", series: [ChartSeries(name: "Hz", points: zip(series.gridTimeSeconds, series.frequencyHz).map { (x: $0.0, y: $0.1) })],
                             xLabel: "simulated time (s)", yLabel: "Hz", zeroBased: false))
        let traded = series.startSeconds.indices.filter { series.tradedWh[$0] > 0 }
        if traded.isEmpty {
            html += "<p>Average traded price and traded energy: no energy was traded, so there is no price or volume to chart.</p>"
        } else {
            figure("Average traded price per bucket (tokens/kWh)",
                   SVGChart.line(id: "price", series: [ChartSeries(name: "tokens/kWh", points: traded.map {
                       (x: series.startSeconds[$0], y: Double(series.averagePriceMicroPerKwh[$0]) / 1e6)
                   })], xLabel: "simulated time (s)", yLabel: "tokens/kWh"))
            figure("Traded energy per bucket (kWh)",
                   SVGChart.line(id: "volume", series: [ChartSeries(name: "kWh", points: series.startSeconds.indices.map {
                       (x: series.startSeconds[$0], y: Double(series.tradedWh[$0]) / 1000)
                   })], xLabel: "simulated time (s)", yLabel: "kWh"))
        }
        if report.autoscaler != nil {
            html += (Report.autoscalerLines(report) + Report.crossShardLines(report)).map { "<p>\(inline($0))</p>" }.joined()
        } else {
            html += "<p>Autoscaler: not enabled (one shard serves every region).</p>"
        }
        return "<h2>Charts</h2>" + html
    }

    private static func tables(_ report: Report) -> String {
        var html = "<h2>Latency (simulated ms)</h2><table><tr><th>stage</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>"
        func row(_ name: String, _ summary: LatencySummary) -> String {
            guard summary.count > 0 else { return "<tr><td>\(escape(name))</td><td class=\"n\">0</td>" + String(repeating: "<td class=\"n\">–</td>", count: 5) + "</tr>" }
            return "<tr><td>\(escape(name))</td><td class=\"n\">\(summary.count)</td>" + [summary.p50Ms, summary.p90Ms, summary.p99Ms, summary.p999Ms, summary.maxMs]
                .map { "<td class=\"n\">\(format($0))</td>" }.joined() + "</tr>"
        }
        for (name, summary) in MarkdownReport.stageRows(report.latency.stages) { html += row(name, summary) }
        for (region, stages) in report.latency.byRegion.sorted(by: { $0.key < $1.key }) {
            html += row("\(region) · admission", stages.admission) + row("\(region) · finality", stages.finality)
        }
        html += "</table>"
        html += "<h2>Shards</h2><table><tr><th>shard</th><th>regions</th><th>validators</th><th>tx/s</th><th>admission p99 (ms)</th><th>finality p99 (ms)</th><th>CPU</th><th>memory peak (model)</th><th>mempool peak</th><th>blocks</th></tr>"
        for shard in report.shards {
            html += "<tr><td class=\"n\">\(shard.id)</td><td>\(escape(shard.regions.joined(separator: ", ")))</td><td class=\"n\">\(shard.validators)</td><td class=\"n\">\(format(shard.tps))</td><td class=\"n\">\(shard.admission.count > 0 ? format(shard.admission.p99Ms) : "–")</td><td class=\"n\">\(shard.finality.count > 0 ? format(shard.finality.p99Ms) : "–")</td><td class=\"n\">\(format(Double(shard.cpuUtilisationBp) / 100)) %</td><td class=\"n\">\(format(Double(shard.memoryPeakBytes) / 1_048_576)) MiB</td><td class=\"n\">\(shard.mempoolPeak.map(String.init) ?? "–")</td><td class=\"n\">\(shard.blocks.map(String.init) ?? "–")</td></tr>"
        }
        html += "</table>"
        html += "<h2>Against the seed's dashboard</h2><table><tr><th>seed figure</th><th>seed</th><th>this run</th><th>compared to</th></tr>"
        for row in report.seedDashboard {
            html += "<tr><td>\(escape(row.figure))</td><td class=\"n\">\(escape(row.seed))</td><td class=\"n\">\(escape(row.measuredText)) \(escape(row.unit))</td><td><code>\(escape(row.comparedTo))</code></td></tr>"
        }
        html += "</table>"
        let market = report.market, grid = report.grid, consensus = report.consensus, harness = report.harness
        html += "<h2>Market, grid, consensus</h2><p>\(market.trades) trades · \(format(Double(market.energyWh) / 1000)) kWh · \(format(Double(market.valueMicro) / 1e6)) tokens · average \(format(Double(market.averagePriceMicroPerKwh) / 1e6)) tokens/kWh · renewable \(format(Double(market.renewableShareBp) / 100)) % · \(format(market.creditsIssued)) credits</p>"
        html += "<p>Carbon intensity \(format(grid.carbonIntensityGPerKwh)) g/kWh · \(format(grid.carbonSavedKg)) kg CO2 saved · stable \(format(Double(grid.stabilityBp) / 100)) % · frequency \(String(format: "%.3f", grid.frequencyMinHz))–\(String(format: "%.3f", grid.frequencyMaxHz)) Hz · grid approved \(grid.tradesApproved), conditional \(grid.tradesConditional), rejected \(grid.tradesRejected)</p>"
        html += "<p>\(report.chainProgress) · \(consensus.activeValidators)/\(consensus.validators) validators active · block time \(format(consensus.blockTimeMsMean)) ms · rounds mean \(format(consensus.roundsMean)) · missed votes \(consensus.missedVotes) · validator CPU \(format(Double(consensus.cpuUtilisationBp) / 100)) %</p>"
        let governance = Report.governanceLines(report.governance)
        if !governance.isEmpty {
            html += "<h2>Governance</h2>" + governance.map { "<p>\(inline($0))</p>" }.joined()
        }
        html += "<h2>Harness (wall clock, not part of the digest)</h2><p>\(harness.events) events in \(format(harness.wallSeconds)) s · \(format(harness.eventsPerSecond)) events/s · \(format(harness.simToWallRatio))× real time · peak RSS \(harness.peakRssBytes / 1_048_576) MiB</p>"
        return html
    }

    private static let style = """
    body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
    h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
    .meta{color:#555}.banner{padding:.6em 1em;border-radius:4px;font-weight:600}
    .banner.ok{background:#e6f4ea}.banner.bad{background:#fce8e6}
    td.ok{color:#137333}td.bad{color:#c5221f;font-weight:600}
    table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
    td.n{text-align:right;font-variant-numeric:tabular-nums}
    figure{margin:1.2em 0}figcaption{font-weight:600;margin-bottom:.3em}
    svg.chart{width:100%;height:auto;font-size:11px;background:#fcfcfc}
    svg .axis{stroke:#444}svg .grid{stroke:#e4e4e4}
    """

    private static func format(_ value: Double) -> String { escape(MarkdownReport.format(value)) }

    private static func escape(_ text: String) -> String { SVGChart.escape(text) }

    /// A line written for both reports, escaped, with its Markdown emphasis (`**…**`) and code
    /// (`` `…` ``) as HTML instead of literal asterisks and backticks.
    private static func inline(_ line: String) -> String {
        func tagged(_ text: String, _ marker: String, _ tag: String) -> String {
            let parts = text.components(separatedBy: marker)
            guard parts.count % 2 == 1 else { return text }
            return parts.enumerated().map { $0.offset % 2 == 1 ? "<\(tag)>\($0.element)</\(tag)>" : $0.element }.joined()
        }
        return tagged(tagged(escape(line), "**", "b"), "`", "code")
    }
}
