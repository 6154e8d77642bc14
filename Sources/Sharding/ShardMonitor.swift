import GridCore

/// What one shard's committee did over one monitor window: the numbers the autoscaler reads and
/// the report's per-shard time series shows.
public struct ShardLoad: Hashable, Sendable {
    public var shard: ShardID
    /// The end of the window.
    public var time: SimTime
    public var windowNanos: Int64
    /// Transactions routed to the shard (submitted, and re-routed by a reshard) in the window.
    public var offeredTransactions: Int
    /// Of those offered, by region (`Region.index`): which region a split should move.
    public var offeredByRegion: [Int]
    /// Transactions the shard finalized in the window.
    public var committedTransactions: Int
    /// 99th percentile of admission and finality latency of the transactions admitted or
    /// finalized in the window (`nil`: none).
    public var admissionP99Nanos: Int64?
    public var finalityP99Nanos: Int64?
    /// The deepest mempool among the committee at the end of the window.
    public var mempoolDepth: Int
    /// The committee's mean share of core time spent busy in the window (CPU cost model).
    public var cpuBasisPoints: Int64
    /// The committee's largest modelled memory at the end of the window.
    public var memoryBytes: Int64

    public init(shard: ShardID, time: SimTime, windowNanos: Int64, offeredTransactions: Int, offeredByRegion: [Int],
                committedTransactions: Int, admissionP99Nanos: Int64?, finalityP99Nanos: Int64?, mempoolDepth: Int,
                cpuBasisPoints: Int64, memoryBytes: Int64) {
        precondition(windowNanos > 0 && offeredByRegion.count == Region.allCases.count)
        self.shard = shard
        self.time = time
        self.windowNanos = windowNanos
        self.offeredTransactions = offeredTransactions
        self.offeredByRegion = offeredByRegion
        self.committedTransactions = committedTransactions
        self.admissionP99Nanos = admissionP99Nanos
        self.finalityP99Nanos = finalityP99Nanos
        self.mempoolDepth = mempoolDepth
        self.cpuBasisPoints = cpuBasisPoints
        self.memoryBytes = memoryBytes
    }

    /// Finalized transactions per second over the window.
    public var committedPerSecond: Double { Double(committedTransactions) * 1e9 / Double(windowNanos) }
    /// Offered transactions per second over the window.
    public var offeredPerSecond: Double { Double(offeredTransactions) * 1e9 / Double(windowNanos) }
}

/// One shard's samples within a monitor window, reduced to a ``ShardLoad`` at its end.
public struct ShardWindow: Sendable {
    public private(set) var offered = 0
    public private(set) var offeredByRegion = Array(repeating: 0, count: Region.allCases.count)
    private var admissionNanos: [Int64] = []
    private var finalityNanos: [Int64] = []

    /// Transactions finalized in the window.
    public var committed: Int { finalityNanos.count }

    public init() {}

    public mutating func recordOffered(from region: Region) {
        offered += 1
        offeredByRegion[region.index] += 1
    }

    public mutating func recordAdmission(latencyNanos: Int64) { admissionNanos.append(latencyNanos) }

    public mutating func recordFinality(latencyNanos: Int64) { finalityNanos.append(latencyNanos) }

    /// The window's load, given what the simulator measured of the committee at its end.
    ///
    /// Complexity: O(n log n) in the latencies recorded.
    public func load(shard: ShardID, at time: SimTime, windowNanos: Int64, mempoolDepth: Int, cpuBasisPoints: Int64,
                     memoryBytes: Int64) -> ShardLoad {
        ShardLoad(shard: shard, time: time, windowNanos: windowNanos, offeredTransactions: offered,
                  offeredByRegion: offeredByRegion, committedTransactions: committed,
                  admissionP99Nanos: Self.p99(admissionNanos), finalityP99Nanos: Self.p99(finalityNanos),
                  mempoolDepth: mempoolDepth, cpuBasisPoints: cpuBasisPoints, memoryBytes: memoryBytes)
    }

    /// The nearest-rank 99th percentile.
    static func p99(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = (sorted.count * 99 + 99) / 100
        return sorted[max(0, rank - 1)]
    }
}
