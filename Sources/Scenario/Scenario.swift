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
    public var targets: [TargetSpec]
    /// A cost profile path, resolved against the scenario file's folder; `nil` for the built-in one.
    public var costProfilePath: String?
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
}

public struct ValidatorSettings: Sendable {
    public var count: Int
    public var regions: [Region]
    public var stake: MicroTokens
    public var cores: Int

    /// The region of validator `index`: regions are assigned round-robin.
    public func region(ofValidator index: Int) -> Region {
        regions[index % regions.count]
    }
}

public struct ConsensusSettings: Sendable {
    public var blockInterval: SimDuration
    public var maxBlockTransactions: Int
    public var signatureScheme: SignatureScheme
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
    /// Standard deviation of limit prices around the reference, as a share.
    public var priceSpread: BasisPoints

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

/// The grid model of a scenario.
public struct GridSettings: Sendable {
    /// The grid data file, resolved.
    public var dataPath: String
    public var topology: GridTopology
    public var sampleInterval: SimDuration
    public var loadNoise: BasisPoints
}

public struct WorkloadSettings: Sendable {
    public var invalidShare: BasisPoints
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
        network = NetworkSettings(jitter: networkNode["jitter"].basisPoints, latencies: latencies)

        let validatorsNode = root["validators"]
        validators = ValidatorSettings(
            count: validatorsNode["count"].int, regions: validatorsNode["regions"].list.map(\.region),
            stake: validatorsNode["stake"].tokens, cores: validatorsNode["cores"].int)

        let consensusNode = root["consensus"]
        consensus = ConsensusSettings(
            blockInterval: consensusNode["block_interval"].duration,
            maxBlockTransactions: consensusNode["max_block_txs"].int,
            signatureScheme: SignatureScheme(rawValue: consensusNode["signatures"].string)!)

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
        participants = root["participants"].list.map { node in
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
                kind: kind, count: node["count"].int, region: node["region"].region,
                orderRatePerSecond: node["order_rate"].number, transferRatePerSecond: node["tx_rate"].number,
                capacityWatts: node["capacity"].isAbsent ? defaultCapacity : node["capacity"].number,
                dailyDemand: demand, balance: node["balance"].isAbsent ? defaultBalance : node["balance"].tokens,
                priceSpread: node["price_spread"].basisPoints)
        }
        let slot = market.slot.nanoseconds
        for window in market.peakWindows where (window.startSecond * 1_000_000_000) % slot != 0 {
            diagnostics.append(ScenarioDiagnostic(
                location: pricing["peak_hours"].location, field: "market.pricing.peak_hours",
                message: "peak windows should start on a slot boundary (slot \(market.slot))"))
        }
        workload = WorkloadSettings(invalidShare: root["workload"]["invalid_share"].basisPoints)
        targets = root["targets"].list.map(\.target)
        let profile = root["cost_profile"]
        costProfilePath = profile.isAbsent ? nil : profile.string
    }
}
