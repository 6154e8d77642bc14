import GridCore

/// A binary min-heap of events keyed by (time, sequence number). The sequence number is
/// assigned at scheduling, so events at the same time run in the order they were scheduled —
/// deterministically, in every process.
///
/// The heap orders plain (time, sequence, slot) triples; each event waits in a slot of its own
/// until it is taken, so sifting moves no reference-counted payload (a delivery's message, a
/// client's transaction) and taking an event moves it out without copying it.
///
/// Complexity: O(log n) to schedule and to take the next event.
public struct EventQueue: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var time: Int64
        @usableFromInline var sequence: UInt64
        /// Where the event waits in `slots`.
        @usableFromInline var slot: Int

        @inlinable
        init(time: Int64, sequence: UInt64, slot: Int) {
            self.time = time
            self.sequence = sequence
            self.slot = slot
        }

        @inlinable
        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    @usableFromInline var entries: [Entry] = []
    /// The waiting events, by slot; `nil` marks a free slot (listed in `freeSlots`).
    @usableFromInline var slots: [Event?] = []
    @usableFromInline var freeSlots: [Int] = []
    @usableFromInline var nextSequence: UInt64 = 0

    public init(capacity: Int = 1_024) {
        entries.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    /// Events waiting.
    @inlinable public var count: Int { entries.count }
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    /// The time of the next event, if any.
    @inlinable public var nextTime: SimTime? {
        entries.first.map { SimTime(nanoseconds: $0.time) }
    }

    /// Adds `event` at `time`. Complexity: O(log n).
    @inlinable
    public mutating func schedule(_ event: Event, at time: SimTime) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        let entry = Entry(time: time.nanoseconds, sequence: nextSequence, slot: slot)
        nextSequence &+= 1
        entries.append(entry)
        siftUp(from: entries.count - 1, entry)
    }

    /// Removes and returns the earliest event. Complexity: O(log n).
    @inlinable
    public mutating func popNext() -> (time: SimTime, event: Event)? {
        guard let last = entries.popLast() else { return nil }
        var first = last
        if !entries.isEmpty {
            first = entries[0]
            siftDown(from: 0, last)
        }
        freeSlots.append(first.slot)
        return (SimTime(nanoseconds: first.time), slots[first.slot].take()!)
    }

    /// Moves `entry` up from the hole at `index` (hole technique: one write per level).
    @inlinable
    mutating func siftUp(from index: Int, _ entry: Entry) {
        entries.withUnsafeMutableBufferPointer { heap in
            var hole = index
            while hole > 0 {
                let parent = (hole - 1) >> 1
                guard entry.precedes(heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = entry
        }
    }

    /// Moves `entry` down from the hole at `index`.
    @inlinable
    mutating func siftDown(from index: Int, _ entry: Entry) {
        entries.withUnsafeMutableBufferPointer { heap in
            let count = heap.count
            var hole = index
            while true {
                var child = 2 * hole + 1
                guard child < count else { break }
                if child + 1 < count && heap[child + 1].precedes(heap[child]) { child += 1 }
                guard heap[child].precedes(entry) else { break }
                heap[hole] = heap[child]
                hole = child
            }
            heap[hole] = entry
        }
    }
}

/// When a run stops.
public struct RunLimit {
    /// No event after this time runs.
    public var endTime: SimTime
    /// At most this many events run.
    public var maxEvents: UInt64
    /// Checked after every event; `true` stops the run.
    public var stopCondition: (() -> Bool)?

    public init(endTime: SimTime, maxEvents: UInt64 = .max, stopCondition: (() -> Bool)? = nil) {
        self.endTime = endTime
        self.maxEvents = maxEvents
        self.stopCondition = stopCondition
    }
}

/// Why a run stopped.
public enum StopReason: String, Sendable {
    case timeLimit = "time_limit"
    case eventLimit = "event_limit"
    case stopCondition = "stop_condition"
    /// No events were left before the time limit.
    case drained
}

/// The event kernel: simulated time, the queue, and the run loop.
public struct EventLoop: Sendable {
    /// The current simulated time: the time of the event being handled.
    @inlinable public var now: SimTime { currentTime }
    /// Events handled so far.
    @inlinable public var processedEvents: UInt64 { handledEvents }
    @usableFromInline var currentTime = SimTime.zero
    @usableFromInline var handledEvents: UInt64 = 0
    @usableFromInline var queue: EventQueue

    public init(capacity: Int = 1_024) {
        queue = EventQueue(capacity: capacity)
    }

    /// Events waiting.
    public var pendingEvents: Int { queue.count }

    /// Schedules `event` at `time`, which must not be in the past.
    @inlinable
    public mutating func schedule(_ event: Event, at time: SimTime) {
        precondition(time >= now, "cannot schedule in the past: \(time) < \(now)")
        queue.schedule(event, at: time)
    }

    /// Takes the next event within `limit`, advancing ``now``; `nil` with the reason when the run
    /// must stop. Call ``finish(_:at:)`` after the last event.
    @inlinable
    public mutating func next(within limit: RunLimit) -> Event? {
        guard processedEvents < limit.maxEvents else { return nil }
        guard let time = queue.nextTime, time <= limit.endTime else { return nil }
        let (eventTime, event) = queue.popNext()!
        currentTime = eventTime
        handledEvents += 1
        return event
    }

    /// Why the loop stopped after ``next(within:)`` returned `nil`, moving ``now`` to the end time
    /// when time ran out.
    public mutating func stopReason(for limit: RunLimit) -> StopReason {
        if processedEvents >= limit.maxEvents { return .eventLimit }
        if queue.isEmpty {
            currentTime = max(currentTime, limit.endTime)
            return .drained
        }
        currentTime = max(currentTime, limit.endTime)
        return .timeLimit
    }

    /// Runs events through `handle` until `limit` stops the run. The handler may schedule more
    /// events through the `inout` loop it is given.
    public mutating func run(until limit: RunLimit, _ handle: (inout EventLoop, Event) -> Void) -> StopReason {
        while let event = next(within: limit) {
            handle(&self, event)
            if let stop = limit.stopCondition, stop() { return .stopCondition }
        }
        return stopReason(for: limit)
    }
}
