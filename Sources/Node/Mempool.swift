import DequeModule
import GridCore
import Ledger

/// Transactions waiting for a block, in arrival order, with the outputs they spend, up to an
/// optional limit.
///
/// Each admission is numbered in arrival order and sits in the queue at its number's place.
/// ``remove(_:)`` leaves an empty place behind (dropped once it reaches the front), so a
/// transaction removed and admitted again is handed out once, from its new place, and
/// ``take(_:)`` walks the queue without looking anything up.
/// Complexity: O(1) amortised to insert or remove (O(inputs) more), O(n) to take.
public struct Mempool {
    /// The queue: the admission numbered `frontAdmission + i` at `i`, `nil` once removed.
    private var queue: Deque<Transaction?> = []
    /// The admission number of `queue`'s first place.
    private var frontAdmission: UInt64 = 1
    /// Each waiting transaction's admission number.
    private var waiting: [TransactionID: UInt64] = [:]
    /// The admission number of the waiting transaction spending each output.
    private var spentBy: [OutPoint: UInt64] = [:]
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
    public func spender(of outPoint: OutPoint) -> Transaction? { spentBy[outPoint].map(transaction(admitted:)) }

    /// The waiting transaction of admission `number`.
    ///
    /// Only `spentBy`'s numbers are looked up, and ``remove(_:)`` clears each entry naming the
    /// admission it removes, so every number looked up is of a transaction still in the queue.
    private func transaction(admitted number: UInt64) -> Transaction {
        precondition(number >= frontAdmission, "admission \(number) left the queue with an output still marked spent")
        guard let transaction = queue[Int(number - frontAdmission)] else {
            preconditionFailure("admission \(number) was removed with an output still marked spent")
        }
        return transaction
    }

    /// Adds a transaction; `false` if it was already waiting.
    @discardableResult
    public mutating func insert(_ transaction: Transaction) -> Bool {
        guard waiting[transaction.id] == nil else { return false }
        let admission = frontAdmission + UInt64(queue.count)
        waiting[transaction.id] = admission
        for input in transaction.inputs { spentBy[input] = admission }
        if transaction.isRelayedStep { relayedStepCount += 1 }
        earliestLapse = min(earliestLapse, transaction.lapseTime)
        queue.append(transaction)
        return true
    }

    /// Every waiting transaction, in arrival order.
    ///
    /// Complexity: O(n) for n queued.
    public var waitingInArrivalOrder: [Transaction] { queue.compactMap(\.self) }

    /// The waiting transactions whose ``Transaction/lapseTime`` is at or before `time`, in
    /// arrival order, each once: none of them can enter a block from `time` on. They stay until removed.
    ///
    /// Complexity: O(1) while nothing can have lapsed, else O(n) for n queued.
    public mutating func lapsed(by time: SimTime) -> [Transaction] {
        guard earliestLapse <= time else { return [] }
        var due: [Transaction] = []
        earliestLapse = .distantFuture
        for case let transaction? in queue {
            let lapseTime = transaction.lapseTime
            if lapseTime <= time { due.append(transaction) }
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
        var relayedLeft = min(limit, relayedStepCount)
        var othersLeft = limit - relayedLeft
        var taken: [Transaction] = []
        taken.reserveCapacity(min(limit, waiting.count))
        for case let transaction? in queue {
            guard relayedLeft + othersLeft > 0 else { break }
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
        guard let admission = waiting.removeValue(forKey: id) else { return }
        let place = Int(admission - frontAdmission)
        let transaction = queue[place]!
        queue[place] = nil
        for input in transaction.inputs where spentBy[input] == admission { spentBy[input] = nil }
        if transaction.isRelayedStep { relayedStepCount -= 1 }
        while let first = queue.first, first == nil {
            queue.removeFirst()
            frontAdmission += 1
        }
    }
}
