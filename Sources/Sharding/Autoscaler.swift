import GridCore

/// When the autoscaler splits and merges shards.
public struct AutoscalerPolicy: Hashable, Sendable {
    /// A shard is hot when its committee's CPU reaches this…
    public var cpuHigh: BasisPoints
    /// …or its largest modelled memory reaches this…
    public var memoryHighBytes: Int64
    /// …or its finality p99 reaches this…
    public var finalityTargetNanos: Int64
    /// …or it is offered at least this share of all transactions (only with another shard to
    /// share with, and at least `minimumOfferedPerSecond`).
    public var offeredShareHigh: BasisPoints
    /// A shard is cold when its CPU is below this, its finality p99 below half the target, and
    /// it is offered below half of `offeredShareHigh`.
    public var cpuLow: BasisPoints
    /// Load below which a shard's share of the total does not count (a quiet network is not hot).
    public var minimumOfferedPerSecond: Double
    /// What one shard can finalize per second (max block size ÷ block interval), if known: a
    /// shard offered 90 % of it is hot, and two shards merge only if together they are offered
    /// under half of it.
    public var capacityPerSecond: Double?
    /// Consecutive windows a shard must stay hot (cold) before a split (merge).
    public var sustainWindows: Int
    /// No split or merge within this long of the last one.
    public var cooldownNanos: Int64
    public var maxShards: Int
    /// Merges stop at this many shards.
    public var minShards: Int

    public init(cpuHigh: BasisPoints = BasisPoints(8_000), memoryHighBytes: Int64 = 2_500_000_000,
                finalityTargetNanos: Int64 = 3_000_000_000, offeredShareHigh: BasisPoints = BasisPoints(6_000),
                cpuLow: BasisPoints = BasisPoints(2_000), minimumOfferedPerSecond: Double = 10,
                capacityPerSecond: Double? = nil, sustainWindows: Int = 3,
                cooldownNanos: Int64 = 60_000_000_000, maxShards: Int = 8, minShards: Int = 1) {
        precondition(cpuLow < cpuHigh, "the merge threshold lies below the split threshold (hysteresis)")
        precondition(sustainWindows >= 1 && maxShards >= 1 && minShards >= 1 && minShards <= maxShards)
        self.cpuHigh = cpuHigh
        self.memoryHighBytes = memoryHighBytes
        self.finalityTargetNanos = finalityTargetNanos
        self.offeredShareHigh = offeredShareHigh
        self.cpuLow = cpuLow
        self.minimumOfferedPerSecond = minimumOfferedPerSecond
        self.capacityPerSecond = capacityPerSecond
        self.sustainWindows = sustainWindows
        self.cooldownNanos = cooldownNanos
        self.maxShards = maxShards
        self.minShards = minShards
    }
}

/// What the autoscaler decided, with the reason the report shows.
public enum ScalingDecision: Hashable, Sendable {
    /// Move `regions` of `shard` to a new shard.
    case split(ShardID, moving: [Region], reason: String)
    /// Join `absorbed` into `survivor`.
    case merge(ShardID, into: ShardID, reason: String)
}

/// Splits a shard that stays hot and merges two that stay cold, one change at a time, with
/// hysteresis (separate high and low thresholds, held for `sustainWindows` windows) and a
/// cooldown after every change; at most `maxShards`. Deterministic: it reads only the loads.
public struct Autoscaler: Sendable {
    public let policy: AutoscalerPolicy
    private var hotWindows: [ShardID: Int] = [:]
    private var coldWindows: [ShardID: Int] = [:]
    private var lastChange: SimTime?

    public init(policy: AutoscalerPolicy) {
        self.policy = policy
    }

