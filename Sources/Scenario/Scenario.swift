import GridCore

/// A validated scenario: plain configuration values, ready for the simulator.
public struct Scenario: Sendable {
    /// Where it was read from.
    public var sourcePath: String
    /// BLAKE2b-256 of the file's bytes, for the report's manifest.
    public var sourceHash: Digest32
    /// `--set` overrides applied, as given.
    public var overrides: [String]

    public var name: String
    public var description: String
    public var run: RunSettings
    public var network: NetworkSettings
    public var validators: ValidatorSettings
    public var consensus: ConsensusSettings
    public var participants: [ParticipantClass]
    public var market: MarketSettings
    public var grid: GridSettings
    public var workload: WorkloadSettings
    public var governance: GovernanceSettings
    /// `nil`: one chain, every validator on it.
    public var sharding: ShardingSettings?
    public var storage: StorageSettings
    public var load: LoadSettings
    public var swarm: SwarmSettings
    public var faults: FaultSchedule
    public var liveness: LivenessSettings
    public var targets: [TargetSpec]
    /// A cost profile path, resolved against the scenario file's folder; `nil` for the built-in one.
    public var costProfilePath: String?
    /// Values the run ignores, such as a closed-loop field under an open-loop controller, each
    /// located: the scenario runs, but not as written.
    public var warnings: [ScenarioDiagnostic] = []

    /// Where the `participants` section is, for problems of the participants as a whole.
    public var participantsLocation: SourceLocation

    /// Participants over every class. Complexity: O(classes).
    public var participantCount: Int { participants.reduce(0) { $0 + $1.count } }

    /// Coins the genesis creates: count × coins over every class. Complexity: O(classes).
    public var genesisCoinCount: Int { Self.genesisCoinCount(of: participants) }

    /// Coins the genesis of `participants` creates (the scenario check needs it before the
    /// scenario is whole).
    static func genesisCoinCount(of participants: [ParticipantClass]) -> Int {
        participants.reduce(0) { $0 + $1.count * $1.genesisCoins }
    }

    /// Bytes a run holds for each genesis coin: the ledger's output, the wallet's, the checker's
    /// and the handover copy (12 million coins took 4.2 GB in all).
    public static let bytesPerGenesisCoin = 350

    /// An error when the genesis coins alone would take more memory than `physicalMemoryBytes`
    /// (the machine's): such a run could only be killed by the kernel part way, with no report,
    /// so it is refused before it starts. `nil` when they fit.
    public func genesisMemoryProblem(physicalMemoryBytes: UInt64) -> ScenarioDiagnostic? {
        let coins = genesisCoinCount
        let bytes = coins * Self.bytesPerGenesisCoin
        guard UInt64(bytes) > physicalMemoryBytes else { return nil }
        let gigabytes = { (bytes: Double) in String(format: "%.1f", bytes / 1e9) }
        return ScenarioDiagnostic(
            location: participantsLocation, field: "participants",
            message: "the genesis holds \(coins) coins (count × coins over every class), about "
                + "\(gigabytes(Double(bytes))) GB at \(Self.bytesPerGenesisCoin) bytes each, "
                + "more than this machine's \(gigabytes(Double(physicalMemoryBytes))) GB: fewer coins or participants")
    }
}

public struct RunSettings: Sendable {
    public var duration: SimDuration
    public var seed: UInt64
    public var warmup: SimDuration
    /// Maps simulated time to local clock time: where time zero falls.
    public var calendar: SimCalendar
}

public struct NetworkSettings: Sendable {
    public var jitter: BasisPoints
    public var latencies: RegionLatencies
    public var loss: BasisPoints
    public var duplication: BasisPoints
    /// Extra random delay of up to this; above zero, links are not FIFO.
    public var reordering: SimDuration
    /// Per-link bandwidth, bytes per second; 0 = unlimited.
    public var bandwidthBytesPerSecond: Int64
    /// Peers a transaction is passed on to; 0 = every validator.
    public var gossipFanout: Int
}

public struct StorageSettings: Sendable {
    public var syncEvery: UInt64
}

/// A network partition between groups of validators.
public struct PartitionFault: Sendable {
    public var start: SimTime
    public var heal: SimTime
    /// Validator indexes per group (region groups already resolved).
    public var groups: [[Int]]
    /// Only messages from the first group to the others are lost.
    public var oneWay: Bool
}

public struct CrashFault: Sendable {
    public var node: Int
    public var at: SimTime
    public var restart: SimTime?
}

public struct PauseFault: Sendable {
    public var node: Int
    public var at: SimTime
    public var duration: SimDuration
}

public struct ClockSkew: Sendable {
    public var node: Int
    public var skew: SimDuration
}

public struct ClogFault: Sendable {
    /// One node (all its links) or two (the link between them).
    public var nodes: [Int]
    public var start: SimTime
    public var end: SimTime
}

public struct ByzantineFault: Sendable {
    public var node: Int
    public var behaviour: String
}

/// Everything that goes wrong in a run, on a schedule.
public struct FaultSchedule: Sendable {
    public var partitions: [PartitionFault]
    public var crashes: [CrashFault]
    public var pauses: [PauseFault]
    public var clockSkews: [ClockSkew]
    public var clogs: [ClogFault]
    public var byzantine: [ByzantineFault]

    /// When the last timed fault (partition, crash, pause, clog) is over; zero without any.
    public var end: SimTime {
        var latest = SimTime.zero
        for partition in partitions { latest = max(latest, partition.heal) }
        for crash in crashes { latest = max(latest, crash.restart ?? crash.at) }
        for pause in pauses { latest = max(latest, pause.at + pause.duration) }
        for clog in clogs { latest = max(latest, clog.end) }
        return latest
    }

