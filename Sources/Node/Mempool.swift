import DequeModule
import GridCore
import Ledger

/// Transactions waiting for a block, in arrival order, with the outputs they spend.
///
/// Transactions leave lazily: ``remove(_:)`` forgets the id, and ``take(_:)`` skips entries
/// whose id is gone. Complexity: O(1) amortised per operation, O(inputs) to insert or remove.
public struct Mempool {
    private var queue: Deque<Transaction> = []
    private var waiting: [TransactionID: Transaction] = [:]
    private var spentBy: [OutPoint: TransactionID] = [:]

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
        queue.append(transaction)
        return true
    }

    /// Up to `limit` waiting transactions, oldest first, left in the pool until removed.
    public mutating func take(_ limit: Int) -> [Transaction] {
        while let first = queue.first, waiting[first.id] == nil {
            queue.removeFirst()
        }
        var taken: [Transaction] = []
        taken.reserveCapacity(min(limit, waiting.count))
        for transaction in queue where taken.count < limit {
            if waiting[transaction.id] != nil { taken.append(transaction) }
        }
        return taken
    }

    /// Forgets a transaction (committed, or dropped as invalid).
    public mutating func remove(_ id: TransactionID) {
        guard let transaction = waiting.removeValue(forKey: id) else { return }
        for input in transaction.inputs where spentBy[input] == id { spentBy[input] = nil }
    }
}
