import DequeModule
import GridCore
import Ledger

/// Transactions waiting for a block, in arrival order, with the outputs they spend, up to an
/// optional limit.
///
/// Transactions leave lazily: ``remove(_:)`` forgets the id, and ``take(_:)`` skips queue
/// entries that no longer match a waiting admission. Each admission is numbered, so a
/// transaction removed and admitted again is handed out once, from its new place in the queue.
/// Complexity: O(1) amortised to insert or remove (O(inputs) more), O(n) to take.
public struct Mempool {
    /// One admission of a transaction, numbered in arrival order.
    private struct Entry {
        let admission: UInt64
        let transaction: Transaction
    }

    private var queue: Deque<Entry> = []
    private var waiting: [TransactionID: Entry] = [:]
    private var admissions: UInt64 = 0
    private var spentBy: [OutPoint: TransactionID] = [:]
    /// Waiting relayed steps of cross-shard transfers (credits and settlements).
    private var relayedStepCount = 0
    /// No waiting transaction lapses before this (a bound: removals leave it where it is).
    private var earliestLapse = SimTime.distantFuture
    /// Most transactions waiting before ``hasRoom(for:)`` refuses new ones; `nil`: no limit.
    public let limit: Int?

    /// A mempool that holds at most `limit` transactions (`nil`: no limit), but for those that
    /// finish work a finalized block began (see ``hasRoom(for:)``).
    public init(limit: Int? = nil) {
        precondition(limit.map { $0 > 0 } ?? true, "a mempool limit must be positive")
        self.limit = limit
    }

    /// Transactions waiting.
    public var count: Int { waiting.count }

    /// Whether `transaction` may enter: while fewer than ``limit`` wait, or always when it
    /// finishes work a finalized block began — a relayed step of a cross-shard transfer (a lock
    /// is held until its credit and settlement land) or a trade's settlement (the escrow of a
    /// matched trade is held until it lands). Refusing those would strand amounts already
    /// committed, so a full pool takes them beyond its limit, as ``take(_:)`` puts relayed
    /// steps first.
    public func hasRoom(for transaction: Transaction) -> Bool {
        guard let limit, waiting.count >= limit else { return true }
        if transaction.isRelayedStep { return true }
        if case .settleTrade = transaction.kind { return true }
        return false
    }

    public func contains(_ id: TransactionID) -> Bool { waiting[id] != nil }

    /// The waiting transaction that spends `outPoint`, if any.
    public func spender(of outPoint: OutPoint) -> Transaction? { spentBy[outPoint].flatMap { waiting[$0]?.transaction } }

    /// Whether `entry` is the admission of its transaction still waiting (not a removed one's).
    private func isWaiting(_ entry: Entry) -> Bool { waiting[entry.transaction.id]?.admission == entry.admission }

    /// Adds a transaction; `false` if it was already waiting.
    @discardableResult
    public mutating func insert(_ transaction: Transaction) -> Bool {
        guard waiting[transaction.id] == nil else { return false }
        admissions += 1
        let entry = Entry(admission: admissions, transaction: transaction)
        waiting[transaction.id] = entry
        for input in transaction.inputs { spentBy[input] = transaction.id }
        if transaction.isRelayedStep { relayedStepCount += 1 }
        earliestLapse = min(earliestLapse, transaction.lapseTime)
        queue.append(entry)
        return true
    }

    /// Every waiting transaction, in arrival order.
    ///
    /// Complexity: O(n) for n queued.
    public var waitingInArrivalOrder: [Transaction] { queue.filter(isWaiting).map(\.transaction) }

    /// The waiting transactions whose ``Transaction/lapseTime`` is at or before `time`, in
    /// arrival order, each once: none of them can enter a block from `time` on. They stay until removed.
    ///
    /// Complexity: O(1) while nothing can have lapsed, else O(n) for n queued.
    public mutating func lapsed(by time: SimTime) -> [Transaction] {
        guard earliestLapse <= time else { return [] }
        var due: [Transaction] = []
        earliestLapse = .distantFuture
        for entry in queue where isWaiting(entry) {
            let lapseTime = entry.transaction.lapseTime
            if lapseTime <= time { due.append(entry.transaction) }
            earliestLapse = min(earliestLapse, lapseTime)
        }
        return due
    }

    /// Up to `limit` waiting transactions in arrival order, left in the pool until removed.
    /// When more than `limit` wait, the relayed steps of cross-shard transfers are taken first
    /// and the oldest of the rest fill the block, as a shard takes incoming receipts before new
    /// transactions: a credit or a settlement stuck behind a backlog would turn a transfer
    /// already paid for into a refund at its deadline, or hold the locked amounts.
    public mutating func take(_ limit: Int) -> [Transaction] {
        while let first = queue.first, !isWaiting(first) {
            queue.removeFirst()
        }
        var relayedLeft = min(limit, relayedStepCount)
        var othersLeft = limit - relayedLeft
        var taken: [Transaction] = []
        taken.reserveCapacity(min(limit, waiting.count))
        for entry in queue {
            guard relayedLeft + othersLeft > 0 else { break }
            guard isWaiting(entry) else { continue }
            let transaction = entry.transaction
            if transaction.isRelayedStep {
                guard relayedLeft > 0 else { continue }
                relayedLeft -= 1
            } else {
                guard othersLeft > 0 else { continue }
                othersLeft -= 1
            }
            taken.append(transaction)
        }
        return taken
    }

    /// Forgets a transaction (committed, or dropped as invalid).
    public mutating func remove(_ id: TransactionID) {
        guard let transaction = waiting.removeValue(forKey: id)?.transaction else { return }
        for input in transaction.inputs where spentBy[input] == id { spentBy[input] = nil }
        if transaction.isRelayedStep { relayedStepCount -= 1 }
    }
}
