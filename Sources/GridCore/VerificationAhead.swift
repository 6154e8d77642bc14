import Dispatch
import Synchronization

/// One signature check: `signature` is `key`'s signature of `digest`.
struct SignatureClaim: Hashable, Sendable, UniformlyHashable {
    var key: PublicKey
    var digest: Digest32
    var signature: Signature

    /// The digest and the key, not the 64-byte signature: equality still compares it.
    func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
        hasher.combine(key)
    }

    /// The digest's bits and the key's, mixed: a key signs many digests and a digest (a vote's)
    /// is signed by many keys.
    var uniformHash: UInt64 { digest.words.0 ^ (key.bytes.words.1 &* 0x9E37_79B9_7F4A_7C15) }
}

/// Checks signatures on a helper thread before the simulation thread asks for them.
///
/// The simulation stays on one thread: it hands claims over as soon as it knows them (a vote when
/// it is sent, a transaction when it is submitted) and takes the answers back, in its own order,
/// when a node checks the signature. An answer is the pure function ed25519 verification is, so
/// whether the helper or the simulation thread computes it cannot change any outcome; the helper
/// only moves libsodium's work onto a second core.
///
/// The simulation thread needs claims roughly in the order it submitted them, so the helper works
/// from the newest end: when the simulation thread catches up with a claim the helper has not
/// reached, it verifies that one itself and the two meet in the middle instead of racing for the
/// same claim. At most `capacity` claims are held. A claim nobody asks for — a transaction
/// refused before its signature was checked, such as one a full mempool turned away — would
/// stay forever, so a full table sheds: it forgets the answered claims nobody took and the
/// oldest queued ones until half the capacity is held. A forgotten claim the simulation thread
/// does ask for later it verifies itself, as it would without a helper.
final class VerificationAhead: Sendable {
    private enum Progress: Sendable {
        case queued
        case running
        case done(Bool)
    }

    private struct Shared: Sendable {
        var claims: [SignatureClaim: Progress] = [:]
        /// Submitted claims, newest last; the helper pops from the end and skips taken ones.
        var stack: [SignatureClaim] = []
        var sheds = 0
        var stopped = false

        /// Forgets the answered claims nobody took, then the oldest queued ones, until at most
        /// `limit` are held (a claim being verified stays).
        ///
        /// Complexity: O(claims + stack); at most once every `capacity − limit` submissions.
        mutating func shed(keeping limit: Int) {
            claims = claims.filter { if case .done = $0.value { false } else { true } }
            var cut = 0
            while claims.count > limit, cut < stack.count {
                if case .queued? = claims[stack[cut]] { claims[stack[cut]] = nil }
                cut += 1
            }
            stack.removeFirst(cut)
            sheds += 1
        }
    }

    private let shared = Mutex(Shared())
    private let submitted = DispatchSemaphore(value: 0)
    private let scheme: SignatureScheme
    private let capacity: Int

    init(scheme: SignatureScheme, capacity: Int) {
        precondition(capacity > 0)
        self.scheme = scheme
        self.capacity = capacity
        DispatchQueue(label: "gridsim.verification-ahead").async { [self] in work() }
    }

    /// Queues `claim` for the helper; `false` if it is queued already or `capacity` claims are held.
    func submit(_ claim: SignatureClaim) -> Bool {
        let accepted = shared.withLock { state -> Bool in
            if state.claims[claim] != nil { return false }
            if state.claims.count >= capacity { state.shed(keeping: capacity / 2) }
            state.claims[claim] = .queued
            state.stack.append(claim)
            return true
        }
        if accepted { submitted.signal() }
        return accepted
    }

    /// The helper's answer for `claim` if it has one, and forgets the claim; `nil` if the caller
    /// must verify it (not submitted, not reached yet, or being verified right now).
    func take(_ claim: SignatureClaim) -> Bool? {
        shared.withLock { state -> Bool? in
            guard let progress = state.claims.removeValue(forKey: claim) else { return nil }
            guard case .done(let valid) = progress else { return nil }
            return valid
        }
    }

    /// Times a full table shed its stale claims.
    var sheds: Int { shared.withLock { $0.sheds } }

    /// Stops the helper after the claim in hand.
    func stop() {
        shared.withLock { $0.stopped = true }
        submitted.signal()
    }

    /// Waits for the next `submit`, polling for up to `spinNanos` first. The simulation thread
    /// submits in bursts, a claim often a few microseconds after the helper ran out of them, and
    /// waking a blocked thread (on a virtual machine, a halted virtual CPU) takes longer than
    /// that: the simulation thread reached the claim first and verified it itself. Measured on
    /// the 30 s shard-stress run, alternating with the blocking wait five times: 11.2 s against
    /// 12.3 s of wall time on average, the same digest.
    private func waitForSubmission() {
        let start = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - start < Self.spinNanos {
            if submitted.wait(timeout: .now()) == .success { return }
        }
        submitted.wait()
    }

    private static let spinNanos: UInt64 = 200_000

    private func work() {
        while true {
            waitForSubmission()
            let next = shared.withLock { state -> SignatureClaim?? in
                if state.stopped { return .some(nil) }
                guard let claim = state.stack.popLast() else { return nil }
                guard case .queued = state.claims[claim] else { return nil }
                state.claims[claim] = .running
                return claim
            }
            guard let next else { continue }
            guard let claim = next else { return }
            let valid = Ed25519.verify(claim.signature, of: claim.digest, by: claim.key, scheme: scheme)
            shared.withLock { state in
                // The simulation thread may have taken the claim meanwhile and verified it itself.
                guard case .running = state.claims[claim] else { return }
                state.claims[claim] = .done(valid)
            }
        }
    }
}
