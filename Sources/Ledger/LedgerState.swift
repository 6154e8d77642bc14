import DequeModule
import GridCore

/// The UTXO set of the three assets, the escrow and supply totals that make conservation
/// checkable, the replay window and the used meter attestations.
///
/// Every mutation goes through a method that records its inverse in a journal, so any prefix
/// of work — one transaction, a whole block — can be rolled back exactly (``rollback(to:)``).
/// The journal is emptied when a block is committed (``commit()``).
///
/// Conservation (checked by ``conservationViolations()``): for every asset,
/// unspent + escrowed = created − burned + imported − exported (the last two: cross-shard
/// transfers in and out), and the unspent total equals the sum over the set.
public struct LedgerState: Sendable {
    enum Entry: Sendable {
        case created(OutPoint, TxOutput)
        case spent(OutPoint, TxOutput)
        case escrowed(Asset, Int64)
        case minted(Asset, Int64)
        case burned(Asset, Int64)
        case imported(Asset, Int64)
        case exported(Asset, Int64)
        case remembered(TransactionID, validUntil: SimTime)
        case attestationUsed(Digest32)
    }

    public let parameters: LedgerParameters
    public private(set) var outputs = ChunkedMap<OutPoint, TxOutput>()
    public private(set) var unspentTotals = AssetAmounts()
    public private(set) var escrowTotals = AssetAmounts()
    public private(set) var createdTotals = AssetAmounts()
    public private(set) var burnedTotals = AssetAmounts()
    /// Supply credited here by cross-shard transfers from other shards, and sent to them.
    public private(set) var importedTotals = AssetAmounts()
    public private(set) var exportedTotals = AssetAmounts()
    /// The replay window: committed transaction ids, each with the end of its validity, by the
    /// second that end falls in (`replayWindow[i]` holds second `firstReplaySecond + i`). A
    /// block adds to the seconds about one validity ahead and pruning drops whole seconds, so a
    /// copy of the window shares all but the seconds it changes.
    private var replayWindow: Deque<[TransactionID: SimTime]> = []
    private var firstReplaySecond: Int64 = 0
    private var rememberedCount = 0
    private var usedAttestations = ChunkedSet<Digest32>()
    private var outputCommitment = MultisetHash()
    private var attestationCommitment = MultisetHash()
    private var journal: [Entry] = []

    public init(parameters: LedgerParameters) {
        self.parameters = parameters
    }

    /// A committed ledger holding `genesis` as created supply, output `i` at
    /// `OutPoint(transaction: origin, index: i)`. Nothing rolls genesis back, so it writes no
    /// journal: two entries per output had doubled a large genesis's peak memory (12 million
    /// outputs, 30,000 households of 400 coins, peaked at 6.4 GB).
    ///
    /// Complexity: O(genesis).
    public init(parameters: LedgerParameters, genesis: [TxOutput], origin: TransactionID) {
        self.parameters = parameters
        outputs.reserveCapacity(genesis.count)
        for (index, output) in genesis.enumerated() {
            insert(output, at: OutPoint(transaction: origin, index: UInt32(index)))
            createdTotals[output.asset] += output.amount
        }
    }

    // MARK: Queries

    public func output(at outPoint: OutPoint) -> TxOutput? { outputs[outPoint] }

    /// Whether the transaction with this id, valid until `validUntil` (which its id commits
    /// to), was committed and is still inside its replay window.
    public func isCommitted(_ id: TransactionID, validUntil: SimTime) -> Bool {
        replaySecond(of: validUntil).map { replayWindow[$0][id] != nil } ?? false
    }

    /// Committed transaction ids remembered against replay.
    public var rememberedTransactionCount: Int { rememberedCount }

    /// Every owner's unspent balance of `asset` (owners with none left out).
    ///
    /// Complexity: O(unspent outputs).
    public func balances(of asset: Asset) -> [PublicKey: Int64] {
        var balances: [PublicKey: Int64] = [:]
        for output in outputs.values where output.asset == asset { balances[output.owner, default: 0] += output.amount }
        return balances
    }

    public func isAttestationUsed(_ digest: Digest32) -> Bool { usedAttestations.contains(digest) }

    /// The mark to pass to ``rollback(to:)``.
    public var savepoint: Int { journal.count }

    /// The ledger's part of the state root: Merkle root over the output-set commitment, the
    /// attestation commitment and the totals.
    public var commitments: [Digest32] {
        var totals = CanonicalEncoder()
        for amounts in [unspentTotals, escrowTotals, createdTotals, burnedTotals, importedTotals, exportedTotals] {
            for asset in Asset.allCases { totals.append(amounts[asset]) }
        }
        return [outputCommitment.digest, attestationCommitment.digest, totals.blake2b]
    }

