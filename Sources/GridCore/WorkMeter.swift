/// Counts of the costly operations a state machine performed while handling one input.
///
/// Domain modules never read a clock: they count work here, and the simulator's CPU cost model
/// turns the counts into simulated nanoseconds from a measured cost profile.
public struct WorkMeter: Hashable, Sendable {
    /// ed25519 signatures produced.
    public var signaturesMade = 0
    /// ed25519 signatures checked (cache hits included: the node still pays for them).
    public var signaturesChecked = 0
    /// BLAKE2b digests of transaction-sized inputs (about 200 bytes).
    public var hashes = 0
    /// Leaves hashed into Merkle roots.
    public var merkleLeaves = 0
    /// Transactions validated and applied to state.
    public var transactionsApplied = 0
    /// Order-book operations: an insert, a cancel, or one candidate examined while matching.
    public var bookOperations = 0
    /// Messages handled (the fixed per-message overhead).
    public var messages = 0

    public init() {}

    /// Adds `other`'s counts to these.
    public mutating func add(_ other: WorkMeter) {
        signaturesMade += other.signaturesMade
        signaturesChecked += other.signaturesChecked
        hashes += other.hashes
        merkleLeaves += other.merkleLeaves
        transactionsApplied += other.transactionsApplied
        bookOperations += other.bookOperations
        messages += other.messages
    }

    /// These counts less `other`'s (which must be no larger: an earlier reading of this meter).
    public func subtracting(_ other: WorkMeter) -> WorkMeter {
        var difference = WorkMeter()
        difference.signaturesMade = signaturesMade - other.signaturesMade
        difference.signaturesChecked = signaturesChecked - other.signaturesChecked
        difference.hashes = hashes - other.hashes
        difference.merkleLeaves = merkleLeaves - other.merkleLeaves
        difference.transactionsApplied = transactionsApplied - other.transactionsApplied
        difference.bookOperations = bookOperations - other.bookOperations
        difference.messages = messages - other.messages
        precondition(difference.signaturesMade >= 0 && difference.signaturesChecked >= 0 && difference.hashes >= 0
                     && difference.merkleLeaves >= 0 && difference.transactionsApplied >= 0
                     && difference.bookOperations >= 0 && difference.messages >= 0, "subtracting a later reading")
        return difference
    }
}
