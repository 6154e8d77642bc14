import Foundation
import GridCore
import Yams

/// Swarm mode (after TigerBeetle's VOPR swarm testing): the configuration is drawn from the seed
/// within the scenario's `swarm` ranges — validator count, stake skew, regions, Byzantine
/// validators, crashes, partitions, message loss, load and shards — so that a sweep over seeds
/// explores configurations as well as schedules. Draws come from their own named streams
/// (`swarm`, and `swarm.shards` for the sharding), so the run's other streams are unchanged,
/// and a scenario that draws no shards draws what it drew before shards joined.
public enum SwarmDraw {
    /// The scenario with its drawn configuration, and every value drawn (name → value as text).
    public static func apply(to scenario: Scenario, seed: UInt64) -> (Scenario, [(name: String, value: String)]) {
        let ranges = scenario.swarm
        guard ranges.enabled else { return (scenario, []) }
        let random = RandomStream(masterSeed: seed, name: "swarm")
        var drawn: [(name: String, value: String)] = []
        var result = scenario
        let sharding = ShardingDraw(ranges, seed: seed)
        // The scenario's own shards, when none are drawn, bound the draw as drawn ones do.
        let bounds = sharding?.bounds ?? scenario.sharding.map {
            CommitteeBounds(committees: $0.shards.count, of: $0.committee, standby: $0.autoscaler.enabled ? $0.committee : 0)
        } ?? CommitteeBounds()

        let count = max(random.draw(ranges.validators), bounds.validatorsNeeded)
        let regionCount = random.draw(ranges.regions)
        var regions = Region.allCases
        while regions.count > regionCount { regions.remove(at: random.uniformInt(below: regions.count)) }
        let skew = min(random.draw(ranges.stakeSkew), bounds.stakeSkewLimit)
        let base = scenario.validators.stake.rawValue
        let stakes = (0..<count).map { index -> MicroTokens in
            let share = count == 1 ? 1 : 1 + (skew - 1) * Double(index) / Double(count - 1)
            return MicroTokens(Int64((Double(base) * share).rounded()))
        }
        result.validators.count = count
        result.validators.regions = regions
        result.validators.stakes = stakes
        drawn.append(("validators.count", "\(count)"))
        drawn.append(("validators.regions", regions.map(\.rawValue).joined(separator: ",")))
        drawn.append(("validators.stake_skew", String(format: "%.2f", skew)))

        // Byzantine validators: the largest-stake first is avoided; keep their stake under 1/3.
        let total = stakes.reduce(Int64(0)) { $0 + $1.rawValue }
        var byzantine: [ByzantineFault] = []
        var faultyStake: Int64 = 0
        let behaviours = ranges.behaviours
        for _ in 0..<min(random.draw(ranges.byzantine), bounds.byzantineLimit) {
            let candidates = (0..<count).filter { node in !byzantine.contains { $0.node == node } }
            guard let node = candidates.isEmpty ? nil : candidates[random.uniformInt(below: candidates.count)],
                  3 * (faultyStake + stakes[node].rawValue) < total else { break }
            faultyStake += stakes[node].rawValue
            byzantine.append(ByzantineFault(node: node, behaviour: behaviours[random.uniformInt(below: behaviours.count)]))
        }
        result.faults.byzantine = byzantine
        drawn.append(("faults.byzantine", byzantine.map { "node \($0.node) \($0.behaviour)" }.joined(separator: "; ")))

        // Timed faults start in the first half of the run, and early enough that the longest (a
        // partition, healed within 15 s) ends a liveness bound before the run does; a run too
        // short for that has none.
        let window = min(scenario.run.duration.nanoseconds / 2,
                         (scenario.run.duration - scenario.liveness.bound - .seconds(15)).nanoseconds)
        func time() -> SimTime { SimTime(nanoseconds: Int64(random.uniform() * Double(window))) }
        let crashes = random.draw(ranges.crashes)
        result.faults.crashes = (0..<(window > 0 ? crashes : 0)).map { _ in
            let at = time()
            return CrashFault(node: random.uniformInt(below: count), at: at,
                              restart: at + SimDuration(seconds: random.uniform(1, 10)))
        }
        drawn.append(("faults.crashes", result.faults.crashes.map { "node \($0.node) at \(seconds($0.at)), restart \(seconds($0.restart!))" }.joined(separator: "; ")))
        let partitions = random.draw(ranges.partitions)
        result.faults.partitions = (0..<(window > 0 ? partitions : 0)).compactMap { _ in
            guard count > 1 else { return nil }
            let split = 1 + random.uniformInt(below: count - 1)
            let start = time()
            return PartitionFault(start: start, heal: start + SimDuration(seconds: random.uniform(2, 15)),
                                  groups: [Array(0..<split), Array(split..<count)], oneWay: random.bernoulli(0.3))
        }
        drawn.append(("faults.partitions", result.faults.partitions.map {
            "\($0.groups[0].map(String.init).joined(separator: ","))|\($0.groups[1].map(String.init).joined(separator: ",")) from \(seconds($0.start)) to \(seconds($0.heal))\($0.oneWay ? " one-way" : "")"
        }.joined(separator: "; ")))
        let loss = random.draw(ranges.loss)
        result.network.loss = BasisPoints(loss)
        drawn.append(("network.loss", "\(Double(loss) / 100) %"))
        let load = random.draw(ranges.load)
        for index in result.participants.indices {
            result.participants[index].orderRatePerSecond *= load
            result.participants[index].transferRatePerSecond *= load
        }
        drawn.append(("load.factor", String(format: "%.2f", load)))
        if let sharding {
            sharding.apply(to: &result)
            drawn += sharding.described
        }
        result.dropFaultsBeyondValidators()
        return (result, drawn)
    }
}

