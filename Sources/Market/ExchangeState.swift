import Governance
import GridCore
import HeapModule
import Ledger

/// Where genesis outputs come from: output `i` of the genesis list is at `OutPoint(genesisOrigin, i)`.
public let genesisOrigin = Blake2b.hash(Array("genesis".utf8))

/// The block being applied: its height, time and proposer.
public struct BlockContext: Hashable, Sendable {
    public var height: UInt64
    public var timestamp: SimTime
    /// Receives the block reward and the fees collected in the block.
    public var proposer: PublicKey

    public init(height: UInt64, timestamp: SimTime, proposer: PublicKey) {
        self.height = height
        self.timestamp = timestamp
        self.proposer = proposer
    }
}

/// How a block's transactions are treated.
public enum ApplyMode: Sendable {
    /// Every transaction must apply; the first that does not rejects the block.
    case strict
    /// A proposer assembling a block: transactions that do not apply are left out, with a reason.
    case assemble
}

/// A block that does not apply, and why.
public struct BlockFailure: Error, Hashable, Sendable {
    public var transactionIndex: Int
    public var transaction: TransactionID
    public var reason: RejectionReason
}

/// How many matches the grid approved, made conditional, or rejected by reason.
public struct GridDecisionCounts: Hashable, Sendable {
    public var approved = 0
    public var conditional = 0
    public var rejected: [GridRejection: Int] = [:]

    public init() {}

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    public mutating func add(_ other: GridDecisionCounts) {
        approved += other.approved
        conditional += other.conditional
        for (reason, count) in other.rejected { rejected[reason, default: 0] += count }
    }
}

/// A step of a cross-shard transfer that a block made: what the relayers act on.
public enum CrossShardStep: Sendable {
    /// A lock was placed (in the sender's shard) by the transaction at `index` in the block.
    case locked(lock: TransactionID, index: Int)
    /// A credit (the transaction at `index`) resolved a lock in the destination's shard:
    /// `credited` if it was in time, else the lock was voided and its amounts go back.
    case resolved(lock: TransactionID, index: Int, credited: Bool)
    /// The sender's shard settled a lock: released to the destination or refunded.
    case settled(lock: TransactionID, credited: Bool)
}

/// What applying a block did. Keep it to ``ExchangeState/rollback(_:)`` the block or
/// ``ExchangeState/commit(_:)`` it.
public struct BlockReceipt: Sendable {
    public var context: BlockContext
    /// Transactions that applied, in block order.
    public var applied: [Transaction]
    /// Transactions left out while assembling, with the reason.
    public var rejected: [(id: TransactionID, reason: RejectionReason)]
    /// The work counted for the transactions left out: what applying only `applied` would
    /// have cost less than assembling did.
    public var rejectedWork: WorkMeter
    public var trades: [Trade]
    public var settlements: [Settlement]
    /// Every output the block created (transaction outputs, refunds, proceeds, rewards).
    public var createdOutputs: [(outPoint: OutPoint, output: TxOutput)]
    /// Orders withdrawn because they expired.
    public var expiredOrders: Int
    public var gridDecisions: GridDecisionCounts
    /// Governance votes whose period ended at the start of the block.
    public var tallies: [GovernanceTally]
    /// Parameter changes made at the start of the block (an epoch boundary), in order.
    public var parameterChanges: [ParameterChange]
    /// The governance parameters after the block.
    public var parameters: GovernanceParameters
    /// Cross-shard locks, credits and settlements, in block order.
    public var crossShard: [CrossShardStep]
    /// The state root after the block.
    public var stateRoot: Digest32
    fileprivate var savepoint: ExchangeSavepoint
}

struct ExchangeSavepoint: Sendable {
    var ledger: Int
    var exchange: Int
    var books: [Int]
    var governance: Int
    var height: UInt64
}

/// The replicated state every node applies blocks to: the UTXO ledger, an order book per
/// market area with its open orders' escrows, the trades awaiting delivery, the grid's
/// capacity bookings (through `Grid`, the Grid module's ``GridTradeAssessor``) and governance
/// (proposals, votes and the parameters fees, block size and clearing follow).
///
/// Applying is journaled across all of them: ``rollback(_:)`` undoes a block exactly, which is
/// how a proposer assembles a block and a validator checks one before its commit.
public struct ExchangeState<Grid: GridTradeAssessor>: Sendable {
    /// An order that rests (or rested) on a book, with the escrow it still holds.
    struct OpenOrder: Hashable, Sendable {
        var number: OrderNumber
        var transaction: TransactionID
        var owner: PublicKey
        var terms: OrderTerms
        /// Escrow left, in the terms' escrow asset.
        var escrow: Int64
        var area: Int

        var digest: Digest32 {
            Blake2b.hash(capacity: 88) { encoder in
                encoder.append(number)
                encoder.append(transaction)
                encoder.append(owner.bytes)
                encoder.append(escrow)
            }
        }
    }

    enum Entry: Sendable {
        case orderOpened(OrderNumber)
        case orderUpdated(OpenOrder)
        case orderClosed(OpenOrder)
        case tradeOpened(TradeID)
        case tradeClosed(Trade)
        case gridReserved(TradeID)
        case gridReleased(Trade)
        case feePool(Int64)
        case orderNumberTaken
        case fillCounted
        case producerRegistered(PublicKey)
        case slotCleared(previous: Int64)
        case expiryPopped(ExpiryEntry)
        case timeoutPopped(TimeoutEntry)
        case lockOpened(TransactionID)
        case lockClosed(OutboundLock)
        case inboundResolved(TransactionID)
    }

    /// A cross-shard lock this shard holds until the destination's answer settles it.
    struct OutboundLock: Hashable, Sendable {
        var transaction: TransactionID
        var owner: PublicKey
        var terms: LockTerms

        var digest: Digest32 {
            Blake2b.hash(capacity: 72) { encoder in
                encoder.append(UInt8(0x4C))
                encoder.append(transaction)
                encoder.append(owner.bytes)
            }
        }
    }

    /// The commitment entry of a lock resolved here (credited or voided), kept against a second credit.
    static func resolvedDigest(_ lock: TransactionID) -> Digest32 {
        Blake2b.hash(capacity: 48) { encoder in
            encoder.append(UInt8(0x52))
            encoder.append(lock)
        }
    }

