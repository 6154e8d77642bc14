import Foundation
import Grid
import GridCore
import Ledger
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
    /// Block applications and commits the replicas computed, those they took from another
    /// replica's computation, and admission checks answered that way (the shared execution cache).
    public var executionStepsComputed: Int
    public var executionStepsReused: Int
    public var admissionChecksReused: Int
    /// The memory allocator that served the run (e.g. "mimalloc 2.0.9"), when the tool knows it;
    /// speeds are comparable only between runs on the same one.
    public var allocator: String?

    public init(events: UInt64, wallSeconds: Double, simulatedSeconds: Double, peakRssBytes: Int64,
                signatureChecksComputed: Int, signatureCacheHits: Int, signatureChecksAhead: Int = 0,
                executionStepsComputed: Int = 0, executionStepsReused: Int = 0, admissionChecksReused: Int = 0,
                allocator: String? = nil) {
        self.events = events
        self.wallSeconds = wallSeconds
        self.eventsPerSecond = wallSeconds > 0 ? Double(events) / wallSeconds : 0
        self.simToWallRatio = wallSeconds > 0 ? simulatedSeconds / wallSeconds : 0
        self.peakRssBytes = peakRssBytes
        self.signatureChecksComputed = signatureChecksComputed
        self.signatureCacheHits = signatureCacheHits
        self.signatureChecksAhead = signatureChecksAhead
        self.executionStepsComputed = executionStepsComputed
        self.executionStepsReused = executionStepsReused
        self.admissionChecksReused = admissionChecksReused
        self.allocator = allocator
    }

    /// Reads reports written before the execution counts existed as having none, and before the
    /// allocator was recorded as not saying which.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        events = try container.decode(UInt64.self, forKey: .events)
        eventsPerSecond = try container.decode(Double.self, forKey: .eventsPerSecond)
        wallSeconds = try container.decode(Double.self, forKey: .wallSeconds)
        simToWallRatio = try container.decode(Double.self, forKey: .simToWallRatio)
        peakRssBytes = try container.decode(Int64.self, forKey: .peakRssBytes)
        signatureChecksComputed = try container.decode(Int.self, forKey: .signatureChecksComputed)
        signatureCacheHits = try container.decode(Int.self, forKey: .signatureCacheHits)
        signatureChecksAhead = try container.decode(Int.self, forKey: .signatureChecksAhead)
        executionStepsComputed = try container.decodeIfPresent(Int.self, forKey: .executionStepsComputed) ?? 0
        executionStepsReused = try container.decodeIfPresent(Int.self, forKey: .executionStepsReused) ?? 0
        admissionChecksReused = try container.decodeIfPresent(Int.self, forKey: .admissionChecksReused) ?? 0
        allocator = try container.decodeIfPresent(String.self, forKey: .allocator)
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
        /// The scenario's warnings (`file:line:column: warning: field: message`): values it
        /// wrote that this run ignored, e.g. a closed-loop field under a Poisson load. Absent in
        /// reports written before warnings were recorded.
        public var warnings: [String]?
        /// How the load arrived, to read the throughput and latency against. Absent in reports
        /// written before it was recorded.
        public var load: LoadModel?
        /// The grid data file (as resolved against the scenario's folder), or
        /// `built-in thai-grid.yaml`; and the BLAKE2b-256 of its bytes. Absent in reports
        /// written before they were recorded.
        public var gridData: String?
        public var gridDataHash: String?
    }

    /// The load controller and the fields it used (`load` in the scenario). An open loop's
    /// arrivals never wait on responses; a closed loop's clients wait for theirs, so its
    /// throughput and latency hold each other back.
    public struct LoadModel: Codable, Sendable, Equatable {
        /// `poisson`, `fixed`, `closed-loop` or `trace`.
        public var controller: String
        /// Closed loop: transactions kept in flight.
        public var outstanding: Int?
        /// Closed loop: the mean think time between a response and the client's next transaction.
        public var thinkTimeSeconds: Double?
        /// Closed loop: how long a place waits after a `mempool_full` refusal.
        public var backoffSeconds: Double?
        /// Poisson and fixed: whether consumers follow their daily curves, and the schedule's points.
        public var dailyProfiles: Bool?
        public var schedulePoints: Int?
        /// Trace: the rows the file holds.
        public var traceRows: Int?

        public init(_ load: LoadSettings) {
            controller = load.controller.rawValue
            switch load.controller {
            case .closedLoop:
                outstanding = load.outstanding
                thinkTimeSeconds = load.thinkTime.seconds
                backoffSeconds = load.backoff.seconds
            case .poisson, .fixed:
                dailyProfiles = load.dailyProfiles
                schedulePoints = load.schedule.count
            case .trace:
                traceRows = load.trace.count
            }
        }

        /// The model in a few words, for `gridsim run`'s summary.
        public var brief: String {
            switch LoadSettings.Controller(rawValue: controller) {
            case .closedLoop:
                let think = thinkTimeSeconds ?? 0
                return "closed loop, \(outstanding ?? 0) in flight"
                    + (think > 0 ? ", think time \(MarkdownReport.format(think)) s" : "")
            case .poisson: return "Poisson open loop"
            case .fixed: return "fixed-rate open loop"
            case .trace: return "trace of \(traceRows ?? 0) rows"
            case nil: return controller
            }
        }

        /// The model in one line for `report.md` and `report.html`.
        public var sentence: String {
            let f = MarkdownReport.format
            switch LoadSettings.Controller(rawValue: controller) {
            case .closedLoop:
                let think = thinkTimeSeconds ?? 0
                let next = think > 0 ? "\(f(think)) s after a response on average (an exponential think time)"
                    : "as soon as its last is finalized or refused"
                return "closed loop: \(outstanding ?? 0) transactions in flight; a client sends its next \(next), and waits "
                    + "\(f(backoffSeconds ?? 0)) s more after a full mempool's refusal; in flight = throughput × "
                    + (think > 0 ? "(latency + think time)" : "latency") + ", so throughput and latency hold each other back"
            case .poisson, .fixed:
                let arrivals = controller == "poisson" ? "Poisson open loop (exponential gaps" : "fixed-rate open loop (even gaps"
                let points = schedulePoints ?? 0
                let schedule = points == 0 ? "" : ", a schedule of \(points) point\(points == 1 ? "" : "s")"
                return arrivals + " that never wait on responses)" + (dailyProfiles == true ? ", consumers on their daily curves" : "")
                    + schedule
            case .trace:
                return "replay of a trace of \(traceRows ?? 0) rows, open loop"
            case nil:
                return controller
            }
        }
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
        /// Times a client sent a submission again to the next validator because the one it had
        /// sent it to was down; each is still one transaction in the counts above.
        public var redirected: Int

        /// Rejected relayed steps of cross-shard transfers (credits and settlements). A relayer
        /// sends a refused step again as a new transaction until it is final, so none of these
        /// is a lost transfer.
        public var relayedStepsRejected: Int {
            TransactionKind.relayedStepNames.reduce(0) { $0 + (byKind[$1]?.rejected ?? 0) }
        }

        /// Submissions a full mempool refused (`consensus.mempool_limit`): offered load the
        /// chain could not hold, not invalid transactions.
        public var refusedByFullMempools: Int { rejectedByReason[RejectionReason.mempoolFull.rawValue] ?? 0 }
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

    /// The five latency stages of DESIGN.md's taxonomy.
    public struct LatencyStages: Codable, Sendable {
        public var admission: LatencySummary
        public var inclusion: LatencySummary
        public var finality: LatencySummary
        /// Orders: submit to the first block in which they traded.
        public var match: LatencySummary
        /// Orders: submit to the first settlement of one of their trades.
        public var settlement: LatencySummary

        init(admission: LatencySummary, inclusion: LatencySummary, finality: LatencySummary, match: LatencySummary,
             settlement: LatencySummary) {
            self.admission = admission
            self.inclusion = inclusion
            self.finality = finality
            self.match = match
            self.settlement = settlement
        }

        init(_ tracker: TransactionTracker, since: SimTime, region: Region? = nil, withCDF: Bool = false) {
            func summary(_ stage: LatencyStage) -> LatencySummary {
                LatencySummary(nanoseconds: tracker.latencies(of: stage, submittedSince: since, region: region),
                               withCDF: withCDF)
            }
            admission = summary(.admission)
            inclusion = summary(.inclusion)
            finality = summary(.finality)
            match = summary(.match)
            settlement = summary(.settlement)
        }

        /// The stage named `stage`, if there is one.
        public func summary(of stage: String) -> LatencySummary? {
            switch stage {
            case "admission": admission
            case "inclusion": inclusion
            case "finality": finality
            case "match": match
            case "settlement": settlement
            default: nil
            }
        }
    }

    public struct Latency: Codable, Sendable {
        public var admission: LatencySummary
        public var inclusion: LatencySummary
        public var finality: LatencySummary
        public var match: LatencySummary
        public var settlement: LatencySummary
        /// The same stages for transactions submitted by participants in each region.
        public var byRegion: [String: LatencyStages]

        public var stages: LatencyStages {
            LatencyStages(admission: admission, inclusion: inclusion, finality: finality, match: match,
                          settlement: settlement)
        }
    }

    /// Figures per time bucket, for charts and pandas.
    public struct Series: Codable, Sendable {
        public var bucketSeconds: Double
        /// Start of each bucket, simulated seconds.
        public var startSeconds: [Double]
        public var submitted: [Int]
        public var finalized: [Int]
        /// Finalized per second in the bucket.
        public var tps: [Double]
        /// Energy and value of trades finalized in the bucket, and their average price (0: none).
        public var tradedWh: [Int64]
        public var tradedValueMicro: [Int64]
        public var averagePriceMicroPerKwh: [Int64]
        /// Grid samples: time and frequency.
        public var gridTimeSeconds: [Double]
        public var frequencyHz: [Double]
    }

    /// One consensus instance and the regions it serves (a run without sharding has one).
    public struct Shard: Codable, Sendable {
        public var id: Int
        public var regions: [String]
        public var validators: Int
        public var tps: Double
        public var finalized: Int
        public var admission: LatencySummary
        public var finality: LatencySummary
        /// Transactions finalized per bucket of `series`.
        public var finalizedPerBucket: [Int]
        /// Mean share of its validators' simulated core-time spent busy.
        public var cpuUtilisationBp: Int64
        /// The largest memory-model peak among its validators.
        public var memoryPeakBytes: Int64
        /// Sharded runs only: when the shard was created and merged away (`nil`: it lasted),
        /// its blocks over every chain instance, its deepest mempool and its monitor windows.
        /// There, `cpuUtilisationBp` is the highest window's mean over the committee.
        public var createdSeconds: Double?
        public var removedSeconds: Double?
        public var blocks: Int?
        public var mempoolPeak: Int?
        public var load: [ShardWindowRow]?
    }

    /// The resource model: what each validator's work cost in simulated CPU time.
    public struct NodeResources: Codable, Sendable {
        public var node: Int
        public var region: String
        /// Share of this node's simulated core-time spent busy.
        public var cpuBusyBp: Int64
        public var cpuBusySeconds: Double
        /// Peak of the memory model (see `ValidatorNode.modelledMemoryBytes`).
        public var memoryPeakBytes: Int64
    }

    public struct Consensus: Codable, Sendable {
        /// The highest height reached (on any shard's chain when the run is sharded).
        public var height: UInt64
        /// Blocks over every chain.
        public var blocks: Int
        /// Mean time from a block to the next on the same chain.
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
        /// The deliberately broken protocol or cross-shard rule run (`Mutation.name`), if any.
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
        /// Why: the comparison, and for a miss what stood in the way.
        public var reason: String
        /// `false` when the configuration cannot reach the threshold at all (see `capacity`).
        public var reachable: Bool
    }

    public struct Violation: Codable, Sendable {
        public var kind: String
        public var invariant: String
        public var height: UInt64
        public var nodes: [UInt32]
        public var timeSeconds: Double
        public var detail: String

        /// Where it broke, as both pages write it: "height 7, t = 21.04 s", or "t = 75 s" for
        /// a check of no block (a reshard's, the run's end).
        var place: String {
            (height > 0 ? "height \(height), " : "") + "t = \(MarkdownReport.format(timeSeconds)) s"
        }
    }

    public var manifest: Manifest
    public var transactions: Transactions
    public var throughput: Throughput
    public var latency: Latency
    public var consensus: Consensus
    public var market: Market
    public var grid: Grid
    public var targets: [TargetVerdict]
    public var capacity: CapacityCheck
    public var seedDashboard: [SeedComparison]
    public var series: Series
    public var shards: [Shard]
    public var resources: [NodeResources]
    public var violations: [Violation]
    /// Absent in reports written before governance existed.
    public var governance: Governance?
    /// Sharded runs only.
    public var autoscaler: Autoscaler?
    /// Sharded runs with cross-shard transfers only.
    public var crossShard: CrossShard?
    public var harness: HarnessFigures

    /// Builds the report of `result`.
    ///
    /// - Parameter bucketSeconds: the time series' bucket; by default the smallest of 1 s, 5 s,
    ///   10 s, 30 s, 1 min, 5 min, 10 min, 15 min or 1 h that keeps the run within 1,500 buckets.
    public init(result: RunResult, harness: HarnessFigures, swarm: [(name: String, value: String)] = [],
                bucketSeconds: Double? = nil) {
        let scenario = result.scenario
        manifest = Manifest(
            version: Report.toolVersion, schemaVersion: Report.schemaVersion, scenario: scenario.name,
            scenarioPath: scenario.sourcePath, scenarioHash: scenario.sourceHash.hex, seed: result.seed,
            digest: result.digest.hex, overrides: scenario.overrides, costProfile: result.costProfile.name,
            signatureScheme: scenario.consensus.signatureScheme.rawValue, stopReason: result.stopReason.rawValue,
            simulatedSeconds: result.endTime.seconds, warmupSeconds: scenario.run.warmup.seconds,
            swarm: Dictionary(uniqueKeysWithValues: swarm.map { ($0.name, $0.value) }),
            warnings: scenario.warnings.map(\.description), load: LoadModel(scenario.load),
            gridData: scenario.grid.dataSource.description, gridDataHash: scenario.grid.dataHash.hex)

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
                                    unfunded: load.unfundedOrders + load.unfundedTransfers,
                                    redirected: load.redirectedSubmissions)

        let warmup = SimTime.zero + scenario.run.warmup
        let finalizedAfterWarmup = tracker.finalizedNanos.filter { $0 >= warmup.nanoseconds }.count
        let measuredSeconds = max(0, (result.endTime - warmup).seconds)
        throughput = Throughput(tps: measuredSeconds > 0 ? Double(finalizedAfterWarmup) / measuredSeconds : 0,
                                finalizedAfterWarmup: finalizedAfterWarmup, measuredSeconds: measuredSeconds)

        let overall = LatencyStages(tracker, since: warmup, withCDF: true)
        var byRegion: [String: LatencyStages] = [:]
        for region in Region.allCases where tracker.regions.contains(region) {
            byRegion[region.rawValue] = LatencyStages(tracker, since: warmup, region: region)
        }
        latency = Latency(admission: overall.admission, inclusion: overall.inclusion, finality: overall.finality,
                          match: overall.match, settlement: overall.settlement, byRegion: byRegion)
        series = Report.series(result, bucketSeconds: bucketSeconds ?? Report.defaultBucketSeconds(result.endTime.seconds))

        let blocks = result.blocks
        let intervals = Report.blockIntervalsMillis(blocks)
        let busy = result.nodeBusyNanos.reduce(0, +)
        let coreCapacity = Double(result.nodeBusyNanos.count * scenario.validators.cores) * Double(result.endTime.nanoseconds)
        let consensusStatistics = result.consensus
        consensus = Consensus(
            height: blocks.map(\.height).max() ?? 0, blocks: blocks.count,
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
            cpuUtilisationBp: coreCapacity > 0 ? Int64((Double(busy) / coreCapacity * 10_000).rounded()) : 0)
        let nodeCapacity = Double(scenario.validators.cores) * Double(result.endTime.nanoseconds)
        resources = result.nodeBusyNanos.enumerated().map { node, busyNanos in
            NodeResources(node: node, region: scenario.validators.region(ofValidator: node).rawValue,
                          cpuBusyBp: nodeCapacity > 0 ? Int64((Double(busyNanos) / nodeCapacity * 10_000).rounded()) : 0,
                          cpuBusySeconds: Double(busyNanos) / 1e9, memoryPeakBytes: result.nodeMemoryPeakBytes[node])
        }
        shards = [Shard(
            id: 1, regions: Region.allCases.map(\.rawValue), validators: scenario.validators.count,
            tps: throughput.tps, finalized: finalizedAfterWarmup, admission: overall.admission,
            finality: overall.finality, finalizedPerBucket: series.finalized, cpuUtilisationBp: consensus.cpuUtilisationBp,
            memoryPeakBytes: result.nodeMemoryPeakBytes.max() ?? 0)]
        if result.sharding.enabled { shards = Report.shardRows(result, series: series) }
        autoscaler = Report.autoscalerSection(result)
        crossShard = Report.crossShardSection(result)

        let statistics = result.market
        market = Market(
            trades: statistics.trades, energyWh: statistics.energyWh, valueMicro: statistics.valueMicro,
            averagePriceMicroPerKwh: statistics.averagePrice.rawValue,
            renewableShareBp: BasisPoints.ratio(statistics.renewableWh, of: statistics.energyWh).rawValue,
            creditsIssued: statistics.creditsIssued.credits, premiumMicro: statistics.premiumMicro,
            settlements: statistics.settlements, settlementsTimedOut: statistics.settlementsTimedOut,
            deliveredWh: statistics.deliveredWh, expiredOrders: statistics.expiredOrders)
        grid = Report.gridSection(result)
        governance = Report.governanceSection(result)

        violations = result.violations.map {
            Violation(kind: $0.kind.rawValue, invariant: $0.invariant, height: $0.height,
                      nodes: $0.nodes.map(\.rawValue), timeSeconds: $0.time.seconds, detail: $0.detail)
        }
        self.harness = harness
        capacity = CapacityCheck(scenario: scenario, profile: result.costProfile)
        targets = []
        seedDashboard = []
        targets = scenario.targets.map(verdict)
        seedDashboard = SeedDashboard.rows(self)
    }

    /// The time from each block to the next on the same chain, in milliseconds. `blocks` come
    /// chain by chain; a shard's chain restarts at height 1 after a split or a merge, so only a
    /// block and its child on one shard make an interval.
    ///
    /// Complexity: O(blocks).
    static func blockIntervalsMillis(_ blocks: [CommittedBlock]) -> [Double] {
        zip(blocks, blocks.dropFirst()).compactMap { parent, child in
            child.shard == parent.shard && child.height == parent.height + 1
                ? (child.committedAt - parent.committedAt).milliseconds : nil
        }
    }

    static func defaultBucketSeconds(_ simulatedSeconds: Double) -> Double {
        [1.0, 5, 10, 30, 60, 300, 600, 900, 3600].first { simulatedSeconds / $0 <= 1_500 } ?? 3600
    }

    /// Submissions, finalizations and trades per bucket, and the grid's frequency per sample.
    ///
    /// Complexity: O(transactions + trades + samples).
    private static func series(_ result: RunResult, bucketSeconds: Double) -> Series {
        precondition(bucketSeconds > 0, "a bucket lasts a positive time")
        let bucketNanos = Int64(bucketSeconds * 1e9)
        let buckets = max(1, Int((result.endTime.nanoseconds + bucketNanos - 1) / bucketNanos))
        func bucket(_ nanos: Int64) -> Int { min(buckets - 1, Int(nanos / bucketNanos)) }
        var submitted = Array(repeating: 0, count: buckets)
        var finalized = Array(repeating: 0, count: buckets)
        let tracker = result.transactions
        for index in 0..<tracker.count {
            submitted[bucket(tracker.submittedNanos[index])] += 1
            if tracker.finalizedNanos[index] >= 0 { finalized[bucket(tracker.finalizedNanos[index])] += 1 }
        }
        var energy = Array(repeating: Int64(0), count: buckets)
        var value = Array(repeating: Int64(0), count: buckets)
        let market = result.market
        for index in market.tradeCommitNanos.indices {
            energy[bucket(market.tradeCommitNanos[index])] += market.tradeEnergyWh[index]
            value[bucket(market.tradeCommitNanos[index])] += market.tradeValueMicro[index]
        }
        return Series(
            bucketSeconds: bucketSeconds, startSeconds: (0..<buckets).map { Double($0) * bucketSeconds },
            submitted: submitted, finalized: finalized, tps: finalized.map { Double($0) / bucketSeconds },
            tradedWh: energy, tradedValueMicro: value,
            averagePriceMicroPerKwh: zip(value, energy).map { $1 > 0 ? mulDivFloor($0, 1_000, $1) ?? 0 : 0 },
            gridTimeSeconds: result.gridSamples.map(\.time.seconds), frequencyHz: result.gridSamples.map(\.frequencyHz))
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
        let met = target.comparison.holds(measured, threshold)
        var reachable = true
        var reason: String
        let shown = "\(Report.figure(threshold)) \(unit)"
        if measured.isNaN {
            reason = "no samples: no transaction submitted after warm-up reached \(target.metric.split(separator: ".")[0])"
        } else {
            reason = "measured \(Report.figure(measured)) \(unit) against \(target.comparison.rawValue) \(shown)"
        }
        if let bound = capacity.bound(of: target.metric) {
            let wantsMore = target.comparison == .greaterThan || target.comparison == .greaterOrEqual
            if bound.isCeiling == wantsMore, !target.comparison.holds(bound.value, threshold) {
                reachable = false
                reason += "; out of reach by construction: at \(bound.isCeiling ? "best" : "least") \(bound.arithmetic)"
            } else if !met {
                reason += "; the configuration allows \(bound.isCeiling ? "up to" : "as little as") \(bound.arithmetic)"
            }
        }
        if !met, target.metric == "tps" {
            let offered = Double(transactions.submitted) / max(manifest.simulatedSeconds, 1e-9)
            if offered < threshold * 0.95 {
                reason += "; the load submitted only \(Report.figure(offered)) tx/s"
            }
            if transactions.pending > 0 {
                reason += "; \(transactions.pending) transactions were still pending at the end"
            }
        }
        return TargetVerdict(target: target.text, metric: target.metric, measured: measured, threshold: threshold,
                             unit: unit, met: met, reason: reason, reachable: reachable)
    }

    /// A figure with three significant digits or its whole part, for sentences.
    static func figure(_ value: Double) -> String {
        abs(value) >= 100 ? CapacityCheck.grouped(Int(value.rounded())) : String(format: "%.3g", value)
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
        let summary = latency.stages.summary(of: parts[0]) ?? latency.finality
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

extension Report.Transactions {
    /// Reads reports written before redirected submissions were counted as having none. (Here,
    /// not in the type, so the memberwise initializer stays.)
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        submitted = try container.decode(Int.self, forKey: .submitted)
        accepted = try container.decode(Int.self, forKey: .accepted)
        rejected = try container.decode(Int.self, forKey: .rejected)
        pending = try container.decode(Int.self, forKey: .pending)
        rejectedByReason = try container.decode([String: Int].self, forKey: .rejectedByReason)
        byKind = try container.decode([String: Report.Counts].self, forKey: .byKind)
        offered = try container.decode(Int.self, forKey: .offered)
        unfunded = try container.decode(Int.self, forKey: .unfunded)
        redirected = try container.decodeIfPresent(Int.self, forKey: .redirected) ?? 0
    }
}