    /// Whether the run checks liveness: after a timed fault ends (`end`), or from the start with
    /// Byzantine validators only.
    public var checksLiveness: Bool { end > .zero || !byzantine.isEmpty }
}

public struct LivenessSettings: Sendable {
    public var bound: SimDuration
}

public struct ValidatorSettings: Sendable {
    public var count: Int
    public var regions: [Region]
    public var stake: MicroTokens
    /// Per-validator stake, when not all equal.
    public var stakes: [MicroTokens]?
    public var cores: Int

    /// The region of validator `index`: regions are assigned round-robin.
    public func region(ofValidator index: Int) -> Region {
        regions[index % regions.count]
    }

    /// The stake of validator `index`.
    public func stake(ofValidator index: Int) -> MicroTokens {
        stakes?[index] ?? stake
    }
}

/// A step or ramp of the load.
public struct LoadPoint: Sendable {
    public var at: SimTime
    public var factor: Double
    public var ramp: SimDuration
    /// The regions whose participants follow this point; `nil`: every region.
    public var regions: [Region]? = nil

    func applies(to region: Region) -> Bool { regions?.contains(region) ?? true }
}

/// How transactions arrive.
public struct LoadSettings: Sendable {
    public enum Controller: String, Sendable {
        case poisson, fixed
        case closedLoop = "closed-loop"
        case trace
    }

    /// The fields of `load` (besides `controller`) and the controllers that use each; any other
    /// controller ignores the field. `tps` scales the participants' rates, which only the
    /// poisson and fixed controllers draw arrivals from.
    public static let fieldUsers: [(field: String, controllers: [Controller])] = [
        ("schedule", [.poisson, .fixed]), ("daily_profiles", [.poisson, .fixed]), ("tps", [.poisson, .fixed]),
        ("outstanding", [.closedLoop]), ("backoff", [.closedLoop]), ("think_time", [.closedLoop]),
        ("trace", [.trace]),
    ]

    /// Whether `controller` uses the load field `field`, one of ``fieldUsers``.
    public static func uses(_ controller: Controller, _ field: String) -> Bool {
        guard let users = fieldUsers.first(where: { $0.field == field }) else { preconditionFailure("no load field \(field)") }
        return users.controllers.contains(controller)
    }

    public var controller: Controller
    public var schedule: [LoadPoint]
    public var dailyProfiles: Bool
    public var outstanding: Int
    /// Closed loop: how long a place in flight stays empty after its transaction was refused as
    /// `mempool_full`, before the next one starts.
    public var backoff: SimDuration
    /// Closed loop: the mean of a client's think time between a response (its transaction
    /// finalized or refused) and its next transaction, drawn exponentially; zero: at once.
    public var thinkTime: SimDuration
    /// The trace file, resolved against the scenario's folder.
    public var tracePath: String?
    /// The trace's rows, read when the scenario is loaded (empty unless the controller is `trace`).
    public var trace: [TraceRow] = []

    /// The factor on the rates of participants in `region` at `time`: 1 before the first point
    /// that applies there, then each such point's factor, reached linearly over its ramp.
    public func factor(at time: SimTime, in region: Region) -> Double {
        var current = 1.0
        for point in schedule where point.at <= time && point.applies(to: region) {
            let previous = current
            if point.ramp > .zero, time < point.at + point.ramp {
                let progress = Double((time - point.at).nanoseconds) / Double(point.ramp.nanoseconds)
                current = previous + (point.factor - previous) * progress
            } else {
                current = point.factor
            }
        }
        return current
    }

    /// The largest factor the schedule ever reaches in `region`.
    public func maximumFactor(in region: Region) -> Double {
        schedule.filter { $0.applies(to: region) }.map(\.factor).reduce(1, max)
    }
}

/// Swarm mode: ranges a configuration is drawn from.
public struct SwarmSettings: Sendable {
    public var enabled: Bool
    public var validators: ClosedRange<Int>
    public var stakeSkew: ClosedRange<Double>
    public var regions: ClosedRange<Int>
    public var byzantine: ClosedRange<Int>
    /// What a drawn Byzantine validator does: one of these, drawn for each.
    public var behaviours: [String]
    public var crashes: ClosedRange<Int>
    public var partitions: ClosedRange<Int>
    public var loss: ClosedRange<Int64>
    public var load: ClosedRange<Double>
    /// Shard count; above 1 the regions are dealt into that many shards at random.
    public var shards: ClosedRange<Int>
    /// Validators per shard committee, when sharded.
    public var committee: ClosedRange<Int>
    /// Share of transfers, and of consumers' bids, that cross shards (basis points).
    public var crossShard: ClosedRange<Int64>
    /// Chance that a sharded draw runs the autoscaler.
    public var autoscalerChance: BasisPoints
    /// The `sharding` section as written or defaulted: what a drawn sharding starts from.
    public var sharding: ShardingSettings
}

public struct ConsensusSettings: Sendable {
    public var blockInterval: SimDuration
    public var maxBlockTransactions: Int
    /// Most transactions a validator's mempool holds (`nil`: no limit).
    public var mempoolLimit: Int?
    public var signatureScheme: SignatureScheme
    public var timeoutPropose: SimDuration
    public var timeoutPrevote: SimDuration
    public var timeoutPrecommit: SimDuration
    public var timeoutDelta: SimDuration
    public var epochLength: UInt64
    public var slash: BasisPoints
    public var proofOfWorkBits: Int

