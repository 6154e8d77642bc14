import GridCore
import Sharding
import Testing

@Suite struct AutoscalerTests {
    private let map = ShardMap([[.bangkok, .east], [.north, .northeast, .south]])

    private func load(_ shard: Int, at seconds: Int64, offered: [Region: Int], cpu: Int64 = 3_000,
                      finalityMillis: Int64 = 1_500) -> ShardLoad {
        var byRegion = Array(repeating: 0, count: Region.allCases.count)
        for (region, count) in offered { byRegion[region.index] = count }
        return ShardLoad(shard: ShardID(shard), time: .zero + .seconds(seconds), windowNanos: 5_000_000_000,
                         offeredTransactions: byRegion.reduce(0, +), offeredByRegion: byRegion,
                         committedTransactions: byRegion.reduce(0, +), admissionP99Nanos: 1_000_000,
                         finalityP99Nanos: finalityMillis * 1_000_000, mempoolDepth: 10, cpuBasisPoints: cpu,
                         memoryBytes: 1_000_000)
    }

    @Test func splitsOnlyAfterTheLoadStaysHighAndMovesTheBusiestRegion() {
        var scaler = Autoscaler(policy: AutoscalerPolicy(sustainWindows: 3, cooldownNanos: 30_000_000_000))
        var decisions: [ScalingDecision?] = []
        for window in 1...3 {
            let loads = [load(1, at: Int64(window) * 5, offered: [.bangkok: 200, .east: 900], finalityMillis: 4_000),
                         load(2, at: Int64(window) * 5, offered: [.north: 300])]
            decisions.append(scaler.decide(loads, map: map, at: .zero + .seconds(Int64(window) * 5)) { _ in true })
        }
        #expect(decisions[0] == nil && decisions[1] == nil)
        guard case .split(let shard, let regions, let reason) = decisions[2] else {
            Issue.record("expected a split, got \(String(describing: decisions[2]))")
            return
        }
        #expect(shard == ShardID(1) && regions == [.east])
        #expect(reason.contains("finality p99 4.00 s ≥ 3.00 s"))
    }

    /// A split moves the busiest region and whichever others make the two shards most even.
    @Test func aSplitMovesTheRegionsThatEvenTheLoadOut() {
        let scaler = Autoscaler(policy: AutoscalerPolicy())
        let regions: [Region] = [.bangkok, .north, .northeast, .east]
        let quarters = load(1, at: 5, offered: [.bangkok: 30, .north: 30, .northeast: 20, .east: 20])
        #expect(scaler.balancedSplit(of: regions, load: quarters) == [.bangkok, .northeast], "50/50, not 30/70")
        let leading = load(1, at: 5, offered: [.bangkok: 10, .north: 60, .northeast: 20, .east: 10])
        #expect(scaler.balancedSplit(of: regions, load: leading) == [.north], "a region above half moves alone")
        let idle = load(1, at: 5, offered: [:])
        #expect(scaler.balancedSplit(of: regions, load: idle) == [.bangkok], "hot by CPU with nothing offered")
        #expect(scaler.balancedSplit(of: [.east], load: quarters) == nil, "one region cannot split")
    }

