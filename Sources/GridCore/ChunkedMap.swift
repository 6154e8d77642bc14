/// A value whose bits are uniform already (a digest, a public key) or that can be spread
/// without a general hash: where a ``ChunkedMap`` places it.
public protocol UniformlyHashable: Equatable {
    /// 64 well-mixed bits of the value: equal values give equal bits.
    var uniformHash: UInt64 { get }
}

extension UniformlyHashable {
    /// `uniformHash` mixed with a `Dictionary` or `Set` table's seed: what a type's
    /// `_rawHashValue(seed:)` returns to be placed without running SipHash over its bits.
    @inlinable
    public func rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: uniformHash ^ UInt64(UInt(bitPattern: seed)))
    }
}

extension Bytes32: UniformlyHashable {
    @inlinable public var uniformHash: UInt64 { words.0 }
}

extension UInt64: UniformlyHashable {
    /// Fibonacci hashing: consecutive numbers land far apart.
    @inlinable public var uniformHash: UInt64 { self &* 0x9E37_79B9_7F4A_7C15 }
}

/// A hash map whose copies share their storage piece by piece, for the replicated state that
/// the in-process replicas of a chain hold as one value. Entries sit in small buckets (eight
/// entries on average), eight buckets to a directory: copying the map costs a reference per
/// directory, and changing a copy copies only the directories and buckets it touches, where a
/// `Dictionary` would copy all of its storage at the first change.
///
/// Keys are placed by their ``UniformlyHashable/uniformHash``, with no per-process seed, so
/// iteration order is the same in every process (though no outcome should depend on it).
///
/// Complexity: O(1) on average to look up, insert and remove; O(n) to grow, doubling the
/// directories when the buckets hold eight entries on average.
public struct ChunkedMap<Key: UniformlyHashable, Value> {
    @usableFromInline typealias Bucket = [(key: Key, value: Value)]
    @usableFromInline typealias Directory = [Bucket]

    @usableFromInline var directories: [Directory]
    @usableFromInline var entryCount = 0

    /// Buckets per directory (a power of two).
    @usableFromInline static var bucketsPerDirectory: Int { 8 }

    /// Entries per bucket, on average, at which the map doubles its directories: larger buckets
    /// make a copy cheaper (fewer references) and a change to a shared bucket dearer.
    @usableFromInline static var entriesPerBucket: Int { 8 }

    /// Entries held.
    @inlinable public var count: Int { entryCount }

    /// An empty map with room for `minimumCapacity` entries before it grows.
    public init(minimumCapacity: Int = 0) {
        var directoryCount = 2
        while directoryCount * Self.bucketsPerDirectory * Self.entriesPerBucket < minimumCapacity { directoryCount <<= 1 }
        // One empty directory, shared by all until each is first changed.
        directories = Array(repeating: Array(repeating: [], count: Self.bucketsPerDirectory), count: directoryCount)
    }

    public var isEmpty: Bool { count == 0 }

    /// The directory and the bucket in it where `key` goes.
    @inlinable
    func place(of key: Key) -> (directory: Int, bucket: Int) {
        let index = Int(truncatingIfNeeded: key.uniformHash) & (directories.count * Self.bucketsPerDirectory - 1)
        return (index / Self.bucketsPerDirectory, index % Self.bucketsPerDirectory)
    }

    /// The value for `key`, or `nil`; setting `nil` removes the entry.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            let (directory, bucket) = place(of: key)
            for entry in directories[directory][bucket] where entry.key == key { return entry.value }
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
        let (directory, bucket) = place(of: key)
        if let position = directories[directory][bucket].firstIndex(where: { $0.key == key }) {
            let old = directories[directory][bucket][position].value
            directories[directory][bucket][position].value = value
            return old
        }
        directories[directory][bucket].append((key, value))
        entryCount += 1
        if count > capacity { grow() }
        return nil
    }

    /// Removes the entry for `key`; returns its value, if there was one.
    @inlinable
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let (directory, bucket) = place(of: key)
        guard let position = directories[directory][bucket].firstIndex(where: { $0.key == key }) else { return nil }
        let last = directories[directory][bucket].count - 1
        if position != last { directories[directory][bucket].swapAt(position, last) }
        let removed = directories[directory][bucket].removeLast()
        // An emptied bucket lets go of its storage (the empty array allocates nothing).
        if directories[directory][bucket].isEmpty { directories[directory][bucket] = [] }
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

    /// Entries the map holds before it next grows.
    @inlinable public var capacity: Int { directories.count * Self.bucketsPerDirectory * Self.entriesPerBucket }

    /// Makes room for `minimumCapacity` entries, so that filling the map up to that many does not
    /// grow it step by step. O(n) when it has to grow; nothing otherwise.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        if minimumCapacity > capacity { rehash(minimumCapacity: minimumCapacity) }
    }

    @usableFromInline
    mutating func grow() {
        rehash(minimumCapacity: 2 * capacity)
    }

    /// Moves every entry into a map with room for `minimumCapacity`.
    mutating func rehash(minimumCapacity: Int) {
        var larger = ChunkedMap(minimumCapacity: minimumCapacity)
        for (key, value) in self {
            let (directory, bucket) = larger.place(of: key)
            larger.directories[directory][bucket].append((key, value))
        }
        larger.entryCount = entryCount
        self = larger
    }
}

extension ChunkedMap: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline let directories: [Directory]
        @usableFromInline var directory = 0
        @usableFromInline var bucket = 0
        @usableFromInline var position = 0

        @usableFromInline init(directories: [Directory]) {
            self.directories = directories
        }

        @inlinable
        public mutating func next() -> (key: Key, value: Value)? {
            while directory < directories.count {
                let entries = directories[directory][bucket]
                if position < entries.count {
                    defer { position += 1 }
                    return entries[position]
                }
                position = 0
                bucket += 1
                if bucket == ChunkedMap.bucketsPerDirectory {
                    bucket = 0
                    directory += 1
                }
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(directories: directories) }

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