    /// Reads one window's loads (one per shard of `map`) and returns the change to make, if any.
    /// `canSplit` says whether validators can be found for a new shard's committee.
    public mutating func decide(_ loads: [ShardLoad], map: ShardMap, at now: SimTime,
                                canSplit: (ShardID) -> Bool) -> ScalingDecision? {
        let totalOffered = loads.reduce(0) { $0 + $1.offeredTransactions }
        var hotReasons: [ShardID: String] = [:]
        for load in loads {
            if let reason = hotReason(load, totalOffered: totalOffered, shards: loads.count) {
                hotWindows[load.shard, default: 0] += 1
                hotReasons[load.shard] = reason
            } else {
                hotWindows[load.shard] = 0
            }
            coldWindows[load.shard] = isCold(load, totalOffered: totalOffered) ? coldWindows[load.shard, default: 0] + 1 : 0
        }
        if let lastChange, now - lastChange < SimDuration(nanoseconds: policy.cooldownNanos) { return nil }
        let windows = policy.sustainWindows
        if map.count < policy.maxShards {
            let hot = loads.filter { (hotWindows[$0.shard] ?? 0) >= windows && map.regions(of: $0.shard).count > 1 }
            if let hottest = hot.max(by: { ($0.offeredTransactions, $1.shard) < ($1.offeredTransactions, $0.shard) }),
               canSplit(hottest.shard) {
                let regions = map.regions(of: hottest.shard)
                let busiest = regions.max {
                    (hottest.offeredByRegion[$0.index], $1) < (hottest.offeredByRegion[$1.index], $0)
                }!
                let share = totalOffered == 0 ? 0 : hottest.offeredByRegion[busiest.index] * 100 / max(1, hottest.offeredTransactions)
                return change(.split(hottest.shard, moving: [busiest], reason:
                    "\(hotReasons[hottest.shard]!) for \(windows) windows; \(busiest) brings \(share) % of its load"), at: now)
            }
        }
        if map.count > policy.minShards {
            let cold = loads.filter { (coldWindows[$0.shard] ?? 0) >= windows }.sorted {
                ($0.offeredTransactions, $0.shard) < ($1.offeredTransactions, $1.shard)
            }
            if cold.count >= 2,
               policy.capacityPerSecond.map({ cold[0].offeredPerSecond + cold[1].offeredPerSecond < $0 / 2 }) ?? true {
                let (survivor, absorbed) = cold[0].shard < cold[1].shard ? (cold[0], cold[1]) : (cold[1], cold[0])
                return change(.merge(absorbed.shard, into: survivor.shard, reason:
                    "both below \(policy.cpuLow.rawValue / 100) % CPU with little load for \(windows) windows"), at: now)
            }
        }
        return nil
    }

    private mutating func change(_ decision: ScalingDecision, at now: SimTime) -> ScalingDecision {
        lastChange = now
        hotWindows = [:]
        coldWindows = [:]
        return decision
    }

    private func hotReason(_ load: ShardLoad, totalOffered: Int, shards: Int) -> String? {
        if load.cpuBasisPoints >= policy.cpuHigh.rawValue {
            return "CPU \(load.cpuBasisPoints / 100) % ≥ \(policy.cpuHigh.rawValue / 100) %"
        }
        if load.memoryBytes >= policy.memoryHighBytes {
            return "memory \(load.memoryBytes / 1_000_000) MB ≥ \(policy.memoryHighBytes / 1_000_000) MB"
        }
        if let capacity = policy.capacityPerSecond, load.offeredPerSecond >= capacity * 0.9 {
            return "offered \(Int(load.offeredPerSecond.rounded())) tx/s ≥ 90 % of its \(Int(capacity.rounded())) tx/s capacity"
        }
        if let p99 = load.finalityP99Nanos, p99 >= policy.finalityTargetNanos {
            return "finality p99 \(Self.seconds(p99)) ≥ \(Self.seconds(policy.finalityTargetNanos))"
        }
        if shards > 1, load.offeredPerSecond >= policy.minimumOfferedPerSecond,
           Int64(load.offeredTransactions) * 10_000 >= policy.offeredShareHigh.rawValue * Int64(max(1, totalOffered)) {
            return "\(load.offeredTransactions * 100 / max(1, totalOffered)) % of the offered load ≥ \(policy.offeredShareHigh.rawValue / 100) %"
        }
        return nil
    }

    private func isCold(_ load: ShardLoad, totalOffered: Int) -> Bool {
        load.cpuBasisPoints < policy.cpuLow.rawValue
            && (load.finalityP99Nanos ?? 0) < policy.finalityTargetNanos / 2
            && Int64(load.offeredTransactions) * 20_000 < policy.offeredShareHigh.rawValue * Int64(max(1, totalOffered))
    }

    private static func seconds(_ nanos: Int64) -> String {
        let hundredths = nanos % 1_000_000_000 / 10_000_000
        return "\(nanos / 1_000_000_000).\(hundredths < 10 ? "0" : "")\(hundredths) s"
    }
}