    /// Sums `inputs` by asset, checking each exists, belongs to `owner` and appears once.
    public func sumInputs(_ inputs: [OutPoint], owner: PublicKey) -> Result<AssetAmounts, RejectionReason> {
        var sums = AssetAmounts()
        // A transaction spends a few inputs: comparing them pairwise beats hashing them into a set.
        var seen = inputs.count > 16 ? Set<OutPoint>() : nil
        for (position, input) in inputs.enumerated() {
            let repeated = seen != nil ? !seen!.insert(input).inserted : inputs[..<position].contains(input)
            guard !repeated else { return .failure(.doubleSpendInBlock) }
            guard let output = outputs[input] else { return .failure(.unknownInput) }
            guard output.owner == owner else { return .failure(.notOwner) }
            guard let sum = sums[output.asset].addingReportingOverflowResult(output.amount) else {
                return .failure(.overflow)
            }
            sums[output.asset] = sum
        }
        return .success(sums)
    }

    /// Sums `outputs` by asset, checking every amount is positive.
    public static func sumOutputs(_ outputs: [TxOutput]) -> Result<AssetAmounts, RejectionReason> {
        var sums = AssetAmounts()
        for output in outputs {
            guard output.amount > 0 else { return .failure(.amountNotPositive) }
            guard let sum = sums[output.asset].addingReportingOverflowResult(output.amount) else {
                return .failure(.overflow)
            }
            sums[output.asset] = sum
        }
        return .success(sums)
    }

    // MARK: Journaled mutations

    /// Removes an unspent output and returns it.
    @discardableResult
    public mutating func spend(_ outPoint: OutPoint) -> TxOutput {
        guard let output = outputs.removeValue(forKey: outPoint) else {
            preconditionFailure("spending missing output \(outPoint)")
        }
        unspentTotals[output.asset] -= output.amount
        outputCommitment.remove(Self.entryDigest(outPoint, output))
        journal.append(.spent(outPoint, output))
        return output
    }

    /// Adds an unspent output.
    public mutating func create(_ output: TxOutput, at outPoint: OutPoint) {
        insert(output, at: outPoint)
        journal.append(.created(outPoint, output))
    }

    private mutating func insert(_ output: TxOutput, at outPoint: OutPoint) {
        precondition(output.amount > 0, "outputs are positive")
        let replaced = outputs.updateValue(output, forKey: outPoint)
        precondition(replaced == nil, "output \(outPoint) already exists")
        unspentTotals[output.asset] += output.amount
        outputCommitment.insert(Self.entryDigest(outPoint, output))
    }

    /// Moves `amount` of spent inputs into escrow (positive) or out of escrow toward new outputs
    /// (negative).
    public mutating func adjustEscrow(_ asset: Asset, by amount: Int64) {
        escrowTotals[asset] += amount
        precondition(escrowTotals[asset] >= 0, "escrow of \(asset) went negative")
        journal.append(.escrowed(asset, amount))
    }

    /// Records newly created supply (metered minting, block rewards, credit issuance, genesis).
    public mutating func recordMinted(_ asset: Asset, _ amount: Int64) {
        precondition(amount >= 0)
        createdTotals[asset] += amount
        journal.append(.minted(asset, amount))
    }

    /// Records supply destroyed (transmission losses).
    public mutating func recordBurned(_ asset: Asset, _ amount: Int64) {
        precondition(amount >= 0)
        burnedTotals[asset] += amount
        journal.append(.burned(asset, amount))
    }

    /// Records supply a cross-shard transfer brought in from another shard.
    public mutating func recordImported(_ asset: Asset, _ amount: Int64) {
        precondition(amount >= 0)
        importedTotals[asset] += amount
        journal.append(.imported(asset, amount))
    }

    /// Records supply a cross-shard transfer delivered to another shard.
    public mutating func recordExported(_ asset: Asset, _ amount: Int64) {
        precondition(amount >= 0)
        exportedTotals[asset] += amount
        journal.append(.exported(asset, amount))
    }

    /// Created − burned + imported − exported of `asset`: what this ledger should hold.
    public func supply(of asset: Asset) -> Int64 {
        createdTotals[asset] - burnedTotals[asset] + importedTotals[asset] - exportedTotals[asset]
    }

    /// Opens the replay window for a committed transaction.
    public mutating func remember(_ id: TransactionID, validUntil: SimTime) {
        precondition(!isCommitted(id, validUntil: validUntil), "transaction remembered twice")
        addReplayEntry(id, validUntil: validUntil)
        journal.append(.remembered(id, validUntil: validUntil))
    }

