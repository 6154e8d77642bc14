/// Writes values in a fixed little-endian byte layout, the input of every digest and signature,
/// so that the same value hashes the same way in every process and on every platform.
public struct CanonicalEncoder {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func append(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func append(_ value: UInt16) { appendLittleEndian(value) }
    public mutating func append(_ value: UInt32) { appendLittleEndian(value) }
    public mutating func append(_ value: UInt64) { appendLittleEndian(value) }
    public mutating func append(_ value: Int64) { appendLittleEndian(UInt64(bitPattern: value)) }
    public mutating func append(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func append(_ value: Bytes32) {
        value.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ value: Bytes64) {
        value.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ value: some IntegerQuantity) { append(value.rawValue) }
    public mutating func append(_ value: SimTime) { append(value.nanoseconds) }

    /// A length-prefixed UTF-8 string.
    public mutating func append(_ value: String) {
        append(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The BLAKE2b-256 digest of the bytes written.
    public var blake2b: Digest32 { Blake2b.hash(bytes) }
}

/// The same little-endian layout as ``CanonicalEncoder``, written into a caller's buffer: for the
/// small digests computed on every state change, where a heap array per digest would dominate.
public struct BufferEncoder {
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    @inlinable public var count: Int { written }
    @usableFromInline var written = 0

    @inlinable
    init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    @inlinable
    mutating func write<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        precondition(written + size <= buffer.count, "BufferEncoder capacity exceeded")
        buffer.storeBytes(of: value.littleEndian, toByteOffset: written, as: T.self)
        written += size
    }

    public mutating func append(_ value: UInt8) { write(value) }
    public mutating func append(_ value: UInt16) { write(value) }
    public mutating func append(_ value: UInt32) { write(value) }
    public mutating func append(_ value: UInt64) { write(value) }
    public mutating func append(_ value: Int64) { write(UInt64(bitPattern: value)) }
    public mutating func append(_ value: some IntegerQuantity) { append(value.rawValue) }
    public mutating func append(_ value: SimTime) { append(value.nanoseconds) }

    public mutating func append(_ value: Bytes32) {
        precondition(written + 32 <= buffer.count, "BufferEncoder capacity exceeded")
        value.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + 32)]).copyMemory(from: $0) }
        written += 32
    }
}

extension Blake2b {
    /// BLAKE2b-256 of what `body` writes (at most `capacity` bytes), without allocating.
    @inlinable
    public static func hash(capacity: Int, _ body: (inout BufferEncoder) -> Void) -> Digest32 {
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { buffer in
            var encoder = BufferEncoder(buffer: buffer)
            body(&encoder)
            return Blake2b.hash(UnsafeRawBufferPointer(rebasing: buffer[0..<encoder.count]))
        }
    }
}
