import Foundation
import Grid
import GridCore
import Scenario
import Simulation

/// Figures about the harness itself, measured by the command line with the wall clock. They
/// never enter the digest.
public struct HarnessFigures: Codable, Hashable, Sendable {
    public var events: UInt64
    public var eventsPerSecond: Double
    public var wallSeconds: Double
    public var simToWallRatio: Double
    public var peakRssBytes: Int64
    public var signatureChecksComputed: Int
    public var signatureCacheHits: Int
    /// Of `signatureChecksComputed`, those the helper thread computed.
    public var signatureChecksAhead: Int

    public init(events: UInt64, wallSeconds: Double, simulatedSeconds: Double, peakRssBytes: Int64,
                signatureChecksComputed: Int, signatureCacheHits: Int, signatureChecksAhead: Int = 0) {
        self.events = events
        self.wallSeconds = wallSeconds
        self.eventsPerSecond = wallSeconds > 0 ? Double(events) / wallSeconds : 0
        self.simToWallRatio = wallSeconds > 0 ? simulatedSeconds / wallSeconds : 0
        self.peakRssBytes = peakRssBytes
        self.signatureChecksComputed = signatureChecksComputed
        self.signatureCacheHits = signatureCacheHits
        self.signatureChecksAhead = signatureChecksAhead
    }
}

/// The report of one run, as written to `report.json` (keys in snake_case). Schema documented in
/// `Reports/README.md`; names in use stay stable, new fields are added.
public struct Report: Codable, Sendable {
    /// Bumped when a field changes meaning or is removed (never for additions).
    public static let schemaVersion = 1
    /// The simulator's version.
    public static let toolVersion = "0.1.0"

    public struct Manifest: Codable, Sendable {
        public var version: String
        public var schemaVersion: Int
        public var scenario: String
        public var scenarioPath: String
        public var scenarioHash: String
        public var seed: UInt64
        public var digest: String
        public var overrides: [String]
        public var costProfile: String
        public var signatureScheme: String
        public var stopReason: String
        public var simulatedSeconds: Double
        public var warmupSeconds: Double
        /// Swarm mode: every configuration value drawn from the seed.
        public var swarm: [String: String]
    }

    public struct Counts: Codable, Sendable {
        public var submitted = 0
        public var accepted = 0
        public var rejected = 0
        public var pending = 0
    }

    public struct Transactions: Codable, Sendable {
        public var submitted: Int
        public var accepted: Int
        public var rejected: Int
        public var pending: Int
        /// Rejections per reason; the values add up to `rejected`.
        public var rejectedByReason: [String: Int]
        /// The same counts per kind (order, transfer, mint, settlement).
        public var byKind: [String: Counts]
        /// Order and transfer arrivals the load offered, and how many of them submitted nothing
        /// because the participant had no confirmed funds left.
        public var offered: Int
        public var unfunded: Int
    }

    public struct Market: Codable, Sendable {
        public var trades: Int
        public var energyWh: Int64
        public var valueMicro: Int64
        public var averagePriceMicroPerKwh: Int64
        /// Renewable share of traded energy.
        public var renewableShareBp: Int64
        /// Carbon credits issued on renewable deliveries.
        public var creditsIssued: Double
        /// Peak premiums charged on trades (grid fees).
        public var premiumMicro: Int64
        public var settlements: Int
        public var settlementsTimedOut: Int
        public var deliveredWh: Int64
        public var expiredOrders: Int
    }

    public struct LineCongestion: Codable, Sendable {
        public var line: String
        public var maxLoadingPercent: Double
        public var meanLoadingPercent: Double
        /// Share of samples at each congestion level (low < 50 %, medium < 80 %, high).
        public var lowShareBp: Int64
        public var mediumShareBp: Int64
        public var highShareBp: Int64
    }

    public struct Grid: Codable, Sendable {
        public var renewableShareBp: Int64
        public var carbonIntensityGPerKwh: Double
        public var carbonSavedKg: Double
        /// Share of samples with frequency and every zone's voltage in band.
        public var stabilityBp: Int64
        public var tradesApproved: Int
        public var tradesConditional: Int
        public var tradesRejected: Int
        public var tradesRejectedByReason: [String: Int]
        public var frequencyMinHz: Double
        public var frequencyMaxHz: Double
        public var samples: Int
        public var lines: [LineCongestion]
    }

    public struct Throughput: Codable, Sendable {
        /// Finalized transactions per simulated second after warm-up.
        public var tps: Double
        public var finalizedAfterWarmup: Int
        public var measuredSeconds: Double
    }

    public struct Latency: Codable, Sendable {
        public var admission: LatencySummary
        public var inclusion: LatencySummary
        public var finality: LatencySummary
    }

