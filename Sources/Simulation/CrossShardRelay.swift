import GridCore
import Ledger
import Sharding

/// A cross-shard transfer as the relayers carry it: locked in the sender's shard, resolved
/// (credited or voided) in the destination's, settled (released or refunded) back in the
/// sender's. Each step after the lock is a transaction a grid operator relays with evidence
/// from the other chain, sent again every `relay_retry` until it is final.
struct CrossShardTransfer {
    enum Stage: Equatable {
        /// Final in the sender's shard; the credit is on its way.
        case locked
        /// The destination credited it (in time) or voided it (too late); the settlement is on its way.
        case resolved(credited: Bool)
        /// The sender's shard released the amounts to the destination or refunded them.
        case settled(credited: Bool)
    }

    let lock: Transaction
    /// When the sender submitted the lock.
    let submittedAt: SimTime
    /// The shard whose state holds the lock: the one that finalized it; after a split, the part
    /// that keeps the lock's owner (as `ExchangeState.splitting` moves it); after a merge, the
    /// survivor. A send-home lock's owner lives elsewhere, so it can stay where its region left.
    var holder: ShardID
    var stage = Stage.locked
    /// The relayed transaction in flight: the credit, then the settlement.
    var step: Transaction?
    var relayer = 0
    /// Grows with every send of a step, so a retry timer set for an earlier send does nothing.
    var attempt: Int32 = 0

    init(lock: Transaction, submittedAt: SimTime, holder: ShardID) {
        precondition(lock.lockTerms != nil, "a cross-shard transfer starts with a lock")
        self.lock = lock
        self.submittedAt = submittedAt
        self.holder = holder
    }

    var terms: LockTerms { lock.lockTerms! }

    /// The region the step in flight names: the destination for the credit, the lock's own
    /// for the settlement.
    var stepRegion: Region { stage == .locked ? terms.destination : lock.region }
}

/// Cross-shard transfers over a run. Every lock ends delivered, refunded, or still on its way
/// (awaiting its credit or its settlement): `locked` is the sum of the four.
public struct CrossShardStatistics: Sendable {
    /// Locks finalized in senders' shards.
    public var locked = 0
    /// Credited in the destination and released in the sender's shard.
    public var delivered = 0
    /// Voided in the destination (past the deadline) and refunded to the sender.
    public var refunded = 0
    /// Locks the destination has not resolved by the end of the run.
    public var awaitingCredit = 0
    /// Resolved in the destination, not yet settled in the sender's shard.
    public var awaitingSettlement = 0
    /// Relayed steps sent again after `relay_retry` without becoming final.
    public var resends = 0
    /// Locks that carried a buy order for another shard's book (cross-shard bids), and those
    /// of them refunded (their credit came too late, so they never reached the book).
    public var bids = 0
    public var bidsRefunded = 0
    /// Trades between a buyer and a seller in different shards, and their energy.
    public var trades = 0
    public var tradedWh: Int64 = 0
    /// Locks by which participants sent home what they were paid in another shard's ledger: a
    /// cross-shard bid's proceeds, or a payment that was waiting when a split put its payer's
    /// region in another shard than its recipient's.
    public var sentHome = 0
    /// What participants held at the end in shards other than their own (proceeds not sent
    /// home yet: energy waits for a payment to cover the fee, and the last seconds' locks).
    public var heldAbroad = AssetAmounts()
    /// From the lock's submission to the credit's finality, for credited transfers.
    public var creditNanos: [Int64] = []
    /// From the lock's submission to its settlement's finality, for every settled transfer.
    public var settlementNanos: [Int64] = []

    public init() {}
}