    public mutating func useAttestation(_ digest: Digest32) {
        precondition(usedAttestations.insert(digest), "attestation used twice")
        attestationCommitment.insert(digest)
        journal.append(.attestationUsed(digest))
    }

    /// Undoes every mutation after `savepoint`, newest first.
    public mutating func rollback(to savepoint: Int) {
        precondition(savepoint <= journal.count)
        while journal.count > savepoint {
            switch journal.removeLast() {
            case .created(let outPoint, let output):
                outputs[outPoint] = nil
                unspentTotals[output.asset] -= output.amount
                outputCommitment.remove(Self.entryDigest(outPoint, output))
            case .spent(let outPoint, let output):
                outputs[outPoint] = output
                unspentTotals[output.asset] += output.amount
                outputCommitment.insert(Self.entryDigest(outPoint, output))
            case .escrowed(let asset, let amount):
                escrowTotals[asset] -= amount
            case .minted(let asset, let amount):
                createdTotals[asset] -= amount
            case .burned(let asset, let amount):
                burnedTotals[asset] -= amount
            case .imported(let asset, let amount):
                importedTotals[asset] -= amount
            case .exported(let asset, let amount):
                exportedTotals[asset] -= amount
            case .remembered(let id, let validUntil):
                replayWindow[replaySecond(of: validUntil)!][id] = nil
                rememberedCount -= 1
            case .attestationUsed(let digest):
                usedAttestations.remove(digest)
                attestationCommitment.remove(digest)
            }
        }
    }

    /// Makes everything applied so far permanent and forgets replay entries that expired
    /// before `time` (a transaction valid only until then can no longer be included anyway).
    public mutating func commit(pruningReplaysBefore time: SimTime) {
        // The storage goes too. A state is mostly shared with other replicas and snapshots, and
        // a shared array keeps its capacity when copied: emptying it "keeping capacity", and
        // the next block's first entry, would each allocate a journal as large as the largest
        // yet (the genesis's, a quarter of a million entries in the stress run).
        journal.removeAll()
        let second = Self.second(of: time)
        while let oldest = replayWindow.first, firstReplaySecond < second {
            rememberedCount -= oldest.count
            replayWindow.removeFirst()
            firstReplaySecond += 1
        }
        if firstReplaySecond == second, let head = replayWindow.first, head.values.contains(where: { $0 < time }) {
            replayWindow[0] = head.filter { $0.value >= time }
            rememberedCount -= head.count - replayWindow[0].count
        }
    }

    /// The index in `replayWindow` of the second `validUntil` falls in, if the window has it.
    private func replaySecond(of validUntil: SimTime) -> Int? {
        let offset = Self.second(of: validUntil) - firstReplaySecond
        return offset >= 0 && offset < Int64(replayWindow.count) ? Int(offset) : nil
    }

    /// Opens the replay window of `id` until `validUntil` (no journal entry: callers journal).
    private mutating func addReplayEntry(_ id: TransactionID, validUntil: SimTime) {
        let second = Self.second(of: validUntil)
        if replayWindow.isEmpty { firstReplaySecond = second }
        while second < firstReplaySecond {
            replayWindow.prepend([:])
            firstReplaySecond -= 1
        }
        while firstReplaySecond + Int64(replayWindow.count) <= second { replayWindow.append([:]) }
        replayWindow[Int(second - firstReplaySecond)][id] = validUntil
        rememberedCount += 1
    }

