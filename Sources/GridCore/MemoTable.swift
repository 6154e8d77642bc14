/// A memo of computed answers. A key's uniform bits pick a pair of slots; a new answer goes in
/// the first and pushes the pair's older answer out. A lookup reads two slots and hashes
/// nothing; a lost answer only costs computing it again. The slots double, up to
/// `maximumSlots`, while answers keep arriving (as many new ones as half the slots).
public struct MemoTable<Key: UniformlyHashable, Value> {
    @usableFromInline var slots: [(key: Key, value: Value)?]
    @usableFromInline var stores = 0
    @usableFromInline let maximumSlots: Int

    /// - Parameters: both powers of two, 2 ≤ `initialSlots` ≤ `maximumSlots`.
    public init(initialSlots: Int = 1 << 12, maximumSlots: Int = 1 << 20) {
        precondition(initialSlots > 1 && initialSlots.nonzeroBitCount == 1 && maximumSlots.nonzeroBitCount == 1
                     && initialSlots <= maximumSlots, "slot counts are powers of two")
        slots = Array(repeating: nil, count: initialSlots)
        self.maximumSlots = maximumSlots
    }

    /// The first slot of `key`'s pair.
    @inlinable
    func pair(of key: Key) -> Int {
        (Int(truncatingIfNeeded: key.uniformHash) & (slots.count / 2 - 1)) * 2
    }

    /// The answer stored for `key`, if it is still there.
    @inlinable
    public func value(for key: Key) -> Value? {
        let first = pair(of: key)
        if let entry = slots[first], entry.key == key { return entry.value }
        if let entry = slots[first + 1], entry.key == key { return entry.value }
        return nil
    }

    /// Stores the answer for `key`: in place of its earlier answer, or ahead of the pair's
    /// older answer, which is dropped.
    @inlinable
    public mutating func store(_ value: Value, for key: Key) {
        stores += 1
        if 2 * stores > slots.count, slots.count < maximumSlots { grow() }
        let first = pair(of: key)
        if let entry = slots[first + 1], entry.key == key {
            slots[first + 1] = (key, value)
            return
        }
        if let entry = slots[first], entry.key != key { slots[first + 1] = entry }
        slots[first] = (key, value)
    }

    /// Doubles the slots, keeping the answers (the older of each old pair is placed first, so
    /// the newer one stays ahead of it if they meet again).
    @inlinable
    mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        stores = 0
        for index in 0..<old.count {
            guard let entry = old[index ^ 1] else { continue }
            let first = pair(of: entry.key)
            if let held = slots[first] { slots[first + 1] = held }
            slots[first] = entry
        }
    }
}

extension MemoTable: Sendable where Key: Sendable, Value: Sendable {}
