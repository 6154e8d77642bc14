/// A point in simulated time: integer nanoseconds since the start of a run.
///
/// Simulated time is the only clock a domain module may read (DESIGN.md, determinism contract).
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the start of the run.
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The start of every run.
    public static let zero = SimTime(nanoseconds: 0)

    /// The latest representable time; used as "never".
    public static let distantFuture = SimTime(nanoseconds: .max)

    /// Seconds since the start, for reports and sampling only.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable
    public static func < (lhs: SimTime, rhs: SimTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    @inlinable
    public static func + (lhs: SimTime, rhs: SimDuration) -> SimTime {
        SimTime(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    @inlinable
    public static func += (lhs: inout SimTime, rhs: SimDuration) {
        lhs.nanoseconds += rhs.nanoseconds
    }

    @inlinable
    public static func - (lhs: SimTime, rhs: SimTime) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    @inlinable
    public static func - (lhs: SimTime, rhs: SimDuration) -> SimTime {
        SimTime(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public var description: String { SimDuration(nanoseconds: nanoseconds).description }
}

/// A span of simulated time in integer nanoseconds.
public struct SimDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The length in nanoseconds.
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = SimDuration(nanoseconds: 0)

    @inlinable public static func nanoseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value) }
    @inlinable public static func microseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000) }
    @inlinable public static func milliseconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000_000) }
    @inlinable public static func seconds(_ value: Int64) -> SimDuration { SimDuration(nanoseconds: value * 1_000_000_000) }
    @inlinable public static func minutes(_ value: Int64) -> SimDuration { .seconds(value * 60) }
    @inlinable public static func hours(_ value: Int64) -> SimDuration { .seconds(value * 3_600) }

    /// A duration from fractional seconds, rounded to the nearest nanosecond.
    /// Only for values that come from configuration or sampling, never from a clock.
    @inlinable
    public init(seconds: Double) {
        precondition(seconds.isFinite && abs(seconds) < 9e9, "duration out of range: \(seconds) s")
        self.init(nanoseconds: Int64((seconds * 1e9).rounded()))
    }

    /// The length in seconds, for reports and sampling only.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// The length in milliseconds, for reports only.
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    @inlinable
    public static func < (lhs: SimDuration, rhs: SimDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    @inlinable
    public static func + (lhs: SimDuration, rhs: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    @inlinable
    public static func - (lhs: SimDuration, rhs: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    @inlinable
    public static func * (lhs: SimDuration, rhs: Int64) -> SimDuration {
        SimDuration(nanoseconds: lhs.nanoseconds * rhs)
    }

    public var description: String {
        let ns = nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000) s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000) ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000) µs" }
        return "\(ns) ns"
    }
}