/// What shard committees need of a swarm draw so that the run stays within what BFT promises:
/// enough validators for every committee and those standing by, and at most `byzantineLimit`
/// Byzantine validators with a stake skew under `stakeSkewLimit`, so that even a committee that
/// holds all of them at the largest stake, beside honest ones at the smallest, has under 1/3 of
/// its stake faulty.
struct CommitteeBounds {
    var validatorsNeeded = 0
    var byzantineLimit = Int.max
    var stakeSkewLimit = Double.infinity

    /// No committees: no bounds.
    init() {}

    init(committees: Int, of committee: Int, standby: Int) {
        validatorsNeeded = committees * committee + standby
        byzantineLimit = (committee - 1) / 3
        stakeSkewLimit = byzantineLimit == 0 ? .infinity
            : max(1, 0.95 * Double(committee - byzantineLimit) / Double(2 * byzantineLimit))
    }
}

/// The shards a swarm seed draws, when its `shards` range goes above 1: how many, which regions
/// each serves, the committee size, the cross-shard shares and the autoscaler, and the bounds they
/// put on the rest of the draw (up to one committee standing by, one always when autoscaling, so
/// that a shard can split).
struct ShardingDraw {
    let bounds: CommitteeBounds
    let settings: ShardingSettings?

    /// `nil` when the ranges leave the scenario's own sharding (`shards` is [1, 1]).
    init?(_ ranges: SwarmSettings, seed: UInt64) {
        guard ranges.shards.upperBound > 1 else { return nil }
        let random = RandomStream(masterSeed: seed, name: "swarm.shards")
        let shardCount = min(random.draw(ranges.shards), Region.allCases.count)
        let committee = random.draw(ranges.committee)
        guard shardCount > 1 else {
            bounds = CommitteeBounds()
            settings = nil
            return
        }
        let autoscaling = random.bernoulli(Double(ranges.autoscalerChance.rawValue) / 10_000)
        bounds = CommitteeBounds(committees: shardCount, of: committee,
                                 standby: autoscaling ? committee : random.draw(0...committee))

        var regions = Region.allCases
        for index in regions.indices.dropLast() {
            regions.swapAt(index, index + random.uniformInt(below: regions.count - index))
        }
        var shards = regions.prefix(shardCount).map { [$0] }
        for region in regions.dropFirst(shardCount) { shards[random.uniformInt(below: shardCount)].append(region) }

        var drawn = ranges.sharding
        drawn.shards = shards.map { $0.sorted { $0.index < $1.index } }
        drawn.committee = committee
        drawn.crossShardShare = BasisPoints(random.draw(ranges.crossShard))
        drawn.crossShardBidShare = BasisPoints(random.draw(ranges.crossShard))
        drawn.autoscaler.enabled = autoscaling
        if drawn.autoscaler.enabled {
            drawn.autoscaler.interval = SimDuration(seconds: random.draw(2.0...8.0))
            drawn.autoscaler.finalityTarget = SimDuration(seconds: random.draw(1.2...3.0))
            drawn.autoscaler.tpsShare = BasisPoints(Int64(random.draw(3_500...7_000)))
            drawn.autoscaler.minimumOfferedPerSecond = 1
            drawn.autoscaler.sustainWindows = random.draw(1...2)
            drawn.autoscaler.cooldown = SimDuration(seconds: random.draw(10.0...30.0))
            drawn.autoscaler.maxShards = max(drawn.autoscaler.maxShards, shardCount)
            drawn.autoscaler.minShards = min(drawn.autoscaler.minShards, shardCount)
        }
        settings = drawn
    }

