import CSodium
import Dispatch
import Synchronization

/// An ed25519 public key.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 key bytes.
    public var bytes: Bytes32

    public init(bytes: Bytes32) {
        self.bytes = bytes
    }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.bytes < rhs.bytes }

    /// The key's bytes' placement (see `Bytes32._rawHashValue(seed:)`).
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { bytes.rawHashValue(seed: seed) }

    /// The first eight hex digits, enough to tell accounts apart in logs.
    public var description: String { String(bytes.hex.prefix(8)) }
}

/// A 64-byte signature.
public struct Signature: Hashable, Sendable {
    /// The 64 signature bytes.
    public var bytes: Bytes64

    public init(bytes: Bytes64) {
        self.bytes = bytes
    }

    /// The same signature with one bit flipped: what a Byzantine or faulty sender produces.
    public var corrupted: Signature {
        var copy = bytes
        copy.withUnsafeMutableBytes { $0[0] ^= 0x01 }
        return Signature(bytes: copy)
    }
}

/// How signatures are produced and checked.
public enum SignatureScheme: String, Sendable, CaseIterable {
    /// Real ed25519 through libsodium: the default.
    case ed25519
    /// A cheap stand-in for very large runs: a keyed BLAKE2b-512 tag of the message under the
    /// public key. It detects corrupted signatures but proves nothing about the signer; its cost is
    /// still charged in simulated time as if it were ed25519.
    case modelled
}

/// An ed25519 key pair (libsodium `crypto_sign_*`).
public struct KeyPair: Sendable {
    /// The public half.
    public let publicKey: PublicKey
    private let secretKey: Bytes64

    /// The key pair libsodium derives from a 32-byte seed.
    public init(seed: Bytes32) {
        CLibraries.ensureReady()
        var publicBytes = Bytes32.zero
        var secretBytes = Bytes64.zero
        publicBytes.withUnsafeMutableBytes { pk in
            secretBytes.withUnsafeMutableBytes { sk in
                seed.withUnsafeBytes { seedBytes in
                    let status = crypto_sign_seed_keypair(
                        pk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    precondition(status == 0, "crypto_sign_seed_keypair failed")
                }
            }
        }
        publicKey = PublicKey(bytes: publicBytes)
        secretKey = secretBytes
    }

    /// A key pair whose seed is drawn from `stream`: the same stream state gives the same keys.
    public init(drawingFrom stream: RandomStream) {
        self.init(seed: stream.nextBytes32())
    }

    /// The key pairs of `count` seeds drawn from `stream` in turn: the same keys, in the same
    /// order, as `count` calls of ``init(drawingFrom:)``. The seeds are drawn on this thread; the
    /// keys (each a pure function of its seed) are derived on every core.
    ///
    /// Complexity: O(count) derivations of about 20 µs each, divided among the cores.
    public static func drawing(_ count: Int, from stream: RandomStream) -> [KeyPair] {
        let seeds = (0..<count).map { _ in stream.nextBytes32() }
        let chunkCount = (count + Self.chunkSize - 1) / Self.chunkSize
        guard chunkCount > 1 else { return seeds.map(KeyPair.init(seed:)) }
        return [KeyPair](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let keys = buffer
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                for index in (chunk * Self.chunkSize)..<min(count, (chunk + 1) * Self.chunkSize) {
                    (keys.baseAddress! + index).initialize(to: KeyPair(seed: seeds[index]))
                }
            }
            initialized = count
        }
    }

    /// Key pairs derived per task (about 10 ms of work); Dispatch spreads the tasks over the cores.
    private static let chunkSize = 512

    /// Signs a 32-byte digest. Everything this project signs is the BLAKE2b digest of a canonical
    /// encoding, so the signature cache can key on the digest.
    public func sign(_ digest: Digest32, scheme: SignatureScheme = .ed25519) -> Signature {
        switch scheme {
        case .ed25519:
            var signature = Bytes64.zero
            signature.withUnsafeMutableBytes { sig in
                digest.withUnsafeBytes { message in
                    secretKey.withUnsafeBytes { sk in
                        let status = crypto_sign_detached(
                            sig.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                            message.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                            sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                        precondition(status == 0, "crypto_sign_detached failed")
                    }
                }
            }
            return Signature(bytes: signature)
        case .modelled:
            return Ed25519.modelledTag(digest, publicKey)
        }
    }
}

/// Stateless ed25519 checks.
public enum Ed25519 {
    /// Whether `signature` is `key`'s signature of `digest` under `scheme`. No cache.
    ///
    /// Complexity: one libsodium verification (tens of microseconds) for `.ed25519`.
    @inlinable
    public static func verify(_ signature: Signature, of digest: Digest32, by key: PublicKey,
                              scheme: SignatureScheme = .ed25519) -> Bool {
        switch scheme {
        case .ed25519:
            return verifyDetached(signature, digest, key)
        case .modelled:
            return modelledTag(digest, key) == signature
        }
    }

