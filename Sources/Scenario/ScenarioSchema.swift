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
        Field("start", .timeWindow, .defaultValue("'00:00-24:00'"),
              "local (Thai) time of day the run starts: `HH:MM` (a window's start is also accepted)"),
        Field("weekday", .choice(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]),
              .defaultValue("monday"), "day of the week the run starts"),
    ]

    public static let network: [Field] = [
        Field("jitter", .quantity(.percent, 0...10_000), .defaultValue("10 %"),
              "each message's latency varies uniformly by up to this share either way"),
        Field("intra_region_latency", .quantity(.duration, 0...1e10), .defaultValue("2 ms"),
              "one-way latency between nodes of the same region"),
        Field("latency", .regionPairMap(.quantity(.duration, 0...1e11)), .optional,
              "one-way latency per region pair, e.g. `bangkok-north: 8 ms`; unlisted pairs keep the built-in Thai estimate"),
        Field("loss", .quantity(.percent, 0...10_000), .defaultValue("0 %"), "share of messages lost"),
        Field("duplication", .quantity(.percent, 0...10_000), .defaultValue("0 %"), "share of messages delivered twice"),
        Field("reordering", .quantity(.duration, 0...1e11), .defaultValue("0 ms"),
              "up to this much extra random delay per message; above zero, links are no longer FIFO"),
        Field("bandwidth", .quantity(.bandwidth, 0...1e15), .defaultValue("0 B/s"),
              "per-link bandwidth (serialisation delay = bytes ÷ bandwidth, queued per link); 0 = unlimited"),
        Field("gossip_fanout", .integer(0...1_000), .defaultValue("0"),
              "peers a transaction is passed on to at each hop; 0 = every validator"),
    ]

    public static let validators: [Field] = [
        Field("count", .integer(1...1_000), .required, "number of validators"),
        Field("regions", .list(.region, minCount: 1), .defaultValue("[bangkok, north, northeast, east, south]"),
              "regions the validators are placed in, round-robin"),
        Field("stake", .quantity(.tokens, 1...1e18), .defaultValue("1000 tokens"), "stake of each validator"),
        Field("stakes", .list(.quantity(.tokens, 1...1e18), minCount: 1), .optional,
              "stake per validator, in index order (replaces `stake`; as many as `count`)"),
        Field("cores", .integer(1...256), .defaultValue("2"), "CPU cores per validator in the cost model"),
    ]

    public static let consensus: [Field] = [
        Field("block_interval", .quantity(.duration, 1e6...1e12), .defaultValue("9.8 s"),
              "target time between blocks (the seed: 9.8 s)"),
        Field("max_block_txs", .integer(1...1_000_000), .defaultValue("1000"),
              "most transactions in one block (the seed: 1,000)"),
        Field("mempool_limit", .integer(1...100_000_000), .optional,
              "most transactions a validator's mempool holds; a full one refuses new ones as `mempool_full` "
              + "(relayed cross-shard steps, trade settlements and a reshard's handover still enter); absent = no limit"),
        Field("signatures", .choice(["ed25519", "modelled"]), .defaultValue("ed25519"),
              "`ed25519` computes real signatures; `modelled` charges their cost without computing them"),
        Field("timeout_propose", .quantity(.duration, 1e6...1e12), .defaultValue("3 s"),
              "how long round 0 waits for a proposal"),
        Field("timeout_prevote", .quantity(.duration, 1e6...1e12), .defaultValue("1 s"),
              "how long round 0 waits for more prevotes after a quorum of any"),
        Field("timeout_precommit", .quantity(.duration, 1e6...1e12), .defaultValue("1 s"),
              "how long round 0 waits for more precommits after a quorum of any"),
        Field("timeout_delta", .quantity(.duration, 0...1e12), .defaultValue("500 ms"),
              "each later round waits this much longer"),
        Field("epoch_length", .integer(1...1_000_000_000), .defaultValue("100"),
              "stake changes (slashing) take effect at heights divisible by this"),
        Field("slash", .quantity(.percent, 0...10_000), .defaultValue("10 %"),
              "share of stake an equivocating validator loses"),
        Field("proof_of_work_bits", .integer(0...32), .defaultValue("0"),
              "leading zero bits of the optional proof-of-work stamp on proposals (the seed's hybrid PoS/PoW); 0 = off"),
    ]

    public static let storage: [Field] = [
        Field("sync_every", .integer(1...1_000_000), .defaultValue("10"),
              "a validator syncs its block store every this many blocks; a crash loses what was not synced"),
    ]

    static let partition: [Field] = [
        Field("start", .quantity(.duration, 0...1e15), .required, "when the partition begins"),
        Field("heal", .quantity(.duration, 0...1e15), .required, "when it heals"),
        Field("groups", .list(.list(.integer(0...999), minCount: 1), minCount: 2), .optional,
              "groups of validators (by index) that cannot reach each other"),
        Field("regions", .list(.list(.region, minCount: 1), minCount: 2), .optional,
              "groups of regions whose validators cannot reach each other"),
        Field("one_way", .boolean, .defaultValue("false"),
              "asymmetric: only messages from the first group to the others are lost"),
    ]

    static let crash: [Field] = [
        Field("node", .integer(0...999), .required, "validator index"),
        Field("at", .quantity(.duration, 0...1e15), .required, "when it crashes (unsynced writes are lost)"),
        Field("restart", .quantity(.duration, 0...1e15), .optional, "when it restarts from its storage; never if absent"),
    ]

    static let pause: [Field] = [
        Field("node", .integer(0...999), .required, "validator index"),
        Field("at", .quantity(.duration, 0...1e15), .required, "when it stops handling inputs"),
        Field("duration", .quantity(.duration, 0...1e15), .required, "for how long (inputs queue up)"),
    ]

    static let skew: [Field] = [
        Field("node", .integer(0...999), .required, "validator index"),
        Field("skew", .quantity(.duration, -1e13...1e13), .required, "how far its clock is ahead (negative: behind)"),
    ]

    static let clog: [Field] = [
        Field("nodes", .list(.integer(0...999), minCount: 1), .required,
              "one validator (all its links clog) or two (the link between them)"),
        Field("start", .quantity(.duration, 0...1e15), .required, "when messages start being held"),
        Field("end", .quantity(.duration, 0...1e15), .required, "when the held messages flow again"),
    ]

    /// How a Byzantine validator can misbehave: the node's `ByzantineBehaviour` names, in its
    /// order (a test checks it; this module does not depend on the node's).
    public static let byzantineBehaviours = ["equivocation", "invalid-signatures", "withhold-votes",
                                             "invalid-proposals", "censorship", "amnesia", "split-amnesia"]

    static let byzantine: [Field] = [
        Field("node", .integer(0...999), .required, "validator index"),
        Field("behaviour", .choice(byzantineBehaviours), .required, "how it misbehaves"),
    ]

    public static let faults: [Field] = [
        Field("partitions", .list(.object(partition), minCount: 0), .defaultValue("[]"), "network partitions"),
        Field("crashes", .list(.object(crash), minCount: 0), .defaultValue("[]"), "validator crashes and restarts"),
        Field("pauses", .list(.object(pause), minCount: 0), .defaultValue("[]"), "validators that stop for a while"),
        Field("clock_skews", .list(.object(skew), minCount: 0), .defaultValue("[]"), "validators whose clocks are off"),
        Field("clogs", .list(.object(clog), minCount: 0), .defaultValue("[]"), "nodes or links that hold messages"),
        Field("byzantine", .list(.object(byzantine), minCount: 0), .defaultValue("[]"),
              "Byzantine validators; together they must hold less than 1/3 of stake"),
    ]

    public static let liveness: [Field] = [
        Field("bound", .quantity(.duration, 1e6...1e15), .defaultValue("30 s"),
              "after the last fault ends, honest validators holding more than 2/3 of stake must finalize a new block within this"),
    ]

    public static let participant: [Field] = [
        Field("class", .choice(participantClasses), .required, "kind of participant"),
        Field("count", .integer(1...10_000_000), .required, "how many participants of this class"),
        Field("region", .region, .optional, "grid region they are in; they spread over its zones round-robin"),
        Field("regions", .list(.region, minCount: 1), .optional,
              "instead of `region`: spread the count over these regions in proportion to their peak load in the grid data"),
        Field("order_rate", .quantity(.rate, 0...1e6), .defaultValue("0 /s"),
              "orders each participant places, a Poisson process (producers sell, consumers buy; e.g. `4 /d`)"),
        Field("tx_rate", .quantity(.rate, 0...1e6), .defaultValue("0 /s"),
              "payment transfers each participant sends to a random other participant, a Poisson process"),
        Field("capacity", .quantity(.power, 0...1e12), .optional,
              "producers: installed capacity each (default solar 50 kW, wind 2 MW, hydro 1 MW); operators: conventional (grid) supply they sell into the market (default 0: they only attest and settle)"),
        Field("demand", .quantity(.energy, 0...1e12), .optional,
              "consumers: energy each uses per day (default residential 10 kWh, commercial 300 kWh, industrial 4,000 kWh)"),
        Field("balance", .quantity(.tokens, 0...1e17), .optional,
              "payment tokens each holds at genesis (default: consumers 50 days of demand at the base price, others 100 tokens)"),
        Field("coins", .integer(1...10_000), .defaultValue("1"),
              "outputs the genesis balance is split into; a pending transaction locks its inputs until a block confirms them, so this is how many payments or orders one participant can have in flight"),
        Field("price_spread", .quantity(.percent, 0...5_000), .defaultValue("5 %"),
              "standard deviation of limit prices around the reference price"),
    ]

    public static let pricing: [Field] = [
        Field("base", .quantity(.price, 1...1e12), .defaultValue("3.2 tokens/kWh"), "base energy price (the seed: 3.2)"),
        Field("peak_premium", .quantity(.percent, 0...100_000), .defaultValue("50 %"), "added in peak hours"),
        Field("peak_hours", .list(.timeWindow, minCount: 0), .defaultValue("['18:00-22:00']"),
              "daily peak windows, local time (the seed: 18:00–22:00; Thai TOU: 09:00–22:00 on weekdays)"),
        Field("renewable_premium", .quantity(.percent, 0...100_000), .defaultValue("10 %"), "added for renewable energy"),
        Field("location_spread", .quantity(.percent, 0...5_000), .defaultValue("5 %"),
              "location adjustment: − this for the nearest, + this for the farthest grid distance"),
        Field("carbon_adder", .quantity(.price, 0...1e12), .defaultValue("0.3 tokens/kWh"),
              "added to conventional energy for its emissions"),
    ]

    public static let market: [Field] = [
        Field("clearing_rule", .choice(["pay-as-ask", "pay-as-bid", "midpoint", "uniform-price-call"]),
              .defaultValue("pay-as-ask"), "how a matched pair's price is set (the seed: the seller's price)"),
        Field("areas", .choice(["regional", "national"]), .defaultValue("regional"),
              "one order book per region, or one for the whole country"),
        Field("slot", .quantity(.duration, 1e9...1e13), .defaultValue("15 min"), "delivery slot length"),
        Field("delivery_lead", .integer(0...1_000), .defaultValue("1"),
              "slots between an order and the start of its delivery window"),
        Field("delivery_slots", .integer(1...1_000), .defaultValue("4"), "how many slots an order's window spans"),
        Field("order_lifetime", .quantity(.duration, 1e9...1e15), .defaultValue("1 h"),
              "an unfilled order expires this long after it is placed"),
        Field("candidate_limit", .integer(1...100_000), .defaultValue("64"),
              "most resting orders one incoming order examines"),
        Field("mint_interval", .quantity(.duration, 1e9...1e13), .defaultValue("1 h"),
              "how often producers' meters are read and their energy minted"),
        Field("minimum_fee", .quantity(.tokens, 0...1e15), .defaultValue("0.001 tokens"),
              "least fee of a transaction that spends inputs"),
        Field("trading_fee", .quantity(.percent, 0...10_000), .defaultValue("0.1 %"),
              "share of each settled trade's value, paid by the seller"),
        Field("block_reward", .quantity(.tokens, 0...1e15), .defaultValue("1 tokens"), "minted for each block's proposer"),
        Field("credits_per_kwh", .number(0...1_000), .defaultValue("0.05"),
              "carbon credits issued per kWh delivered on renewable trades (the seed: 500 kWh ⇒ 25)"),
        Field("settlement_delay", .quantity(.duration, 0...1e13), .defaultValue("30 s"),
              "how long after a delivery window the operator submits the meter reading"),
        Field("settlement_timeout", .quantity(.duration, 1e9...1e15), .defaultValue("1 h"),
              "a trade unsettled this long after its window is refunded to both sides"),
        Field("shortfall_probability", .quantity(.percent, 0...10_000), .defaultValue("5 %"),
              "chance a delivery falls short; the delivered share is then uniform on [0, 1)"),
        Field("pricing", .object(pricing), .optional, "the reference price agents set limits around"),
    ]

    public static let grid: [Field] = [
        Field("data", .string, .defaultValue("data/thai-grid.yaml"),
              "grid data file (topology, loads, figures with sources), relative to the scenario file; "
              + "unwritten and with none beside the scenario, the Thai grid compiled into the tool"),
        Field("sample_interval", .quantity(.duration, 1e8...1e13), .defaultValue("60 s"),
              "how often the physical grid (frequency, voltages, flows) is sampled"),
        Field("load_noise", .quantity(.percent, 0...5_000), .defaultValue("1 %"),
              "standard deviation of the regional load forecast error"),
    ]

    static let schedulePoint: [Field] = [
        Field("at", .quantity(.duration, 0...1e15), .required, "when this factor applies"),
        Field("factor", .number(0...1_000), .required, "multiplier on every order and transfer rate"),
        Field("ramp", .quantity(.duration, 0...1e15), .defaultValue("0 s"),
              "reach the factor linearly over this long, starting at `at` (0: a step)"),
        Field("regions", .list(.region, minCount: 1), .optional,
              "only participants in these regions follow this point (a regional surge); default: every region"),
    ]

    public static let load: [Field] = [
        Field("controller", .choice(["poisson", "fixed", "closed-loop", "trace"]), .defaultValue("poisson"),
              "poisson: open loop, exponential gaps (arrivals never wait on responses); fixed: evenly spaced; closed-loop: keep `outstanding` transactions in flight; trace: replay `trace`"),
        Field("schedule", .list(.object(schedulePoint), minCount: 0), .defaultValue("[]"),
              "steps and ramps of the load over time (factor 1 before the first point)"),
        Field("daily_profiles", .boolean, .defaultValue("true"),
              "consumers follow their class's daily curve: residential evening peak near 21:00, commercial office hours, industrial weekday daytime"),
        Field("tps", .number(0.001...10_000_000), .optional,
              "orders and transfers a second the participants offer together before the schedule and the daily profiles: every class's `order_rate` and `tx_rate` is scaled by one factor to add up to it (poisson and fixed controllers)"),
        Field("outstanding", .integer(1...10_000_000), .defaultValue("100"),
              "closed-loop: transactions kept in flight"),
        Field("backoff", .quantity(.duration, 0...1e12), .defaultValue("1 s"),
              "closed-loop: how long a transaction's place waits after a `mempool_full` refusal before the next one starts (a busy validator's client backs off)"),
        Field("think_time", .quantity(.duration, 0...1e12), .defaultValue("0 s"),
              "closed-loop: mean of each client's think time between a response and its next transaction, drawn exponentially; throughput is then `outstanding` ÷ (response time + think time)"),
        Field("trace", .string, .optional,
              "trace: CSV with header `time_s,class,kind` (class index or name, kind order or transfer), relative to the scenario file"),
    ]

    public static let swarm: [Field] = [
        Field("enabled", .boolean, .defaultValue("false"),
              "draw the configuration from the seed within the ranges below; the report lists every value drawn"),
        Field("validators", .list(.integer(1...1_000), minCount: 2), .defaultValue("[4, 10]"), "validator count range"),
        Field("stake_skew", .list(.number(1...1_000), minCount: 2), .defaultValue("[1, 4]"),
              "range of the largest-to-smallest stake ratio"),
        Field("regions", .list(.integer(1...5), minCount: 2), .defaultValue("[1, 5]"), "how many regions validators span"),
        Field("byzantine", .list(.integer(0...1_000), minCount: 2), .defaultValue("[0, 2]"),
              "Byzantine validators (kept under 1/3 of stake)"),
        Field("behaviours", .list(.choice(byzantineBehaviours), minCount: 1),
              .defaultValue("[equivocation, invalid-signatures, withhold-votes, invalid-proposals, censorship]"),
              "what each drawn Byzantine validator does, drawn from these; amnesia and split-amnesia are not among the default ones, so that seeds keep the draws they had before they existed"),
        Field("crashes", .list(.integer(0...1_000), minCount: 2), .defaultValue("[0, 2]"), "crash-and-restart faults"),
        Field("partitions", .list(.integer(0...1_000), minCount: 2), .defaultValue("[0, 1]"), "partitions"),
        Field("loss", .list(.quantity(.percent, 0...10_000), minCount: 2), .defaultValue("['0 %', '2 %']"),
              "message loss range"),
        Field("load", .list(.number(0...1_000), minCount: 2), .defaultValue("[0.5, 2]"),
              "range of the factor on every participant's rates"),
        Field("shards", .list(.integer(1...5), minCount: 2), .defaultValue("[1, 1]"),
              "shard count range; above 1 the regions are dealt into that many shards (regional market areas), the other fields of `sharding` as written there; [1, 1]: the scenario's own sharding"),
        Field("committee", .list(.integer(1...100), minCount: 2), .defaultValue("[4, 4]"),
              "validators per shard committee; validators are added to fill the committees, with up to one committee's worth standing by, and Byzantine validators and stake skew are held so that no committee can reach 1/3 faulty stake"),
        Field("cross_shard", .list(.quantity(.percent, 0...10_000), minCount: 2), .defaultValue("['0 %', '0 %']"),
              "range of the share of transfers, and of consumers' bids, sent across shards"),
        Field("autoscaler", .quantity(.percent, 0...10_000), .defaultValue("0 %"),
              "chance that a sharded draw runs the autoscaler, with its interval, finality target, sustain and cooldown drawn to make it split and merge within the run"),
    ]

    /// Parameters governance can change, as the chain names them.
    public static let governedParameters = [
        "max_block_txs", "block_interval_ms", "minimum_fee_micro", "trading_fee_bp", "finality_threshold_bp",
        "clearing_rule", "governance_quorum_bp", "governance_pass_bp",
    ]

    static let proposal: [Field] = [
        Field("at", .quantity(.duration, 0...1e15), .required, "when the proposal is submitted"),
        Field("parameter", .choice(governedParameters), .required, "the parameter to change"),
        Field("value", .integer(Int64.min...Int64.max), .required,
              "its new value, in the unit its name ends with (`clearing_rule`: 0 pay-as-ask, 1 pay-as-bid, 2 midpoint); the chain rejects a value outside the parameter's safe range"),
        Field("voting_period", .integer(1...100_000), .optional, "blocks of voting; default: the section's"),
        Field("proposer", .integer(0...1_000), .defaultValue("0"),
              "index into `participants`: the first member of that entry with the deposit proposes"),
        Field("turnout", .quantity(.percent, 0...10_000), .defaultValue("60 %"),
              "each participant holding payment tokens votes with this probability"),
        Field("support", .quantity(.percent, 0...10_000), .defaultValue("70 %"),
              "a voter who does not abstain votes yes with this probability, else no"),
        Field("abstain", .quantity(.percent, 0...10_000), .defaultValue("5 %"), "a voter abstains with this probability"),
    ]

    public static let governance: [Field] = [
        Field("deposit", .quantity(.tokens, 0...1e18), .defaultValue("100 tokens"),
              "locked by each proposal: returned when the vote reaches quorum, burned when it does not"),
        Field("voting_period", .integer(1...100_000), .defaultValue("30"), "blocks of voting after the proposal's block"),
        Field("quorum", .quantity(.percent, 1...10_000), .defaultValue("33.4 %"),
              "share of the payment tokens held when a proposal opened that must vote (abstentions count)"),
        Field("pass_threshold", .quantity(.percent, 5_000...9_999), .defaultValue("50 %"),
              "a proposal passes with more than this share of yes in yes + no"),
        Field("proposals", .list(.object(proposal), minCount: 0), .defaultValue("[]"),
              "proposals participants submit, each voted on by the participants"),
    ]

    public static let autoscaler: [Field] = [
        Field("enabled", .boolean, .defaultValue("true"), "split and merge shards as load changes"),
        Field("interval", .quantity(.duration, 1e8...1e13), .defaultValue("5 s"),
              "the monitor's window: every shard's load is measured and judged this often"),
        Field("cpu_high", .quantity(.percent, 1...10_000), .defaultValue("80 %"),
              "split a shard whose validators are this busy (mean over its committee)…"),
        Field("memory_high", .quantity(.bytes, 1...1e15), .defaultValue("2.5 GB"),
              "…or whose largest validator state model reaches this…"),
        Field("finality_p99", .quantity(.duration, 1e6...1e13), .defaultValue("3 s"),
              "…or whose finality p99 over the window reaches this latency target…"),
        Field("tps_share", .quantity(.percent, 1...10_000), .defaultValue("60 %"),
              "…or that is offered this share of all transactions (with at least `min_tps`)"),
        Field("min_tps", .number(0...1e9), .defaultValue("10"),
              "offered load per second below which a shard's share does not make it hot"),
        Field("cpu_low", .quantity(.percent, 0...10_000), .defaultValue("20 %"),
              "merge two shards both below this CPU, below half the finality target and half the share"),
        Field("sustain", .integer(1...1_000), .defaultValue("3"),
              "windows in a row a shard must stay hot (cold) before a split (merge): hysteresis"),
        Field("cooldown", .quantity(.duration, 0...1e15), .defaultValue("60 s"), "no change within this long of the last"),
        Field("max_shards", .integer(1...64), .defaultValue("8"), "never more shards than this"),
        Field("min_shards", .integer(1...64), .defaultValue("1"), "merges stop at this many shards"),
    ]

    public static let sharding: [Field] = [
        Field("shards", .list(.list(.region, minCount: 1), minCount: 0), .defaultValue("[]"),
              "the regions of each shard at the start, e.g. `[[bangkok, east], [north, northeast, south]]`; every region in exactly one; `[]`: no sharding"),
        Field("committee", .integer(1...1_000), .defaultValue("4"),
              "validators per shard committee, chosen by the proposer score; the rest stand by for new shards"),
        Field("handover", .quantity(.duration, 0...1e13), .defaultValue("2 s"),
              "how long a reshard takes: the committees load the moved state before consensus starts again"),
        Field("reseat_after", .quantity(.duration, 1e9...1e15), .optional,
              "a committee member down this long is replaced by a validator standing by, at the next monitor window; absent: never (it keeps its seat)"),
        Field("autoscaler", .object(autoscaler), .optional, "when shards split and merge"),
        Field("cross_shard", .quantity(.percent, 0...10_000), .defaultValue("0 %"),
              "share of transfers that pay a participant in another shard: locked in the sender's shard, credited in the recipient's with a receipt, refunded past the deadline"),
        Field("cross_shard_bids", .quantity(.percent, 0...10_000), .defaultValue("0 %"),
              "share of consumers' buy orders sent as cross-shard bids to a region of another shard with sellers: locked at home, credited into that region's book, traded there, proceeds sent home by the buyer"),
        Field("cross_shard_deadline", .quantity(.duration, 1e9...1e15), .defaultValue("60 s"),
              "how long after the lock the destination may credit it; a later receipt voids the lock and the sender is refunded"),
        Field("relay_retry", .quantity(.duration, 1e8...1e13), .defaultValue("5 s"),
              "a relayer (the grid operator) sends a receipt or an acknowledgement again after this long without it being final"),
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
              "producers, consumers and grid operators"),
        Field("market", .object(market), .optional, "the energy market and its fees"),
        Field("grid", .object(grid), .optional, "the grid model"),
        Field("workload", .object(workload), .optional, "properties of the submitted load"),
        Field("governance", .object(governance), .optional,
              "on-chain governance: deposit, voting period, quorum, and the proposals participants make"),
        Field("sharding", .object(sharding), .optional,
              "regional shards, each with its own committee and consensus, and the autoscaler that splits and merges them"),
        Field("storage", .object(storage), .optional, "validators' simulated storage"),
        Field("load", .object(load), .optional, "how transactions arrive: rate controllers, schedules, daily profiles"),
        Field("swarm", .object(swarm), .optional, "swarm mode: a configuration drawn from the seed"),
        Field("faults", .object(faults), .optional, "what goes wrong, and when"),
        Field("liveness", .object(liveness), .optional, "the liveness check after faults stop"),
        Field("targets", .list(.target, minCount: 0), .defaultValue("[]"),
              "performance targets, each `metric op value`, e.g. `tps >= 1000`, `finality.p99 < 15 s`"),
        Field("cost_profile", .string, .optional,
              "a CPU cost profile written by `gridsim calibrate`, relative to the scenario file; default: the built-in reference profile"),
    ]
}