    /// Puts the drawn shards into `scenario`: no sharding when one shard was drawn.
    func apply(to scenario: inout Scenario) {
        scenario.sharding = settings
        if settings != nil { scenario.market.areas = Region.allCases.map { [$0] } }
    }

    /// The drawn values, as the report's manifest lists them.
    var described: [(name: String, value: String)] {
        guard let settings else { return [("sharding.shards", "none")] }
        let scaler = settings.autoscaler
        return [
            ("sharding.shards", settings.shards.map { $0.map(\.rawValue).joined(separator: ",") }.joined(separator: " | ")),
            ("sharding.committee", "\(settings.committee)"),
            ("sharding.cross_shard", "\(Double(settings.crossShardShare.rawValue) / 100) %"),
            ("sharding.cross_shard_bids", "\(Double(settings.crossShardBidShare.rawValue) / 100) %"),
            ("sharding.autoscaler", scaler.enabled
                ? "every \(seconds(scaler.interval)), finality p99 \(seconds(scaler.finalityTarget)), TPS share \(scaler.tpsShare.rawValue / 100) %, sustain \(scaler.sustainWindows), cooldown \(seconds(scaler.cooldown))"
                : "off"),
        ]
    }
}

private extension RandomStream {
    /// A whole number in `range`, uniformly.
    func draw(_ range: ClosedRange<Int>) -> Int { range.lowerBound + uniformInt(below: range.count) }

    /// A whole number in `range` (basis points, say), uniformly.
    func draw(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(uniformInt(below: Int(range.upperBound - range.lowerBound) + 1))
    }

    /// A number in `range`, uniformly; a one-point range gives its bound without a draw.
    func draw(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound == range.upperBound ? range.lowerBound : uniform(range.lowerBound, range.upperBound)
    }
}

private func seconds(_ duration: SimDuration) -> String { String(format: "%.2f s", duration.seconds) }

private func seconds(_ time: SimTime) -> String { String(format: "%.2f s", time.seconds) }

extension Scenario {
    /// Drops faults that name validators a swarm draw removed.
    mutating func dropFaultsBeyondValidators() {
        faults.clockSkews.removeAll { $0.node >= validators.count }
        faults.pauses.removeAll { $0.node >= validators.count }
        faults.clogs.removeAll { $0.nodes.contains { $0 >= validators.count } }
    }
}

extension SwarmDraw {
    /// The configuration `drawn` (what ``apply(to:seed:)`` made of a swarm scenario for `seed`)
    /// written into the scenario's own `document`, with swarm mode off and `run.seed` set: a plain
    /// scenario whose run is the swarm run of `seed`, digest for digest. Every drawn value is
    /// written exactly (durations in nanoseconds, rates as the numbers they are); the faults a
    /// swarm replaces (Byzantine validators, crashes, partitions) are replaced, and the sections it
    /// sets (validators, sharding) are written whole.
    public static func plainDocument(_ document: Yams.Node, drawn: Scenario, seed: UInt64) -> Yams.Node {
        typealias Doc = ScenarioDocument
        var plain = Doc.removing(["swarm"], from: document)
        plain = Doc.setting(["run", "seed"], to: Yams.Node(String(seed)), in: plain)

        let validators = drawn.validators
        plain = Doc.setting(["validators", "count"], to: Doc.integer(validators.count), in: plain)
        plain = Doc.setting(["validators", "regions"], to: Doc.regions(validators.regions), in: plain)
        plain = validators.stakes.map { Doc.setting(["validators", "stakes"], to: Doc.list($0.map(Doc.tokens)), in: plain) }
            ?? Doc.removing(["validators", "stakes"], from: plain)
        plain = Doc.setting(["network", "loss"], to: Doc.percent(drawn.network.loss), in: plain)

        if var entries = plain["participants"]?.sequence {
            for index in entries.indices {
                guard var fields = entries[index].mapping,
                      let rates = drawn.participants.first(where: { $0.entry == index }) else { continue }
                fields["order_rate"] = Doc.rate(rates.orderRatePerSecond)
                fields["tx_rate"] = Doc.rate(rates.transferRatePerSecond)
                entries[index] = .mapping(fields)
            }
            plain = Doc.setting(["participants"], to: .sequence(entries), in: plain)
        }
        // The rates written are the drawn ones, already scaled to `load.tps`.
        plain = Doc.removing(["load", "tps"], from: plain)

        let faults = drawn.faults
        plain = Doc.setting(["faults", "byzantine"], to: Doc.list(faults.byzantine.map {
            Doc.object([("node", Doc.integer($0.node)), ("behaviour", Yams.Node($0.behaviour))])
        }), in: plain)
        plain = Doc.setting(["faults", "crashes"], to: Doc.list(faults.crashes.map { crash in
            Doc.object([("node", Doc.integer(crash.node)), ("at", Doc.time(crash.at))]
                       + (crash.restart.map { [("restart", Doc.time($0))] } ?? []))
        }), in: plain)
        plain = Doc.setting(["faults", "partitions"], to: Doc.list(faults.partitions.map { partition in
            Doc.object([("start", Doc.time(partition.start)), ("heal", Doc.time(partition.heal)),
                        ("groups", Doc.list(partition.groups.map { Doc.list($0.map(Doc.integer)) })),
                        ("one_way", Yams.Node(partition.oneWay ? "true" : "false"))])
        }), in: plain)
        plain = keepingFaults(of: plain, onValidatorsBelow: validators.count)

        if let sharding = drawn.sharding {
            plain = Doc.setting(["sharding"], to: section(sharding), in: plain)
            plain = Doc.setting(["market", "areas"], to: Yams.Node(drawn.market.areas.count == 1 ? "national" : "regional"),
                                in: plain)
        } else {
            plain = Doc.removing(["sharding"], from: plain)
        }
        return plain
    }

