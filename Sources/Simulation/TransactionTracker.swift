import GridCore
import Ledger

/// How a submitted transaction ended.
public enum TransactionOutcome: Hashable, Sendable {
    /// Finalized in a committed block.
    case accepted
    case rejected(RejectionReason)
    /// Neither, when the run ended.
    case pending
}

/// The life of every submitted transaction, by submission order: when it was submitted,
/// admitted to a mempool, included in a proposed block, and finalized — or why it was rejected;
/// for orders also when they first traded and when a trade of theirs first settled. Every
/// transaction ends in exactly one ``TransactionOutcome``.
public struct TransactionTracker: Sendable {
    /// Marks a time that has not happened.
    static let never: Int64 = -1

    public private(set) var submittedNanos: [Int64] = []
    public private(set) var admittedNanos: [Int64] = []
    public private(set) var includedNanos: [Int64] = []
    public private(set) var finalizedNanos: [Int64] = []
    public private(set) var finalizedHeights: [UInt64] = []
    /// Orders: commit of the first block in which they traded.
    public private(set) var matchedNanos: [Int64] = []
    /// Orders: commit of the first settlement of one of their trades.
    public private(set) var settledNanos: [Int64] = []
    /// The region of the submitting participant.
    public private(set) var regions: [Region] = []
    /// The participant class that submitted each transaction (−1: a grid operator the scenario
    /// did not list).
    public private(set) var participantClasses: [Int32] = []
    /// What each transaction was: order, transfer, mint, settlement.
    public private(set) var kinds: [String] = []
    public private(set) var ids: [TransactionID] = []
    private var rejections: [RejectionReason?] = []
    private var indexByID: [TransactionID: Int] = [:]

    public init() {}

    /// Transactions submitted.
    public var count: Int { ids.count }

    mutating func submitted(_ id: TransactionID, participantClass: Int32, kind: String, region: Region,
                            at time: SimTime) {
        let earlier = indexByID.updateValue(ids.count, forKey: id)
        precondition(earlier == nil, "transaction submitted twice")
        ids.append(id)
        participantClasses.append(participantClass)
        kinds.append(kind)
        submittedNanos.append(time.nanoseconds)
        admittedNanos.append(Self.never)
        includedNanos.append(Self.never)
        finalizedNanos.append(Self.never)
        finalizedHeights.append(0)
        matchedNanos.append(Self.never)
        settledNanos.append(Self.never)
        regions.append(region)
        rejections.append(nil)
    }

    /// Records the first admission; returns when the transaction was submitted if this was it.
    @discardableResult
    mutating func admitted(_ id: TransactionID, at time: SimTime) -> SimTime? {
        guard let index = indexByID[id], admittedNanos[index] == Self.never else { return nil }
        admittedNanos[index] = time.nanoseconds
        return SimTime(nanoseconds: submittedNanos[index])
    }

    /// `id`'s position in submission order.
    func index(of id: TransactionID) -> Int? { indexByID[id] }

    /// When `id` was submitted, if it was.
    func submittedTime(of id: TransactionID) -> SimTime? {
        indexByID[id].map { SimTime(nanoseconds: submittedNanos[$0]) }
    }

    /// Records the first rejection of a transaction not finalized; `true` if it was news.
    @discardableResult
    mutating func rejected(_ id: TransactionID, _ reason: RejectionReason) -> Bool {
        guard let index = indexByID[id], rejections[index] == nil, finalizedNanos[index] == Self.never else { return false }
        rejections[index] = reason
        return true
    }

    mutating func included(_ id: TransactionID, at time: SimTime) {
        guard let index = indexByID[id], includedNanos[index] == Self.never else { return }
        includedNanos[index] = time.nanoseconds
    }

    /// Records the first finalization; returns when the transaction was submitted and whether
    /// this was its first finalization (`nil`: not a submitted transaction).
    @discardableResult
    mutating func finalized(_ id: TransactionID, height: UInt64, at time: SimTime) -> (submitted: SimTime, first: Bool)? {
        guard let index = indexByID[id] else { return nil }
        let submitted = SimTime(nanoseconds: submittedNanos[index])
        guard finalizedNanos[index] == Self.never else { return (submitted, false) }
        // A transaction one node refused (e.g. a conflicting spend seen first) can still be
        // finalized from another node's mempool: finality wins.
        rejections[index] = nil
        finalizedNanos[index] = time.nanoseconds
        finalizedHeights[index] = height
        return (submitted, true)
    }

    /// Order `id` traded in a block committed at `time` (the first such time counts).
    mutating func matched(_ id: TransactionID, at time: SimTime) {
        guard let index = indexByID[id], matchedNanos[index] == Self.never else { return }
        matchedNanos[index] = time.nanoseconds
    }

    /// A trade of order `id` settled in a block committed at `time` (the first such time counts).
    mutating func settled(_ id: TransactionID, at time: SimTime) {
        guard let index = indexByID[id], settledNanos[index] == Self.never else { return }
        settledNanos[index] = time.nanoseconds
    }

    /// When transaction `index` reached `stage`, or `nil` if it did not.
    public func time(of stage: LatencyStage, at index: Int) -> Int64? {
        let value = switch stage {
        case .admission: admittedNanos[index]
        case .inclusion: includedNanos[index]
        case .finality: finalizedNanos[index]
        case .match: matchedNanos[index]
        case .settlement: settledNanos[index]
        }
        return value == Self.never ? nil : value
    }

    /// The outcome of transaction `index` (submission order).
    public func outcome(at index: Int) -> TransactionOutcome {
        if finalizedNanos[index] != Self.never { return .accepted }
        if let reason = rejections[index] { return .rejected(reason) }
        return .pending
    }

    /// Latencies from submission to `stage`, in nanoseconds, for transactions submitted at or after
    /// `since` (and in `region`, if given) that reached the stage; in submission order.
    ///
    /// Complexity: O(transactions).
    public func latencies(of stage: LatencyStage, submittedSince since: SimTime = .zero,
                          region: Region? = nil) -> [Int64] {
        var result: [Int64] = []
        result.reserveCapacity(count)
        for index in 0..<count where submittedNanos[index] >= since.nanoseconds {
            if let region, regions[index] != region { continue }
            if let reached = time(of: stage, at: index) { result.append(reached - submittedNanos[index]) }
        }
        return result
    }
}

/// The stages of a transaction's latency (DESIGN.md's taxonomy).
public enum LatencyStage: String, Sendable, CaseIterable {
    /// Submit to entry into a mempool.
    case admission
    /// Submit to the first proposed block that carries it.
    case inclusion
    /// Submit to commit by more than 2/3 of stake.
    case finality
    /// Orders: submit to the commit of the first block in which the order traded.
    case match
    /// Orders: submit to the commit of the first settlement of one of its trades (after the
    /// delivery window and the settlement delay, so it measures the market design as much as
    /// the chain).
    case settlement
}
