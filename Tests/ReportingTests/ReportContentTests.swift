import Foundation
import GridCore
import Reporting
import Scenario
import Simulation
import Testing

/// The smoke scenario: a minute of trading across regions, so every latency stage has samples.
private func tradingRun() throws -> (Report, RunResult) {
    let scenario = try ScenarioLoader.load(path: scenarioPath("smoke.yaml"))
    let result = Simulator(scenario: scenario, seed: 2, costProfile: .reference).run()
    return (makeReport(result, bucketSeconds: 5), result)
}

/// The points chart `id` of `html` draws; fails the test when the page has no such chart.
private func chartPoints(_ id: String, in html: String) throws -> Int {
    let start = try #require(html.range(of: "id=\"\(id)\" data-points=\""), "chart \(id) is drawn")
    return Int(html[start.upperBound...].prefix { $0.isNumber }) ?? 0
}

@Suite struct ReportContentTests {
    @Test func everyStageOfTheTaxonomyIsMeasuredInCausalOrder() throws {
        let (report, result) = try tradingRun()
        let latency = report.latency
        for (name, summary) in [("admission", latency.admission), ("inclusion", latency.inclusion),
                                ("finality", latency.finality), ("match", latency.match),
                                ("settlement", latency.settlement)] {
            #expect(summary.count > 0, "\(name) has samples")
        }
        #expect(latency.admission.p50Ms < latency.inclusion.p50Ms)
        #expect(latency.inclusion.p50Ms < latency.finality.p50Ms)
        let tracker = result.transactions
        for index in 0..<tracker.count {
            guard let matched = tracker.time(of: .match, at: index) else { continue }
            #expect(tracker.kinds[index] == "order")
            let finalized = try #require(tracker.time(of: .finality, at: index))
            #expect(finalized <= matched, "an order trades at the earliest in the block that finalizes it")
            if let settled = tracker.time(of: .settlement, at: index) { #expect(matched < settled) }
        }
        #expect(latency.match.p50Ms < latency.settlement.p50Ms, "settlement waits for the delivery window")
        #expect(Set(latency.byRegion.keys).isSuperset(of: ["bangkok", "east", "north"]), "the participants' regions")
        let perRegion = latency.byRegion.values.reduce(0) { $0 + $1.finality.count }
        #expect(perRegion == latency.finality.count, "every finalized transaction is in exactly one region")
    }

    @Test func theCDFRisesToTheMaximum() throws {
        let (report, _) = try tradingRun()
        let cdf = try #require(report.latency.finality.cdf)
        #expect(cdf.first?.percentile == 0 && cdf.last?.percentile == 100)
        #expect(zip(cdf, cdf.dropFirst()).allSatisfy { $0.ms <= $1.ms && $0.percentile < $1.percentile })
        #expect(cdf.last?.ms == report.latency.finality.maxMs)
        #expect(report.latency.byRegion["bangkok"]?.finality.cdf == nil, "only the overall stages carry a CDF")
    }

    @Test func theTimeSeriesAddsUpToTheTotals() throws {
        let (report, result) = try tradingRun()
        let series = report.series
        #expect(series.bucketSeconds == 5)
        #expect(series.startSeconds.count == 12)
        #expect(series.submitted.reduce(0, +) == report.transactions.submitted)
        #expect(series.finalized.reduce(0, +) == report.transactions.accepted)
        #expect(series.tradedWh.reduce(0, +) == report.market.energyWh)
        #expect(series.tradedValueMicro.reduce(0, +) == report.market.valueMicro)
        #expect(series.frequencyHz.count == result.gridSamples.count)
        #expect(report.shards.map(\.finalizedPerBucket) == [series.finalized])
        #expect(report.resources.count == 4)
        #expect(report.resources.allSatisfy { $0.cpuBusyBp > 0 && $0.cpuBusyBp <= 10_000 })
        #expect(report.resources.allSatisfy { $0.memoryPeakBytes > 0 })
        #expect(report.shards.first?.memoryPeakBytes == report.resources.map(\.memoryPeakBytes).max())
    }

    @Test func theSeedDashboardNamesWhatEachFigureIsComparedTo() throws {
        let (report, _) = try tradingRun()
        let rows = report.seedDashboard
        #expect(rows.count >= 14)
        #expect(rows.allSatisfy { !$0.comparedTo.isEmpty && !$0.seed.isEmpty })
        let energy = try #require(rows.first { $0.figure == "daily traded energy" })
        #expect(abs(energy.measured - Double(report.market.energyWh) / 1000 * 86_400 / 60) < 1e-6)
        #expect(energy.comparedTo.contains("scaled to 24 h"))
        let tps = try #require(rows.first { $0.figure == "TPS (monitoring panel)" })
        #expect(tps.measured == report.throughput.tps && tps.seedValue == 1_250)
        // Each measured figure is written to its seed figure's precision.
        let frequency = try #require(rows.first { $0.figure == "grid frequency" })
        #expect(frequency.measuredText == String(format: "%.2f", report.grid.frequencyMaxHz) && frequency.measuredText != "50.00")
        #expect(report.throughput.tps >= 10 && report.throughput.tps < 100)
        #expect(tps.measuredText == String(format: "%.1f", report.throughput.tps), "three significant digits")
        let validators = try #require(rows.first { $0.figure == "active validators (network health)" })
        #expect(validators.measuredText == "\(report.consensus.activeValidators)")
        let price = try #require(rows.first { $0.figure == "average price" })
        #expect(price.measuredText.split(separator: ".").last?.count == 2)
    }

    @Test func theHTMLPageIsSelfContainedAndEveryChartHasData() throws {
        let (report, _) = try tradingRun()
        let html = HTMLReport.render(report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("<link"), "no external resources")
        for id in HTMLReport.chartIDs {
            #expect(try chartPoints(id, in: html) > 0, "chart \(id) has data")
        }
        #expect(html.contains("tps &gt;= 8"), "the smoke scenario's target, escaped")
    }

    /// Neighbouring ticks read differently on every axis: the grid frequency moves by
    /// hundredths of a hertz, and its ticks (50.000, 50.005, …) were all labelled "50".
    @Test func noTwoTicksOfAnAxisReadTheSame() throws {
        let (report, _) = try tradingRun()
        let html = HTMLReport.render(report)
        func yLabels(_ id: String) throws -> [String] {
            let start = try #require(html.range(of: "id=\"\(id)\""))
            let chart = html[start.upperBound...].components(separatedBy: "</svg>")[0]
            return chart.components(separatedBy: "text-anchor=\"end\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
        }
        for id in HTMLReport.chartIDs {
            let labels = try yLabels(id)
            #expect(labels.count >= 2, "\(id) has a y axis")
            #expect(Set(labels).count == labels.count, "\(id): \(labels)")
        }
        #expect(try yLabels("frequency").contains("50.005"), "frequency ticks a few mHz apart")
    }

    /// A mutated run says so at the top of both pages, beside what it broke; a check of no
    /// block (a reshard's) gives no height.
    @Test func aMutatedRunSaysSoBesideTheBrokenInvariant() throws {
        let scenario = try ScenarioLoader.load(path: scenarioPath("shard-surge.yaml"))
        let result = Simulator(scenario: scenario, seed: 1, costProfile: .reference,
                               mutation: .exchange(.splitKeepsEscrow)).run()
        let report = makeReport(result, bucketSeconds: 5)
        #expect(report.consensus.mutation == "split-keeps-escrow")
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("- safety `reshard-conservation` at t = 75 s: shard 1's new state:"), "\(markdown)")
        #expect(markdown.contains("**Mutation `split-keeps-escrow`:** a deliberately broken protocol or cross-shard rule"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<code>reshard-conservation</code> at t = 75 s: shard 1's new state:"), "\(html.prefix(2_000))")
        #expect(html.contains("<b>Mutation <code>split-keeps-escrow</code></b>"))
        #expect(html.contains("75 s — <b>split</b> of shards 1 and 3 (east moved)"), "the autoscaler's line in HTML")
        #expect(!html.contains("**"), "no Markdown emphasis left as text")
        let clean = makeReport(Simulator(scenario: scenario, seed: 1, costProfile: .reference).run(), bucketSeconds: 5)
        #expect(!MarkdownReport.render(clean).contains("Mutation") && !HTMLReport.render(clean).contains("Mutation"))
    }

    /// The report says how the load arrived, since a closed loop's throughput and latency hold
    /// each other back and an open loop's do not: the controller and the fields it used, in
    /// `report.json` and as a line on both pages. A report from before has no load and still reads.
    @Test func theReportNamesTheLoadModelItsFiguresAreReadAgainst() throws {
        let closed = try ScenarioLoader.load(path: scenarioPath("smoke.yaml"), overrides: [
            "run.duration=10 s", "load.controller=closed-loop", "load.outstanding=20", "load.think_time=2 s",
        ])
        let report = makeReport(Simulator(scenario: closed, seed: 1, costProfile: .reference).run())
        let load = try #require(report.manifest.load)
        #expect(load.controller == "closed-loop" && load.outstanding == 20 && load.thinkTimeSeconds == 2)
        #expect(load.backoffSeconds == 1 && load.dailyProfiles == nil && load.schedulePoints == nil)
        let json = try report.json()
        #expect(try Report.decode(json).manifest.load == load)
        #expect(String(decoding: json, as: UTF8.self).contains("\"think_time_seconds\" : 2"))
        let sentence = "Load: closed loop: 20 transactions in flight; a client sends its next 2 s after a response on average"
        #expect(MarkdownReport.render(report).contains(sentence))
        #expect(HTMLReport.render(report).contains(sentence))
        #expect(MarkdownReport.render(report).contains("in flight = throughput × (latency + think time)"))

        let open = try ScenarioLoader.load(path: scenarioPath("smoke.yaml"), overrides: ["run.duration=10 s"])
        let openReport = makeReport(Simulator(scenario: open, seed: 1, costProfile: .reference).run())
        #expect(openReport.manifest.load == Report.LoadModel(open.load))
        #expect(openReport.manifest.load?.outstanding == nil && openReport.manifest.load?.dailyProfiles == true)
        #expect(MarkdownReport.render(openReport).contains(
            "Load: Poisson open loop (exponential gaps that never wait on responses), consumers on their daily curves."))