    /// A liveness bound must be longer than this: once faults end, a healthy chain's next block
    /// can be a block interval away, after a round whose every step times out.
    public var livenessFloor: SimDuration { blockInterval + timeoutPropose + timeoutPrevote + timeoutPrecommit }
}

/// What a participant class does on the grid.
public enum ParticipantRole: String, Sendable {
    case producer
    case consumer
    case gridOperator = "operator"
}

/// A class of participants with the same behaviour.
public struct ParticipantClass: Sendable {
    /// solar, wind, hydro, industrial, commercial, residential or operator.
    public var kind: String
    public var count: Int
    public var region: Region
    /// Orders per simulated second, per participant.
    public var orderRatePerSecond: Double
    /// Payment transfers per simulated second, per participant.
    public var transferRatePerSecond: Double
    /// Producers: installed capacity each, W.
    public var capacityWatts: Double
    /// Consumers: energy used per day each.
    public var dailyDemand: EnergyWh
    /// Payment tokens each holds at genesis.
    public var balance: MicroTokens
    /// Index of the `participants` entry this class comes from (an entry with `regions` becomes
    /// one class per region).
    public var entry = 0
    /// How many equal outputs the genesis balance is split into: a pending transaction locks its
    /// inputs until a block confirms them, so this bounds a participant's payments in flight.
    public var coins: Int
    /// Standard deviation of limit prices around the reference, as a share.
    public var priceSpread: BasisPoints

    /// The genesis outputs each participant starts with: its balance split into `coins`, or
    /// into as many as it has micro-tokens if fewer; none without a balance.
    public var genesisCoins: Int { balance.rawValue > 0 ? Int(min(balance.rawValue, Int64(coins))) : 0 }

    public var role: ParticipantRole {
        switch kind {
        case "solar", "wind", "hydro": .producer
        case "operator": .gridOperator
        default: .consumer
        }
    }
}

/// The energy market of a scenario.
public struct MarketSettings: Sendable {
    public var clearingRule: String
    /// Regions grouped into market areas.
    public var areas: [[Region]]
    public var slot: SimDuration
    public var deliveryLeadSlots: Int
    public var deliverySlots: Int
    public var orderLifetime: SimDuration
    public var candidateLimit: Int
    public var mintInterval: SimDuration
    public var minimumFee: MicroTokens
    public var tradingFee: BasisPoints
    public var blockReward: MicroTokens
    public var creditsPerKWh: MilliCredits
    public var settlementDelay: SimDuration
    public var settlementTimeout: SimDuration
    public var shortfallProbability: BasisPoints
    public var basePrice: MicroTokensPerKWh
    public var peakPremium: BasisPoints
    public var peakWindows: [DailyWindow]
    public var renewablePremium: BasisPoints
    public var locationSpread: BasisPoints
    public var carbonAdder: MicroTokensPerKWh
}

/// Where a scenario's grid data comes from.
public enum GridDataSource: Sendable, Equatable, CustomStringConvertible {
    /// A grid data file, its path resolved against the scenario's folder.
    case file(String)
    /// The copy of `Scenarios/data/thai-grid.yaml` compiled into the tool (see
    /// `GridDataLoader.builtIn`): `grid.data` is not written and no default file is beside the
    /// scenario.
    case builtIn

    /// The file's path, or `nil` for the built-in copy.
    public var path: String? {
        if case .file(let path) = self { return path }
        return nil
    }

    /// The path, or `built-in thai-grid.yaml`.
    public var description: String { path ?? "built-in thai-grid.yaml" }
}

/// The grid model of a scenario.
public struct GridSettings: Sendable {
    /// The grid data the topology was read from.
    public var dataSource: GridDataSource
    /// BLAKE2b-256 of the grid data's bytes.
    public var dataHash: Digest32
    public var topology: GridTopology
    public var sampleInterval: SimDuration
    public var loadNoise: BasisPoints
}

public struct WorkloadSettings: Sendable {
    public var invalidShare: BasisPoints
}

/// A governance proposal participants submit and vote on.
public struct ProposalSpec: Sendable, Equatable {
    public var at: SimTime
    /// One of ``ScenarioSchema/governedParameters``.
    public var parameter: String
    public var value: Int64
    /// Blocks of voting; `nil`: the section's default.
    public var votingPeriodBlocks: UInt64?
    /// Index into the scenario's `participants` list.
    public var proposerEntry: Int
    public var turnout: BasisPoints
    public var support: BasisPoints
    public var abstain: BasisPoints
}

/// Regional shards and their autoscaler.
public struct ShardingSettings: Sendable {
    /// The regions of each shard at the start (shard `i + 1` serves `shards[i]`).
    public var shards: [[Region]]
    /// Validators per committee.
    public var committee: Int
    public var handover: SimDuration
    /// A committee member down this long is replaced by a validator standing by, at the next
    /// monitor window (`nil`: never; it keeps its seat and rejoins when it restarts).
    public var reseatAfter: SimDuration?
    public var autoscaler: AutoscalerSettings
    /// Share of transfers paying a participant in another shard.
    public var crossShardShare: BasisPoints
    /// Share of consumers' buy orders placed in another shard's book as cross-shard bids.
    public var crossShardBidShare: BasisPoints
    /// A lock's deadline after its transaction is made.
    public var crossShardDeadline: SimDuration
    /// How long a relayer waits for a relayed step to become final before sending it again.
    public var relayRetry: SimDuration
}

public struct AutoscalerSettings: Sendable {
    public var enabled: Bool
    public var interval: SimDuration
    public var cpuHigh: BasisPoints
    public var memoryHighBytes: Int64
    public var finalityTarget: SimDuration
    public var tpsShare: BasisPoints
    public var minimumOfferedPerSecond: Double
    public var cpuLow: BasisPoints
    public var sustainWindows: Int
    public var cooldown: SimDuration
    public var maxShards: Int
    public var minShards: Int
}

