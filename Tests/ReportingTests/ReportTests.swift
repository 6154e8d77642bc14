import Foundation
import GridCore
import Reporting
import Scenario
import Simulation
import Testing

@Suite struct LatencySummaryTests {
    @Test func percentilesOfAKnownDistribution() {
        let values = (1...10_000).map { Int64($0) * 1_000_000 }  // 1 ms ... 10 s
        let summary = LatencySummary(nanoseconds: values)
        #expect(summary.count == 10_000)
        #expect(abs(summary.p50Ms - 5_000) <= 5)
        #expect(abs(summary.p90Ms - 9_000) <= 9)
        #expect(abs(summary.p99Ms - 9_900) <= 10)
        #expect(abs(summary.p999Ms - 9_990) <= 10)
        #expect(abs(summary.maxMs - 10_000) <= 10)
    }

    @Test func emptyIsZero() {
        let summary = LatencySummary(nanoseconds: [])
        #expect(summary.count == 0 && summary.p99Ms == 0)
    }
}

@Suite struct ReportTests {
    /// Runs scenario `text` (read as if it were `Scenarios/<name>`, so its grid data resolves)
    /// with `seed`, and reports on it.
    private func run(_ text: String, as name: String, seed: UInt64) throws -> (Scenario, RunResult, Report) {
        let scenario = try ScenarioLoader.parse(text, path: scenarioPath(name))
        let result = Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
        return (scenario, result, makeReport(result))
    }

    private func report(targets: [String]) throws -> Report {
        var text = """
        name: report-test
        run:
          duration: 8 s
        validators:
          count: 4
        consensus:
          block_interval: 1 s
        participants:
          - class: wind
            count: 10
            region: south
            tx_rate: 2 /s
          - class: industrial
            count: 10
            region: south
            tx_rate: 2 /s
        workload:
          invalid_share: 10 %
        targets:

        """
        for target in targets { text += "  - \(target)\n" }
        return try run(text, as: "report-test.yaml", seed: 3).2
    }

    @Test func countsAddUp() throws {
        let report = try report(targets: [])
        let t = report.transactions
        #expect(t.submitted == t.accepted + t.rejected + t.pending)
        #expect(t.rejected == t.rejectedByReason.values.reduce(0, +))
        #expect(t.rejectedByReason["bad_signature", default: 0] > 0)
        #expect(t.byKind.values.reduce(0) { $0 + $1.submitted } == t.submitted)
        #expect(t.byKind.values.reduce(0) { $0 + $1.rejected } == t.rejected)
        #expect(report.latency.finality.count <= t.accepted)
    }

