import CSodium

/// A 32-byte cryptographic digest (BLAKE2b-256 or SHA-256).
public typealias Digest32 = Bytes32

/// BLAKE2b with a 256-bit output (libsodium's `crypto_generichash`).
public enum Blake2b {
    /// The BLAKE2b-256 digest of `bytes`.
    ///
    /// Complexity: O(n) in the input length.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest32 {
        Digest32 { output in hashInto(output, bytes) }
    }

    /// The BLAKE2b-256 digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    @usableFromInline
    static func hashInto(_ output: UnsafeMutableRawBufferPointer, _ input: UnsafeRawBufferPointer) {
        CLibraries.ensureReady()
        let status = crypto_generichash(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
            input.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(input.count),
            nil, 0)
        precondition(status == 0, "crypto_generichash failed")
    }
}

/// SHA-256 (libsodium's `crypto_hash_sha256`).
public enum SHA256 {
    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> Digest32 {
        CLibraries.ensureReady()
        return bytes.withUnsafeBytes { input in
            Digest32 { output in
                let status = crypto_hash_sha256(
                    output.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    input.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(input.count))
                precondition(status == 0, "crypto_hash_sha256 failed")
            }
        }
    }
}

/// An incremental BLAKE2b-256 hasher, for digests over long logs (a run's digest).
///
/// libsodium's state must be 64-byte aligned, so it lives in its own allocation.
public final class Blake2bHasher {
    private let state: UnsafeMutableRawPointer
    private var finished = false

    public init() {
        CLibraries.ensureReady()
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        let status = crypto_generichash_init(
            OpaquePointer(state), nil, 0, 32)
        precondition(status == 0, "crypto_generichash_init failed")
    }

    deinit {
        state.deallocate()
    }

    /// Feeds `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "hasher already finalised")
        let status = crypto_generichash_update(
            OpaquePointer(state),
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        precondition(status == 0, "crypto_generichash_update failed")
    }

    /// Feeds `bytes`.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far; the hasher cannot be used afterwards.
    public func finalize() -> Digest32 {
        precondition(!finished, "hasher already finalised")
        finished = true
        return Digest32 { output in
            let status = crypto_generichash_final(
                OpaquePointer(state),
                output.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
            precondition(status == 0, "crypto_generichash_final failed")
        }
    }
}
