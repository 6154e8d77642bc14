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
    public var workload: WorkloadSettings
    public var targets: [TargetSpec]
    /// A cost profile path, resolved against the scenario file's folder; `nil` for the built-in one.
    public var costProfilePath: String?
}

public struct RunSettings: Sendable {
    public var duration: SimDuration
    public var seed: UInt64
    public var warmup: SimDuration
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

/// A class of participants with the same behaviour.
public struct ParticipantClass: Sendable {
    public var kind: String
    public var count: Int
    public var region: Region
    /// Transactions per simulated second, per participant.
    public var transactionRatePerSecond: Double
}

public struct WorkloadSettings: Sendable {
    public var invalidShare: BasisPoints
}

extension Scenario {
    /// Builds the typed scenario from a validated tree. Cross-field checks report into `diagnostics`.
    init(tree root: ScenarioNode, sourcePath: String, sourceHash: Digest32, overrides: [String],
         diagnostics: inout [ScenarioDiagnostic]) {
        self.sourcePath = sourcePath
        self.sourceHash = sourceHash
        self.overrides = overrides
        name = root["name"].string
        description = root["description"].string

        let runNode = root["run"]
        run = RunSettings(duration: runNode["duration"].duration, seed: UInt64(runNode["seed"].integer),
                          warmup: runNode["warmup"].duration)
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

        participants = root["participants"].list.map { node in
            ParticipantClass(kind: node["class"].string, count: node["count"].int, region: node["region"].region,
                             transactionRatePerSecond: node["tx_rate"].number)
        }
        workload = WorkloadSettings(invalidShare: root["workload"]["invalid_share"].basisPoints)
        targets = root["targets"].list.map(\.target)
        let profile = root["cost_profile"]
        costProfilePath = profile.isAbsent ? nil : profile.string
    }
}
