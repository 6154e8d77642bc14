/// Entries in the order they arrived, removed by key with a search from the oldest: a wallet's
/// coins, which leave about in the order they came, as the oldest are spent first.
///
/// There is no hash table, so an entry costs only its own size. A removal empties the entry's
/// place; iteration and searches start after the leading empty places, and the empty places
/// are dropped once they outnumber the entries.
///
/// Complexity: O(1) to add; a removal is O(k) for the k places before the entry (O(1) when
/// entries leave in about arrival order, O(n) at worst, and O(n) for a key that is not there);
/// iteration is O(n), as there are never more empty places than entries (plus a few).
public struct ArrivalQueue<Key: Equatable, Value> {
    /// Entries in arrival order; `nil` where one was removed.
    @usableFromInline var places: [(key: Key, value: Value)?] = []
    /// Every place before this one is empty.
    @usableFromInline var front = 0

    /// Entries held.
    public private(set) var count = 0

    public init() {}

    @inlinable public var isEmpty: Bool { count == 0 }

    /// Adds `value` for `key` after every entry held. Keys are meant to be distinct (a coin
    /// arrives once); a key added twice is held twice, and removed oldest first.
    public mutating func append(_ value: Value, forKey key: Key) {
        places.append((key, value))
        count += 1
    }

    /// Removes the oldest entry for `key`; returns its value, or `nil` if no entry has it.
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let place = places[front...].firstIndex(where: { $0?.key == key }) else { return nil }
        let removed = places[place]!.value
        places[place] = nil
        count -= 1
        while front < places.count, places[front] == nil { front += 1 }
        if front == places.count {
            places.removeAll(keepingCapacity: true)
            front = 0
        } else if places.count > 2 * count + 8 {
            places = places[front...].filter { $0 != nil }
            front = 0
        }
        return removed
    }
}

extension ArrivalQueue: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline var base: IndexingIterator<ArraySlice<(key: Key, value: Value)?>>

        @usableFromInline init(base: IndexingIterator<ArraySlice<(key: Key, value: Value)?>>) {
            self.base = base
        }

        @inlinable
        public mutating func next() -> (key: Key, value: Value)? {
            while let place = base.next() {
                if let entry = place { return entry }
            }
            return nil
        }
    }

    /// The entries in arrival order.
    @inlinable public func makeIterator() -> Iterator { Iterator(base: places[front...].makeIterator()) }

    @inlinable public var underestimatedCount: Int { count }
}

extension ArrivalQueue: Sendable where Key: Sendable, Value: Sendable {}
