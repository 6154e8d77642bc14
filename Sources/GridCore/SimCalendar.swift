/// Maps simulated time onto the local (Thai, UTC+7) clock: time zero is `startHour` o'clock on
/// weekday `startWeekday` (0 = Monday ... 6 = Sunday). Pricing windows and daily load curves use it.
public struct SimCalendar: Hashable, Sendable {
    public var startWeekday: Int
    /// Local time of day at time zero, in seconds after midnight.
    public var startSecondOfDay: Int64

    public init(startWeekday: Int = 0, startSecondOfDay: Int64 = 0) {
        precondition((0..<7).contains(startWeekday) && (0..<86_400).contains(startSecondOfDay))
        self.startWeekday = startWeekday
        self.startSecondOfDay = startSecondOfDay
    }

    /// Seconds after local midnight at `time`.
    public func secondOfDay(at time: SimTime) -> Int64 {
        (startSecondOfDay + time.nanoseconds / 1_000_000_000) % 86_400
    }

    /// Fractional local hour of day at `time`, 0 ..< 24.
    public func hourOfDay(at time: SimTime) -> Double {
        Double(startSecondOfDay * 1_000_000_000 + time.nanoseconds).truncatingRemainder(dividingBy: 86_400e9) / 3_600e9
    }

    /// 0 = Monday ... 6 = Sunday.
    public func weekday(at time: SimTime) -> Int {
        Int((Int64(startWeekday) + (startSecondOfDay + time.nanoseconds / 1_000_000_000) / 86_400) % 7)
    }

    public func isWeekday(at time: SimTime) -> Bool { weekday(at: time) < 5 }
}

/// A daily window of local time, [start, end) in seconds after midnight (end may be 24:00).
public struct DailyWindow: Hashable, Sendable {
    public var startSecond: Int64
    public var endSecond: Int64
    /// Whether it applies on Saturdays and Sundays too.
    public var includesWeekends: Bool

    public init(startHour: Double, endHour: Double, includesWeekends: Bool) {
        precondition(startHour >= 0 && endHour <= 24 && startHour < endHour)
        startSecond = Int64(startHour * 3_600)
        endSecond = Int64(endHour * 3_600)
        self.includesWeekends = includesWeekends
    }

    /// Whether the window meets [`start`, `end`) on any day.
    public func overlaps(start: SimTime, end: SimTime, calendar: SimCalendar) -> Bool {
        guard start < end else { return false }
        let offset = calendar.startSecondOfDay * 1_000_000_000
        let localStart = start.nanoseconds + offset, localEnd = end.nanoseconds + offset
        let dayNanos: Int64 = 86_400_000_000_000
        var day = localStart / dayNanos
        while day * dayNanos < localEnd {
            let weekday = Int((Int64(calendar.startWeekday) + day) % 7)
            let windowStart = day * dayNanos + startSecond * 1_000_000_000
            let windowEnd = day * dayNanos + endSecond * 1_000_000_000
            if (includesWeekends || weekday < 5) && windowStart < localEnd && localStart < windowEnd { return true }
            day += 1
        }
        return false
    }

    public func contains(_ time: SimTime, calendar: SimCalendar) -> Bool {
        guard includesWeekends || calendar.isWeekday(at: time) else { return false }
        let second = calendar.secondOfDay(at: time)
        return second >= startSecond && second < endSecond
    }
}