public struct GovernanceSettings: Sendable {
    public var deposit: MicroTokens
    public var votingPeriodBlocks: UInt64
    public var quorum: BasisPoints
    public var passThreshold: BasisPoints
    public var proposals: [ProposalSpec]
}

extension Scenario {
    /// Builds the typed scenario from a validated tree. Cross-field checks report into `diagnostics`.
    init(tree root: ScenarioNode, sourcePath: String, sourceHash: Digest32, overrides: [String], grid: GridSettings,
         diagnostics: inout [ScenarioDiagnostic]) {
        self.sourcePath = sourcePath
        self.sourceHash = sourceHash
        self.overrides = overrides
        name = root["name"].string
        description = root["description"].string

        let runNode = root["run"]
        let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        run = RunSettings(duration: runNode["duration"].duration, seed: UInt64(runNode["seed"].integer),
                          warmup: runNode["warmup"].duration,
                          calendar: SimCalendar(startWeekday: weekdays.firstIndex(of: runNode["weekday"].string)!,
                                                startSecondOfDay: runNode["start"].dailyWindow.startSecond))
        if run.warmup >= run.duration {
            diagnostics.append(ScenarioDiagnostic(
                location: runNode["warmup"].location, field: "run.warmup",
                message: "warm-up (\(run.warmup)) must be shorter than the duration (\(run.duration))"))
        }

        let networkNode = root["network"]
        var latencies = RegionLatencies.thaiEstimate
        let intraRegion = networkNode["intra_region_latency"].duration
        for region in Region.allCases {
            latencies[region, region] = intraRegion
        }
        for (key, node) in networkNode["latency"].entries {
            let pair = RegionPair(key)!
            latencies[pair.first, pair.second] = node.duration
        }
        network = NetworkSettings(
            jitter: networkNode["jitter"].basisPoints, latencies: latencies, loss: networkNode["loss"].basisPoints,
            duplication: networkNode["duplication"].basisPoints, reordering: networkNode["reordering"].duration,
            bandwidthBytesPerSecond: networkNode["bandwidth"].storedInteger,
            gossipFanout: networkNode["gossip_fanout"].int)

        let validatorsNode = root["validators"]
        let stakes = validatorsNode["stakes"].isAbsent ? nil : validatorsNode["stakes"].list.map(\.tokens)
        validators = ValidatorSettings(
            count: validatorsNode["count"].int, regions: validatorsNode["regions"].list.map(\.region),
            stake: validatorsNode["stake"].tokens, stakes: stakes, cores: validatorsNode["cores"].int)
        if let stakes, stakes.count != validators.count {
            diagnostics.append(ScenarioDiagnostic(
                location: validatorsNode["stakes"].location, field: "validators.stakes",
                message: "\(stakes.count) stakes for \(validators.count) validators"))
            validators.stakes = nil  // the later checks then see one stake each
        }

        let consensusNode = root["consensus"]
        consensus = ConsensusSettings(
            blockInterval: consensusNode["block_interval"].duration,
            maxBlockTransactions: consensusNode["max_block_txs"].int,
            mempoolLimit: consensusNode["mempool_limit"].isAbsent ? nil : consensusNode["mempool_limit"].int,
            signatureScheme: SignatureScheme(rawValue: consensusNode["signatures"].string)!,
            timeoutPropose: consensusNode["timeout_propose"].duration,
            timeoutPrevote: consensusNode["timeout_prevote"].duration,
            timeoutPrecommit: consensusNode["timeout_precommit"].duration,
            timeoutDelta: consensusNode["timeout_delta"].duration,
            epochLength: UInt64(consensusNode["epoch_length"].integer), slash: consensusNode["slash"].basisPoints,
            proofOfWorkBits: consensusNode["proof_of_work_bits"].int)

        let marketNode = root["market"]
        let pricing = marketNode["pricing"]
        market = MarketSettings(
            clearingRule: marketNode["clearing_rule"].string,
            areas: marketNode["areas"].string == "national" ? [Region.allCases] : Region.allCases.map { [$0] },
            slot: marketNode["slot"].duration, deliveryLeadSlots: marketNode["delivery_lead"].int,
            deliverySlots: marketNode["delivery_slots"].int, orderLifetime: marketNode["order_lifetime"].duration,
            candidateLimit: marketNode["candidate_limit"].int, mintInterval: marketNode["mint_interval"].duration,
            minimumFee: marketNode["minimum_fee"].tokens, tradingFee: marketNode["trading_fee"].basisPoints,
            blockReward: marketNode["block_reward"].tokens,
            creditsPerKWh: MilliCredits(Int64((marketNode["credits_per_kwh"].number * 1_000).rounded())),
            settlementDelay: marketNode["settlement_delay"].duration,
            settlementTimeout: marketNode["settlement_timeout"].duration,
            shortfallProbability: marketNode["shortfall_probability"].basisPoints,
            basePrice: pricing["base"].price, peakPremium: pricing["peak_premium"].basisPoints,
            peakWindows: pricing["peak_hours"].list.map(\.dailyWindow),
            renewablePremium: pricing["renewable_premium"].basisPoints,
            locationSpread: pricing["location_spread"].basisPoints, carbonAdder: pricing["carbon_adder"].price)
        self.grid = grid
        let basePrice = market.basePrice
        var expanded: [ParticipantClass] = []
        for (entry, node) in root["participants"].list.enumerated() {
            var template = Scenario.participantClass(node, basePrice: basePrice)
            template.entry = entry
            switch (node["region"].isAbsent, node["regions"].isAbsent) {
            case (false, true):
                expanded.append(template)
            case (true, false):
                let regions = node["regions"].list.map(\.region)
                let weights = regions.map { grid.topology[$0].peakLoadMW }
                for (region, count) in zip(regions, Scenario.apportion(template.count, weights: weights)) where count > 0 {
                    var share = template
                    share.region = region
                    share.count = count
                    expanded.append(share)
                }
            default:
                diagnostics.append(ScenarioDiagnostic(location: node.location, field: node.path,
                                                      message: "give either `region` or `regions`"))
            }
        }
        participants = expanded
        let slot = market.slot.nanoseconds
        for window in market.peakWindows where (window.startSecond * 1_000_000_000) % slot != 0 {
            diagnostics.append(ScenarioDiagnostic(
                location: pricing["peak_hours"].location, field: "market.pricing.peak_hours",
                message: "peak windows should start on a slot boundary (slot \(market.slot))"))
        }
        workload = WorkloadSettings(invalidShare: root["workload"]["invalid_share"].basisPoints)
        let governanceNode = root["governance"]
        let entries = root["participants"].list.count
        governance = GovernanceSettings(
            deposit: governanceNode["deposit"].tokens, votingPeriodBlocks: UInt64(governanceNode["voting_period"].integer),
            quorum: governanceNode["quorum"].basisPoints, passThreshold: governanceNode["pass_threshold"].basisPoints,
            proposals: governanceNode["proposals"].list.map { item in
                if item["proposer"].int >= entries {
                    diagnostics.append(ScenarioDiagnostic(location: item["proposer"].location, field: item["proposer"].path,
                                                          message: "there are only \(entries) participants entries"))
                }
                return ProposalSpec(
                    at: .zero + item["at"].duration, parameter: item["parameter"].string, value: item["value"].integer,
                    votingPeriodBlocks: item["voting_period"].isAbsent ? nil : UInt64(item["voting_period"].integer),
                    proposerEntry: item["proposer"].int, turnout: item["turnout"].basisPoints,
                    support: item["support"].basisPoints, abstain: item["abstain"].basisPoints)
            })
        let shardingFields = Scenario.shardingFields(root["sharding"], diagnostics: &diagnostics)
        sharding = Scenario.sharding(root["sharding"], fields: shardingFields, validators: validators, market: market,
                                     governance: governance, diagnostics: &diagnostics)
        storage = StorageSettings(syncEvery: UInt64(root["storage"]["sync_every"].integer))
        let loadNode = root["load"]
        load = LoadSettings(
            controller: LoadSettings.Controller(rawValue: loadNode["controller"].string)!,
            schedule: loadNode["schedule"].list.map {
                LoadPoint(at: .zero + $0["at"].duration, factor: $0["factor"].number, ramp: $0["ramp"].duration,
                          regions: $0["regions"].isAbsent ? nil : $0["regions"].list.map(\.region))
            },
            dailyProfiles: loadNode["daily_profiles"].bool, outstanding: loadNode["outstanding"].int,
            backoff: loadNode["backoff"].duration, thinkTime: loadNode["think_time"].duration,
            tracePath: loadNode["trace"].isAbsent ? nil : ScenarioLoader.resolve(loadNode["trace"].string, relativeTo: sourcePath))
        if load.controller == .trace, load.tracePath == nil {
            diagnostics.append(ScenarioDiagnostic(location: loadNode.location, field: "load.trace",
                                                  message: "the trace controller needs a `trace` file"))
        }
        warnings = Scenario.ignoredLoadFields(of: loadNode, controller: load.controller)
        participantsLocation = root["participants"].location
        let genesisOutputs = Scenario.genesisCoinCount(of: participants)
        if genesisOutputs > Scenario.largeGenesisOutputs {
            warnings.append(ScenarioDiagnostic(
                location: participantsLocation, field: "participants",
                message: "the genesis holds \(genesisOutputs) coins (count × coins over every class); each takes about "
                    + "\(Scenario.bytesPerGenesisCoin) bytes of memory in a run "
                    + "(\(genesisOutputs * Scenario.bytesPerGenesisCoin / 1_000_000_000) GB in all): fewer coins or participants "
                    + "if that is more than this machine has (a run refuses to start when it is)",
                severity: .warning))
        }
        Scenario.scaleRates(of: &participants, to: loadNode["tps"], controller: load.controller, diagnostics: &diagnostics)
        if zip(load.schedule, load.schedule.dropFirst()).contains(where: { $0.at > $1.at }) {
            diagnostics.append(ScenarioDiagnostic(location: loadNode["schedule"].location, field: "load.schedule",
                                                  message: "schedule points must be in time order"))
        }
        let swarmNode = root["swarm"]
        func range<Value: Comparable>(_ key: String, _ value: (ScenarioNode) -> Value, empty: Value) -> ClosedRange<Value> {
            let values = swarmNode[key].list.map(value)
            if values.count != 2 || values[0] > values[1] {
                diagnostics.append(ScenarioDiagnostic(location: swarmNode[key].location, field: "swarm.\(key)",
                                                      message: "a range is [low, high]"))
                return empty...empty
            }
            return values[0]...values[1]
        }
        func intRange(_ key: String) -> ClosedRange<Int> { range(key, \.int, empty: 0) }
        func numberRange(_ key: String) -> ClosedRange<Double> { range(key, \.number, empty: 0) }
        func percentRange(_ key: String) -> ClosedRange<Int64> { range(key, \.storedInteger, empty: 0) }
        swarm = SwarmSettings(
            enabled: swarmNode["enabled"].bool, validators: intRange("validators"), stakeSkew: numberRange("stake_skew"),
            regions: intRange("regions"), byzantine: intRange("byzantine"),
            behaviours: swarmNode["behaviours"].list.map(\.string), crashes: intRange("crashes"),
            partitions: intRange("partitions"), loss: percentRange("loss"), load: numberRange("load"),
            shards: intRange("shards"), committee: intRange("committee"), crossShard: percentRange("cross_shard"),
            autoscalerChance: swarmNode["autoscaler"].basisPoints, sharding: shardingFields)
        if swarm.enabled, swarm.shards.upperBound > 1 {
            if !governance.proposals.isEmpty {
                diagnostics.append(ScenarioDiagnostic(location: swarmNode["shards"].location, field: "swarm.shards",
                                                      message: Scenario.governanceWithShardsUnsupported))
            }
            if swarm.committee.lowerBound < 1 {
                diagnostics.append(ScenarioDiagnostic(location: swarmNode["committee"].location, field: "swarm.committee",
                                                      message: "a committee needs at least one validator"))
            }
        }
        if let problem = Scenario.totalStakeProblem(root["validators"], validators: validators, swarm: swarm) {
            diagnostics.append(problem)
        }
        liveness = LivenessSettings(bound: root["liveness"]["bound"].duration)
        faults = Scenario.faults(root["faults"], validators: validators, run: run, liveness: liveness,
                                 diagnostics: &diagnostics)
        let swarmDrawsFaults = swarm.enabled
            && (swarm.byzantine.upperBound > 0 || swarm.crashes.upperBound > 0 || swarm.partitions.upperBound > 0)
        if faults.checksLiveness || swarmDrawsFaults, liveness.bound <= consensus.livenessFloor {
            let bound = root["liveness"]["bound"]
            let parts = ["block_interval", "timeout_propose", "timeout_prevote", "timeout_precommit"].map { root["consensus"][$0] }
            let at = bound.isWritten ? bound : parts.first(where: \.isWritten) ?? bound
            let sum = parts.map { "\($0.duration)" }.joined(separator: " + ")
            diagnostics.append(ScenarioDiagnostic(
                location: at.location, field: at.path,
                message: "the liveness check can fail a healthy chain: after the faults end, the next block can take a block interval and a round whose every step times out (\(sum) = \(consensus.livenessFloor)), not within the \(liveness.bound) bound; make liveness.bound longer than that"))
        }
        targets = root["targets"].list.map(\.target)
        let profile = root["cost_profile"]
        costProfilePath = profile.isAbsent ? nil : profile.string
    }
}

