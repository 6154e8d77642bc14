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
    /// A shard is quiet when its CPU is below this and its finality p99 below half the target,
    /// and cold when it is also offered below half of `offeredShareHigh` (see
    /// `Autoscaler.decide` for the merges they allow).
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
    /// A split must take at least this share of a hot shard's offered load off it (see
    /// ``Autoscaler/balancedSplit(of:load:)``).
    public var minimumSplitRelief: BasisPoints

    public init(cpuHigh: BasisPoints = BasisPoints(8_000), memoryHighBytes: Int64 = 2_500_000_000,
                finalityTargetNanos: Int64 = 3_000_000_000, offeredShareHigh: BasisPoints = BasisPoints(6_000),
                cpuLow: BasisPoints = BasisPoints(2_000), minimumOfferedPerSecond: Double = 10,
                capacityPerSecond: Double? = nil, sustainWindows: Int = 3,
                cooldownNanos: Int64 = 60_000_000_000, maxShards: Int = 8, minShards: Int = 1,
                minimumSplitRelief: BasisPoints = BasisPoints(1_000)) {
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
        self.minimumSplitRelief = minimumSplitRelief
    }
}

/// Splits the autoscaler found due and did not make, by what held each back.
public struct HeldBackSplits: Hashable, Sendable {
    /// Windows in which a split was chosen but `canSplit` refused it (no validators for the new
    /// shard's committee).
    public var withoutValidators = 0
    /// Windows in which a shard was due a split (hot for `sustainWindows`, no cooldown, below
    /// `maxShards`) that no split could relieve: its load came from one region (see
    /// ``Autoscaler/balancedSplit(of:load:)``). One count per shard and window.
    public var withoutRelief = 0
    /// Windows in which a shard was due a split (hot for `sustainWindows`, no cooldown) while the
    /// map already held `maxShards`. One count per shard and window.
    public var atMaxShards = 0