        var fields = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        var manifest = try #require(fields["manifest"] as? [String: Any])
        manifest["load"] = nil
        fields["manifest"] = manifest
        let older = try Report.decode(try JSONSerialization.data(withJSONObject: fields))
        #expect(older.manifest.load == nil && !MarkdownReport.render(older).contains("Load:"))
    }

    /// A run without trades (payments only) says there is no price or volume rather than
    /// drawing an empty chart, which the browser check (`scripts/report-check.sh`) refused on
    /// `shard-stress`, and a flat line at zero.
    @Test func aRunWithoutTradesHasNoEmptyPriceOrVolumeChart() throws {
        let scenario = try ScenarioLoader.load(path: scenarioPath("smoke.yaml"), overrides: [
            "run.duration=20 s", "participants=[{class: residential, count: 20, region: bangkok, tx_rate: 1 /s, coins: 4}]",
        ])
        let report = makeReport(Simulator(scenario: scenario, seed: 1, costProfile: .reference).run(), bucketSeconds: 5)
        #expect(report.market.trades == 0 && report.transactions.accepted > 0)
        let html = HTMLReport.render(report)
        #expect(!html.contains("id=\"price\"") && !html.contains("id=\"volume\""))
        #expect(html.contains("no energy was traded, so there is no price or volume to chart"))
        for id in HTMLReport.chartIDs where id != "price" && id != "volume" {
            #expect(try chartPoints(id, in: html) > 0, "chart \(id) has data")
        }
    }

    @Test func transactionsCSVHasOneRowPerTransactionAndTheSameOutcomes() throws {
        let (report, result) = try tradingRun()
        let lines = TransactionsCSV.render(result).split(separator: "\n")
        #expect(lines.first.map(String.init) == TransactionsCSV.header)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == report.transactions.submitted)
        #expect(rows.allSatisfy { $0.count == 13 })
        #expect(rows.filter { $0[10] == "accepted" }.count == report.transactions.accepted)
        #expect(rows.filter { $0[10] == "rejected" }.count == report.transactions.rejected)
        #expect(rows.filter { $0[10] == "pending" }.count == report.transactions.pending)
        #expect(rows.filter { !$0[8].isEmpty }.count >= report.latency.match.count)
    }
}