extension Scenario {
    /// Scales every class's order and transfer rates by one factor so that together they offer
    /// `tps` (`load.tps`) orders and transfers a second; nothing when the field is absent, or when
    /// the controller does not draw arrivals from the rates (closed loop, trace: a warning says so).
    static func scaleRates(of participants: inout [ParticipantClass], to tps: ScenarioNode,
                           controller: LoadSettings.Controller, diagnostics: inout [ScenarioDiagnostic]) {
        guard !tps.isAbsent, LoadSettings.uses(controller, "tps") else { return }
        let offered = participants.reduce(0.0) { $0 + Double($1.count) * ($1.orderRatePerSecond + $1.transferRatePerSecond) }
        guard offered > 0 else {
            diagnostics.append(ScenarioDiagnostic(
                location: tps.location, field: tps.path,
                message: "`tps` scales the participants' `order_rate` and `tx_rate`, but every one of them is 0"))
            return
        }
        let factor = tps.number / offered
        for index in participants.indices {
            participants[index].orderRatePerSecond *= factor
            participants[index].transferRatePerSecond *= factor
        }
    }

    /// A warning for each field of `load` written for controllers other than `controller`, which
    /// the run ignores. A warning, not an error: replaying a recorded trace switches a scenario's
    /// controller with `--set load.controller=trace` and leaves its other load fields as written.
    static func ignoredLoadFields(of load: ScenarioNode, controller: LoadSettings.Controller) -> [ScenarioDiagnostic] {
        LoadSettings.fieldUsers.filter { !$0.controllers.contains(controller) && load[$0.field].isWritten }
            .map { field, controllers in
                let names = controllers.map(\.rawValue).joined(separator: " and ")
                return ScenarioDiagnostic(
                    location: load[field].location, field: load[field].path,
                    message: "the \(controller.rawValue) controller ignores it (it is for the \(names) "
                        + "controller\(controllers.count > 1 ? "s" : ""))",
                    severity: .warning)
            }
    }