    struct ExpiryEntry: Comparable, Sendable {
        var time: SimTime
        var number: OrderNumber
        static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.time < rhs.time || (lhs.time == rhs.time && lhs.number < rhs.number)
        }
    }

    struct TimeoutEntry: Comparable, Sendable {
        var time: SimTime
        var trade: TradeID
        static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.time < rhs.time || (lhs.time == rhs.time && lhs.trade < rhs.trade)
        }
    }

    /// Per-block event log, rebuilt on every apply.
    private struct Events {
        var trades: [Trade] = []
        var settlements: [Settlement] = []
        var createdOutputs: [(outPoint: OutPoint, output: TxOutput)] = []
        var expiredOrders = 0
        var gridDecisions = GridDecisionCounts()
        var tallies: [GovernanceTally] = []
        var parameterChanges: [ParameterChange] = []
        var crossShard: [CrossShardStep] = []
    }

    public private(set) var ledger: LedgerState
    public let configuration: MarketConfiguration
    public private(set) var grid: Grid
    public private(set) var governance: GovernanceState
    /// The height of the block being applied, or of the last one applied.
    public private(set) var height: UInt64 = 0
    private var books: [OrderBook]
    private var openOrders: [OrderNumber: OpenOrder] = [:]
    private var orderByTransaction: [TransactionID: OrderNumber] = [:]
    private var nextOrderNumber: OrderNumber = 0
    private var trades: [TradeID: Trade] = [:]
    private var fillCounter: UInt64 = 0
    private var producerSources: [PublicKey: EnergySource] = [:]
    /// Fees collected in the current block, paid to its proposer at the end.
    private var feePool: Int64 = 0
    /// The last delivery slot a call auction cleared (−1: none).
    private var lastClearedSlot: Int64 = -1
    private var orderExpiries = Heap<ExpiryEntry>()
    private var tradeTimeouts = Heap<TimeoutEntry>()
    /// Cross-shard locks placed here and not yet settled.
    private var outboundLocks: [TransactionID: OutboundLock] = [:]
    /// Locks of other shards credited or voided here (a lock resolves once, ever).
    private var resolvedInbound = ChunkedSet<TransactionID>()
    /// Checks the commit certificates of cross-shard receipts; `nil` outside a sharded network,
    /// where cross-shard transactions are rejected (`not_sharded`). Configuration, not state:
    /// it is not in the state root.
    public var commitVerifier: (any CommitVerifier)? {
        didSet { lineage = 0 }
    }
    /// Which exact value this is, when an ``ExecutionCache`` gave it one: two states with the
    /// same non-zero lineage are equal in every field. Every change clears it (0: unknown). Not
    /// part of the state or its root.
    public internal(set) var lineage: UInt64 = 0
    private var marketCommitment = MultisetHash()
    private var journal: [Entry] = []
    private var events = Events()
    /// Where derived outputs of the transaction or block event being applied go.
    private var outputOrigin = Digest32.zero
    /// Which chain instance this state belongs to under sharding (0: the only one). Block heights
    /// restart with every instance, so block events' outputs name it to stay distinct.
    private var instance: UInt64 = 0
    private var nextOutputIndex: UInt32 = 0

    /// A state holding the genesis outputs, recorded as created supply.
    public init(parameters: LedgerParameters, configuration: MarketConfiguration, grid: Grid,
                governance: GovernanceState, genesis: [TxOutput]) {
        precondition(governance.parameters.minimumFee == parameters.minimumFee
                     && governance.parameters.tradingFee == parameters.tradingFee,
                     "governance starts from the ledger's fees")
        precondition(ClearingRule.continuous.firstIndex(of: configuration.clearingRule).map {
            Int64($0) == governance.parameters[.clearingRule] } ?? true, "governance starts from the configured clearing rule")
        self.ledger = LedgerState(parameters: parameters, genesis: genesis, origin: genesisOrigin)
        self.configuration = configuration
        self.grid = grid
        self.governance = governance
        self.books = configuration.areas.map { _ in OrderBook() }
        for index in books.indices { books[index].commit() }
    }

    // MARK: Queries

    /// Open orders.
    public var openOrderCount: Int { openOrders.count }
    /// Trades awaiting settlement.
    public var openTradeCount: Int { trades.count }
    /// Cross-shard locks awaiting settlement.
    public var openLockCount: Int { outboundLocks.count }

    /// Whether a cross-shard lock was credited or voided here.
    public func isResolved(lock: TransactionID) -> Bool { resolvedInbound.contains(lock) }

    public func trade(_ id: TradeID) -> Trade? { trades[id] }

    /// The book of market area `area`.
    public func book(area: Int) -> OrderBook { books[area] }

    /// The open order placed by `transaction`, as (remaining quantity, escrow left).
    public func openOrder(placedBy transaction: TransactionID) -> (remaining: EnergyWh, escrow: Int64)? {
        guard let number = orderByTransaction[transaction], let order = openOrders[number] else { return nil }
        return (EnergyWh(books[order.area].order(number)?.remaining ?? 0), order.escrow)
    }

    /// The state root: Merkle root over the ledger's commitments, the market's and the grid's.
    public var stateRoot: Digest32 {
        var scalars = CanonicalEncoder()
        scalars.append(nextOrderNumber)
        scalars.append(fillCounter)
        scalars.append(feePool)
        scalars.append(lastClearedSlot)
        var leaves = ledger.commitments
        leaves.append(marketCommitment.digest)
        leaves.append(contentsOf: books.map(\.commitment.digest))
        leaves.append(grid.commitment)
        leaves.append(governance.commitment)
        leaves.append(scalars.blake2b)
        return MerkleTree.root(of: leaves)
    }

    /// Broken conservation laws, empty when all hold. Also checks that the escrow the ledger
    /// counts is exactly what open orders, open trades and the fee pool hold. O(state size).
    public func conservationViolations() -> [String] {
        var problems = ledger.conservationViolations()
        var held = AssetAmounts()
        for order in openOrders.values {
            guard let escrow = order.terms.escrow else { continue }
            held[escrow.asset] += order.escrow
        }
        for trade in trades.values {
            held.energy += trade.quantity.rawValue
            held.payment += trade.value.rawValue + trade.premium.rawValue
        }
        held.payment += feePool + governance.heldDeposits
        for lock in outboundLocks.values { held += lock.terms.amounts }
        for asset in Asset.allCases where held[asset] != ledger.escrowTotals[asset] {
            problems.append("\(asset): orders, trades and fees hold \(held[asset]) but the ledger's escrow is \(ledger.escrowTotals[asset])")
        }
        for (area, book) in books.enumerated() {
            for side in OrderSide.allCases {
                for resting in book.orders(side) where openOrders[resting.number]?.area != area {
                    problems.append("order \(resting.number) rests on area \(area) without an open order there")
                }
            }
        }
        return problems
    }

    // MARK: Resharding

    /// Splits a committed state in two for a shard split: the market areas `movesArea` picks —
    /// their order books, open orders with their escrow and trades awaiting delivery with their
    /// grid bookings — and the outputs of the owners `movesOwner` picks go to the second part;
    /// the rest stays. Both parts start numbering blocks afresh (a new consensus instance), the
    /// parts become chain instances `instances` (distinct, non-zero numbers that keep block
    /// events' outputs apart); the second numbers its orders from `movedInstance << 40` (so the
    /// parts never reuse a number and can merge again) and starts governance from the same
    /// parameters with no proposals.
    /// Each part is conserved on its own and the two sum to this state (see
    /// ``LedgerState/splitting(movingOwners:movedEscrow:)``).
    ///
    /// A trade goes with its seller's area (where its orders met).
    ///
    /// Complexity: O(state size).
    public func splitting(movingAreas movesArea: (Int) -> Bool, movingOwners movesOwner: (PublicKey) -> Bool,
                          instances: (kept: UInt64, moved: UInt64)) -> (kept: Self, moved: Self) {
        precondition(journal.isEmpty && feePool == 0, "only a committed state splits")
        var base = self
        base.lineage = 0
        precondition(instances.kept != instances.moved && instances.moved > 0, "the parts are distinct instances")
        let orderNumberBase = OrderNumber(instances.moved) << 40
        precondition(orderNumberBase > nextOrderNumber, "the moved part numbers orders beyond the kept part's")
        var movedEscrow = AssetAmounts()
        for order in openOrders.values where movesArea(order.area) && configuration.mutation != .splitKeepsEscrow {
            if let escrow = order.terms.escrow { movedEscrow[escrow.asset] += order.escrow }
        }
        var movedTrades: Set<TradeID> = []
        for trade in trades.values {
            // A trade is in its seller's area: a cross-shard bid rests there, its buyer elsewhere.
            guard movesArea(configuration.area(of: trade.sellerLocation.region)) else { continue }
            movedTrades.insert(trade.id)
            movedEscrow.energy += trade.quantity.rawValue
            movedEscrow.payment += (trade.value + trade.premium).rawValue
        }
        for lock in outboundLocks.values where movesOwner(lock.owner) { movedEscrow += lock.terms.amounts }
        let ledgers = ledger.splitting(movingOwners: movesOwner, movedEscrow: movedEscrow)
        var kept = base
        var moved = base
        kept.ledger = ledgers.kept
        moved.ledger = ledgers.moved
        kept.grid = grid.retaining { !movedTrades.contains($0) }
        moved.grid = grid.retaining { movedTrades.contains($0) }
        moved.governance = GovernanceState(rules: governance.rules, parameters: governance.parameters)
        moved.nextOrderNumber = orderNumberBase
        kept.instance = instances.kept
        moved.instance = instances.moved
        for area in books.indices {
            if movesArea(area) { kept.books[area] = OrderBook() } else { moved.books[area] = OrderBook() }
        }
        kept.keepMarket(orders: { !movesArea($0.area) }, trades: { !movedTrades.contains($0) },
                        locks: { !movesOwner($0.owner) })
        moved.keepMarket(orders: { movesArea($0.area) }, trades: { movedTrades.contains($0) },
                         locks: { movesOwner($0.owner) })
        kept.height = 0
        moved.height = 0
        return (kept, moved)
    }

    /// This committed state as the genesis of chain instance `instance`, for a shard whose
    /// committee changes over the same regions: the same holdings, market and proposals, block
    /// heights starting afresh.
    ///
    /// Complexity: O(1) (the copy shares storage until written).
    public func continuing(asInstance instance: UInt64) -> Self {
        precondition(journal.isEmpty && feePool == 0, "only a committed state is handed over")
        precondition(instance > 0 && instance != self.instance, "the next chain is a new instance")
        var next = self
        next.lineage = 0
        next.height = 0
        next.instance = instance
        return next
    }

    /// Joins the state of another shard into this one for a shard merge: the inverse of
    /// ``splitting(movingAreas:movingOwners:instances:)``. The two must hold disjoint market
    /// areas, outputs and order numbers; `other` must hold no governance deposits (its proposals
    /// do not carry over). The merged state is chain instance `instance` (a number neither part
    /// had) and starts numbering blocks afresh.
    ///
    /// Complexity: O(size of `other`) plus O(this state's orders and trades) to recommit them.
    public mutating func absorb(_ other: Self, instance: UInt64) {
        precondition(journal.isEmpty && other.journal.isEmpty && feePool == 0 && other.feePool == 0,
                     "only committed states merge")
        lineage = 0
        precondition(other.governance.heldDeposits == 0, "a merged-away shard's proposals would be lost")
        ledger.absorb(other.ledger)
        grid.absorb(other.grid)
        for area in books.indices where other.books[area].count > 0 {
            precondition(books[area].count == 0, "area \(area) has orders on both sides of a merge")
            books[area] = other.books[area]
        }
        openOrders.merge(other.openOrders) { _, _ in preconditionFailure("an order number on both sides of a merge") }
        orderByTransaction.merge(other.orderByTransaction) { _, _ in preconditionFailure("an order on both sides of a merge") }
        trades.merge(other.trades) { _, _ in preconditionFailure("a trade on both sides of a merge") }
        outboundLocks.merge(other.outboundLocks) { _, _ in preconditionFailure("a lock on both sides of a merge") }
        resolvedInbound.formUnion(other.resolvedInbound)
        producerSources.merge(other.producerSources) { mine, _ in mine }
        for entry in other.orderExpiries.unordered { orderExpiries.insert(entry) }
        for entry in other.tradeTimeouts.unordered { tradeTimeouts.insert(entry) }
        nextOrderNumber = max(nextOrderNumber, other.nextOrderNumber)
        fillCounter = max(fillCounter, other.fillCounter)
        lastClearedSlot = max(lastClearedSlot, other.lastClearedSlot)
        keepMarket(orders: { _ in true }, trades: { _ in true }, locks: { _ in true })
        height = 0
        self.instance = instance
    }

    /// Drops the open orders, trades and cross-shard locks the filters reject, with their expiry
    /// and timeout entries, and recomputes the market commitment from what is left (resolved
    /// locks stay on every part: a lock resolves once wherever its destination goes).
    private mutating func keepMarket(orders keepsOrder: (OpenOrder) -> Bool, trades keepsTrade: (TradeID) -> Bool,
                                     locks keepsLock: (OutboundLock) -> Bool) {
        openOrders = openOrders.filter { keepsOrder($0.value) }
        orderByTransaction = orderByTransaction.filter { openOrders[$0.value] != nil }
        trades = trades.filter { keepsTrade($0.key) }
        orderExpiries = Heap(orderExpiries.unordered.filter { openOrders[$0.number] != nil })
        tradeTimeouts = Heap(tradeTimeouts.unordered.filter { trades[$0.trade] != nil })
        marketCommitment = MultisetHash()
        for order in openOrders.values { marketCommitment.insert(order.digest) }
        for trade in trades.values { marketCommitment.insert(trade.digest) }
        outboundLocks = outboundLocks.filter { keepsLock($0.value) }
        for lock in outboundLocks.values { marketCommitment.insert(lock.digest) }
        for lock in resolvedInbound { marketCommitment.insert(Self.resolvedDigest(lock)) }
    }

    // MARK: Admission

    /// The clearing rule of continuous matching now: the configured one, or governance's choice
    /// when the configured rule is continuous.
    public var clearingRule: ClearingRule {
        guard configuration.clearingRule != .uniformPriceCall else { return .uniformPriceCall }
        return ClearingRule.continuous[Int(governance.parameters[.clearingRule])]
    }

    /// Why `transaction` could not apply on top of this state at `time`, in the block after the
    /// last one applied, or `nil` if it can. Reads only; the meter attestation's signature is
    /// checked through `verifier` (and charged).
    public func check(_ transaction: Transaction, at time: SimTime, verifier: SignatureVerifier,
                      work: inout WorkMeter) -> RejectionReason? {
        var clock = CheckClock(time)
        return check(transaction, clock: &clock, height: height + 1, verifier: verifier, work: &work)
    }

    /// The time a check runs at. Beyond the expiry test, every use goes through ``now()``, which
    /// marks the answer as depending on the time: otherwise it holds at any time before the
    /// transaction expires (what ``ExecutionCache`` shares between replicas).
    struct CheckClock {
        let expiryTest: SimTime
        private(set) var read = false

        init(_ time: SimTime) {
            expiryTest = time
        }

        mutating func now() -> SimTime {
            read = true
            return expiryTest
        }
    }

    func check(_ transaction: Transaction, clock: inout CheckClock, height: UInt64, verifier: SignatureVerifier,
               work: inout WorkMeter) -> RejectionReason? {
        if transaction.validUntil < clock.expiryTest { return .expired }
        if ledger.isCommitted(transaction.id, validUntil: transaction.validUntil) { return .replayed }
        guard transaction.fee >= .zero else { return .amountNotPositive }
        if !transaction.inputs.isEmpty, transaction.fee < governance.parameters.minimumFee { return .feeTooLow }
        if transaction.inputs.isEmpty, transaction.fee != .zero { return .insufficientFunds }
        switch transaction.kind {
        case .transfer(let inputs, let outputs):
            guard !inputs.isEmpty, !outputs.isEmpty else { return .amountNotPositive }
            return checkBalance(inputs: inputs, owner: transaction.signer, outputs: outputs,
                                required: AssetAmounts(), fee: transaction.fee)
        case .mint(let attestation):
            return checkMint(attestation, transaction: transaction, clock: &clock, verifier: verifier, work: &work)
        case .placeOrder(let terms, let inputs, let change):
            if let problem = checkTerms(terms, transaction: transaction, clock: &clock) { return problem }
            guard let escrow = terms.escrow else { return .overflow }
            var required = AssetAmounts()
            required[escrow.asset] = escrow.amount
            return checkBalance(inputs: inputs, owner: transaction.signer, outputs: change, required: required,
                                fee: transaction.fee)
        case .cancelOrder(let order):
            guard let number = orderByTransaction[order], let open = openOrders[number] else { return .unknownOrder }
            guard open.owner == transaction.signer else { return .notOwner }
            // Sent to the order's book: a region of its area (a cross-shard bid rests abroad).
            guard configuration.area(of: transaction.region) == open.area else { return .wrongRegion }
            return nil
        case .settleTrade(let id, let delivered):
            guard let trade = trades[id] else { return .unknownTrade }
            guard transaction.region == trade.sellerLocation.region else { return .wrongRegion }
            guard transaction.signer == ledger.parameters.gridOperator(of: trade.sellerLocation.region) else {
                return .notOperator
            }
            guard delivered >= .zero else { return .amountNotPositive }
            guard clock.now() >= trade.deliveryEnd else { return .settlementTooEarly }
            return nil
        case .propose(let proposal, let inputs, let change):
            if let problem = governance.check(proposal) { return problem }
            if proposal.change.parameter == .clearingRule, configuration.clearingRule == .uniformPriceCall {
                return .unsafeParameter
            }
            var required = AssetAmounts()
            required.payment = governance.rules.deposit.rawValue
            return checkBalance(inputs: inputs, owner: transaction.signer, outputs: change, required: required,
                                fee: transaction.fee)
        case .vote(let proposal, _):
            return governance.checkVote(on: proposal, by: transaction.signer, height: height)
        case .lockTransfer(let inputs, let change, let terms):
            guard commitVerifier != nil else { return .notSharded }
            guard terms.destination != transaction.region, terms.deadline > clock.now(), !terms.outputs.isEmpty else {
                return .invalidLock
            }
            if let order = terms.order {
                if let problem = checkTerms(order, transaction: transaction, clock: &clock) { return problem }
                let bid = LockTerms.bid(order, by: transaction.signer, in: terms.destination, deadline: terms.deadline)
                guard bid?.outputs == terms.outputs else { return .invalidLock }
            }
            let required: AssetAmounts
            switch LedgerState.sumOutputs(terms.outputs) {
            case .success(let sums): required = sums
            case .failure(let reason): return reason
            }
            return checkBalance(inputs: inputs, owner: transaction.signer, outputs: change, required: required,
                                fee: transaction.fee)
        case .creditTransfer(let lock, let evidence):
            guard let commitVerifier else { return .notSharded }
            guard let terms = lock.lockTerms else { return .badReceipt }
            guard transaction.region == terms.destination else { return .wrongRegion }
            guard !resolvedInbound.contains(lock.id) else { return .lockResolved }
            return proves(transaction, evidence, commitVerifier, verifier: verifier, work: &work) ? nil : .badReceipt
        case .settleLock(let credit, let evidence):
            guard let commitVerifier else { return .notSharded }
            guard case .creditTransfer(let lock, _) = credit.kind else { return .badReceipt }
            guard outboundLocks[lock.id] != nil else { return .unknownLock }
            guard transaction.region == lock.region else { return .wrongRegion }
            return proves(transaction, evidence, commitVerifier, verifier: verifier, work: &work) ? nil : .badReceipt
        }
    }

    /// Whether a relayed step's `evidence` shows the transaction it names in a finalized block:
    /// its Merkle path (remembered by the step, charged each time) and the commit certificate.
    private func proves(_ step: Transaction, _ evidence: InclusionEvidence, _ commitVerifier: any CommitVerifier,
                        verifier: SignatureVerifier, work: inout WorkMeter) -> Bool {
        work.hashes += evidence.path.steps.count + 1
        return step.evidenceIncludesSubject == true
            && commitVerifier.verifies(evidence.commitment, verifier: verifier, work: &work)
    }

    private func checkBalance(inputs: [OutPoint], owner: PublicKey, outputs: [TxOutput], required: AssetAmounts,
                              fee: MicroTokens) -> RejectionReason? {
        let inputSums: AssetAmounts
        switch ledger.sumInputs(inputs, owner: owner) {
        case .success(let sums): inputSums = sums
        case .failure(let reason): return reason
        }
        let outputSums: AssetAmounts
        switch LedgerState.sumOutputs(outputs) {
        case .success(let sums): outputSums = sums
        case .failure(let reason): return reason
        }
        for asset in Asset.allCases {
            var needed = outputSums[asset]
            guard let withRequired = needed.addingReportingOverflowResult(required[asset]) else { return .overflow }
            needed = withRequired
            if asset == .payment {
                guard let withFee = needed.addingReportingOverflowResult(fee.rawValue) else { return .overflow }
                needed = withFee
            }
            if inputSums[asset] < needed { return .insufficientFunds }
            if inputSums[asset] > needed { return .unbalanced }
        }
        return nil
    }

    private func checkMint(_ attestation: MeterAttestation, transaction: Transaction, clock: inout CheckClock,
                           verifier: SignatureVerifier, work: inout WorkMeter) -> RejectionReason? {
        guard attestation.energy > .zero else { return .amountNotPositive }
        guard transaction.signer == attestation.producer else { return .notOwner }
        guard transaction.region == attestation.location.region else { return .wrongRegion }
        guard attestation.gridOperator == ledger.parameters.gridOperator(of: attestation.location.region) else {
            return .notOperator
        }
        guard attestation.periodStart < attestation.periodEnd, attestation.periodEnd <= clock.now() else {
            return .badAttestation
        }
        if let registered = producerSources[attestation.producer], registered != attestation.source {
            return .badAttestation
        }
        let digest = attestation.digest
        guard !ledger.isAttestationUsed(digest) else { return .attestationReused }
        work.signaturesChecked += 1
        guard verifier.verify(attestation.signature, of: digest, by: attestation.gridOperator) else {
            return .badAttestation
        }
        return nil
    }

    private func checkTerms(_ terms: OrderTerms, transaction: Transaction, clock: inout CheckClock) -> RejectionReason? {
        let time = clock.now()
        guard terms.quantity > .zero, terms.price > .zero else { return .amountNotPositive }
        guard terms.location.region == transaction.region else { return .wrongRegion }
        guard terms.deliveryStart < terms.deliveryEnd, terms.deliveryEnd > time, terms.expiresAt > time else {
            return .invalidOrder
        }
        switch terms.side {
        case .buy:
            guard terms.source == .conventional else { return .invalidOrder }
        case .sell:
            guard producerSources[transaction.signer] == terms.source else { return .invalidOrder }
        }
        return nil
    }

    // MARK: Applying blocks

    /// Applies a block's transactions at `context`: block-start events (order expiries, trade
    /// timeouts, call auctions), each transaction, then the reward and fees to the proposer.
    /// In `.strict` mode the first failing transaction rolls the whole block back.
    public mutating func apply(_ transactions: [Transaction], context: BlockContext, mode: ApplyMode,
                               verifier: SignatureVerifier, work: inout WorkMeter) -> Result<BlockReceipt, BlockFailure> {
        lineage = 0
        let blockStart = savepoint
        events = Events()
        beginBlock(context, work: &work)
        var applied: [Transaction] = []
        var rejected: [(id: TransactionID, reason: RejectionReason)] = []
        var rejectedWork = WorkMeter()
        applied.reserveCapacity(transactions.count)
        var spentInBlock = Set<OutPoint>()
        for (index, transaction) in transactions.enumerated() {
            let workBefore = work
            work.transactionsApplied += 1
            var reason: RejectionReason?
            for input in transaction.inputs where spentInBlock.contains(input) {
                reason = .doubleSpendInBlock
                break
            }
            if reason == nil {
                var clock = CheckClock(context.timestamp)
                reason = check(transaction, clock: &clock, height: context.height, verifier: verifier, work: &work)
            }
            if let reason {
                switch mode {
                case .strict:
                    rollback(to: blockStart)
                    return .failure(BlockFailure(transactionIndex: index, transaction: transaction.id, reason: reason))
                case .assemble:
                    rejected.append((transaction.id, reason))
                    rejectedWork.add(work.subtracting(workBefore))
                    continue
                }
            }
            execute(transaction, index: applied.count, context: context, work: &work)
            spentInBlock.formUnion(transaction.inputs)
            applied.append(transaction)
        }
        endBlock(context)
        return .success(BlockReceipt(
            context: context, applied: applied, rejected: rejected, rejectedWork: rejectedWork, trades: events.trades,
            settlements: events.settlements, createdOutputs: events.createdOutputs,
            expiredOrders: events.expiredOrders, gridDecisions: events.gridDecisions, tallies: events.tallies,
            parameterChanges: events.parameterChanges, parameters: governance.parameters,
            crossShard: events.crossShard, stateRoot: stateRoot,
            savepoint: blockStart))
    }

    /// Undoes everything `receipt`'s block did.
    public mutating func rollback(_ receipt: BlockReceipt) {
        lineage = 0
        rollback(to: receipt.savepoint)
    }

    /// Makes `receipt`'s block permanent.
    public mutating func commit(_ receipt: BlockReceipt) {
        lineage = 0
        journal.removeAll()
        ledger.commit(pruningReplaysBefore: receipt.context.timestamp)
        for index in books.indices { books[index].commit() }
        governance.commit()
    }

    private var savepoint: ExchangeSavepoint {
        ExchangeSavepoint(ledger: ledger.savepoint, exchange: journal.count, books: books.map(\.savepoint),
                          governance: governance.savepoint, height: height)
    }

    private mutating func execute(_ transaction: Transaction, index: Int, context: BlockContext, work: inout WorkMeter) {
        outputOrigin = transaction.id
        nextOutputIndex = 0
        ledger.remember(transaction.id, validUntil: transaction.validUntil)
        for input in transaction.inputs {
            ledger.spend(input)
        }
        if transaction.fee > .zero {
            ledger.adjustEscrow(.payment, by: transaction.fee.rawValue)
            adjustFeePool(transaction.fee.rawValue)
        }
        switch transaction.kind {
        case .transfer(_, let outputs):
            for output in outputs { createOutput(output) }
        case .mint(let attestation):
            ledger.useAttestation(attestation.digest)
            ledger.recordMinted(.energy, attestation.energy.rawValue)
            if producerSources[attestation.producer] == nil {
                producerSources[attestation.producer] = attestation.source
                journal.append(.producerRegistered(attestation.producer))
            }
            createOutput(TxOutput(owner: attestation.producer, asset: .energy, amount: attestation.energy.rawValue))
        case .placeOrder(let terms, _, let change):
            for output in change { createOutput(output) }
            placeOrder(terms, id: transaction.id, owner: transaction.signer,
                       area: configuration.area(of: terms.location.region), context: context, work: &work)
        case .cancelOrder(let order):
            let number = orderByTransaction[order]!
            work.bookOperations += 1
            books[openOrders[number]!.area].remove(number)
            closeOrder(number)
        case .settleTrade(let id, let delivered):
            settle(trades[id]!, delivered: delivered, timedOut: false)
        case .propose(let proposal, _, let change):
            for output in change { createOutput(output) }
            ledger.adjustEscrow(.payment, by: governance.rules.deposit.rawValue)
            governance.open(transaction.id, proposer: transaction.signer, content: proposal, height: context.height,
                            weights: ledger.balances(of: .payment))
        case .vote(let proposal, let ballot):
            governance.vote(on: proposal, by: transaction.signer, ballot: ballot)
        case .lockTransfer(_, let change, let terms):
            for output in change { createOutput(output) }
            let amounts = terms.amounts
            for asset in Asset.allCases where amounts[asset] > 0 { ledger.adjustEscrow(asset, by: amounts[asset]) }
            let lock = OutboundLock(transaction: transaction.id, owner: transaction.signer, terms: terms)
            outboundLocks[transaction.id] = lock
            marketCommitment.insert(lock.digest)
            journal.append(.lockOpened(transaction.id))
            events.crossShard.append(.locked(lock: transaction.id, index: index))
        case .creditTransfer(let lock, _):
            let terms = lock.lockTerms!
            resolvedInbound.insert(lock.id)
            marketCommitment.insert(Self.resolvedDigest(lock.id))
            journal.append(.inboundResolved(lock.id))
            let credited = context.timestamp <= terms.deadline
            if credited {
                let amounts = terms.amounts
                if configuration.mutation != .creditUnrecorded {
                    for asset in Asset.allCases where amounts[asset] > 0 { ledger.recordImported(asset, amounts[asset]) }
                }
                if let order = terms.order, order.expiresAt > context.timestamp {
                    placeOrder(order, id: lock.id, owner: lock.signer, area: configuration.area(of: terms.destination),
                               context: context, work: &work)
                } else {
                    for output in terms.outputs { createOutput(output) }
                }
            }
            events.crossShard.append(.resolved(lock: lock.id, index: index, credited: credited))
        case .settleLock(let credit, let evidence):
            guard case .creditTransfer(let lockTransaction, _) = credit.kind,
                  let lock = outboundLocks.removeValue(forKey: lockTransaction.id) else {
                preconditionFailure("settling a lock that check did not find")
            }
            marketCommitment.remove(lock.digest)
            journal.append(.lockClosed(lock))
            let amounts = lock.terms.amounts
            let settledAt = configuration.mutation == .settleOwnClock ? context.timestamp : evidence.commitment.timestamp
            let credited = settledAt <= lock.terms.deadline
            for asset in Asset.allCases where amounts[asset] > 0 {
                ledger.adjustEscrow(asset, by: -amounts[asset])
                if credited { ledger.recordExported(asset, amounts[asset]) }
            }
            if !credited {
                for output in lock.terms.outputs {
                    createOutput(TxOutput(owner: lock.owner, asset: output.asset, amount: output.amount))
                }
            }
            events.crossShard.append(.settled(lock: lock.transaction, credited: credited))
        }
    }

    // MARK: Orders and matching

    /// Puts order `id` of `owner` on the book of `area` (its own region's, or a cross-shard
    /// bid's destination) and matches it: escrows it, fills what the book allows, rests the rest.
    private mutating func placeOrder(_ terms: OrderTerms, id: TransactionID, owner: PublicKey, area: Int,
                                     context: BlockContext, work: inout WorkMeter) {
        let escrow = terms.escrow!
        ledger.adjustEscrow(escrow.asset, by: escrow.amount)
        let number = nextOrderNumber
        nextOrderNumber += 1
        journal.append(.orderNumberTaken)
        let order = OpenOrder(number: number, transaction: id, owner: owner, terms: terms,
                              escrow: escrow.amount, area: area)
        openOrders[number] = order
        orderByTransaction[id] = number
        marketCommitment.insert(order.digest)
        journal.append(.orderOpened(number))
        orderExpiries.insert(ExpiryEntry(time: terms.expiresAt, number: number))

        var remaining = terms.quantity.rawValue
        work.bookOperations += 1
        // The book leaves the array while it matches, so the callback may change the rest of the state.
        var book = OrderBook()
        swap(&book, &books[area])
        if configuration.clearingRule != .uniformPriceCall {
            remaining = book.match(side: terms.side, price: terms.price.rawValue, quantity: remaining,
                                   candidateLimit: configuration.candidateLimit) { resting, proposed in
                work.bookOperations += 1
                let decision = self.tryFill(incoming: number, resting: resting.number, proposed: proposed,
                                            price: nil, time: context.timestamp)
                if case .fill = decision, proposed == resting.remaining { self.closeOrder(resting.number) }
                return decision
            }
        }
        if remaining > 0 {
            let sequence = book.takeSequence()
            book.rest(RestingOrder(number: number, side: terms.side, price: terms.price.rawValue,
                                   remaining: remaining, sequence: sequence))
        } else {
            closeOrder(number)
        }
        swap(&book, &books[area])
    }

    /// Decides one candidate pair: delivery windows must overlap (from now on), the grid must
    /// not reject, and the buyer's limit must cover the price plus any peak premium. On success
    /// the trade is recorded, escrow moves from both orders to the trade, and the grid books the
    /// path; the caller updates the book and closes an order it used up. `price` forces a price
    /// (call auctions); otherwise the clearing rule sets it.
    private mutating func tryFill(incoming: OrderNumber, resting: OrderNumber, proposed: Int64, price forced: Int64?,
                                  time: SimTime) -> OrderBook.CandidateDecision {
        let a = openOrders[incoming]!, b = openOrders[resting]!
        let (buy, sell) = a.terms.side == .buy ? (a, b) : (b, a)
        let start = max(buy.terms.deliveryStart, sell.terms.deliveryStart, time)
        let end = min(buy.terms.deliveryEnd, sell.terms.deliveryEnd)
        let request = GridTradeRequest(seller: sell.terms.location, buyer: buy.terms.location,
                                       energy: EnergyWh(proposed), deliveryStart: start, deliveryEnd: end,
                                       decidedAt: time)
        // Windows that do not overlap are the orders' own incompatibility, not a grid decision.
        guard start < end else { return .skip }
        let assessment = grid.assess(request)
        switch assessment.verdict {
        case .rejected(let reason):
            events.gridDecisions.rejected[reason, default: 0] += 1
            return .skip
        case .approved, .conditional:
            break
        }
        let price = forced ?? clearingRule.price(bid: buy.terms.price.rawValue, ask: sell.terms.price.rawValue)
        guard let value = MicroTokens.value(of: EnergyWh(proposed), at: MicroTokensPerKWh(price)) else { return .skip }
        let premium = value.share(assessment.premium)
        guard let limit = MicroTokens.value(of: EnergyWh(proposed), at: buy.terms.price),
              value + premium <= limit, value + premium <= MicroTokens(buy.escrow) else {
            return .skip
        }
        if assessment.premium > .zero {
            events.gridDecisions.conditional += 1
        } else {
            events.gridDecisions.approved += 1
        }
        let trade = Trade(
            id: Trade.identity(buy: buy.transaction, sell: sell.transaction, fill: fillCounter),
            buyOrder: buy.transaction, sellOrder: sell.transaction, buyer: buy.owner, seller: sell.owner,
            buyerLocation: buy.terms.location, sellerLocation: sell.terms.location,
            price: MicroTokensPerKWh(price), quantity: EnergyWh(proposed), value: value, premium: premium,
            loss: assessment.loss, deliveryStart: start, deliveryEnd: end, source: sell.terms.source,
            matchedAt: time)
        fillCounter += 1
        journal.append(.fillCounted)
        var updatedBuy = buy, updatedSell = sell
        updatedBuy.escrow -= (value + premium).rawValue
        updatedSell.escrow -= proposed
        precondition(updatedBuy.escrow >= 0 && updatedSell.escrow >= 0, "a fill overdrew an order's escrow")
        updateOrder(updatedBuy)
        updateOrder(updatedSell)
        trades[trade.id] = trade
        marketCommitment.insert(trade.digest)
        journal.append(.tradeOpened(trade.id))
        grid.reserve(trade.gridRequest, key: trade.id)
        journal.append(.gridReserved(trade.id))
        tradeTimeouts.insert(TimeoutEntry(time: end + ledger.parameters.settlementTimeout, trade: trade.id))
        events.trades.append(trade)
        return .fill(proposed)
    }

    /// Withdraws an order that no longer rests: refunds what is left of its escrow.
    private mutating func closeOrder(_ number: OrderNumber) {
        guard let order = openOrders.removeValue(forKey: number) else { preconditionFailure("closing a closed order") }
        orderByTransaction[order.transaction] = nil
        marketCommitment.remove(order.digest)
        journal.append(.orderClosed(order))
        if order.escrow > 0, let escrow = order.terms.escrow {
            ledger.adjustEscrow(escrow.asset, by: -order.escrow)
            createOutput(TxOutput(owner: order.owner, asset: escrow.asset, amount: order.escrow))
        }
    }

    private mutating func updateOrder(_ order: OpenOrder) {
        let old = openOrders[order.number]!
        marketCommitment.remove(old.digest)
        marketCommitment.insert(order.digest)
        openOrders[order.number] = order
        journal.append(.orderUpdated(old))
    }

    // MARK: Settlement

    /// Settles a trade with `delivered` Wh metered (capped at the quantity): the buyer gets the
    /// delivered energy minus its share of losses (burned), the seller the delivered share of the
    /// value minus the trading fee, the grid operator the delivered share of the premium; the
    /// buyer is refunded the rest of its payment, the seller the undelivered energy; renewable
    /// deliveries issue carbon credits to the buyer.
    private mutating func settle(_ trade: Trade, delivered reported: EnergyWh, timedOut: Bool) {
        let parameters = ledger.parameters
        let delivered = min(max(reported, .zero), trade.quantity)
        let quantity = trade.quantity.rawValue
        let sellerGross = trade.value.checkedScaled(by: delivered.rawValue, over: quantity)!
        let fee = sellerGross.share(governance.parameters.tradingFee)
        let refund = trade.value - sellerGross
        let premiumPaid = trade.premium.checkedScaled(by: delivered.rawValue, over: quantity)!
        let premiumRefund = trade.premium - premiumPaid
        let loss = trade.loss.checkedScaled(by: delivered.rawValue, over: quantity)!
        let energyToBuyer = delivered - min(loss, delivered)
        let burned = delivered - energyToBuyer
        let credits = trade.source.isRenewable ? parameters.credits(for: delivered) : .zero

        ledger.adjustEscrow(.energy, by: -quantity)
        ledger.adjustEscrow(.payment, by: -(trade.value + trade.premium).rawValue)
        createOutput(TxOutput(owner: trade.buyer, asset: .energy, amount: energyToBuyer.rawValue))
        if burned > .zero { ledger.recordBurned(.energy, burned.rawValue) }
        createOutput(TxOutput(owner: trade.seller, asset: .energy, amount: quantity - delivered.rawValue))
        createOutput(TxOutput(owner: trade.seller, asset: .payment, amount: (sellerGross - fee).rawValue))
        if fee > .zero {
            ledger.adjustEscrow(.payment, by: fee.rawValue)
            adjustFeePool(fee.rawValue)
        }
        createOutput(TxOutput(owner: trade.buyer, asset: .payment, amount: (refund + premiumRefund).rawValue))
        createOutput(TxOutput(owner: parameters.gridOperator(of: trade.sellerLocation.region), asset: .payment,
                              amount: premiumPaid.rawValue))
        if credits > .zero {
            ledger.recordMinted(.carbonCredit, credits.rawValue)
            createOutput(TxOutput(owner: trade.buyer, asset: .carbonCredit, amount: credits.rawValue))
        }
        trades[trade.id] = nil
        marketCommitment.remove(trade.digest)
        journal.append(.tradeClosed(trade))
        grid.release(key: trade.id)
        journal.append(.gridReleased(trade))
        events.settlements.append(Settlement(
            trade: trade.id, delivered: delivered, energyToBuyer: energyToBuyer, paidToSeller: sellerGross - fee,
            fee: fee, refundedToBuyer: refund + premiumRefund, premiumPaid: premiumPaid, creditsIssued: credits,
            timedOut: timedOut))
    }

    // MARK: Block start and end

    private mutating func beginBlock(_ context: BlockContext, work: inout WorkMeter) {
        height = context.height
        var eventIndex: UInt64 = 0
        func beginEvent(_ name: String) {
            var encoder = CanonicalEncoder()
            encoder.append(name)
            if instance > 0 { encoder.append(instance) }
            encoder.append(context.height)
            encoder.append(eventIndex)
            outputOrigin = encoder.blake2b
            nextOutputIndex = 0
            eventIndex += 1
        }
        while let due = orderExpiries.min, due.time <= context.timestamp {
            orderExpiries.removeMin()
            journal.append(.expiryPopped(due))
            guard let order = openOrders[due.number], order.terms.expiresAt == due.time else { continue }
            beginEvent("order-expiry")
            work.bookOperations += 1
            books[order.area].remove(due.number)
            closeOrder(due.number)
            events.expiredOrders += 1
        }
        while let due = tradeTimeouts.min, due.time <= context.timestamp {
            tradeTimeouts.removeMin()
            journal.append(.timeoutPopped(due))
            guard let trade = trades[due.trade],
                  trade.deliveryEnd + ledger.parameters.settlementTimeout == due.time else { continue }
            beginEvent("settlement-timeout")
            settle(trade, delivered: .zero, timedOut: true)
        }
        for tally in governance.closeVoting(before: context.height) {
            beginEvent("governance-tally")
            let deposit = governance.rules.deposit.rawValue
            ledger.adjustEscrow(.payment, by: -deposit)
            if tally.depositReturned {
                createOutput(TxOutput(owner: tally.proposer, asset: .payment, amount: deposit))
            } else {
                ledger.recordBurned(.payment, deposit)
            }
            events.tallies.append(tally)
        }
        events.parameterChanges = governance.execute(at: context.height)
        if configuration.clearingRule == .uniformPriceCall {
            let slot = context.timestamp.nanoseconds / configuration.slotLength.nanoseconds
            if slot > lastClearedSlot {
                journal.append(.slotCleared(previous: lastClearedSlot))
                lastClearedSlot = slot
                for area in books.indices {
                    beginEvent("call-auction")
                    runCallAuction(area: area, time: context.timestamp, work: &work)
                }
            }
        }
    }

    private mutating func endBlock(_ context: BlockContext) {
        var encoder = CanonicalEncoder()
        encoder.append("block-reward")
        if instance > 0 { encoder.append(instance) }
        encoder.append(context.height)
        outputOrigin = encoder.blake2b
        nextOutputIndex = 0
        let reward = ledger.parameters.blockReward.rawValue
        if reward > 0 { ledger.recordMinted(.payment, reward) }
        let fees = feePool
        if fees > 0 {
            ledger.adjustEscrow(.payment, by: -fees)
            adjustFeePool(-fees)
        }
        createOutput(TxOutput(owner: context.proposer, asset: .payment, amount: reward + fees))
    }

    /// The periodic uniform-price call auction of one area: bids best-first meet the cheapest
    /// compatible asks; the price is the midpoint of the lowest matched bid and the highest
    /// matched ask, dropping the last pairs until every matched bid is at or above every matched
    /// ask (and covers any premium). Unmatched orders keep resting.
    private mutating func runCallAuction(area: Int, time: SimTime, work: inout WorkMeter) {
        let bids = books[area].orders(.buy)
        var asks = books[area].orders(.sell)
        var pairs: [(bid: RestingOrder, ask: RestingOrder, quantity: Int64, premium: BasisPoints)] = []
        for var bid in bids {
            var examined = 0
            for askIndex in asks.indices where asks[askIndex].remaining > 0 && bid.remaining > 0 {
                guard asks[askIndex].price <= bid.price, examined < configuration.candidateLimit else { break }
                examined += 1
                work.bookOperations += 1
                let quantity = min(bid.remaining, asks[askIndex].remaining)
                guard let premium = auctionCompatibility(bid: bid.number, ask: asks[askIndex].number, quantity: quantity,
                                                         time: time) else { continue }
                pairs.append((bid, asks[askIndex], quantity, premium))
                bid.remaining -= quantity
                asks[askIndex].remaining -= quantity
            }
        }
        var price: Int64 = 0
        while !pairs.isEmpty {
            let lowestBid = pairs.map(\.bid.price).min()!
            let highestAsk = pairs.map(\.ask.price).max()!
            price = highestAsk + (lowestBid - highestAsk) / 2
            let consistent = lowestBid >= highestAsk && pairs.allSatisfy { pair in
                let value = MicroTokens.value(of: EnergyWh(pair.quantity), at: MicroTokensPerKWh(price))!
                return value + value.share(pair.premium)
                    <= MicroTokens.value(of: EnergyWh(pair.quantity), at: MicroTokensPerKWh(pair.bid.price))!
            }
            if consistent { break }
            pairs.removeLast()
        }
        for pair in pairs {
            let bidRemaining = books[area].order(pair.bid.number)!.remaining
            let askRemaining = books[area].order(pair.ask.number)!.remaining
            guard case .fill = tryFill(incoming: pair.bid.number, resting: pair.ask.number, proposed: pair.quantity,
                                       price: price, time: time) else { continue }
            if pair.quantity < askRemaining {
                books[area].reduce(pair.ask.number, by: pair.quantity)
            } else {
                books[area].remove(pair.ask.number)
                closeOrder(pair.ask.number)
            }
            if pair.quantity < bidRemaining {
                books[area].reduce(pair.bid.number, by: pair.quantity)
            } else {
                books[area].remove(pair.bid.number)
                closeOrder(pair.bid.number)
            }
        }
    }

    /// Whether a bid and an ask may trade in a call auction; the grid's premium if so.
    private func auctionCompatibility(bid: OrderNumber, ask: OrderNumber, quantity: Int64,
                                      time: SimTime) -> BasisPoints? {
        let buy = openOrders[bid]!, sell = openOrders[ask]!
        let start = max(buy.terms.deliveryStart, sell.terms.deliveryStart, time)
        let end = min(buy.terms.deliveryEnd, sell.terms.deliveryEnd)
        guard start < end else { return nil }
        let assessment = grid.assess(GridTradeRequest(
            seller: sell.terms.location, buyer: buy.terms.location, energy: EnergyWh(quantity), deliveryStart: start,
            deliveryEnd: end, decidedAt: time))
        return assessment.isRejected ? nil : assessment.premium
    }

    // MARK: Journal

    private mutating func createOutput(_ output: TxOutput) {
        guard output.amount > 0 else { return }
        let outPoint = OutPoint(transaction: outputOrigin, index: nextOutputIndex)
        nextOutputIndex += 1
        ledger.create(output, at: outPoint)
        events.createdOutputs.append((outPoint, output))
    }

    private mutating func adjustFeePool(_ amount: Int64) {
        feePool += amount
        journal.append(.feePool(amount))
    }

    private mutating func rollback(to savepoint: ExchangeSavepoint) {
        while journal.count > savepoint.exchange {
            switch journal.removeLast() {
            case .orderOpened(let number):
                let order = openOrders.removeValue(forKey: number)!
                orderByTransaction[order.transaction] = nil
                marketCommitment.remove(order.digest)
            case .orderUpdated(let old):
                marketCommitment.remove(openOrders[old.number]!.digest)
                marketCommitment.insert(old.digest)
                openOrders[old.number] = old
            case .orderClosed(let order):
                openOrders[order.number] = order
                orderByTransaction[order.transaction] = order.number
                marketCommitment.insert(order.digest)
            case .tradeOpened(let id):
                marketCommitment.remove(trades.removeValue(forKey: id)!.digest)
            case .tradeClosed(let trade):
                trades[trade.id] = trade
                marketCommitment.insert(trade.digest)
            case .gridReserved(let id):
                grid.release(key: id)
            case .gridReleased(let trade):
                grid.reserve(trade.gridRequest, key: trade.id)
            case .feePool(let amount):
                feePool -= amount
            case .orderNumberTaken:
                nextOrderNumber -= 1
            case .fillCounted:
                fillCounter -= 1
            case .producerRegistered(let producer):
                producerSources[producer] = nil
            case .slotCleared(let previous):
                lastClearedSlot = previous
            case .expiryPopped(let entry):
                orderExpiries.insert(entry)
            case .timeoutPopped(let entry):
                tradeTimeouts.insert(entry)
            case .lockOpened(let id):
                marketCommitment.remove(outboundLocks.removeValue(forKey: id)!.digest)
            case .lockClosed(let lock):
                outboundLocks[lock.transaction] = lock
                marketCommitment.insert(lock.digest)
            case .inboundResolved(let id):
                resolvedInbound.remove(id)
                marketCommitment.remove(Self.resolvedDigest(id))
            }
        }
        for index in books.indices { books[index].rollback(to: savepoint.books[index]) }
        governance.rollback(to: savepoint.governance)
        ledger.rollback(to: savepoint.ledger)
        height = savepoint.height
    }
}
