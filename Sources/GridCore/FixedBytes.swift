/// 32 bytes held inline (no heap allocation): digests and public keys.
public struct Bytes32: Hashable, Comparable, Sendable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64)

    /// All-zero bytes.
    public static let zero = Bytes32(words: (0, 0, 0, 0))

    @usableFromInline
    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Copies exactly 32 bytes.
    public init(_ bytes: some Collection<UInt8>) {
        precondition(bytes.count == 32, "Bytes32 needs 32 bytes, got \(bytes.count)")
        self = .zero
        withUnsafeMutableBytes { destination in
            for (index, byte) in bytes.enumerated() { destination[index] = byte }
        }
    }

    /// Fills the 32 bytes through `body`.
    @inlinable
    public init(filling body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self = .zero
        try withUnsafeMutableBytes(body)
    }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    @inlinable
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &words, body)
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal.
    public var hex: String { hexString(bytes) }

    /// The first eight bytes as a little-endian integer: a cheap, well-mixed value for
    /// digests (e.g. the randomness a block hash contributes to proposer choice).
    @inlinable public var prefixWord: UInt64 { UInt64(littleEndian: words.0) }

    @inlinable
    public static func == (lhs: Bytes32, rhs: Bytes32) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    /// Hashes the first 16 bytes only: every Bytes32 here is a digest or a public key, uniform
    /// already, and equality still compares all 32. Halves the hashing of the hottest
    /// dictionary keys (outputs, transaction ids).
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    /// What `Dictionary` and `Set` place the value by: its first eight bytes (`uniformHash`),
    /// uniform already, mixed with the table's seed, without running SipHash over them.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { rawHashValue(seed: seed) }

    /// Byte-wise lexicographic order, the same on every platform.
    public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }
}

/// 64 bytes held inline: signatures and secret keys.
public struct Bytes64: Hashable, Sendable {
    @usableFromInline var low: Bytes32
    @usableFromInline var high: Bytes32

    public static let zero = Bytes64(low: .zero, high: .zero)

    @usableFromInline
    init(low: Bytes32, high: Bytes32) {
        self.low = low
        self.high = high
    }

    /// Copies exactly 64 bytes.
    public init(_ bytes: some Collection<UInt8>) {
        precondition(bytes.count == 64, "Bytes64 needs 64 bytes, got \(bytes.count)")
        let array = Array(bytes)
        self.init(low: Bytes32(array[0..<32]), high: Bytes32(array[32..<64]))
    }

    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (low.words, high.words), body)
    }

    @inlinable
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        var pair = (low.words, high.words)
        defer {
            low.words = pair.0
            high.words = pair.1
        }
        return try Swift.withUnsafeMutableBytes(of: &pair, body)
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal.
    public var hex: String { hexString(bytes) }
}

/// Lower-case hexadecimal of `bytes`.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var result = ""
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0f)])
    }
    return result
}
