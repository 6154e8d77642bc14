import DequeModule
import GridCore
import Ledger

/// Transactions waiting for a block, in arrival order, with the outputs they spend.
///
/// Transactions leave lazily: ``remove(_:)`` forgets the id, and ``take(_:)`` skips entries
/// whose id is gone. Complexity: O(1) amortised to insert or remove (O(inputs) more), O(n) to take.
public struct Mempool {
    private var queue: Deque<Transaction> = []
    private var waiting: [TransactionID: Transaction] = [:]
    private var spentBy: [OutPoint: TransactionID] = [:]
    /// Waiting relayed steps of cross-shard transfers (credits and settlements).
    private var relayedStepCount = 0
    /// No waiting transaction lapses before this (a bound: removals leave it where it is).
    private var earliestLapse = SimTime.distantFuture

    public init() {}

    /// Transactions waiting.
    public var count: Int { waiting.count }

    public func contains(_ id: TransactionID) -> Bool { waiting[id] != nil }

    /// The waiting transaction that spends `outPoint`, if any.
    public func spender(of outPoint: OutPoint) -> Transaction? { spentBy[outPoint].flatMap { waiting[$0] } }

    /// Adds a transaction; `false` if it was already waiting.
    @discardableResult
    public mutating func insert(_ transaction: Transaction) -> Bool {
        guard waiting[transaction.id] == nil else { return false }
        waiting[transaction.id] = transaction
        for input in transaction.inputs { spentBy[input] = transaction.id }
        if transaction.isRelayedStep { relayedStepCount += 1 }
        earliestLapse = min(earliestLapse, transaction.lapseTime)
        queue.append(transaction)
        return true
    }

    /// The waiting transactions whose ``Transaction/lapseTime`` is at or before `time`, in
    /// arrival order: none of them can enter a block from `time` on. They stay until removed.
    /// One removed and inserted again while its old queue entry remains is listed once per entry.
    ///
    /// Complexity: O(1) while nothing can have lapsed, else O(n) for n queued.
    public mutating func lapsed(by time: SimTime) -> [Transaction] {
        guard earliestLapse <= time else { return [] }
        var due: [Transaction] = []
        earliestLapse = .distantFuture
        for transaction in queue where waiting[transaction.id] === transaction {
            if transaction.lapseTime <= time { due.append(transaction) }
            earliestLapse = min(earliestLapse, transaction.lapseTime)
        }
        return due
    }

    /// Up to `limit` waiting transactions in arrival order, left in the pool until removed.
    /// When more than `limit` wait, the relayed steps of cross-shard transfers are taken first
    /// and the oldest of the rest fill the block, as a shard takes incoming receipts before new
    /// transactions: a credit or a settlement stuck behind a backlog would turn a transfer
    /// already paid for into a refund at its deadline, or hold the locked amounts.
    public mutating func take(_ limit: Int) -> [Transaction] {
        while let first = queue.first, waiting[first.id] == nil {
            queue.removeFirst()
        }
        var relayedLeft = min(limit, relayedStepCount)
        var othersLeft = limit - relayedLeft
        var taken: [Transaction] = []
        taken.reserveCapacity(min(limit, waiting.count))
        for transaction in queue {
            guard relayedLeft + othersLeft > 0 else { break }
            guard waiting[transaction.id] != nil else { continue }
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
        guard let transaction = waiting.removeValue(forKey: id) else { return }
        for input in transaction.inputs where spentBy[input] == id { spentBy[input] = nil }
        if transaction.isRelayedStep { relayedStepCount -= 1 }
    }
}
