import DequeModule
import GridCore
import Ledger

/// Transactions waiting for a block, in arrival order.
///
/// Committed transactions leave lazily: ``markCommitted(_:)`` forgets the id, and ``take(_:)``
/// skips entries whose id is gone. Complexity: O(1) amortised per operation.
public struct Mempool {
    private var queue: Deque<Transaction> = []
    private var waiting: Set<TransactionID> = []

    public init() {}

    /// Transactions waiting.
    public var count: Int { waiting.count }

    public func contains(_ id: TransactionID) -> Bool { waiting.contains(id) }

    /// Adds a transaction; `false` if it was already waiting.
    @discardableResult
    public mutating func insert(_ transaction: Transaction) -> Bool {
        guard waiting.insert(transaction.id).inserted else { return false }
        queue.append(transaction)
        return true
    }

    /// Up to `limit` waiting transactions, oldest first, left in the pool until committed.
    public mutating func take(_ limit: Int) -> [Transaction] {
        while let first = queue.first, !waiting.contains(first.id) {
            queue.removeFirst()
        }
        var taken: [Transaction] = []
        taken.reserveCapacity(min(limit, waiting.count))
        for transaction in queue where taken.count < limit {
            if waiting.contains(transaction.id) { taken.append(transaction) }
        }
        return taken
    }

    /// Forgets a committed transaction.
    public mutating func markCommitted(_ id: TransactionID) {
        waiting.remove(id)
    }
}