    @usableFromInline
    static func verifyDetached(_ signature: Signature, _ digest: Digest32, _ key: PublicKey) -> Bool {
        CLibraries.ensureReady()
        return signature.bytes.withUnsafeBytes { sig in
            digest.withUnsafeBytes { message in
                key.bytes.withUnsafeBytes { pk in
                    crypto_sign_verify_detached(
                        sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        message.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                        pk.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }

    @usableFromInline
    static func modelledTag(_ digest: Digest32, _ key: PublicKey) -> Signature {
        CLibraries.ensureReady()
        var tag = Bytes64.zero
        tag.withUnsafeMutableBytes { output in
            digest.withUnsafeBytes { message in
                key.bytes.withUnsafeBytes { keyBytes in
                    let status = crypto_generichash(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), 64,
                        message.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                        keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
                    precondition(status == 0, "crypto_generichash failed")
                }
            }
        }
        return Signature(bytes: tag)
    }
}

/// The per-process signature verification cache of DESIGN.md.
///
/// All in-process nodes of one simulation share one verifier. Each distinct
/// (key, digest, signature) is really verified once; later checks return the remembered answer,
/// which is the answer a second verification would give. Callers still charge every check's cost
/// to the checking node in simulated time: the cache saves wall time, never simulated time.
///
/// The answers sit in a ``MemoTable`` of at most `capacity` slots, in pairs placed by the
/// digest's and the key's bits (no hashing): a new answer pushes the older of its pair out.
/// Losing an answer only costs a recomputation, never a different answer, so it cannot affect an
/// outcome.
///
/// With `verifyingAhead`, claims announced through `prefetch` are verified on a helper thread
/// (see `VerificationAhead`); answers are still taken by the calling thread in its own order.
public final class SignatureVerifier {
    /// How signatures are checked.
    public let scheme: SignatureScheme
    /// Checks actually computed (cache misses), on this thread or the helper.
    public private(set) var computedVerifications = 0
    /// Checks answered from the cache.
    public private(set) var cacheHits = 0
    /// Of `computedVerifications`, those the helper thread computed (with `verifyingAhead`).
    public private(set) var verifiedAhead = 0

    private var answers: MemoTable<SignatureClaim, Bool>
    private let ahead: VerificationAhead?

    /// - Parameters:
    ///   - capacity: answer slots at most (a power of two); the table starts small and grows.
    ///   - verifyingAhead: verify prefetched claims on a helper thread; only worth it for real
    ///     ed25519 on a machine with a second core.
    public init(scheme: SignatureScheme = .ed25519, capacity: Int = 1 << 20, verifyingAhead: Bool = false) {
        self.scheme = scheme
        answers = MemoTable(initialSlots: min(capacity, 1 << 14), maximumSlots: capacity)
        ahead = verifyingAhead ? VerificationAhead(scheme: scheme, capacity: 1 << 16) : nil
    }

    deinit {
        ahead?.stop()
    }

    /// Times the helper thread's table of prefetched claims was full and shed the stale ones
    /// (see `prefetch`); 0 without `verifyingAhead`.
    public var aheadTableSheds: Int { ahead?.sheds ?? 0 }

    /// Whether `signature` is `key`'s signature of `digest`.
    ///
    /// Complexity: amortised O(1) on a hit or a prefetched claim; one real verification otherwise.
    public func verify(_ signature: Signature, of digest: Digest32, by key: PublicKey) -> Bool {
        let claim = SignatureClaim(key: key, digest: digest, signature: signature)
        if let known = answers.value(for: claim) {
            cacheHits += 1
            return known
        }
        let valid = compute(claim)
        answers.store(valid, for: claim)
        return valid
    }

    /// The answer for `claim` from the helper thread, or verified now.
    private func compute(_ claim: SignatureClaim) -> Bool {
        computedVerifications += 1
        if let answer = ahead?.take(claim) {
            verifiedAhead += 1
            return answer
        }
        return Ed25519.verify(claim.signature, of: claim.digest, by: claim.key, scheme: scheme)
    }

    /// `verify(_:of:by:)`, with the answer also kept in `answer`, a slot in the object that
    /// carries the signature (a transaction, shared by every node): asking again costs one atomic
    /// load (counted as a cache hit) instead of a lookup. Two bits per scheme: known, valid.
    /// The answer is kept there only, not in the memo table: every node checks the same object,
    /// and storing hundreds of thousands of transactions' claims grew the table for nothing.
    ///
    /// Complexity: O(1) once answered; one verification (or the helper's answer) the first time.
    public func verify(_ signature: Signature, of digest: Digest32, by key: PublicKey,
                       remembering answer: borrowing Atomic<UInt8>) -> Bool {
        let shift: UInt8 = scheme == .ed25519 ? 0 : 2
        let known = answer.load(ordering: .relaxed) >> shift
        if known & 1 != 0 {
            cacheHits += 1
            return known & 2 != 0
        }
        let valid = compute(SignatureClaim(key: key, digest: digest, signature: signature))
        answer.bitwiseOr((valid ? 3 : 1) << shift, ordering: .relaxed)
        return valid
    }

    /// Announces a check that is coming: with `verifyingAhead`, the helper thread starts on it
    /// unless its answer is cached already. Never changes an answer. A claim never checked (its
    /// transaction refused first) is forgotten when the helper's table of 65,536 fills.
    ///
    /// Complexity: O(1) amortised: a full table sheds half its claims in O(65,536).
    public func prefetch(_ signature: Signature, of digest: Digest32, by key: PublicKey) {
        guard let ahead else { return }
        let claim = SignatureClaim(key: key, digest: digest, signature: signature)
        guard answers.value(for: claim) == nil else { return }
        _ = ahead.submit(claim)
    }
}
