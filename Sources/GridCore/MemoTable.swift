/// A memo of computed answers: a key goes in the slot its uniform bits pick, replacing the
/// answer that was there. A lookup costs one slot and no hashing; a lost answer only costs
/// computing it again. The slots double, up to `maximumSlots`, while answers keep arriving.
public struct MemoTable<Key: UniformlyHashable, Value> {
    @usableFromInline var slots: [(key: Key, value: Value)?]
    @usableFromInline var stores = 0
    @usableFromInline let maximumSlots: Int

    /// - Parameters: both powers of two, `initialSlots` ≤ `maximumSlots`.
    public init(initialSlots: Int = 1 << 12, maximumSlots: Int = 1 << 20) {
        precondition(initialSlots > 0 && initialSlots.nonzeroBitCount == 1 && maximumSlots.nonzeroBitCount == 1
                     && initialSlots <= maximumSlots, "slot counts are powers of two")
        slots = Array(repeating: nil, count: initialSlots)
        self.maximumSlots = maximumSlots
    }

    @inlinable
    func slot(of key: Key) -> Int {
        Int(truncatingIfNeeded: key.uniformHash) & (slots.count - 1)
    }

    /// The answer stored for `key`, if it is still there.
    @inlinable
    public func value(for key: Key) -> Value? {
        guard let entry = slots[slot(of: key)], entry.key == key else { return nil }
        return entry.value
    }

    /// Stores the answer for `key`, in place of whatever its slot held.
    @inlinable
    public mutating func store(_ value: Value, for key: Key) {
        stores += 1
        if stores > slots.count, slots.count < maximumSlots { grow() }
        slots[slot(of: key)] = (key, value)
    }

    @usableFromInline
    mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        for case let entry? in old { slots[slot(of: entry.key)] = entry }
        stores = 0
    }
}

extension MemoTable: Sendable where Key: Sendable, Value: Sendable {}