    public struct Consensus: Codable, Sendable {
        public var height: UInt64
        public var blocks: Int
        public var blockTimeMsMean: Double
        /// Mean and largest consensus round in which blocks were decided (0: first proposer succeeded).
        public var roundsMean: Double
        public var roundsMax: UInt32
        public var transactionsPerBlockMean: Double
        public var validators: Int
        /// Validators up at the end, not slashed and not Byzantine.
        public var activeValidators: Int
        /// Precommits missing from blocks' last commits.
        public var missedVotes: Int
        /// Equivocations committed as evidence, and validators slashed for them.
        public var equivocations: Int
        public var slashed: Int
        /// Equivocations honest nodes saw (committed or not).
        public var evidenceDetected: Int
        public var messagesDropped: Int
        public var messagesDuplicated: Int
        public var crashes: Int
        public var restarts: Int
        /// The deliberately broken protocol variant run, if any.
        public var mutation: String?
        /// Mean share of simulated time the validators' cores were busy.
        public var cpuUtilisationBp: Int64
    }

    public struct TargetVerdict: Codable, Sendable {
        public var target: String
        public var metric: String
        /// The measured value in the target's unit (ms for latencies, % for shares, tx/s for tps).
        public var measured: Double
        public var threshold: Double
        public var unit: String
        public var met: Bool
    }

    public struct Violation: Codable, Sendable {
        public var kind: String
        public var invariant: String
        public var height: UInt64
        public var nodes: [UInt32]
        public var timeSeconds: Double
        public var detail: String
    }

    public var manifest: Manifest
    public var transactions: Transactions
    public var throughput: Throughput
    public var latency: Latency
    public var consensus: Consensus
    public var market: Market
    public var grid: Grid
    public var targets: [TargetVerdict]
    public var violations: [Violation]
    public var harness: HarnessFigures

    /// Builds the report of `result`.
    public init(result: RunResult, harness: HarnessFigures, swarm: [(name: String, value: String)] = []) {
        let scenario = result.scenario
        manifest = Manifest(
            version: Report.toolVersion, schemaVersion: Report.schemaVersion, scenario: scenario.name,
            scenarioPath: scenario.sourcePath, scenarioHash: scenario.sourceHash.hex, seed: result.seed,
            digest: result.digest.hex, overrides: scenario.overrides, costProfile: result.costProfile.name,
            signatureScheme: scenario.consensus.signatureScheme.rawValue, stopReason: result.stopReason.rawValue,
            simulatedSeconds: result.endTime.seconds, warmupSeconds: scenario.run.warmup.seconds,
            swarm: Dictionary(uniqueKeysWithValues: swarm.map { ($0.name, $0.value) }))

        let tracker = result.transactions
        var accepted = 0, pending = 0
        var byReason: [String: Int] = [:]
        var byKind: [String: Counts] = [:]
        for index in 0..<tracker.count {
            let kind = tracker.kinds[index]
            byKind[kind, default: Counts()].submitted += 1
            switch tracker.outcome(at: index) {
            case .accepted:
                accepted += 1
                byKind[kind]!.accepted += 1
            case .pending:
                pending += 1
                byKind[kind]!.pending += 1
            case .rejected(let reason):
                byReason[reason.rawValue, default: 0] += 1
                byKind[kind]!.rejected += 1
            }
        }
        let rejected = byReason.values.reduce(0, +)
        let load = result.load
        transactions = Transactions(submitted: tracker.count, accepted: accepted, rejected: rejected,
                                    pending: pending, rejectedByReason: byReason, byKind: byKind,
                                    offered: load.offeredOrders + load.offeredTransfers,
                                    unfunded: load.unfundedOrders + load.unfundedTransfers)

        let warmup = SimTime.zero + scenario.run.warmup
        let finalizedAfterWarmup = tracker.finalizedNanos.filter { $0 >= warmup.nanoseconds }.count
        let measuredSeconds = max(0, (result.endTime - warmup).seconds)
        throughput = Throughput(tps: measuredSeconds > 0 ? Double(finalizedAfterWarmup) / measuredSeconds : 0,
                                finalizedAfterWarmup: finalizedAfterWarmup, measuredSeconds: measuredSeconds)

        latency = Latency(
            admission: LatencySummary(nanoseconds: tracker.latencies(of: .admission, submittedSince: warmup)),
            inclusion: LatencySummary(nanoseconds: tracker.latencies(of: .inclusion, submittedSince: warmup)),
            finality: LatencySummary(nanoseconds: tracker.latencies(of: .finality, submittedSince: warmup)))

        let blocks = result.blocks
        let intervals = zip(blocks.dropFirst(), blocks).map { ($0.committedAt - $1.committedAt).milliseconds }
        let busy = result.nodeBusyNanos.reduce(0, +)
        let capacity = Double(result.nodeBusyNanos.count * scenario.validators.cores) * Double(result.endTime.nanoseconds)
        let consensusStatistics = result.consensus
        consensus = Consensus(
            height: blocks.last?.height ?? 0, blocks: blocks.count,
            blockTimeMsMean: intervals.isEmpty ? 0 : intervals.reduce(0, +) / Double(intervals.count),
            roundsMean: blocks.isEmpty ? 0 : Double(blocks.reduce(0) { $0 + Int($1.round) }) / Double(blocks.count),
            roundsMax: blocks.map(\.round).max() ?? 0,
            transactionsPerBlockMean: blocks.isEmpty ? 0
                : Double(blocks.reduce(0) { $0 + $1.transactionCount }) / Double(blocks.count),
            validators: scenario.validators.count, activeValidators: consensusStatistics.activeValidators,
            missedVotes: consensusStatistics.missedVotes, equivocations: consensusStatistics.equivocationsCommitted,
            slashed: consensusStatistics.slashed, evidenceDetected: consensusStatistics.evidenceDetected,
            messagesDropped: consensusStatistics.messagesDropped,
            messagesDuplicated: consensusStatistics.messagesDuplicated, crashes: consensusStatistics.crashes,
            restarts: consensusStatistics.restarts, mutation: consensusStatistics.mutation,
            cpuUtilisationBp: capacity > 0 ? Int64((Double(busy) / capacity * 10_000).rounded()) : 0)

        let statistics = result.market
        market = Market(
            trades: statistics.trades, energyWh: statistics.energyWh, valueMicro: statistics.valueMicro,
            averagePriceMicroPerKwh: statistics.averagePrice.rawValue,
            renewableShareBp: BasisPoints.ratio(statistics.renewableWh, of: statistics.energyWh).rawValue,
            creditsIssued: statistics.creditsIssued.credits, premiumMicro: statistics.premiumMicro,
            settlements: statistics.settlements, settlementsTimedOut: statistics.settlementsTimedOut,
            deliveredWh: statistics.deliveredWh, expiredOrders: statistics.expiredOrders)
        grid = Report.gridSection(result)

        violations = result.violations.map {
            Violation(kind: $0.kind.rawValue, invariant: $0.invariant, height: $0.height,
                      nodes: $0.nodes.map(\.rawValue), timeSeconds: $0.time.seconds, detail: $0.detail)
        }
        self.harness = harness
        targets = []
        targets = scenario.targets.map(verdict)
    }