    /// A shard whose load comes almost all from one region gains nothing by a split (the new shard
    /// would take the load, the old one stand idle): the autoscaler splits the next hot shard.
    @Test func aShardLoadedByOneRegionIsNotSplitButTheNextHotOneIs() {
        var scaler = Autoscaler(policy: AutoscalerPolicy(sustainWindows: 1))
        let nearlyAllNorth = load(2, at: 5, offered: [.north: 950, .northeast: 30, .south: 20], cpu: 9_000)
        #expect(scaler.balancedSplit(of: map.regions(of: ShardID(2)), load: nearlyAllNorth) == nil)
        let loads = [load(1, at: 5, offered: [.bangkok: 400, .east: 300], cpu: 9_000), nearlyAllNorth]
        guard case .split(let shard, let regions, let reason) = scaler.decide(loads, map: map, at: .zero + .seconds(5), canSplit: { _ in true }) else {
            Issue.record("expected a split of shard 1")
            return
        }
        #expect(shard == ShardID(1) && regions == [.bangkok])
        #expect(reason.hasSuffix("bangkok brings 57 % of its load"))
        #expect(scaler.heldBack.withoutRelief == 1, "shard 2 was due a split that could not relieve it")
        var alone = Autoscaler(policy: AutoscalerPolicy(sustainWindows: 1))
        for window in Int64(1)...3 {
            #expect(alone.decide([load(1, at: 5 * window, offered: [.bangkok: 10, .east: 10]), nearlyAllNorth], map: map,
                                 at: .zero + .seconds(5 * window)) { _ in true } == nil)
        }
        #expect(alone.heldBack.withoutRelief == 3, "one count a window")
    }

    @Test func aDipResetsTheCountAndTheCooldownHoldsTheNextChange() {
        // The share rule is set out of reach: here CPU alone makes a shard hot.
        var scaler = Autoscaler(policy: AutoscalerPolicy(offeredShareHigh: BasisPoints(9_000), sustainWindows: 2,
                                                         cooldownNanos: 60_000_000_000))
        let hot = { (t: Int64) in [self.load(1, at: t, offered: [.bangkok: 100, .east: 100], cpu: 9_000),
                                    self.load(2, at: t, offered: [.north: 100])] }
        let calm = { (t: Int64) in [self.load(1, at: t, offered: [.bangkok: 100, .east: 100]),
                                     self.load(2, at: t, offered: [.north: 100])] }
        #expect(scaler.decide(hot(5), map: map, at: .zero + .seconds(5)) { _ in true } == nil)
        #expect(scaler.decide(calm(10), map: map, at: .zero + .seconds(10)) { _ in true } == nil)
        #expect(scaler.decide(hot(15), map: map, at: .zero + .seconds(15)) { _ in true } == nil)
        #expect(scaler.decide(hot(20), map: map, at: .zero + .seconds(20)) { _ in true } != nil)
        // Within the cooldown nothing changes however hot it stays.
        for t in stride(from: Int64(25), through: 75, by: 5) {
            #expect(scaler.decide(hot(t), map: map, at: .zero + .seconds(t)) { _ in true } == nil)
        }
        #expect(scaler.decide(hot(80), map: map, at: .zero + .seconds(80)) { _ in true } != nil)
    }

    @Test func noSplitWithoutValidatorsOrBeyondMaxShards() {
        var scaler = Autoscaler(policy: AutoscalerPolicy(sustainWindows: 1))
        let loads = [load(1, at: 5, offered: [.bangkok: 100, .east: 100], cpu: 9_500), load(2, at: 5, offered: [.north: 10])]
        #expect(scaler.decide(loads, map: map, at: .zero + .seconds(5)) { _ in false } == nil)
        #expect(scaler.heldBack.withoutValidators == 1)
        var capped = Autoscaler(policy: AutoscalerPolicy(sustainWindows: 1, maxShards: 2))
        #expect(capped.decide(loads, map: map, at: .zero + .seconds(5)) { _ in true } == nil)
        #expect(capped.decide(loads, map: map, at: .zero + .seconds(10)) { _ in true } == nil)
        #expect(capped.heldBack.atMaxShards == 2, "shard 1 was due a split in both windows")
        #expect(capped.heldBack.withoutValidators == 0 && scaler.heldBack.atMaxShards == 0)
    }

    @Test func mergesTheTwoQuietestShardsUnderLowLoad() {
        var three = map
        _ = three.split(ShardID(1), moving: [.east])
        var scaler = Autoscaler(policy: AutoscalerPolicy(offeredShareHigh: BasisPoints(9_000), sustainWindows: 2, minShards: 2))
        var last: ScalingDecision?
        for window in Int64(1)...2 {
            let loads = [load(1, at: window * 5, offered: [.bangkok: 30], cpu: 500, finalityMillis: 900),
                         load(2, at: window * 5, offered: [.north: 100], cpu: 6_000),
                         load(3, at: window * 5, offered: [.east: 20], cpu: 400, finalityMillis: 900)]
            last = scaler.decide(loads, map: three, at: .zero + .seconds(window * 5)) { _ in true }
        }
        guard case .merge(let absorbed, let survivor, _) = last else {
            Issue.record("expected a merge, got \(String(describing: last))")
            return
        }
        #expect(absorbed == ShardID(3) && survivor == ShardID(1))
    }

    /// Two quiet shards merge whatever their shares: the one shard left has none to share with,
    /// so its share cannot make it hot. Of three, each must still be offered under half the
    /// share that makes a shard hot; and no merge makes a shard hot by CPU at once.
    @Test func twoQuietShardsMergeWhateverTheirSharesThreeOnlyWithSmallShares() {
        func decisions(_ map: ShardMap, policy: AutoscalerPolicy, windows: Int64,
                       _ loads: (Int64) -> [ShardLoad]) -> [ScalingDecision?] {
            var scaler = Autoscaler(policy: policy)
            return (1...windows).map { window in
                scaler.decide(loads(window * 5), map: map, at: .zero + .seconds(window * 5)) { _ in true }
            }
        }
        let policy = AutoscalerPolicy(sustainWindows: 2)
        let two = decisions(map, policy: policy, windows: 2) { time in
            [load(1, at: time, offered: [.bangkok: 30], cpu: 500, finalityMillis: 900),
             load(2, at: time, offered: [.north: 40], cpu: 600, finalityMillis: 900)]
        }
        #expect(two[0] == nil, "quiet for one window of two")
        guard case .merge(let absorbed, let survivor, _) = two[1] else {
            Issue.record("expected a merge, got \(String(describing: two[1]))")
            return
        }
        #expect(absorbed == ShardID(2) && survivor == ShardID(1))

        var three = map
        _ = three.split(ShardID(1), moving: [.east])
        let balanced = decisions(three, policy: policy, windows: 4) { time in
            [load(1, at: time, offered: [.bangkok: 30], cpu: 500, finalityMillis: 900),
             load(2, at: time, offered: [.north: 30], cpu: 500, finalityMillis: 900),
             load(3, at: time, offered: [.east: 30], cpu: 500, finalityMillis: 900)]
        }
        #expect(balanced.allSatisfy { $0 == nil }, "a third each: two merged would hold two thirds, over the 60 % share")

        let busy = decisions(map, policy: AutoscalerPolicy(cpuLow: BasisPoints(5_000), sustainWindows: 2), windows: 3) { time in
            [load(1, at: time, offered: [.bangkok: 30], cpu: 4_500, finalityMillis: 900),
             load(2, at: time, offered: [.north: 40], cpu: 4_000, finalityMillis: 900)]
        }
        #expect(busy.allSatisfy { $0 == nil }, "85 % CPU for one committee is over the 80 % that splits")
    }
}

@Suite struct ShardWindowTests {
    @Test func reducesAWindowToItsLoad() {
        var window = ShardWindow()
        for latency in 1...100 { window.recordFinality(latencyNanos: Int64(latency) * 1_000_000) }
        window.recordOffered(from: .east)
        window.recordOffered(from: .east)
        window.recordOffered(from: .bangkok)
        let load = window.load(shard: ShardID(1), at: .zero + .seconds(10), windowNanos: 10_000_000_000,
                               mempoolDepth: 7, cpuBasisPoints: 4_200, memoryBytes: 9)
        #expect(load.committedTransactions == 100 && load.committedPerSecond == 10)
        #expect(load.finalityP99Nanos == 99_000_000)
        #expect(load.admissionP99Nanos == nil)
        #expect(load.offeredByRegion[Region.east.index] == 2 && load.offeredTransactions == 3)
    }
}