    /// `document` without the pauses, clock skews and clogs that name validators at or past
    /// `count`, as ``Scenario/dropFaultsBeyondValidators()`` drops them from a draw.
    private static func keepingFaults(of document: Yams.Node, onValidatorsBelow count: Int) -> Yams.Node {
        var plain = document
        let lists: [(name: String, nodes: (Yams.Node) -> [Int])] = [
            ("pauses", { [$0["node"]?.int ?? 0] }), ("clock_skews", { [$0["node"]?.int ?? 0] }),
            ("clogs", { ($0["nodes"]?.sequence ?? []).map { $0.int ?? 0 } }),
        ]
        for (name, nodes) in lists {
            guard let items = plain["faults"]?[name]?.sequence else { continue }
            plain = ScenarioDocument.setting(["faults", name], to: ScenarioDocument.list(items.filter { nodes($0).allSatisfy { $0 < count } }),
                                             in: plain)
        }
        return plain
    }

    /// The `sharding` section of `settings`, every field written (`reseat_after` when set).
    private static func section(_ settings: ShardingSettings) -> Yams.Node {
        typealias Doc = ScenarioDocument
        let scaler = settings.autoscaler
        return Doc.object([
            ("shards", Doc.list(settings.shards.map(Doc.regions))),
            ("committee", Doc.integer(settings.committee)),
            ("handover", Doc.duration(settings.handover)),
        ] + (settings.reseatAfter.map { [("reseat_after", Doc.duration($0))] } ?? []) + [
            ("autoscaler", Doc.object([
                ("enabled", Yams.Node(scaler.enabled ? "true" : "false")),
                ("interval", Doc.duration(scaler.interval)),
                ("cpu_high", Doc.percent(scaler.cpuHigh)),
                ("memory_high", Yams.Node("\(scaler.memoryHighBytes) B")),
                ("finality_p99", Doc.duration(scaler.finalityTarget)),
                ("tps_share", Doc.percent(scaler.tpsShare)),
                ("min_tps", Yams.Node("\(scaler.minimumOfferedPerSecond)")),
                ("cpu_low", Doc.percent(scaler.cpuLow)),
                ("sustain", Doc.integer(scaler.sustainWindows)),
                ("cooldown", Doc.duration(scaler.cooldown)),
                ("max_shards", Doc.integer(scaler.maxShards)),
                ("min_shards", Doc.integer(scaler.minShards)),
            ])),
            ("cross_shard", Doc.percent(settings.crossShardShare)),
            ("cross_shard_bids", Doc.percent(settings.crossShardBidShare)),
            ("cross_shard_deadline", Doc.duration(settings.crossShardDeadline)),
            ("relay_retry", Doc.duration(settings.relayRetry)),
        ])
    }
}