    private static func gridSection(_ result: RunResult) -> Grid {
        let impact = result.gridImpact
        let decisions = result.market.gridDecisions
        var lines: [LineCongestion] = []
        let samples = result.gridSamples
        for line in 0..<result.gridLineCount {
            let loadings = samples.map { $0.loading[line] }
            let count = Int64(max(1, loadings.count))
            func share(_ level: CongestionLevel) -> Int64 {
                BasisPoints.ratio(Int64(loadings.filter { CongestionLevel(loading: $0) == level }.count), of: count).rawValue
            }
            lines.append(LineCongestion(
                line: result.gridElementNames[line], maxLoadingPercent: (loadings.max() ?? 0) * 100,
                meanLoadingPercent: loadings.isEmpty ? 0 : loadings.reduce(0, +) / Double(loadings.count) * 100,
                lowShareBp: share(.low), mediumShareBp: share(.medium), highShareBp: share(.high)))
        }
        return Grid(
            renewableShareBp: impact.renewableShare.rawValue, carbonIntensityGPerKwh: impact.carbonIntensityGramsPerKWh,
            carbonSavedKg: impact.carbonSavedKg, stabilityBp: impact.stability.rawValue,
            tradesApproved: decisions.approved, tradesConditional: decisions.conditional,
            tradesRejected: decisions.rejectedTotal,
            tradesRejectedByReason: Dictionary(uniqueKeysWithValues: decisions.rejected.map { ($0.key.rawValue, $0.value) }),
            frequencyMinHz: impact.samples > 0 ? impact.frequencyMinHz : 0,
            frequencyMaxHz: impact.samples > 0 ? impact.frequencyMaxHz : 0, samples: impact.samples, lines: lines)
    }

    /// Whether every target was met.
    public var allTargetsMet: Bool { targets.allSatisfy(\.met) }

    private func verdict(_ target: TargetSpec) -> TargetVerdict {
        let (measured, threshold, unit) = measuredValue(target)
        return TargetVerdict(target: target.text, metric: target.metric, measured: measured, threshold: threshold,
                             unit: unit, met: target.comparison.holds(measured, threshold))
    }

    /// The measured value of a target's metric and its threshold, in display units.
    private func measuredValue(_ target: TargetSpec) -> (Double, Double, String) {
        if target.metric == "tps" { return (throughput.tps, target.threshold, "tx/s") }
        if target.metric == "rejected_share" {
            let share = transactions.submitted > 0
                ? Double(transactions.rejected) / Double(transactions.submitted) * 100 : 0
            return (share, target.threshold / 100, "%")
        }
        let parts = target.metric.split(separator: ".").map(String.init)
        let summary: LatencySummary = switch parts[0] {
        case "admission": latency.admission
        case "inclusion": latency.inclusion
        default: latency.finality
        }
        // No latency samples (nothing submitted after warm-up reached the stage) is not a pass.
        guard summary.count > 0 else { return (.nan, target.threshold / 1e6, "ms") }
        return (summary.statistic(parts[1]) ?? .nan, target.threshold / 1e6, "ms")
    }

    /// The report as pretty, key-sorted JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads a `report.json`.
    public static func decode(_ data: Data) throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(Report.self, from: data)
    }
}
