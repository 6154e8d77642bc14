import Foundation

/// `report.md`: the run at a glance, readable in a terminal and in a code review.
public enum MarkdownReport {
    public static func render(_ report: Report) -> String {
        var lines: [String] = []
        let manifest = report.manifest
        lines.append("# GridTokenX simulation report: \(manifest.scenario)")
        lines.append("")
        lines.append("Seed \(manifest.seed) · \(format(manifest.simulatedSeconds)) s simulated · digest `\(manifest.digest.prefix(16))…` · cost profile \(manifest.costProfile) · signatures \(manifest.signatureScheme) · stopped: \(manifest.stopReason)")
        if let load = manifest.load {
            lines.append("")
            lines.append("Load: \(load.sentence).")
        }
        if !manifest.swarm.isEmpty {
            lines.append("")
            lines.append("Swarm mode: the configuration drawn from the seed.")
            lines.append("")
            lines.append("| field | drawn |")
            lines.append("|---|---|")
            for (field, value) in manifest.swarm.sorted(by: { $0.key < $1.key }) {
                lines.append("| `\(field)` | \(value.isEmpty ? "none" : value) |")
            }
        }
        if !manifest.overrides.isEmpty {
            lines.append("")
            lines.append("Overrides: " + manifest.overrides.map { "`\($0)`" }.joined(separator: ", "))
        }
        if let warnings = manifest.warnings, !warnings.isEmpty {
            lines.append("")
            lines.append("**Scenario warnings** (values this run ignored):")
            lines.append(contentsOf: warnings.map { "- `\($0)`" })
        }
        lines.append("")
        if report.violations.isEmpty {
            lines.append("**Invariants:** all held.")
        } else {
            lines.append("**Invariants broken:**")
            for violation in report.violations {
                lines.append("- \(violation.kind) `\(violation.invariant)` at \(violation.place): \(violation.detail)")
            }
        }
        if let mutation = report.consensus.mutation {
            lines.append("")
            lines.append("**Mutation `\(mutation)`:** a deliberately broken protocol or cross-shard rule, run to test the checkers.")
        }
        if !report.targets.isEmpty {
            lines.append("")
            lines.append("## Targets")
            lines.append("")
            lines.append("| target | measured | verdict | why |")
            lines.append("|---|---:|---|---|")
            for target in report.targets {
                let measured = target.measured.isNaN ? "no samples" : "\(format(target.measured)) \(target.unit)"
                let verdict = target.met ? "met" : target.reachable ? "**missed**" : "**missed (out of reach)**"
                lines.append("| `\(target.target)` | \(measured) | \(verdict) | \(target.reason) |")
            }
        }
        let capacity = report.capacity
        lines.append("")
        lines.append("Capacity of this configuration: throughput at most \(capacity.tpsArithmetic); admission at least \(capacity.admissionArithmetic); finality at least \(capacity.finalityArithmetic).")
        let transactions = report.transactions
        lines.append("")
        lines.append("## Transactions")
        lines.append("")
        lines.append("| submitted | accepted | rejected | pending |")
        lines.append("|---:|---:|---:|---:|")
        lines.append("| \(transactions.submitted) | \(transactions.accepted) | \(transactions.rejected) | \(transactions.pending) |")
        if !transactions.byKind.isEmpty {
            lines.append("")
            lines.append("| kind | submitted | accepted | rejected | pending |")
            lines.append("|---|---:|---:|---:|---:|")
            for (kind, counts) in transactions.byKind.sorted(by: { $0.key < $1.key }) {
                lines.append("| \(kind) | \(counts.submitted) | \(counts.accepted) | \(counts.rejected) | \(counts.pending) |")
            }
        }
        if transactions.unfunded > 0 {
            lines.append("")
            lines.append("The load offered \(transactions.offered) orders and transfers; \(transactions.unfunded) submitted nothing because the participant had no confirmed funds left (raise `coins` or `balance`).")
        }
        if transactions.redirected > 0 {
            lines.append("")
            lines.append("Clients sent a submission again to the next validator \(transactions.redirected) times because the validator they had sent it to was down (crashed); each transaction is counted once above.")
        }
        if !transactions.rejectedByReason.isEmpty {
            lines.append("")
            lines.append("Rejected by reason: " + transactions.rejectedByReason.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if transactions.relayedStepsRejected > 0 {
            lines.append("")
            lines.append("\(transactions.relayedStepsRejected) of the rejections are relayed steps of cross-shard transfers (`credit_transfer`, `settle_lock`) refused where they arrived, for instance by a replica that had not yet finalized the lock they name (`unknown_lock`). The relayer sends a refused step again as a new transaction until it is final, so these are not lost transfers: how every transfer ended is in the \"Cross-shard transfers\" line below.")
        }
        if transactions.refusedByFullMempools > 0 {
            lines.append("")
            lines.append("\(transactions.refusedByFullMempools) submissions were refused because their validator's mempool was full (`mempool_full`, at the scenario's `consensus.mempool_limit`): the chain was offered more than its mempools hold. They are rejections, not losses: each sender got its coins back, and clients do not send a refused transaction again.")
        }
        lines.append("")
        lines.append("Throughput: **\(format(report.throughput.tps)) tx/s** finalized (\(report.throughput.finalizedAfterWarmup) transactions over \(format(report.throughput.measuredSeconds)) s after warm-up).")
        lines.append("")
        lines.append("## Latency (simulated, ms)")
        lines.append("")
        lines.append("| stage | count | p50 | p90 | p99 | p99.9 | max |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for (name, summary) in stageRows(report.latency.stages) {
            lines.append(latencyRow(name, summary))
        }
        if report.latency.byRegion.count > 1 {
            lines.append("")
            lines.append("By the submitter's region:")
            lines.append("")
            lines.append("| region · stage | count | p50 | p90 | p99 | p99.9 | max |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|")
            for (region, stages) in report.latency.byRegion.sorted(by: { $0.key < $1.key }) {
                for (name, summary) in stageRows(stages) where name == "admission" || name == "finality" {
                    lines.append(latencyRow("\(region) · \(name)", summary))
                }
            }
        }
        let market = report.market
        lines.append("")
        lines.append("## Market")
        lines.append("")
        lines.append("\(market.trades) trades · \(format(Double(market.energyWh) / 1_000)) kWh · \(format(Double(market.valueMicro) / 1e6)) tokens · average \(format(Double(market.averagePriceMicroPerKwh) / 1e6)) tokens/kWh · renewable \(format(Double(market.renewableShareBp) / 100)) % · \(format(market.creditsIssued)) carbon credits · \(market.settlements) settlements (\(market.settlementsTimedOut) timed out) · \(market.expiredOrders) orders expired")
        let grid = report.grid
        lines.append("")
        lines.append("## Grid")
        lines.append("")
        lines.append("Renewable \(format(Double(grid.renewableShareBp) / 100)) % of traded energy · carbon intensity \(format(grid.carbonIntensityGPerKwh)) g/kWh · \(format(grid.carbonSavedKg)) kg CO2 saved · stable \(format(Double(grid.stabilityBp) / 100)) % of \(grid.samples) samples · frequency \(String(format: "%.3f", grid.frequencyMinHz))–\(String(format: "%.3f", grid.frequencyMaxHz)) Hz")
        lines.append("")
        lines.append("Trades the grid approved \(grid.tradesApproved), made conditional (peak fee) \(grid.tradesConditional), rejected \(grid.tradesRejected)" + (grid.tradesRejectedByReason.isEmpty ? "." : " (" + grid.tradesRejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")."))
        if !grid.lines.isEmpty {
            lines.append("")
            lines.append("| line | max loading | mean loading | high (≥ 80 %) |")
            lines.append("|---|---:|---:|---:|")
            for line in grid.lines {
                lines.append("| \(line.line) | \(format(line.maxLoadingPercent)) % | \(format(line.meanLoadingPercent)) % | \(format(Double(line.highShareBp) / 100)) % of samples |")
            }
        }
        for line in Report.autoscalerLines(report) + Report.crossShardLines(report) {
            lines.append("")
            lines.append(line)
        }
        let governance = Report.governanceLines(report.governance)
        if !governance.isEmpty {
            lines.append("")
            lines.append("## Governance")
            for line in governance {
                lines.append("")
                lines.append(line)
            }
        }
        let consensus = report.consensus
        lines.append("")
        lines.append("## Consensus")
        lines.append("")
        lines.append("\(report.chainProgress) · \(consensus.activeValidators)/\(consensus.validators) validators active · mean block time \(format(consensus.blockTimeMsMean)) ms · rounds mean \(format(consensus.roundsMean)), max \(consensus.roundsMax) · \(format(consensus.transactionsPerBlockMean)) transactions per block · validator CPU \(format(Double(consensus.cpuUtilisationBp) / 100)) %")
        lines.append("")
        lines.append("Missed votes \(consensus.missedVotes) · equivocations seen \(consensus.evidenceDetected), committed \(consensus.equivocations), validators slashed \(consensus.slashed) · messages dropped \(consensus.messagesDropped), duplicated \(consensus.messagesDuplicated) · crashes \(consensus.crashes), restarts \(consensus.restarts)")
        lines.append("")
        lines.append("| shard | regions | validators | tps | admission p99 | finality p99 | CPU | memory peak (model) | mempool peak | blocks |")
        lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for shard in report.shards {
            lines.append("| \(shard.id) | \(shard.regions.joined(separator: ", ")) | \(shard.validators) | \(format(shard.tps)) | \(shard.admission.count == 0 ? "–" : format(shard.admission.p99Ms)) ms | \(shard.finality.count == 0 ? "–" : format(shard.finality.p99Ms)) ms | \(format(Double(shard.cpuUtilisationBp) / 100)) % | \(format(Double(shard.memoryPeakBytes) / 1_048_576)) MiB | \(shard.mempoolPeak.map(String.init) ?? "–") | \(shard.blocks.map(String.init) ?? "–") |")
        }
        if let busiest = report.resources.max(by: { $0.cpuBusyBp < $1.cpuBusyBp }) {
            lines.append("")
            lines.append("Busiest validator: node \(busiest.node) (\(busiest.region)), CPU \(format(Double(busiest.cpuBusyBp) / 100)) % of its cores (\(format(busiest.cpuBusySeconds)) s simulated).")
        }
        lines.append("")
        lines.append("## Against the seed's dashboard")
        lines.append("")
        lines.append("| seed figure | seed | this run | compared to |")
        lines.append("|---|---:|---:|---|")
        for row in report.seedDashboard {
            lines.append("| \(row.figure) | \(row.seed) | \(row.measuredText) \(row.unit) | `\(row.comparedTo)` |")
        }
        let harness = report.harness
        lines.append("")
        lines.append("## Harness (wall clock, not part of the digest)")
        lines.append("")
        lines.append("\(harness.events) events in \(format(harness.wallSeconds)) s · \(format(harness.eventsPerSecond)) events/s · \(format(harness.simToWallRatio))× real time · peak RSS \(harness.peakRssBytes / 1_048_576) MiB · signatures verified \(harness.signatureChecksComputed) (\(harness.signatureChecksAhead) on the helper thread), cache hits \(harness.signatureCacheHits) · block steps computed \(harness.executionStepsComputed), taken from another replica \(harness.executionStepsReused), admission checks taken \(harness.admissionChecksReused)\(harness.allocator.map { " · allocator \($0)" } ?? "")")
        lines.append("")
        return lines.joined(separator: "\n")
    }

    static func stageRows(_ stages: Report.LatencyStages) -> [(String, LatencySummary)] {
        [("admission", stages.admission), ("inclusion", stages.inclusion), ("finality", stages.finality),
         ("match", stages.match), ("settlement", stages.settlement)]
    }

    private static func latencyRow(_ name: String, _ summary: LatencySummary) -> String {
        guard summary.count > 0 else { return "| \(name) | 0 | – | – | – | – | – |" }
        return "| \(name) | \(summary.count) | \(format(summary.p50Ms)) | \(format(summary.p90Ms)) | \(format(summary.p99Ms)) | \(format(summary.p999Ms)) | \(format(summary.maxMs)) |"
    }

    /// A number with sensible precision for a table.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        if abs(value) >= 100 { return String(format: "%.1f", value) }
        if abs(value) >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }
}