    /// The whole second `time` falls in (rounding down, also before zero).
    private static func second(of time: SimTime) -> Int64 {
        let (quotient, remainder) = time.nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    // MARK: Resharding

    /// Splits a committed ledger in two: the outputs whose owner `moves` go to the second part,
    /// with `movedEscrow` of the escrow (what the moved orders and trades hold). Each part stays
    /// conserved on its own: the moved part counts what it holds as created, the kept part
    /// gives up as much created supply, so the two sum to this ledger's totals exactly. Both
    /// keep the replay window and the used attestations, so nothing replays on either side.
    ///
    /// Complexity: O(outputs + remembered transactions).
    public func splitting(movingOwners moves: (PublicKey) -> Bool, movedEscrow: AssetAmounts)
        -> (kept: LedgerState, moved: LedgerState) {
        precondition(journal.isEmpty, "only a committed ledger splits")
        var kept = self
        var moved = LedgerState(parameters: parameters)
        moved.replayWindow = replayWindow
        moved.firstReplaySecond = firstReplaySecond
        moved.rememberedCount = rememberedCount
        moved.usedAttestations = usedAttestations
        moved.attestationCommitment = attestationCommitment
        // Both parts get output tables of their own size: a part that kept the whole table's
        // capacity would copy all of it at its first change on every node that holds it.
        let moving = outputs.map { moves($0.value.owner) }
        let movingCount = moving.reduce(0) { $0 + ($1 ? 1 : 0) }
        var keptOutputs = ChunkedMap<OutPoint, TxOutput>(minimumCapacity: outputs.count - movingCount)
        var movedOutputs = ChunkedMap<OutPoint, TxOutput>(minimumCapacity: movingCount)
        for ((outPoint, output), moves) in zip(outputs, moving) {
            guard moves else {
                keptOutputs[outPoint] = output
                continue
            }
            kept.unspentTotals[output.asset] -= output.amount
            kept.outputCommitment.remove(Self.entryDigest(outPoint, output))
            movedOutputs[outPoint] = output
            moved.unspentTotals[output.asset] += output.amount
            moved.outputCommitment.insert(Self.entryDigest(outPoint, output))
        }
        kept.outputs = keptOutputs
        moved.outputs = movedOutputs
        for asset in Asset.allCases {
            precondition(movedEscrow[asset] >= 0 && movedEscrow[asset] <= escrowTotals[asset], "moving more escrow than held")
            moved.escrowTotals[asset] = movedEscrow[asset]
            moved.createdTotals[asset] = moved.unspentTotals[asset] + movedEscrow[asset]
            kept.escrowTotals[asset] -= movedEscrow[asset]
            kept.createdTotals[asset] -= moved.createdTotals[asset]
        }
        return (kept, moved)
    }

    /// Joins a committed ledger split off earlier (or any with disjoint outputs) into this one:
    /// outputs, totals, replay window and attestations are the union. The inverse of
    /// ``splitting(movingOwners:movedEscrow:)``.
    ///
    /// Complexity: O(size of `other`) plus O(used attestations) to recommit them.
    public mutating func absorb(_ other: LedgerState) {
        precondition(journal.isEmpty && other.journal.isEmpty, "only committed ledgers merge")
        for (outPoint, output) in other.outputs {
            precondition(outputs[outPoint] == nil, "output \(outPoint) is on both sides of a merge")
            outputs[outPoint] = output
            outputCommitment.insert(Self.entryDigest(outPoint, output))
        }
        unspentTotals += other.unspentTotals
        escrowTotals += other.escrowTotals
        createdTotals += other.createdTotals
        burnedTotals += other.burnedTotals
        importedTotals += other.importedTotals
        exportedTotals += other.exportedTotals
        for second in other.replayWindow {
            for (id, validUntil) in second where !isCommitted(id, validUntil: validUntil) {
                addReplayEntry(id, validUntil: validUntil)
            }
        }
        usedAttestations.formUnion(other.usedAttestations)
        attestationCommitment = MultisetHash()
        for digest in usedAttestations { attestationCommitment.insert(digest) }
    }

    // MARK: Invariants

    /// Broken conservation laws, empty when all hold. Recounts the whole output set: O(n).
    public func conservationViolations() -> [String] {
        var problems: [String] = []
        var recount = AssetAmounts()
        for output in outputs.values { recount[output.asset] += output.amount }
        for asset in Asset.allCases {
            if recount[asset] != unspentTotals[asset] {
                problems.append("\(asset): outputs sum to \(recount[asset]) but the running total is \(unspentTotals[asset])")
            }
            let held = unspentTotals[asset] + escrowTotals[asset]
            if held != supply(of: asset) {
                problems.append("\(asset): unspent \(unspentTotals[asset]) + escrowed \(escrowTotals[asset]) = \(held), but created \(createdTotals[asset]) − burned \(burnedTotals[asset]) + imported \(importedTotals[asset]) − exported \(exportedTotals[asset]) = \(supply(of: asset))")
            }
            if escrowTotals[asset] < 0 { problems.append("\(asset): negative escrow \(escrowTotals[asset])") }
        }
        return problems
    }

    static func entryDigest(_ outPoint: OutPoint, _ output: TxOutput) -> Digest32 {
        Blake2b.hash(capacity: 80) { encoder in
            encoder.append(outPoint.transaction)
            encoder.append(outPoint.index)
            encoder.append(output.owner.bytes)
            encoder.append(output.asset.rawValue)
            encoder.append(output.amount)
        }
    }
}

extension Int64 {
    /// `self + other`, or `nil` on overflow.
    @inlinable
    public func addingReportingOverflowResult(_ other: Int64) -> Int64? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }
}
