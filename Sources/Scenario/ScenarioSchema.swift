/// The scenario file format: every section and field with its type, unit, default and meaning.
/// `gridsim validate` checks files against it; `Scenarios/README.md` documents it.
public enum ScenarioSchema {
    /// Participant classes, producers first.
    public static let participantClasses = ["solar", "wind", "hydro", "industrial", "commercial", "residential", "operator"]

    public static let run: [Field] = [
        Field("duration", .quantity(.duration, 1e6...1e15), .required, "simulated time to run"),
        Field("seed", .integer(0...Int64.max), .defaultValue("1"), "master seed; `--seed` overrides it"),
        Field("warmup", .quantity(.duration, 0...1e15), .defaultValue("0 s"),
              "simulated time at the start excluded from throughput and latency figures"),
    ]

    public static let network: [Field] = [
        Field("jitter", .quantity(.percent, 0...10_000), .defaultValue("10 %"),
              "each message's latency varies uniformly by up to this share either way"),
        Field("intra_region_latency", .quantity(.duration, 0...1e10), .defaultValue("2 ms"),
              "one-way latency between nodes of the same region"),
        Field("latency", .regionPairMap(.quantity(.duration, 0...1e11)), .optional,
              "one-way latency per region pair, e.g. `bangkok-north: 8 ms`; unlisted pairs keep the built-in Thai estimate"),
    ]

    public static let validators: [Field] = [
        Field("count", .integer(1...1_000), .required, "number of validators"),
        Field("regions", .list(.region, minCount: 1), .defaultValue("[bangkok, north, northeast, east, south]"),
              "regions the validators are placed in, round-robin"),
        Field("stake", .quantity(.tokens, 1...1e18), .defaultValue("1000 tokens"), "stake of each validator"),
        Field("cores", .integer(1...256), .defaultValue("2"), "CPU cores per validator in the cost model"),
    ]

    public static let consensus: [Field] = [
        Field("block_interval", .quantity(.duration, 1e6...1e12), .defaultValue("9.8 s"),
              "target time between blocks (the seed: 9.8 s)"),
        Field("max_block_txs", .integer(1...1_000_000), .defaultValue("1000"),
              "most transactions in one block (the seed: 1,000)"),
        Field("signatures", .choice(["ed25519", "modelled"]), .defaultValue("ed25519"),
              "`ed25519` computes real signatures; `modelled` charges their cost without computing them"),
    ]

    public static let participant: [Field] = [
        Field("class", .choice(participantClasses), .required, "kind of participant"),
        Field("count", .integer(1...10_000_000), .required, "how many participants of this class"),
        Field("region", .region, .required, "grid region they are in"),
        Field("tx_rate", .quantity(.rate, 0...1e6), .required,
              "transactions each participant submits, a Poisson process (e.g. `0.5 /s`)"),
    ]

    public static let workload: [Field] = [
        Field("invalid_share", .quantity(.percent, 0...10_000), .defaultValue("0 %"),
              "share of submitted transactions sent with a corrupted signature, to exercise rejection"),
    ]

    /// The top level of a scenario file.
    public static let root: [Field] = [
        Field("name", .string, .required, "short name of the scenario"),
        Field("description", .string, .defaultValue("''"), "what the scenario is for"),
        Field("run", .object(run), .required, "duration, seed and warm-up"),
        Field("network", .object(network), .optional, "latency between regions and its jitter"),
        Field("validators", .object(validators), .required, "the validator set"),
        Field("consensus", .object(consensus), .optional, "block production"),
        Field("participants", .list(.object(participant), minCount: 1), .required,
              "producers and consumers that submit transactions"),
        Field("workload", .object(workload), .optional, "properties of the submitted load"),
        Field("targets", .list(.target, minCount: 0), .defaultValue("[]"),
              "performance targets, each `metric op value`, e.g. `tps >= 1000`, `finality.p99 < 15 s`"),
        Field("cost_profile", .string, .optional,
              "a CPU cost profile written by `gridsim calibrate`, relative to the scenario file; default: the built-in reference profile"),
    ]
}