    /// Genesis coins above which a scenario warns of the memory they take
    /// (``bytesPerGenesisCoin`` each).
    static let largeGenesisOutputs = 10_000_000

    /// A total stake beyond ``MicroTokens/maximumTotalStake``, which the quorum rules cannot
    /// count: the validators' own, or for a swarm the most a draw can give (its most validators,
    /// a committee of its largest size for every region and one standing by when it shards, each
    /// at the stake times the largest skew).
    static func totalStakeProblem(_ node: ScenarioNode, validators: ValidatorSettings,
                                  swarm: SwarmSettings) -> ScenarioDiagnostic? {
        let limit = MicroTokens.maximumTotalStake
        let field = node["stakes"].isWritten ? "stakes" : "stake"
        func problem(_ what: String) -> ScenarioDiagnostic {
            ScenarioDiagnostic(location: node[field].location, field: "validators.\(field)",
                               message: what + "; consensus counts stake in 64-bit micro-tokens, so validators may hold "
                                   + "at most \(Int64(limit.tokens)) tokens in all")
        }
        if swarm.enabled {
            let committees = swarm.shards.upperBound > 1 ? (Region.allCases.count + 1) * swarm.committee.upperBound : 0
            let most = max(swarm.validators.upperBound, committees)
            let skew = max(1, swarm.stakeSkew.upperBound)
            let total = validators.stake.tokens * skew * Double(most)
            guard total * 1e6 * (1 + 1e-9) > Double(limit.rawValue) else { return nil }
            return problem("a swarm draw can give up to \(most) validators up to \(String(format: "%g", skew)) times "
                           + "this stake, \(String(format: "%g", total)) tokens in all")
        }
        guard MicroTokens.totalStake(of: (0..<validators.count).lazy.map { validators.stake(ofValidator: $0).rawValue }) == nil
        else { return nil }
        return problem("the \(validators.count) validators' stakes add up to more than \(Int64(limit.tokens)) tokens")
    }