    public init() {}
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
    private var quietWindows: [ShardID: Int] = [:]
    private var lastChange: SimTime?
    /// The splits due so far that were not made.
    public private(set) var heldBack = HeldBackSplits()

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
            let quiet = isQuiet(load)
            quietWindows[load.shard] = quiet ? quietWindows[load.shard, default: 0] + 1 : 0
            coldWindows[load.shard] = quiet && hasSmallShare(load, totalOffered: totalOffered)
                ? coldWindows[load.shard, default: 0] + 1 : 0
        }
        if let lastChange, now - lastChange < SimDuration(nanoseconds: policy.cooldownNanos) { return nil }
        let windows = policy.sustainWindows
        let due = loads.filter { (hotWindows[$0.shard] ?? 0) >= windows }
        if map.count >= policy.maxShards {
            heldBack.atMaxShards += due.count
        } else {
            let splittable = due.compactMap { load -> (load: ShardLoad, moving: [Region])? in
                balancedSplit(of: map.regions(of: load.shard), load: load).map { (load, $0) }
            }
            heldBack.withoutRelief += due.count - splittable.count
            if let hottest = splittable.max(by: { ($0.load.offeredTransactions, $1.load.shard) < ($1.load.offeredTransactions, $0.load.shard) }) {
                if canSplit(hottest.load.shard) {
                    let load = hottest.load
                    let moved = hottest.moving.reduce(0) { $0 + load.offeredByRegion[$1.index] }
                    let share = moved * 100 / max(1, load.offeredTransactions)
                    let names = hottest.moving.map(\.rawValue).joined(separator: " and ")
                    return change(.split(load.shard, moving: hottest.moving, reason:
                        "\(hotReasons[load.shard]!) for \(windows) windows; \(names) \(hottest.moving.count == 1 ? "brings" : "bring") \(share) % of its load"), at: now)
                }
                heldBack.withoutValidators += 1
            }
        }
        if map.count > policy.minShards {
            // Two cold shards merge: each under half the share that makes a shard hot, so the
            // shard they make stays under it while the load shifts. Of two shards, quiet ones
            // merge whatever their shares: the one shard left has none to share with, so its
            // share cannot make it hot.
            let counts = loads.count == 2 ? quietWindows : coldWindows
            let cold = loads.filter { (counts[$0.shard] ?? 0) >= windows }.sorted {
                ($0.offeredTransactions, $0.shard) < ($1.offeredTransactions, $1.shard)
            }
            if cold.count >= 2, mergedStaysCool(cold[0], cold[1]) {
                let (survivor, absorbed) = cold[0].shard < cold[1].shard ? (cold[0], cold[1]) : (cold[1], cold[0])
                return change(.merge(absorbed.shard, into: survivor.shard, reason:
                    "both below \(policy.cpuLow.rawValue / 100) % CPU with little load for \(windows) windows"), at: now)
            }
        }
        return nil
    }

    /// The regions a split of `load`'s shard (serving `regions`) moves to the new shard: the
    /// busiest region and whichever others leave the two shards' offered load most even (then
    /// the fewest regions, then the first in map order). `nil` when no split relieves the shard
    /// of at least `minimumSplitRelief` of its load — a single region, or one bringing nearly
    /// all of it: the new shard would take the load and the old one stand idle. A shard offered
    /// nothing in the window (hot by CPU or memory) moves its busiest region alone.
    ///
    /// Complexity: O(2^r · r) for r regions in the shard (at most 5).
    public func balancedSplit(of regions: [Region], load: ShardLoad) -> [Region]? {
        guard regions.count > 1 else { return nil }
        let offered = { (region: Region) in load.offeredByRegion[region.index] }
        let busiest = regions.max { (offered($0), $1) < (offered($1), $0) }!
        let total = regions.reduce(0) { $0 + offered($1) }
        guard total > 0 else { return [busiest] }
        let others = regions.filter { $0 != busiest }
        var best: (moving: [Region], heavierSide: Int)?
        for mask in 0..<(1 << others.count) - 1 {
            let moving = [busiest] + others.indices.filter { mask & (1 << $0) != 0 }.map { others[$0] }
            let moved = moving.reduce(0) { $0 + offered($1) }
            let heavierSide = max(moved, total - moved)
            if best.map({ (heavierSide, moving.count) < ($0.heavierSide, $0.moving.count) }) ?? true {
                best = (moving, heavierSide)
            }
        }
        guard let best, Int64(total - best.heavierSide) * 10_000 >= Int64(policy.minimumSplitRelief.rawValue) * Int64(total) else {
            return nil
        }
        return best.moving
    }

    private mutating func change(_ decision: ScalingDecision, at now: SimTime) -> ScalingDecision {
        lastChange = now
        hotWindows = [:]
        coldWindows = [:]
        quietWindows = [:]
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

    private func isQuiet(_ load: ShardLoad) -> Bool {
        load.cpuBasisPoints < policy.cpuLow.rawValue && (load.finalityP99Nanos ?? 0) < policy.finalityTargetNanos / 2
    }

    private func hasSmallShare(_ load: ShardLoad, totalOffered: Int) -> Bool {
        Int64(load.offeredTransactions) * 20_000 < policy.offeredShareHigh.rawValue * Int64(max(1, totalOffered))
    }

    /// Whether the shard two shards make, one committee doing both's work, would not be hot at
    /// once: their CPU and memory together under `cpuHigh` and `memoryHighBytes`, and their
    /// offered load under half a shard's capacity.
    private func mergedStaysCool(_ first: ShardLoad, _ second: ShardLoad) -> Bool {
        guard first.cpuBasisPoints + second.cpuBasisPoints < policy.cpuHigh.rawValue,
              first.memoryBytes + second.memoryBytes < policy.memoryHighBytes else { return false }
        return policy.capacityPerSecond.map { first.offeredPerSecond + second.offeredPerSecond < $0 / 2 } ?? true
    }

    private static func seconds(_ nanos: Int64) -> String {
        let hundredths = nanos % 1_000_000_000 / 10_000_000
        return "\(nanos / 1_000_000_000).\(hundredths < 10 ? "0" : "")\(hundredths) s"
    }
}