    @Test func verdictsFollowTheFigures() throws {
        let report = try report(targets: ["tps >= 1", "tps >= 100000", "finality.p99 < 1 h", "finality.p50 < 1 ms"])
        #expect(report.targets.map(\.met) == [true, false, true, false])
        #expect(report.targets.map(\.reachable) == [true, false, true, false],
                 "1,000 tx per 1 s block caps tps; one voting round takes more than 1 ms")
        #expect(report.targets[1].reason.contains("out of reach by construction"))
        #expect(report.targets[3].reason.contains("out of reach by construction"))
        #expect(report.targets[0].reason.hasPrefix("measured"))
        #expect(report.targets[0].measured == report.throughput.tps)
        #expect(report.targets[2].measured == report.latency.finality.p99Ms)
        #expect(report.targets[2].unit == "ms")
        #expect(!report.allTargetsMet)
    }

    @Test func jsonUsesTheDocumentedNamesAndRoundTrips() throws {
        let report = try report(targets: ["tps >= 1"])
        let data = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let manifest = try #require(object["manifest"] as? [String: Any])
        #expect(Set(["version", "scenario", "seed", "digest"]).isSubset(of: manifest.keys))
        let latency = try #require(object["latency"] as? [String: Any])
        let finality = try #require(latency["finality"] as? [String: Any])
        #expect(Set(["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"]).isSubset(of: finality.keys))
        let harness = try #require(object["harness"] as? [String: Any])
        #expect(Set(["events", "events_per_second", "wall_seconds", "sim_to_wall_ratio", "peak_rss_bytes"])
            .isSubset(of: harness.keys))
        let transactions = try #require(object["transactions"] as? [String: Any])
        #expect(Set(["submitted", "accepted", "rejected", "pending"]).isSubset(of: transactions.keys))
        #expect((object["throughput"] as? [String: Any])?["tps"] != nil)
        let market = try #require(object["market"] as? [String: Any])
        #expect(Set(["trades", "energy_wh", "value_micro", "average_price_micro_per_kwh", "renewable_share_bp",
                     "credits_issued"]).isSubset(of: market.keys))
        let grid = try #require(object["grid"] as? [String: Any])
        #expect(Set(["renewable_share_bp", "carbon_intensity_g_per_kwh", "carbon_saved_kg", "stability_bp",
                     "trades_approved", "trades_conditional", "trades_rejected", "frequency_min_hz", "frequency_max_hz"])
            .isSubset(of: grid.keys))
        let decoded = try Report.decode(data)
        #expect(decoded.manifest.digest == report.manifest.digest)
        #expect(decoded.transactions.submitted == report.transactions.submitted)
    }

    /// Submissions that met a crashed validator and went to the next one are counted and
    /// explained; a report written before they were counted reads as having none.
    @Test func redirectedSubmissionsAreCountedAndExplained() throws {
        let scenario = try ScenarioLoader.load(path: scenarioPath("crash-restart.yaml"))
        let report = makeReport(Simulator(scenario: scenario, seed: 1, costProfile: .reference).run())
        #expect(report.transactions.redirected == 4)
        #expect(MarkdownReport.render(report).contains("Clients sent a submission again to the next validator 4 times"))
        let data = try report.json()
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var transactions = try #require(object["transactions"] as? [String: Any])
        #expect(transactions["redirected"] as? Int == 4)
        transactions["redirected"] = nil
        object["transactions"] = transactions
        let older = try Report.decode(JSONSerialization.data(withJSONObject: object))
        #expect(older.transactions.redirected == 0 && older.transactions.submitted == report.transactions.submitted)
        #expect(!MarkdownReport.render(older).contains("sent a submission again"))
    }

    /// The report of swarm seed `seed`, drawn as `gridsim run Scenarios/swarm.yaml --seed` draws it.
    private func swarmReport(seed: UInt64) throws -> Report {
        let (scenario, swarm) = SwarmDraw.apply(to: try ScenarioLoader.load(path: scenarioPath("swarm.yaml")), seed: seed)
        let result = Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
        return makeReport(result, swarm: swarm)
    }

    /// Swarm seed 29 draws three shards and two crashes: one settlement reaches a replica that
    /// has not finalized its lock. The report counts it apart and says it was sent again,
    /// and the transfer it belongs to is delivered. Seed 4 has cross-shard transfers and
    /// rejections, none of a relayed step: the report says nothing of relays.
    @Test func aRefusedRelayedStepIsCountedApartAndItsTransferIsNotLost() throws {
        let report = try swarmReport(seed: 29)
        let transactions = report.transactions
        #expect(transactions.relayedStepsRejected == 1)
        #expect(transactions.rejectedByReason == ["unknown_lock": 1])
        let settlements = try #require(transactions.byKind["settle_lock"])
        let credits = try #require(transactions.byKind["credit_transfer"])
        #expect(settlements.rejected == 1 && settlements.submitted == credits.accepted + 1,
                "the refused settlement was sent again as a new transaction")
        let transfers = try #require(report.crossShard)
        #expect(transfers.refunded == 0)
        #expect(transfers.delivered + transfers.awaitingSettlement == credits.accepted,
                "every credited transfer is delivered or still settling")
        #expect(MarkdownReport.render(report).contains("1 of the rejections are relayed steps of cross-shard transfers"))
        #expect(HTMLReport.render(report).contains("(1 of them relayed cross-shard steps, each sent again until final)"))

        let withoutRefusedSteps = try swarmReport(seed: 4)
        #expect(withoutRefusedSteps.transactions.rejected > 0)
        #expect((withoutRefusedSteps.transactions.byKind["credit_transfer"]?.accepted ?? 0) > 0)
        #expect(withoutRefusedSteps.transactions.relayedStepsRejected == 0)
        #expect(!MarkdownReport.render(withoutRefusedSteps).contains("relayed steps of cross-shard transfers"))
        #expect(!HTMLReport.render(withoutRefusedSteps).contains("relayed cross-shard steps"))
    }

    /// Two shards that fill their blocks, with 8 validators for committees of 4.
    private static let saturatedShards = """
    name: sharded-report-test
    run:
      duration: 40 s
      warmup: 5 s
    validators:
      count: 8
    consensus:
      block_interval: 1 s
      max_block_txs: 20
    market:
      areas: regional
    load:
      daily_profiles: false
      tps: 120
    sharding:
      shards: [[bangkok, east], [north, northeast, south]]
      committee: 4
      autoscaler: { interval: 5 s, sustain: 2 }
    participants:
      - { class: residential, count: 200, region: bangkok, tx_rate: 1 /s, coins: 8 }
      - { class: residential, count: 100, region: east, tx_rate: 1 /s, coins: 8 }
      - { class: residential, count: 100, region: north, tx_rate: 1 /s, coins: 8 }

    """

    /// The same saturated shards with mempools of 30: the overflow is refused at admission as
    /// `mempool_full`, the counts still add up, and both reports say what those rejections are.
    @Test func submissionsRefusedByFullMempoolsAreCountedAndExplained() throws {
        let text = Self.saturatedShards.replacingOccurrences(of: "max_block_txs: 20", with: "max_block_txs: 20\n  mempool_limit: 30")
        let (scenario, _, report) = try run(text, as: "sharded-report-test.yaml", seed: 1)
        #expect(scenario.consensus.mempoolLimit == 30)
        let transactions = report.transactions
        let refused = transactions.refusedByFullMempools
        #expect(refused > 1_000 && transactions.rejectedByReason == ["mempool_full": refused])
        #expect(transactions.submitted == transactions.accepted + transactions.rejected + transactions.pending)
        #expect(transactions.pending < 2 * 4 * 30, "at most a full pool on each member of the two committees waits (2,796 without a limit)")
        #expect(MarkdownReport.render(report).contains("\(refused) submissions were refused because their validator's mempool was full"))
        #expect(HTMLReport.render(report).contains("(\(refused) refused by full mempools)"))
        // Each shard's deepest mempool, which the limit holds at 30, is in both pages' shard tables.
        let peaks = report.shards.map(\.mempoolPeak)
        #expect(peaks.count == 2 && peaks.allSatisfy { $0 == 30 }, "\(peaks)")
        #expect(MarkdownReport.render(report).contains("| memory peak (model) | mempool peak | blocks |"))
        #expect(MarkdownReport.render(report).contains(" MiB | 30 |"))
        #expect(HTMLReport.render(report).contains("<th>mempool peak</th><th>blocks</th>"))
        let blocks = report.shards.compactMap(\.blocks)
        #expect(blocks.count == 2 && blocks.reduce(0, +) == report.consensus.blocks, "\(blocks)")
        #expect(HTMLReport.render(report).contains(" MiB</td><td class=\"n\">30</td><td class=\"n\">\(blocks[0])</td></tr>"))
        #expect(MarkdownReport.render(report).contains(" MiB | 30 | \(blocks[1]) |"))
        // Each shard's chain counts its own heights: the pages give the blocks of all of them.
        #expect(MarkdownReport.render(report).contains("\n\(report.consensus.blocks) blocks over all shards · "))
        #expect(HTMLReport.render(report).contains("<p>\(report.consensus.blocks) blocks over all shards · "))
    }

    /// `compare` checks each shard both runs had, by id, and the cross-shard transfers'
    /// latency: a shard that got slower is named where the run's totals may hide it.
    @Test func aComparisonChecksEachShardBothRunsHadAndTheCrossShardLatency() throws {
        let text = Self.saturatedShards.replacingOccurrences(of: "  committee: 4\n", with: "  committee: 4\n  cross_shard: 10 %\n")
        let (_, _, report) = try run(text, as: "sharded-report-test.yaml", seed: 1)
        let credit = try #require(report.crossShard?.credit)
        #expect(credit.count > 0 && report.shards.count == 2)
        let same = ReportComparison(baseline: report, candidate: report, threshold: 0.10)
        #expect(same.regressions.isEmpty)
        #expect(same.rows.map(\.metric).filter { $0.hasPrefix("shards[") || $0.hasPrefix("cross_shard.") } == [
            "shards[1].tps", "shards[1].finality.p99_ms", "shards[2].tps", "shards[2].finality.p99_ms",
            "cross_shard.credit.p99_ms", "cross_shard.settlement.p99_ms",
        ])
        var candidate = report
        candidate.shards[0].tps *= 0.8
        candidate.crossShard?.credit.p99Ms = credit.p99Ms * 1.5
        candidate.shards.removeLast()
        let comparison = ReportComparison(baseline: report, candidate: candidate, threshold: 0.10)
        #expect(comparison.regressions.map(\.metric) == ["shards[1].tps", "cross_shard.credit.p99_ms"])
        #expect(!comparison.rows.contains { $0.metric.hasPrefix("shards[2]") }, "a shard only one run had is left out")
    }

    /// A shard the autoscaler created, or merged away, is drawn in the load-per-shard chart over
    /// the buckets of its life only, not as zero throughput before or after it.
    @Test func theShardLoadChartDrawsEachShardOverItsLifeOnly() throws {
        var (_, _, report) = try run(Self.saturatedShards, as: "sharded-report-test.yaml", seed: 1)
        func points(_ report: Report) throws -> Int {
            let html = HTMLReport.render(report)
            let start = try #require(html.range(of: "id=\"shard-load\" data-points=\""))
            return try #require(Int(html[start.upperBound...].prefix { $0.isNumber }))
        }
        let buckets = report.series.startSeconds.count
        let bucket = report.series.bucketSeconds
        #expect(buckets > 10 && report.shards.count == 2)
        #expect(try points(report) == 2 * buckets, "both shards lasted the whole run")
        // As if shard 2 had been split off within the fourth bucket and merged away at the start of the eighth.
        report.shards[1].createdSeconds = 3.5 * bucket
        report.shards[1].removedSeconds = 7 * bucket
        #expect(try points(report) == buckets + 4, "shard 2 drawn over buckets 4 to 7")
    }

    /// Two shards that fill their blocks, with an autoscaler that has no validators to spare:
    /// the block time is each chain's own, the capacity names the limit that binds, and the
    /// report says how often a split was held back.
    @Test func aShardedReportMeasuresEachChainAndSaysWhereItSaturates() throws {
        let (scenario, result, report) = try run(Self.saturatedShards, as: "sharded-report-test.yaml", seed: 1)
        #expect(scenario.participants.map(\.transferRatePerSecond) == [0.3, 0.3, 0.3], "`load.tps` sets the rates")
        #expect(Set(result.blocks.map(\.shard)) == [1, 2])
        #expect(abs(report.consensus.blockTimeMsMean - 1_000) < 50, "each chain makes a block a second")
        #expect(report.consensus.height == result.blocks.map(\.height).max())
        #expect(report.capacity.tpsArithmetic == "2 shards (the autoscaler can add none: 8 validators seat 2 committees of 4) × 20 tx/block ÷ 1.00 s each = 40.0 tx/s")
        let heldBack = try #require(report.autoscaler?.splitsWithoutValidators)
        #expect(heldBack > 0, "Bangkok and the East offer 90 tx/s against their shard's 20")
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("The autoscaler held back \(heldBack) splits"))
        #expect(report.transactions.refusedByFullMempools == 0 && !markdown.contains("mempool was full"),
                "without a limit nothing is refused for room")
        // The North's shard is hot too, but all its load is the North's: no split relieves it.
        let unrelieved = try #require(report.autoscaler?.splitsWithoutRelief)
        #expect(unrelieved > 0)
        #expect(markdown.contains("\(unrelieved) times (one a shard and monitor window) a shard was due a split that could not relieve it"))
        // A report written before the count existed reads as 0.
        var object = try #require(JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        var autoscaler = try #require(object["autoscaler"] as? [String: Any])
        autoscaler.removeValue(forKey: "splits_without_relief")
        autoscaler.removeValue(forKey: "splits_at_max_shards")
        object["autoscaler"] = autoscaler
        let older = try Report.decode(JSONSerialization.data(withJSONObject: object))
        #expect(older.autoscaler?.splitsWithoutRelief == 0)
        #expect(older.autoscaler?.splitsWithoutValidators == heldBack)
        #expect(older.autoscaler?.splitsAtMaxShards == 0)
    }

    /// The same shards with validators to spare but `max_shards: 2`: the splits due are held
    /// back by the cap, and the report counts them as such.
    @Test func splitsDueAtMaxShardsAreCountedAndSaid() throws {
        let text = Self.saturatedShards.replacingOccurrences(of: "count: 8\n", with: "count: 16\n")
            .replacingOccurrences(of: "sustain: 2 }", with: "sustain: 2, max_shards: 2 }")
        let (scenario, result, report) = try run(text, as: "capped-shards-test.yaml", seed: 1)
        #expect(scenario.sharding?.autoscaler.maxShards == 2)
        #expect(Set(result.blocks.map(\.shard)) == [1, 2], "no third shard")
        let capped = try #require(report.autoscaler?.splitsAtMaxShards)
        #expect(capped > 0, "both shards are offered more than their 20 tx/s")
        #expect(report.autoscaler?.splitsWithoutValidators == 0, "16 validators seat four committees")
        #expect(report.capacity.tpsArithmetic.contains("max_shards"))
        #expect(MarkdownReport.render(report).contains("\(capped) times (one a shard and monitor window) a shard was due a split "
            + "while the run already had `sharding.autoscaler.max_shards` shards."))
    }

    @Test func markdownShowsTheVerdicts() throws {
        let report = try report(targets: ["tps >= 100000"])
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("| `tps >= 100000` |"))
        #expect(markdown.contains("**missed (out of reach)**"))
        #expect(markdown.contains("1 shard × 1,000 tx/block ÷ 1.00 s = 1,000 tx/s"))
        #expect(markdown.contains(report.manifest.digest.prefix(16)))
    }
}
