import DequeModule
import GridCore
import Ledger

/// Block execution shared by the in-process replicas of one run, as DESIGN.md shares signature
/// checks: applying a block to a state, and committing it, are pure functions of the state and
/// the block, so when a replica holds exactly the state another replica already applied a
/// block to (the same ``ExchangeState/lineage``), it takes that replica's result — the state
/// after, the receipt, and the work counted — instead of computing it again. It is still
/// charged that work, so simulated time, and every outcome, is the same as if each replica had
/// executed the block itself.
///
/// The states share their storage (copy on write), so a replica that takes a result costs O(1);
/// the next change to a shared state copies what it changes. An entry is kept until the
/// replicas it was offered to (`peers`) have taken it, or until `capacity` newer entries
/// push it out: dropping an entry only costs a later execution, never a different answer.
///
/// Admission checks are shared the same way: the answer for a transaction on a state, when
/// it depends on the time only through the transaction's expiry (tested again each time).
public final class ExecutionCache<Grid: GridTradeAssessor> {
    private enum Step: Hashable {
        /// Applying the block with this hash (strictly: every transaction must apply).
        case block(Digest32)
        /// Committing the block the state has applied.
        case commit
    }

    private struct Key: Hashable {
        var lineage: UInt64
        var step: Step
    }

    private struct Entry {
        var state: ExchangeState<Grid>
        var result: Result<BlockReceipt, BlockFailure>?
        var work: WorkMeter
        /// What the step was applied to: a hit must be for the same transactions (by identity)
        /// and context, not only the same block hash.
        var transactions: [Transaction]
        var context: BlockContext?
        var takersLeft: Int
    }

    private struct CheckKey: UniformlyHashable {
        var lineage: UInt64
        var transaction: TransactionID

        var uniformHash: UInt64 { transaction.uniformHash ^ lineage.uniformHash }
    }

    private struct CheckAnswer {
        /// The transaction checked: a hit must be for the same one, not only the same id.
        var transaction: Transaction
        var reason: RejectionReason?
        var work: WorkMeter
    }

    private let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var arrivals: Deque<Key> = []
    private var nextLineage: UInt64 = 1
    /// Admission answers (a lost one is only checked again).
    private var answers: MemoTable<CheckKey, CheckAnswer>
    /// Steps computed here, and steps taken from another replica's computation.
    public private(set) var computed = 0
    public private(set) var reused = 0
    /// Admission checks answered from another replica's check of the same state.
    public private(set) var checksReused = 0

    /// - Parameters:
    ///   - capacity: block and commit steps kept at most (the oldest go first).
    ///   - answerCapacity: admission answers at most (a power of two).
    public init(capacity: Int = 64, answerCapacity: Int = 1 << 15) {
        precondition(capacity > 0)
        self.capacity = capacity
        answers = MemoTable(initialSlots: min(answerCapacity, 1 << 10), maximumSlots: answerCapacity)
    }

    /// Gives `state` a lineage of its own: where a chain's replicas start from the same value.
    public func identify(_ state: inout ExchangeState<Grid>) {
        state.lineage = takeLineage()
    }

    /// Applies a block's transactions strictly (``ExchangeState/apply(_:context:mode:verifier:work:)``)
    /// or takes the result of a replica that applied the same block to the same state. On
    /// failure `state` is left as it was. `peers` is how many other replicas may take the result.
    ///
    /// Complexity: O(n) identity checks for n transactions on a hit; an execution otherwise.
    public func apply(_ state: inout ExchangeState<Grid>, block hash: Digest32, transactions: [Transaction],
                      context: BlockContext, peers: Int, verifier: SignatureVerifier,
                      work: inout WorkMeter) -> Result<BlockReceipt, BlockFailure> {
        let key = Key(lineage: state.lineage, step: .block(hash))
        if let result = take(key, into: &state, transactions: transactions, context: context, work: &work) {
            return result!
        }
        let before = state
        let start = work
        let result = state.apply(transactions, context: context, mode: .strict, verifier: verifier, work: &work)
        computed += 1
        if case .failure = result { state = before }
        store(key, state: &state, result: result, work: work.subtracting(start), transactions: transactions,
              context: context, peers: peers)
        return result
    }

