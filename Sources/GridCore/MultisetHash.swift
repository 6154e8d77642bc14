/// An incremental commitment to a multiset: the sum modulo 2²⁵⁶ of the BLAKE2b-256 digests of its
/// elements. Adding or removing an element is O(1) and order-independent, so a large state
/// (the UTXO set) can carry a commitment that is updated per change instead of rehashed per block.
public struct MultisetHash: Hashable, Sendable {
    /// Little-endian 64-bit limbs of the 256-bit sum.
    private var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    /// Adds an element given by its digest.
    public mutating func insert(_ element: Digest32) {
        let words = Self.words(of: element)
        do {
            var carry: UInt64 = 0
            (limbs.0, carry) = add(limbs.0, words.0, carry)
            (limbs.1, carry) = add(limbs.1, words.1, carry)
            (limbs.2, carry) = add(limbs.2, words.2, carry)
            (limbs.3, _) = add(limbs.3, words.3, carry)
        }
    }

    /// Removes an element given by its digest (the inverse of ``insert(_:)``).
    public mutating func remove(_ element: Digest32) {
        let words = Self.words(of: element)
        do {
            var borrow: UInt64 = 0
            (limbs.0, borrow) = subtract(limbs.0, words.0, borrow)
            (limbs.1, borrow) = subtract(limbs.1, words.1, borrow)
            (limbs.2, borrow) = subtract(limbs.2, words.2, borrow)
            (limbs.3, _) = subtract(limbs.3, words.3, borrow)
        }
    }

    private static func words(of digest: Digest32) -> (UInt64, UInt64, UInt64, UInt64) {
        digest.withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian,
             raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
             raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian,
             raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian)
        }
    }

    /// The commitment as 32 bytes.
    public var digest: Digest32 {
        Digest32 { buffer in
            for (offset, limb) in [limbs.0, limbs.1, limbs.2, limbs.3].enumerated() {
                buffer.storeBytes(of: limb.littleEndian, toByteOffset: offset * 8, as: UInt64.self)
            }
        }
    }

    public static func == (lhs: MultisetHash, rhs: MultisetHash) -> Bool {
        lhs.limbs.0 == rhs.limbs.0 && lhs.limbs.1 == rhs.limbs.1 && lhs.limbs.2 == rhs.limbs.2
            && lhs.limbs.3 == rhs.limbs.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }

    private func add(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (partial, overflow1) = a.addingReportingOverflow(b)
        let (sum, overflow2) = partial.addingReportingOverflow(carry)
        return (sum, (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0))
    }

    private func subtract(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
        let (partial, underflow1) = a.subtractingReportingOverflow(b)
        let (difference, underflow2) = partial.subtractingReportingOverflow(borrow)
        return (difference, (underflow1 ? 1 : 0) + (underflow2 ? 1 : 0))
    }
}