    /// Why a sharded scenario, or a swarm that may draw shards, cannot have governance proposals.
    static let governanceWithShardsUnsupported =
        "governance proposals are not supported with sharding yet (each shard would govern itself)"

    /// The `sharding` section's `fields`, checked against the validators, market areas and
    /// governance they have to work with; `nil` when it lists no shards.
    static func sharding(_ node: ScenarioNode, fields: ShardingSettings, validators: ValidatorSettings,
                         market: MarketSettings, governance: GovernanceSettings,
                         diagnostics: inout [ScenarioDiagnostic]) -> ShardingSettings? {
        let shards = fields.shards
        guard !shards.isEmpty else { return nil }
        func problem(_ field: ScenarioNode, _ message: String) {
            diagnostics.append(ScenarioDiagnostic(location: field.location, field: field.path, message: message))
        }
        let entries = node["shards"].list.map(\.list)
        for region in Region.allCases {
            // Where the region is listed: (shard position, entry position), in the file's order.
            let places = shards.indices.flatMap { shard in
                shards[shard].indices.filter { shards[shard][$0] == region }.map { (shard, $0) }
            }
            guard let first = places.first else {
                problem(node["shards"], "\(region) is in no shard (every region needs exactly one)")
                continue
            }
            for (shard, entry) in places.dropFirst() {
                problem(entries[shard][entry], shard == first.0
                        ? "\(region) is listed twice in shard \(shard + 1) (every region needs exactly one shard)"
                        : "\(region) is in shard \(first.0 + 1) and again in shard \(shard + 1) (every region needs exactly one)")
            }
        }
        if validators.count < shards.count * fields.committee {
            problem(node["committee"], "\(shards.count) shards of \(fields.committee) validators need \(shards.count * fields.committee), but `validators.count` is \(validators.count)")
        }
        if market.areas.count != Region.allCases.count {
            problem(node, "sharding needs regional market areas (`market.areas: regional`): a national book cannot be split between shards")
        }
        if !governance.proposals.isEmpty {
            problem(node, Scenario.governanceWithShardsUnsupported)
        }
        if fields.autoscaler.minShards > fields.autoscaler.maxShards || shards.count > fields.autoscaler.maxShards {
            problem(node["autoscaler"]["max_shards"], "`max_shards` \(fields.autoscaler.maxShards) is below `min_shards` or the \(shards.count) shards at the start")
        }
        return fields
    }

    /// Every field of the `sharding` section as written or defaulted, whether or not it lists
    /// shards: the settings of a scenario's shards, and what a swarm draw of shards starts from.
    static func shardingFields(_ node: ScenarioNode, diagnostics: inout [ScenarioDiagnostic]) -> ShardingSettings {
        let scaler = node["autoscaler"]
        let autoscaler = AutoscalerSettings(
            enabled: scaler["enabled"].bool, interval: scaler["interval"].duration, cpuHigh: scaler["cpu_high"].basisPoints,
            memoryHighBytes: scaler["memory_high"].storedInteger, finalityTarget: scaler["finality_p99"].duration,
            tpsShare: scaler["tps_share"].basisPoints, minimumOfferedPerSecond: scaler["min_tps"].number,
            cpuLow: scaler["cpu_low"].basisPoints, sustainWindows: scaler["sustain"].int,
            cooldown: scaler["cooldown"].duration, maxShards: scaler["max_shards"].int, minShards: scaler["min_shards"].int)
        if autoscaler.cpuLow >= autoscaler.cpuHigh {
            diagnostics.append(ScenarioDiagnostic(location: scaler["cpu_low"].location, field: scaler["cpu_low"].path,
                                                  message: "the merge threshold must lie below `cpu_high` (hysteresis)"))
        }
        return ShardingSettings(shards: node["shards"].list.map { $0.list.map(\.region) }, committee: node["committee"].int,
                                handover: node["handover"].duration,
                                reseatAfter: node["reseat_after"].isAbsent ? nil : node["reseat_after"].duration,
                                autoscaler: autoscaler,
                                crossShardShare: node["cross_shard"].basisPoints,
                                crossShardBidShare: node["cross_shard_bids"].basisPoints,
                                crossShardDeadline: node["cross_shard_deadline"].duration,
                                relayRetry: node["relay_retry"].duration)
    }

