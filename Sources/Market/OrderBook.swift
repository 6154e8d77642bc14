import GridCore
import Ledger

/// A book's own number for an order: assigned in insertion order, never reused.
public typealias OrderNumber = UInt64

/// An order resting on a book.
public struct RestingOrder: Hashable, Sendable {
    public var number: OrderNumber
    public var side: OrderSide
    /// Limit price in µtoken/kWh.
    public var price: Int64
    /// Unfilled quantity in Wh.
    public var remaining: Int64
    /// Time priority: lower was first.
    public var sequence: UInt64

    public init(number: OrderNumber, side: OrderSide, price: Int64, remaining: Int64, sequence: UInt64) {
        self.number = number
        self.side = side
        self.price = price
        self.remaining = remaining
        self.sequence = sequence
    }
}

/// One side's price levels, best level last so that taking it is O(1): bids ascending,
/// asks descending. Each level is a FIFO of slab slots in time order.
struct PriceLadder: Sendable {
    struct Level: Sendable {
        var slots: [Int32]
        /// Entries before `head` are consumed.
        var head: Int

        var isEmpty: Bool { head == slots.count }
        var liveCount: Int { slots.count - head }

        mutating func compactIfWorthIt() {
            if head > 32 && head * 2 > slots.count {
                slots.removeFirst(head)
                head = 0
            }
        }
    }

    let isBid: Bool
    var prices: [Int64] = []
    var levels: [Level] = []

    init(isBid: Bool) {
        self.isBid = isBid
    }

    /// Whether `a` is a better price than `b` for this side.
    @inline(__always)
    func better(_ a: Int64, _ b: Int64) -> Bool { isBid ? a > b : a < b }

