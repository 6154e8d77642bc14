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

    /// Summarises `nanoseconds` (each ≥ 0). All figures are zero when there are none.
    public init(nanoseconds: [Int64]) {
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