    /// Offers a proposer's own assembly of a block: `state` is `before` with `receipt`'s
    /// transactions applied, which is what applying the block strictly gives; `work` is what
    /// that strict application counts.
    public func offer(_ state: inout ExchangeState<Grid>, appliedTo before: ExchangeState<Grid>, block hash: Digest32,
                      receipt: BlockReceipt, work: WorkMeter, peers: Int) {
        precondition(receipt.rejected.isEmpty, "an offered assembly holds only the block's transactions")
        store(Key(lineage: before.lineage, step: .block(hash)), state: &state, result: .success(receipt), work: work,
              transactions: receipt.applied, context: receipt.context, peers: peers)
    }

    /// Commits `receipt`'s block on `state` (``ExchangeState/commit(_:)``), or takes the commit of
    /// a replica that committed the same state.
    public func commit(_ state: inout ExchangeState<Grid>, _ receipt: BlockReceipt, peers: Int) {
        let key = Key(lineage: state.lineage, step: .commit)
        var work = WorkMeter()
        if take(key, into: &state, transactions: [], context: nil, work: &work) != nil { return }
        state.commit(receipt)
        computed += 1
        store(key, state: &state, result: nil, work: WorkMeter(), transactions: [], context: nil, peers: peers)
    }

    /// Why `transaction` cannot apply on `state` at `time` (``ExchangeState/check(_:at:verifier:work:)``),
    /// or the answer a replica holding the same state found, charged the same work.
    ///
    /// Complexity: O(1) on a hit; a check otherwise.
    public func check(_ transaction: Transaction, on state: inout ExchangeState<Grid>, at time: SimTime,
                      verifier: SignatureVerifier, work: inout WorkMeter) -> RejectionReason? {
        guard state.lineage != 0 else { return state.check(transaction, at: time, verifier: verifier, work: &work) }
        if transaction.validUntil < time { return .expired }
        let key = CheckKey(lineage: state.lineage, transaction: transaction.id)
        if let answer = answers.value(for: key), answer.transaction === transaction {
            work.add(answer.work)
            checksReused += 1
            return answer.reason
        }
        var clock = ExchangeState<Grid>.CheckClock(time)
        let start = work
        let reason = state.check(transaction, clock: &clock, height: state.height + 1, verifier: verifier, work: &work)
        if !clock.read {
            answers.store(CheckAnswer(transaction: transaction, reason: reason, work: work.subtracting(start)), for: key)
        }
        return reason
    }

    private func takeLineage() -> UInt64 {
        defer { nextLineage += 1 }
        return nextLineage
    }

    /// The stored result for `key` if it matches, with `state` replaced by the stored state and
    /// the stored work added; `nil` when there is none.
    private func take(_ key: Key, into state: inout ExchangeState<Grid>, transactions: [Transaction],
                      context: BlockContext?, work: inout WorkMeter) -> Result<BlockReceipt, BlockFailure>?? {
        guard key.lineage != 0, var entry = entries[key], entry.context == context,
              entry.transactions.count == transactions.count,
              zip(entry.transactions, transactions).allSatisfy({ $0 === $1 }) else { return nil }
        state = entry.state
        work.add(entry.work)
        reused += 1
        entry.takersLeft -= 1
        entries[key] = entry.takersLeft > 0 ? entry : nil
        return .some(entry.result)
    }

    /// Gives `state` a new lineage (unless the step left it unchanged) and keeps the step for
    /// `peers` other replicas to take.
    private func store(_ key: Key, state: inout ExchangeState<Grid>, result: Result<BlockReceipt, BlockFailure>?,
                       work: WorkMeter, transactions: [Transaction], context: BlockContext?, peers: Int) {
        guard key.lineage != 0 else { return }
        if state.lineage == 0 { state.lineage = takeLineage() }
        guard peers > 0 else { return }
        entries[key] = Entry(state: state, result: result, work: work, transactions: transactions, context: context,
                             takersLeft: peers)
        arrivals.append(key)
        while arrivals.count > capacity, let oldest = arrivals.popFirst() {
            entries[oldest] = nil
        }
    }
}
