import Histogram

/// Percentiles of one latency stage, in milliseconds, from an HdrHistogram of simulated
/// nanoseconds (3 significant digits).
public struct LatencySummary: Codable, Hashable, Sendable {
    public var count: Int
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var maxMs: Double
    public var meanMs: Double
    /// The distribution as (percentile, ms) points from 0 to 100, when asked for.
    public var cdf: [CDFPoint]?

    /// One point of a cumulative distribution: `percentile` % of samples are at most `ms`.
    public struct CDFPoint: Codable, Hashable, Sendable {
        public var percentile: Double
        public var ms: Double
    }

    /// The percentiles a CDF is drawn through: dense in the tail, where latency targets live.
    static let cdfPercentiles: [Double] = Array(stride(from: 0.0, through: 95, by: 5)) + [97.5, 99, 99.5, 99.9, 99.99, 100]

    /// Summarises `nanoseconds` (each ≥ 0), with its CDF if `withCDF`. All figures are zero
    /// when there are none.
    ///
    /// Complexity: O(n) to record, O(buckets) per percentile.
    public init(nanoseconds: [Int64], withCDF: Bool = false) {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 50,
                                          numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        for value in nanoseconds {
            precondition(value >= 0, "latencies are not negative")
            _ = histogram.record(UInt64(value))
        }
        count = nanoseconds.count
        func milliseconds(_ value: UInt64) -> Double { Double(value) / 1e6 }
        guard count > 0 else {
            p50Ms = 0; p90Ms = 0; p99Ms = 0; p999Ms = 0; maxMs = 0; meanMs = 0
            return
        }
        p50Ms = milliseconds(histogram.valueAtPercentile(50))
        p90Ms = milliseconds(histogram.valueAtPercentile(90))
        p99Ms = milliseconds(histogram.valueAtPercentile(99))
        p999Ms = milliseconds(histogram.valueAtPercentile(99.9))
        maxMs = milliseconds(histogram.max)
        meanMs = histogram.mean / 1e6
        if withCDF {
            cdf = Self.cdfPercentiles.map { percentile in
                CDFPoint(percentile: percentile,
                         ms: milliseconds(percentile == 100 ? histogram.max : histogram.valueAtPercentile(percentile)))
            }
        }
    }

    /// The named statistic (`p50`, `p90`, `p99`, `p999`, `max`) in milliseconds.
    public func statistic(_ name: String) -> Double? {
        switch name {
        case "p50": p50Ms
        case "p90": p90Ms
        case "p99": p99Ms
        case "p999": p999Ms
        case "max": maxMs
        default: nil
        }
    }
}