    /// The index of `price`'s level, or where it would go. Prices are sorted worst-first.
    func position(of price: Int64) -> (index: Int, found: Bool) {
        // Most inserts land at or near the best end: check it first.
        if let last = prices.last {
            if last == price { return (prices.count - 1, true) }
            if better(price, last) { return (prices.count, false) }
        } else {
            return (0, false)
        }
        var low = 0, high = prices.count
        while low < high {
            let middle = (low + high) / 2
            if prices[middle] == price { return (middle, true) }
            if better(price, prices[middle]) { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }
}

/// A limit order book with price-time priority for one market area.
///
/// Resting orders live in a slab; each side is a ``PriceLadder``. Matching walks the opposite
/// side from the best price and, inside a level, from the oldest order, asking a caller-supplied
/// check whether each candidate may trade (location, grid capacity and delivery window are the
/// caller's business). Every mutation is journaled so that ``rollback(to:)`` restores the book
/// exactly. The book is never left crossed after a match: an incoming order either trades with
/// every compatible crossing order or rests.
///
/// Complexity: insert without matching O(log L) for L levels (O(1) at the best price); each
/// fill O(1); cancel O(k) for k orders at its level.
public struct OrderBook: Sendable {
    enum Entry: Sendable {
        case inserted(OrderNumber)
        case reduced(OrderNumber, Int64)
        case removed(RestingOrder)
        case sequenceAdvanced
    }

    private var slots: [RestingOrder] = []
    private var freeSlots: [Int32] = []
    private var slotOf: [OrderNumber: Int32] = [:]
    private var bids = PriceLadder(isBid: true)
    private var asks = PriceLadder(isBid: false)
    private var journal: [Entry] = []
    /// The next time-priority sequence number.
    public private(set) var nextSequence: UInt64 = 0
    /// Commitment to the resting orders, for the state root (replicated books only).
    public private(set) var commitment = MultisetHash()
    /// Whether the book is part of replicated state: mutations are journaled for rollback and
    /// committed to by a multiset hash. Off for standalone matching (`gridsim match`), where
    /// neither is needed.
    public let replicated: Bool

    public init(replicated: Bool = true) {
        self.replicated = replicated
    }

    /// Orders resting.
    public var count: Int { slotOf.count }

    /// The best bid and ask prices.
    public var bestBid: Int64? { bids.prices.last }
    public var bestAsk: Int64? { asks.prices.last }

    /// Whether the best bid is at or above the best ask. Never true after matching with the
    /// default check; it can be true when compatibility checks kept crossing orders apart.
    public var isCrossed: Bool {
        guard let bid = bestBid, let ask = bestAsk else { return false }
        return bid >= ask
    }

    public func order(_ number: OrderNumber) -> RestingOrder? {
        slotOf[number].map { slots[Int($0)] }
    }

    /// Every resting order of `side`, best first, then oldest first.
    public func orders(_ side: OrderSide) -> [RestingOrder] {
        let ladder = side == .buy ? bids : asks
        var result: [RestingOrder] = []
        for levelIndex in ladder.levels.indices.reversed() {
            let level = ladder.levels[levelIndex]
            for position in level.head..<level.slots.count { result.append(slots[Int(level.slots[position])]) }
        }
        return result
    }

    public var savepoint: Int { journal.count }

    // MARK: Matching

    /// What the caller says about a crossing candidate.
    public enum CandidateDecision {
        /// Trade `quantity` (at most the proposed fill) with it.
        case fill(Int64)
        /// Leave it; look at the next one.
        case skip
    }

    /// Matches an incoming order against the opposite side, best price first, oldest first,
    /// while prices cross. `decide` sees each crossing candidate and the largest possible fill;
    /// it records the trade when it answers `.fill`. At most `candidateLimit` candidates are
    /// examined. Returns the unfilled quantity; the caller then rests it with ``rest(_:)`` or drops it.
    public mutating func match(side: OrderSide, price: Int64, quantity: Int64, candidateLimit: Int = .max,
                               decide: (RestingOrder, Int64) -> CandidateDecision) -> Int64 {
        precondition(quantity > 0, "matching a non-positive quantity")
        var remaining = quantity
        var examined = 0
        let isBid = side == .sell  // an incoming sell meets resting bids
        var levelIndex = (isBid ? bids : asks).prices.count - 1
        while remaining > 0, levelIndex >= 0, examined < candidateLimit {
            let levelPrice = isBid ? bids.prices[levelIndex] : asks.prices[levelIndex]
            guard side == .buy ? levelPrice <= price : levelPrice >= price else { break }
            var position = isBid ? bids.levels[levelIndex].head : asks.levels[levelIndex].head
            while remaining > 0, examined < candidateLimit {
                let level = isBid ? bids.levels[levelIndex] : asks.levels[levelIndex]
                guard position < level.slots.count else { break }
                let slot = level.slots[position]
                let resting = slots[Int(slot)]
                examined += 1
                let proposed = min(remaining, resting.remaining)
                guard case .fill(let filled) = decide(resting, proposed), filled > 0 else {
                    position += 1
                    continue
                }
                precondition(filled <= proposed, "a fill larger than both orders")
                remaining -= filled
                if filled == resting.remaining {
                    position = removeEntry(isBid: isBid, levelIndex: levelIndex, position: position)
                    release(slot: slot, order: resting)
                } else {
                    reduceSlot(slot, by: filled)
                    position += 1
                }
            }
            finishLevel(isBid: isBid, at: levelIndex)
            levelIndex -= 1
        }
        return remaining
    }

    /// Rests an order without matching it, at the back of its price level.
    public mutating func rest(_ order: RestingOrder) {
        precondition(slotOf[order.number] == nil, "order \(order.number) already rests")
        precondition(order.remaining > 0 && order.price > 0)
        place(order)
        if replicated { journal.append(.inserted(order.number)) }
    }

    /// Takes a fresh time-priority sequence number.
    public mutating func takeSequence() -> UInt64 {
        defer { nextSequence += 1 }
        if replicated { journal.append(.sequenceAdvanced) }
        return nextSequence
    }

    /// Removes a resting order (cancelled, expired or filled elsewhere) and returns it.
    @discardableResult
    public mutating func remove(_ number: OrderNumber) -> RestingOrder? {
        guard let slot = slotOf[number] else { return nil }
        let order = slots[Int(slot)]
        let isBid = order.side == .buy
        let ladder = isBid ? bids : asks
        let (levelIndex, found) = ladder.position(of: order.price)
        precondition(found, "resting order's level is missing")
        let level = ladder.levels[levelIndex]
        guard let position = (level.head..<level.slots.count).first(where: { level.slots[$0] == slot }) else {
            preconditionFailure("resting order missing from its level")
        }
        _ = removeEntry(isBid: isBid, levelIndex: levelIndex, position: position)
        finishLevel(isBid: isBid, at: levelIndex)
        release(slot: slot, order: order)
        return order
    }

    /// Reduces a resting order's quantity (a fill decided outside ``match``, e.g. a call auction).
    public mutating func reduce(_ number: OrderNumber, by quantity: Int64) {
        guard let slot = slotOf[number] else { preconditionFailure("reducing an order that does not rest") }
        precondition(quantity > 0 && quantity < slots[Int(slot)].remaining, "reduce must leave a remainder")
        reduceSlot(slot, by: quantity)
    }

    /// Undoes every mutation after `savepoint`, newest first.
    public mutating func rollback(to savepoint: Int) {
        precondition(replicated, "rollback needs a replicated book")
        while journal.count > savepoint {
            switch journal.removeLast() {
            case .inserted(let number):
                let slot = slotOf[number]!
                let order = slots[Int(slot)]
                let isBid = order.side == .buy
                let ladder = isBid ? bids : asks
                let (levelIndex, _) = ladder.position(of: order.price)
                let level = ladder.levels[levelIndex]
                let position = (level.head..<level.slots.count).first { level.slots[$0] == slot }!
                _ = removeEntry(isBid: isBid, levelIndex: levelIndex, position: position)
                finishLevel(isBid: isBid, at: levelIndex)
                freeUnjournaled(slot: slot, order: order)
            case .reduced(let number, let quantity):
                let slot = Int(slotOf[number]!)
                commitment.remove(Self.digest(slots[slot]))
                slots[slot].remaining += quantity
                commitment.insert(Self.digest(slots[slot]))
            case .removed(let order):
                place(order)
            case .sequenceAdvanced:
                nextSequence -= 1
            }
        }
    }

    /// Forgets the journal: what was applied is permanent.
    public mutating func commit() {
        journal.removeAll()
    }

    // MARK: Internals

    /// Puts an order into its level at its time-priority position.
    private mutating func place(_ order: RestingOrder) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            slots[Int(free)] = order
        } else {
            slot = Int32(slots.count)
            slots.append(order)
        }
        slotOf[order.number] = slot
        if replicated { commitment.insert(Self.digest(order)) }
        let isBid = order.side == .buy
        let (levelIndex, found) = (isBid ? bids : asks).position(of: order.price)
        if !found {
            if isBid {
                bids.prices.insert(order.price, at: levelIndex)
                bids.levels.insert(PriceLadder.Level(slots: [], head: 0), at: levelIndex)
            } else {
                asks.prices.insert(order.price, at: levelIndex)
                asks.levels.insert(PriceLadder.Level(slots: [], head: 0), at: levelIndex)
            }
        }
        let sequences = slots
        func insertBySequence(_ level: inout PriceLadder.Level) {
            if let last = level.slots.last, level.head < level.slots.count,
               sequences[Int(last)].sequence > order.sequence {
                var low = level.head, high = level.slots.count
                while low < high {
                    let middle = (low + high) / 2
                    if sequences[Int(level.slots[middle])].sequence < order.sequence { low = middle + 1 } else { high = middle }
                }
                level.slots.insert(slot, at: low)
            } else {
                level.slots.append(slot)
            }
        }
        if isBid { insertBySequence(&bids.levels[levelIndex]) } else { insertBySequence(&asks.levels[levelIndex]) }
    }