    /// Reads the fault schedule and checks it against the validator set and the run.
    static func faults(_ node: ScenarioNode, validators: ValidatorSettings, run: RunSettings, liveness: LivenessSettings,
                       diagnostics: inout [ScenarioDiagnostic]) -> FaultSchedule {
        func problem(_ at: ScenarioNode, _ message: String) {
            diagnostics.append(ScenarioDiagnostic(location: at.location, field: at.path, message: message))
        }
        func validator(_ at: ScenarioNode) -> Int {
            let index = at.int
            if index >= validators.count { problem(at, "validator \(index) does not exist (there are \(validators.count): 0...\(validators.count - 1))") }
            return index
        }
        func time(_ at: ScenarioNode) -> SimTime { .zero + at.duration }
        var partitions: [PartitionFault] = []
        for item in node["partitions"].list {
            var groups: [[Int]] = []
            if !item["groups"].isAbsent {
                groups = item["groups"].list.map { $0.list.map(validator) }
            } else if !item["regions"].isAbsent {
                groups = item["regions"].list.map { regions in
                    let set = regions.list.map(\.region)
                    return (0..<validators.count).filter { set.contains(validators.region(ofValidator: $0)) }
                }
            } else {
                problem(item, "a partition needs `groups` (validator indexes) or `regions`")
            }
            let members = groups.flatMap { $0 }
            if Set(members).count != members.count { problem(item, "a validator appears in two groups") }
            if item["heal"].duration <= item["start"].duration { problem(item["heal"], "heal must come after start") }
            partitions.append(PartitionFault(start: time(item["start"]), heal: time(item["heal"]), groups: groups,
                                             oneWay: item["one_way"].bool))
        }
        var crashes: [CrashFault] = []
        for item in node["crashes"].list {
            let restart = item["restart"].isAbsent ? nil : time(item["restart"])
            if let restart, restart <= time(item["at"]) { problem(item["restart"], "restart must come after the crash") }
            crashes.append(CrashFault(node: validator(item["node"]), at: time(item["at"]), restart: restart))
        }
        let pauses = node["pauses"].list.map {
            PauseFault(node: validator($0["node"]), at: time($0["at"]), duration: $0["duration"].duration)
        }
        let skews = node["clock_skews"].list.map { ClockSkew(node: validator($0["node"]), skew: $0["skew"].duration) }
        var clogs: [ClogFault] = []
        for item in node["clogs"].list {
            let nodes = item["nodes"].list.map(validator)
            if nodes.count > 2 { problem(item["nodes"], "a clog names one validator or the two ends of a link") }
            if item["end"].duration <= item["start"].duration { problem(item["end"], "end must come after start") }
            clogs.append(ClogFault(nodes: nodes, start: time(item["start"]), end: time(item["end"])))
        }
        var byzantine: [ByzantineFault] = []
        for item in node["byzantine"].list {
            byzantine.append(ByzantineFault(node: validator(item["node"]), behaviour: item["behaviour"].string))
        }
        if Set(byzantine.map(\.node)).count != byzantine.count {
            problem(node["byzantine"], "a validator is listed as Byzantine twice")
        }
        let total = (0..<validators.count).reduce(Int64(0)) { $0 + validators.stake(ofValidator: $1).rawValue }
        let faulty = byzantine.filter { $0.node < validators.count }
            .reduce(Int64(0)) { $0 + validators.stake(ofValidator: $1.node).rawValue }
        if !byzantine.isEmpty, 3 * faulty >= total {
            problem(node["byzantine"], "\(byzantine.count) Byzantine validators hold at least 1/3 of stake: the protocol is only safe below that")
        }
        let schedule = FaultSchedule(partitions: partitions, crashes: crashes, pauses: pauses, clockSkews: skews,
                                     clogs: clogs, byzantine: byzantine)
        if schedule.end > .zero, schedule.end + liveness.bound > .zero + run.duration {
            problem(node, "the run ends before the liveness check: faults end at \(schedule.end), plus the \(liveness.bound) bound, is after the \(run.duration) run")
        }
        return schedule
    }
}

extension Scenario {
    /// One participant class as written (its region set later when it is spread over regions).
    static func participantClass(_ node: ScenarioNode, basePrice: MicroTokensPerKWh) -> ParticipantClass {
        let kind = node["class"].string
        let defaultCapacity: Double = switch kind {
        case "solar": 50e3
        case "wind": 2e6
        case "hydro": 1e6
        default: 0
        }
        let defaultDemand: Int64 = switch kind {
        case "residential": 10_000
        case "commercial": 300_000
        case "industrial": 4_000_000
        default: 0
        }
        let demand = node["demand"].isAbsent ? EnergyWh(defaultDemand) : node["demand"].energy
        let defaultBalance = demand > .zero
            ? MicroTokens.value(of: EnergyWh(demand.rawValue * 50), at: basePrice)! : MicroTokens.tokens(100)
        return ParticipantClass(
            kind: kind, count: node["count"].int, region: node["region"].isAbsent ? .bangkok : node["region"].region,
            orderRatePerSecond: node["order_rate"].number, transferRatePerSecond: node["tx_rate"].number,
            capacityWatts: node["capacity"].isAbsent ? defaultCapacity : node["capacity"].number,
            dailyDemand: demand, balance: node["balance"].isAbsent ? defaultBalance : node["balance"].tokens,
            coins: node["coins"].int, priceSpread: node["price_spread"].basisPoints)
    }

    /// `total` split in proportion to `weights`, by largest remainder (ties to the earlier).
    ///
    /// Complexity: O(n log n) in the weights.
    public static func apportion(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        let exact = weights.map { Double(total) * $0 / max(sum, 1e-12) }
        var shares = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted {
            (exact[$0] - Double(shares[$0]), -$0) > (exact[$1] - Double(shares[$1]), -$1)
        }
        for index in order.prefix(total - shares.reduce(0, +)) { shares[index] += 1 }
        return shares
    }
}
