/// A value whose bits are uniform already (a digest, a public key) or that can be spread
/// without a general hash: where a ``ChunkedMap`` places it.
public protocol UniformlyHashable: Equatable {
    /// 64 well-mixed bits of the value: equal values give equal bits.
    var uniformHash: UInt64 { get }
}

extension Bytes32: UniformlyHashable {
    @inlinable public var uniformHash: UInt64 { words.0 }
}

extension UInt64: UniformlyHashable {
    /// Fibonacci hashing: consecutive numbers land far apart.
    @inlinable public var uniformHash: UInt64 { self &* 0x9E37_79B9_7F4A_7C15 }
}

/// A hash map whose copies share their storage bucket by bucket, for the replicated state that
/// the in-process replicas of a chain hold as one value: copying the map is O(buckets) reference
/// counts, and changing a copy copies only the buckets it touches (each holds a few entries),
/// where a `Dictionary` would copy all of its storage at the first change.
///
/// Keys are placed by their ``UniformlyHashable/uniformHash``, with no per-process seed, so
/// iteration order is the same in every process (though no outcome should depend on it).
///
/// Complexity: O(1) on average to look up, insert and remove; O(n) to grow, doubling the
/// buckets when they hold eight entries on average.
public struct ChunkedMap<Key: UniformlyHashable, Value> {
    @usableFromInline typealias Bucket = [(key: Key, value: Value)]

    @usableFromInline var buckets: [Bucket]
    @usableFromInline var entryCount = 0

    /// Entries held.
    @inlinable public var count: Int { entryCount }

    /// Entries per bucket, on average, at which the map doubles its buckets: larger buckets make
    /// a copy cheaper (fewer bucket references) and a change to a shared bucket dearer.
    @usableFromInline static var entriesPerBucket: Int { 8 }

    /// An empty map with room for `minimumCapacity` entries before it grows.
    public init(minimumCapacity: Int = 0) {
        var bucketCount = 16
        while bucketCount * Self.entriesPerBucket < minimumCapacity { bucketCount <<= 1 }
        buckets = Array(repeating: [], count: bucketCount)
    }

    public var isEmpty: Bool { count == 0 }

    @inlinable
    func bucket(of key: Key) -> Int {
        Int(truncatingIfNeeded: key.uniformHash) & (buckets.count - 1)
    }

    /// The value for `key`, or `nil`; setting `nil` removes the entry.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            for entry in buckets[bucket(of: key)] where entry.key == key { return entry.value }
            return nil
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Sets the value for `key`; returns the value it replaced, if any.
    @inlinable
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        let index = bucket(of: key)
        if let position = buckets[index].firstIndex(where: { $0.key == key }) {
            let old = buckets[index][position].value
            buckets[index][position].value = value
            return old
        }
        buckets[index].append((key, value))
        entryCount += 1
        if count > buckets.count * Self.entriesPerBucket { grow() }
        return nil
    }

    /// Removes the entry for `key`; returns its value, if there was one.
    @inlinable
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let index = bucket(of: key)
        guard let position = buckets[index].firstIndex(where: { $0.key == key }) else { return nil }
        let last = buckets[index].count - 1
        if position != last { buckets[index].swapAt(position, last) }
        let removed = buckets[index].removeLast()
        // An emptied bucket lets go of its storage (the empty array allocates nothing).
        if buckets[index].isEmpty { buckets[index] = [] }
        entryCount -= 1
        return removed.value
    }

    /// The entries for which `isIncluded` holds, in a map of their own size.
    public func filter(_ isIncluded: ((key: Key, value: Value)) throws -> Bool) rethrows -> ChunkedMap {
        var result = ChunkedMap()
        for entry in self where try isIncluded(entry) { result.updateValue(entry.value, forKey: entry.key) }
        return result
    }

    /// The keys, in iteration order.
    public var keys: LazyMapSequence<ChunkedMap, Key> { lazy.map(\.key) }

    /// The values, in iteration order.
    public var values: LazyMapSequence<ChunkedMap, Value> { lazy.map(\.value) }

    @usableFromInline
    mutating func grow() {
        var larger = ChunkedMap(minimumCapacity: 2 * buckets.count * Self.entriesPerBucket)
        for (key, value) in self { larger.buckets[larger.bucket(of: key)].append((key, value)) }
        larger.entryCount = entryCount
        self = larger
    }
}

extension ChunkedMap: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline let buckets: [Bucket]
        @usableFromInline var bucket = 0
        @usableFromInline var position = 0

        @usableFromInline init(buckets: [Bucket]) {
            self.buckets = buckets
        }

        @inlinable
        public mutating func next() -> (key: Key, value: Value)? {
            while bucket < buckets.count {
                if position < buckets[bucket].count {
                    defer { position += 1 }
                    return buckets[bucket][position]
                }
                bucket += 1
                position = 0
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(buckets: buckets) }

    @inlinable public var underestimatedCount: Int { count }
}

extension ChunkedMap: Sendable where Key: Sendable, Value: Sendable {}

extension ChunkedMap: Equatable where Value: Equatable {
    /// The same entries, wherever they sit. O(n).
    public static func == (lhs: ChunkedMap, rhs: ChunkedMap) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

/// A set with the storage sharing of ``ChunkedMap``.
public struct ChunkedSet<Element: UniformlyHashable> {
    @usableFromInline var map = ChunkedMap<Element, Void>()

    public init() {}

    public var count: Int { map.count }
    public var isEmpty: Bool { map.isEmpty }

    @inlinable public func contains(_ element: Element) -> Bool { map[element] != nil }

    /// Adds `element`; `false` if it was there already.
    @inlinable
    @discardableResult
    public mutating func insert(_ element: Element) -> Bool {
        map.updateValue((), forKey: element) == nil
    }

    /// Removes `element`; `false` if it was not there.
    @inlinable
    @discardableResult
    public mutating func remove(_ element: Element) -> Bool {
        map.removeValue(forKey: element) != nil
    }

    /// Adds every element of `other`.
    public mutating func formUnion(_ other: ChunkedSet) {
        for element in other { insert(element) }
    }
}

extension ChunkedSet: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline var base: ChunkedMap<Element, Void>.Iterator

        @usableFromInline init(base: ChunkedMap<Element, Void>.Iterator) {
            self.base = base
        }

        @inlinable public mutating func next() -> Element? { base.next()?.key }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(base: map.makeIterator()) }

    @inlinable public var underestimatedCount: Int { count }
}

extension ChunkedSet: Sendable where Element: Sendable {}