@Suite struct ReportComparisonTests {
    @Test func anInjectedTwentyPercentRegressionIsFlaggedAndAnIdenticalPairPasses() throws {
        let (report, _) = try tradingRun()
        let same = ReportComparison(baseline: report, candidate: report, threshold: 0.10)
        #expect(same.regressions.isEmpty)
        #expect(same.rows.contains { $0.metric == "throughput.tps" })

        var slower = report
        slower.throughput.tps *= 0.8
        slower.latency.finality.p99Ms *= 1.2
        let regressed = ReportComparison(baseline: report, candidate: slower, threshold: 0.10)
        #expect(Set(regressed.regressions.map(\.metric)) == ["throughput.tps", "latency.finality.p99_ms"])
        #expect(ReportComparison(baseline: report, candidate: slower, threshold: 0.25).regressions.isEmpty)

        var faster = report
        faster.throughput.tps *= 1.2
        #expect(ReportComparison(baseline: report, candidate: faster, threshold: 0.10).regressions.isEmpty,
                 "an improvement is not a regression")
        #expect(same.setupDifferences.isEmpty && regressed.setupDifferences.isEmpty)
        #expect(!same.render().contains("set up differently"))
    }

    /// Two reports of runs set up differently (another seed, an override, another load model)
    /// are still compared, and the comparison says how they differ, first, since a metric's change
    /// may come from that rather than from the code.
    @Test func aComparisonSaysHowTheTwoRunsWereSetUpDifferently() throws {
        let (report, _) = try tradingRun()
        let other = try ScenarioLoader.load(path: scenarioPath("smoke.yaml"), overrides: [
            "load.controller=closed-loop", "load.outstanding=20",
        ])
        let candidate = makeReport(Simulator(scenario: other, seed: 3, costProfile: .reference).run(), bucketSeconds: 5)
        let comparison = ReportComparison(baseline: report, candidate: candidate, threshold: 0.10)
        #expect(comparison.setupDifferences.count == 3, "\(comparison.setupDifferences)")
        #expect(comparison.setupDifferences.first == "seed: 2 → 3")
        #expect(comparison.setupDifferences[1] == "overrides: none → load.controller=closed-loop, load.outstanding=20")
        #expect(comparison.setupDifferences[2].hasPrefix("load: Poisson open loop (exponential gaps that never wait on "
                                                         + "responses), consumers on their daily curves → closed loop: 20 transactions in flight"))
        let rendered = comparison.render()
        #expect(rendered.hasPrefix("The runs were set up differently, so a change below may come from that rather than the code:\n  seed: 2 → 3\n"))
        #expect(rendered.contains("metric                                  baseline"))
        var older = candidate
        older.manifest.load = nil
        let againstOlder = ReportComparison(baseline: report, candidate: older, threshold: 0.10)
        #expect(!againstOlder.setupDifferences.contains { $0.hasPrefix("load:") },
                "a report from before the load model was recorded is not counted as another load")

        #expect(candidate.manifest.gridData == scenarioPath("data/thai-grid.yaml"))
        #expect(candidate.manifest.gridDataHash == other.grid.dataHash.hex && report.manifest.gridDataHash == other.grid.dataHash.hex)
        var otherGrid = candidate
        otherGrid.manifest.gridDataHash = String(repeating: "ab", count: 32)
        #expect(ReportComparison(baseline: report, candidate: otherGrid, threshold: 0.10).setupDifferences.last
                == "grid data: hash \(other.grid.dataHash.hex.prefix(12)) → hash abababababab")
        otherGrid.manifest.gridDataHash = nil
        #expect(!ReportComparison(baseline: report, candidate: otherGrid, threshold: 0.10).setupDifferences
                    .contains { $0.hasPrefix("grid data:") },
                "a report from before the grid data was recorded is not counted as other grid data")
    }
}