    private mutating func reduceSlot(_ slot: Int32, by quantity: Int64) {
        if replicated { commitment.remove(Self.digest(slots[Int(slot)])) }
        slots[Int(slot)].remaining -= quantity
        if replicated { commitment.insert(Self.digest(slots[Int(slot)])) }
        if replicated { journal.append(.reduced(slots[Int(slot)].number, quantity)) }
    }

    private mutating func release(slot: Int32, order: RestingOrder) {
        freeUnjournaled(slot: slot, order: order)
        if replicated { journal.append(.removed(order)) }
    }

    private mutating func freeUnjournaled(slot: Int32, order: RestingOrder) {
        slotOf[order.number] = nil
        freeSlots.append(slot)
        if replicated { commitment.remove(Self.digest(order)) }
    }

    /// Removes the entry at `position` of a level; returns the position of the entry after it.
    private mutating func removeEntry(isBid: Bool, levelIndex: Int, position: Int) -> Int {
        func take(_ level: inout PriceLadder.Level) -> Int {
            if position == level.head {
                level.head += 1
                return position + 1
            }
            level.slots.remove(at: position)
            return position
        }
        return isBid ? take(&bids.levels[levelIndex]) : take(&asks.levels[levelIndex])
    }

    /// After a level was worked on: drops it when empty, compacts its consumed prefix otherwise.
    private mutating func finishLevel(isBid: Bool, at index: Int) {
        if isBid {
            if bids.levels[index].isEmpty {
                bids.prices.remove(at: index)
                bids.levels.remove(at: index)
            } else {
                bids.levels[index].compactIfWorthIt()
            }
        } else {
            if asks.levels[index].isEmpty {
                asks.prices.remove(at: index)
                asks.levels.remove(at: index)
            } else {
                asks.levels[index].compactIfWorthIt()
            }
        }
    }

    static func digest(_ order: RestingOrder) -> Digest32 {
        Blake2b.hash(capacity: 40) { encoder in
            encoder.append(order.number)
            encoder.append(order.side.rawValue)
            encoder.append(order.price)
            encoder.append(order.remaining)
            encoder.append(order.sequence)
        }
    }
}
