import Consensus
import Grid
import GridCore
import Ledger
import Market

/// The replicated state every node applies blocks to.
public typealias ChainState = ExchangeState<GridState>

/// Static configuration of a validator node.
public struct NodeConfiguration: Sendable {
    public var consensus: ConsensusParameters
    /// The block store is synced every this many committed blocks (writes in between are lost
    /// in a crash; the signing record is always synced before a vote leaves).
    public var storageSyncEvery: UInt64
    /// Blocks per block-sync response.
    public var syncBatch: Int
    /// How long to wait for a block-sync answer before asking another peer.
    public var syncRetry: SimDuration
    /// `nil` for an honest validator.
    public var behaviour: ByzantineBehaviour?
    /// Most transactions the mempool holds before admission refuses new ones with
    /// `mempool_full` (see ``Mempool/hasRoom(for:)``); `nil`: no limit.
    public var mempoolLimit: Int?

    public init(consensus: ConsensusParameters, storageSyncEvery: UInt64 = 10, syncBatch: Int = 50,
                syncRetry: SimDuration = .seconds(1), behaviour: ByzantineBehaviour? = nil, mempoolLimit: Int? = nil) {
        precondition(storageSyncEvery > 0 && syncBatch > 0)
        self.consensus = consensus
        self.storageSyncEvery = storageSyncEvery
        self.syncBatch = syncBatch
        self.syncRetry = syncRetry
        self.behaviour = behaviour
        self.mempoolLimit = mempoolLimit
    }
}

/// One validator: the chain state (ledger, market, grid bookings), a mempool and the consensus
/// engine, behind ``NodeInput`` and ``NodeEffect``. It reads no clock and sends nothing itself;
/// the simulator (or, one day, a networked driver) delivers inputs and carries out effects.
///
/// Admission checks a client transaction's signature, its conflicts with waiting transactions
/// and its validity on the committed state. A proposer assembles its block by applying waiting
/// transactions and rolling them back, leaving out those that no longer apply (reported with
/// their reason). A block is valid only if it applies; the last block validated stays applied
/// (speculatively) and is committed as it is when it is the one finalized. Admission checks run
/// against that latest state. Finalized blocks are stored and served to peers that fall behind
/// (block sync). A Byzantine node runs the same code and then
/// rewrites its own outgoing messages according to its ``ByzantineBehaviour``.
public final class ValidatorNode {
    public let id: NodeID
    private let keyPair: KeyPair
    private let configuration: NodeConfiguration
    private let verifier: SignatureVerifier
    private let peers: [NodeID]
    /// Every validator's key, by id (keys never change; stake does, inside consensus).
    private let validatorKeys: [PublicKey]
    /// What the Byzantine validators of a run know together (nil for honest ones).
    private let collusion: Collusion?
    private var consensus: Tendermint
    private var mempool: Mempool
    public private(set) var state: ChainState
    /// A block applied to `state` and not yet committed.
    private struct Speculation {
        /// The block's hash; `nil` for this node's own assembly until consensus proposes it.
        var hash: Digest32?
        var receipt: BlockReceipt
        /// The state before the block when it is shared with other replicas (restoring it undoes
        /// the block at O(1)); otherwise `nil`, and the block is rolled back (holding a copy of an
        /// unshared state would make applying the block copy all of it).
        var before: ChainState?
        /// What applying the block strictly counts (an assembly also counts the transactions
        /// it left out).
        var work: WorkMeter
    }

    /// The last block validated, still applied to `state` (a proposal is usually the block that
    /// gets finalized: committing it then costs nothing more), or the block this node assembled
    /// as proposer (its validation of its own block takes the assembly instead of executing the
    /// block again). Undone before anything else is applied.
    private var speculative: Speculation?
    /// Block execution shared with the other in-process replicas; `nil`: this node executes
    /// every block itself.
    private let execution: ExecutionCache<GridState>?
    /// Every block this node finalized, in height order.
    public private(set) var chain: [CommittedRecord] = []
    private var actions: [ConsensusAction] = []
    /// The actions being carried out (see `drainActions`); empty in between.
    private var drained: [ConsensusAction] = []
    private var syncOutstanding = false
    /// A split-amnesia validator's last first-round proposal (see ``ByzantineBehaviour/splitAmnesia``).
    private var splitProposal: Digest32?
    private var syncAttempt: UInt32 = 0
    /// The node clock's reading at the input being handled: where the `local-clock` mutation
    /// executes blocks.
    private var inputTime = SimTime.zero

    /// The height this node is deciding.
    public var height: UInt64 { consensus.height }
    public var round: UInt32 { consensus.round }
    /// Transactions waiting in this node's mempool.
    public var mempoolCount: Int { mempool.count }
    /// The transactions waiting in this node's mempool, in arrival order: what a crash loses.
    public var waitingTransactions: [Transaction] { mempool.waitingInArrivalOrder }

    /// Transactions in the blocks this node stores.
    public private(set) var storedTransactionCount = 0

    /// The memory model: what this node's state would take in a real validator's RAM, from what
    /// it holds. The per-item sizes are estimates (key + value + hash-table overhead of the Swift
    /// types, rounded up), not measurements:
    /// unspent output 160 B, remembered transaction id 48 B, open order 240 B, open trade 320 B,
    /// waiting transaction 400 B, stored block 200 B + 300 B per transaction.
    ///
    /// Complexity: O(1).
    public var modelledMemoryBytes: Int64 {
        let ledger = state.ledger
        var bytes = Int64(ledger.outputs.count) * 160 + Int64(ledger.rememberedTransactionCount) * 48
        bytes += Int64(state.openOrderCount) * 240 + Int64(state.openTradeCount) * 320
        bytes += Int64(mempool.count) * 400
        bytes += Int64(chain.count) * 200 + Int64(storedTransactionCount) * 300
        return bytes
    }
    public var registry: ValidatorRegistry { consensus.registry }

    /// The state after the last finalized block: `state` without the speculatively applied
    /// proposal, if any (what a reshard hands to the next committees).
    public var committedState: ChainState {
        guard let speculation = speculative else { return state }
        if let before = speculation.before { return before }
        var committed = state
        committed.rollback(speculation.receipt)
        return committed
    }
    public var behaviour: ByzantineBehaviour? { configuration.behaviour }

    public init(id: NodeID, validators: ValidatorSet, keyPair: KeyPair, configuration: NodeConfiguration,
                verifier: SignatureVerifier, execution: ExecutionCache<GridState>? = nil, genesis: ChainState,
                collusion: Collusion? = nil) {
        self.execution = execution
        self.id = id
        self.collusion = configuration.behaviour == nil ? nil : collusion
        self.keyPair = keyPair
        self.configuration = configuration
        self.verifier = verifier
        self.state = genesis
        self.mempool = Mempool(limit: configuration.mempoolLimit)
        self.peers = validators.members.map(\.id).filter { $0 != id }
        self.validatorKeys = validators.members.map(\.publicKey)
        self.consensus = Tendermint(me: id, keyPair: keyPair, validators: validators, parameters: configuration.consensus)
    }

    /// Starts consensus at `now` (node clock).
    public func start(at now: SimTime, effects: inout [NodeEffect]) {
        inputTime = now
        consensus.start(at: now, actions: &actions)
        var work = WorkMeter()
        drainActions(at: now, work: &work, effects: &effects)
    }

    /// Rebuilds the node after a restart from what its storage kept: the synced blocks (replayed
    /// through the chain state, every commit certificate checked again) and the signing record.
    public func restore(from records: [CommittedRecord], signing: SigningRecord?, at now: SimTime,
                        work: inout WorkMeter) {
        inputTime = now
        var effects: [NodeEffect] = []
        for record in records {
            guard consensus.fastForward(record.block, commit: record.commit, at: now, verifier: verifier, work: &work,
                                        hooks: hooks, actions: &actions) else { break }
            drainActions(at: now, work: &work, effects: &effects)
        }
        consensus.restore(signing)
        actions.removeAll()
    }

    /// Handles one input at `now` (node clock), counting the work done and appending effects.
    public func handle(_ input: NodeInput, now: SimTime, work: inout WorkMeter, effects: inout [NodeEffect]) {
        inputTime = now
        work.messages += 1
        switch input {
        case .client(let transaction), .handover(let transaction):
            let handover = if case .handover = input { true } else { false }
            if let reason = admit(transaction, at: now, work: &work, beyondLimit: handover) {
                effects.append(.rejected(transaction.id, reason))
            } else {
                effects.append(.admitted(transaction.id))
                effects.append(.gossip(transaction, relayedFrom: nil))
            }
        case .message(let from, .transaction(let transaction)):
            if admit(transaction, at: now, work: &work) == nil { effects.append(.gossip(transaction, relayedFrom: from)) }
        case .message(let from, .proposal(let proposal)):
            noteHeight(proposal.height, from: from, at: now, effects: &effects)
            consensus.receive(proposal, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        case .message(_, .vote(let vote)) where splitProposal != nil && vote.blockHash == splitProposal
            && vote.kind == .precommit && vote.round == 0:
            // A split-amnesia proposer stays at the height past the first round, so as not to
            // announce the block its targeted precommit may have let one peer finalize.
            break
        case .message(let from, .vote(let vote)):
            noteHeight(vote.height, from: from, at: now, effects: &effects)
            consensus.receive(vote, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        case .message(let from, .syncRequest(let fromHeight)):
            let start = Int(fromHeight) - 1
            if start >= 0, start < chain.count {
                effects.append(.send(to: [from], .syncResponse(Array(chain[start..<min(chain.count, start + configuration.syncBatch)]))))
            }
        case .message(let from, .syncResponse(let records)):
            syncOutstanding = false
            var advanced = false
            for record in records where record.block.height == consensus.height {
                guard consensus.fastForward(record.block, commit: record.commit, at: now, verifier: verifier,
                                            work: &work, hooks: hooks, actions: &actions) else { break }
                drainActions(at: now, work: &work, effects: &effects)
                advanced = true
            }
            if advanced, records.count == configuration.syncBatch { requestSync(from: from, at: now, effects: &effects) }
        case .timer(.consensus(let timeout)):
            consensus.timeoutFired(timeout, at: now, verifier: verifier, work: &work, hooks: hooks, actions: &actions)
        case .timer(.syncRetry(let attempt)):
            if syncOutstanding, attempt == syncAttempt {
                syncOutstanding = false
                requestSync(from: peers[Int(attempt) % peers.count], at: now, effects: &effects)
            }
        }
        drainActions(at: now, work: &work, effects: &effects)
    }

    // MARK: Block sync

    /// A message from a height above this node's: it has fallen behind, so it asks the sender
    /// for the finalized blocks it misses.
    private func noteHeight(_ messageHeight: UInt64, from peer: NodeID, at now: SimTime, effects: inout [NodeEffect]) {
        guard messageHeight > consensus.height, !syncOutstanding else { return }
        requestSync(from: peer, at: now, effects: &effects)
    }

    private func requestSync(from peer: NodeID, at now: SimTime, effects: inout [NodeEffect]) {
        guard !peers.isEmpty else { return }
        syncOutstanding = true
        syncAttempt += 1
        effects.append(.send(to: [peer], .syncRequest(fromHeight: consensus.height)))
        effects.append(.setTimer(.syncRetry(attempt: syncAttempt), at: now + configuration.syncRetry))
    }

    // MARK: Transactions and blocks

    /// Why `transaction` cannot enter the mempool, or `nil` when it entered; a full mempool
    /// refuses it before any check, as it costs nothing, unless `beyondLimit`.
    private func admit(_ transaction: Transaction, at now: SimTime, work: inout WorkMeter,
                       beyondLimit: Bool = false) -> RejectionReason? {
        work.hashes += 1
        if mempool.contains(transaction.id) { return .duplicate }
        if !beyondLimit, !mempool.hasRoom(for: transaction) { return .mempoolFull }
        work.signaturesChecked += 1
        guard transaction.hasValidSignature(verifier) else { return .badSignature }
        guard evictLapsedSpenders(of: transaction, at: now, work: &work) else { return .spentInput }
        if let reason = check(transaction, at: now, work: &work) { return reason }
        mempool.insert(transaction)
        return nil
    }

    /// Drops the waiting transactions that spend an input of `transaction` but whose time to
    /// enter a block has run out (expired, or a lock or order past its deadline); each goes out
    /// as a rejection with its reason. `false` when a spender is still live: the input is taken.
    ///
    /// Without this a node that has not yet proposed keeps such a transaction, and the coins
    /// its sender got back on the proposer's rejection stay refused here as `spent_input`.
    /// Complexity: O(inputs), and one check per waiting spender.
    private func evictLapsedSpenders(of transaction: Transaction, at now: SimTime, work: inout WorkMeter) -> Bool {
        for input in transaction.inputs {
            guard let spender = mempool.spender(of: input) else { continue }
            guard evictIfLapsed(spender, at: now, work: &work) else { return false }
        }
        return true
    }

    /// Removes waiting `transaction` as a rejection with its reason if its time to enter a block
    /// has run out at `now` (expired, or a lock or order past its deadline); `false` if it has not.
    @discardableResult
    private func evictIfLapsed(_ transaction: Transaction, at now: SimTime, work: inout WorkMeter) -> Bool {
        guard let reason = check(transaction, at: now, work: &work), reason.isLapse else { return false }
        mempool.remove(transaction.id)
        pendingRejections.append((transaction.id, reason))
        return true
    }

    /// Why `transaction` cannot apply on this node's state at `now`, shared with the replicas
    /// when execution is.
    private func check(_ transaction: Transaction, at now: SimTime, work: inout WorkMeter) -> RejectionReason? {
        if let execution {
            execution.check(transaction, on: &state, at: now, verifier: verifier, work: &work)
        } else {
            Self.check(transaction, on: &state, at: now, verifier: verifier, work: &work)
        }
    }

    /// `state.check(…)` on the state in place: a method called on a class's stored struct
    /// otherwise runs on a copy of it (retaining every field of the chain state).
    private static func check(_ transaction: Transaction, on state: inout ChainState, at now: SimTime,
                              verifier: SignatureVerifier, work: inout WorkMeter) -> RejectionReason? {
        state.check(transaction, at: now, verifier: verifier, work: &work)
    }

    private var hooks: ConsensusHooks {
        ConsensusHooks(
            assemble: { [unowned self] height, timestamp, work in self.assemble(height: height, at: timestamp, work: &work) },
            validate: { [unowned self] block, work in self.isAcceptable(block, &work) })
    }

    /// Undoes the speculatively applied block, if any.
    private func dropSpeculation() {
        guard let speculation = speculative else { return }
        restore(speculation.before, undoing: speculation.receipt)
        speculative = nil
    }

    /// Puts `state` back to what it was before `receipt`'s block: `before`, or by rollback.
    private func restore(_ before: ChainState?, undoing receipt: BlockReceipt) {
        if let before { state = before } else { state.rollback(receipt) }
    }

    /// The state to keep for undoing the next block: itself when it is shared with other replicas.
    private var sharedState: ChainState? {
        state.lineage != 0 && !peers.isEmpty ? state : nil
    }

    /// The transactions of this node's block: waiting ones that still apply (none when censoring),
    /// up to the block size governance sets; and the parameter changes the block executes.
    private func assemble(height: UInt64, at now: SimTime, work: inout WorkMeter)
        -> (transactions: [Transaction], parameterChanges: [ParameterChange]) {
        dropSpeculation()
        let limit = configuration.behaviour == .censorship ? 0 : state.governance.parameters.maxBlockTransactions
        let candidates = mempool.take(limit)
        let context = BlockContext(height: height, timestamp: now, proposer: keyPair.publicKey)
        let before = sharedState
        let start = work
        guard case .success(var receipt) = state.apply(candidates, context: context, mode: .assemble,
                                                       verifier: verifier, work: &work) else {
            preconditionFailure("assembling never fails")
        }
        for (transaction, reason) in receipt.rejected {
            mempool.remove(transaction)
            pendingRejections.append((transaction, reason))
        }
        receipt.rejected = []
        speculative = Speculation(hash: nil, receipt: receipt, before: before,
                                  work: work.subtracting(start).subtracting(receipt.rejectedWork))
        return (receipt.applied, receipt.parameterChanges)
    }

    /// Whether `receipt` is this node's assembly of `block`: the same transactions (the same
    /// objects, in order), context and parameter changes.
    private func isAssembly(_ receipt: BlockReceipt, of block: Block) -> Bool {
        receipt.context == context(of: block) && receipt.parameterChanges == block.parameterChanges
            && receipt.applied.count == block.transactions.count
            && zip(receipt.applied, block.transactions).allSatisfy { $0 === $1 }
    }

    /// Rejections made while assembling, admitting or committing, not yet reported.
    private var pendingRejections: [(TransactionID, RejectionReason)] = []

    private func reportRejections(effects: inout [NodeEffect]) {
        for (transaction, reason) in pendingRejections { effects.append(.rejected(transaction, reason)) }
        pendingRejections.removeAll()
    }

    private func isAcceptable(_ block: Block, _ work: inout WorkMeter) -> Bool {
        for transaction in block.transactions {
            work.signaturesChecked += 1
            guard transaction.hasValidSignature(verifier) else { return false }
        }
        if let speculation = speculative {
            if speculation.hash == block.hash { return true }
            if speculation.hash == nil, isAssembly(speculation.receipt, of: block) {
                // The assembly is the block applied: it is taken as this node's validation of
                // it, charged as such, rather than computed a second time.
                work.add(speculation.work)
                speculative?.hash = block.hash
                if let execution, let before = speculation.before {
                    execution.offer(&state, appliedTo: before, block: block.hash, receipt: speculation.receipt,
                                    work: speculation.work, peers: peers.count)
                }
                return true
            }
        }
        dropSpeculation()
        guard block.transactions.count <= state.governance.parameters.maxBlockTransactions else { return false }
        let before = sharedState
        let start = work
        switch applyStrictly(block, work: &work) {
        case .success(let receipt):
            guard receipt.parameterChanges == block.parameterChanges else {
                restore(before, undoing: receipt)
                return false
            }
            speculative = Speculation(hash: block.hash, receipt: receipt, before: before, work: work.subtracting(start))
            return true
        case .failure:
            return false
        }
    }

    /// Applies `block` strictly to `state`, or takes a replica's application of it to the same state.
    private func applyStrictly(_ block: Block, work: inout WorkMeter) -> Result<BlockReceipt, BlockFailure> {
        guard let execution else {
            return state.apply(block.transactions, context: context(of: block), mode: .strict, verifier: verifier,
                               work: &work)
        }
        return execution.apply(&state, block: block.hash, transactions: block.transactions, context: context(of: block),
                               peers: peers.count, verifier: verifier, work: &work)
    }

    private func context(of block: Block) -> BlockContext {
        let timestamp = configuration.consensus.mutation == .localClock ? inputTime : block.timestamp
        return BlockContext(height: block.height, timestamp: timestamp, proposer: validatorKeys[block.proposer.index])
    }

    // MARK: Consensus actions

    /// Carries out the consensus actions taken so far. The actions are swapped into `drained`
    /// and carried out from there, so that neither buffer is copied or allocated again (most
    /// inputs, a gossiped transaction, produce none).
    private func drainActions(at now: SimTime, work: inout WorkMeter, effects: inout [NodeEffect]) {
        reportRejections(effects: &effects)
        swap(&actions, &drained)
        for action in drained {
            switch action {
            case .broadcastProposal(let proposal):
                effects.append(.proposed(proposal.block))
                sendProposal(proposal, work: &work, effects: &effects)
            case .broadcastVote(let vote):
                sendVote(vote, work: &work, effects: &effects)
            case .relayVote(let vote):
                if configuration.behaviour != .withholdVotes { effects.append(.broadcast(.vote(vote))) }
            case .relayProposal(let proposal):
                if configuration.behaviour != .withholdVotes { effects.append(.broadcast(.proposal(proposal))) }
            case .scheduleTimeout(let timeout, let at):
                effects.append(.setTimer(.consensus(timeout), at: at))
            case .persist(let record):
                effects.append(.persistSigning(record))
            case .commit(let block, let votes, let validators):
                finalize(block, votes: votes, validators: validators, work: &work, effects: &effects)
            }
        }
        drained.removeAll(keepingCapacity: true)
        reportRejections(effects: &effects)
        for evidence in consensus.pendingEvidence where !reportedEvidence.contains(evidence.digest) {
            reportedEvidence.insert(evidence.digest)
            effects.append(.evidence(evidence))
        }
    }

    private var reportedEvidence: Set<Digest32> = []

    private func finalize(_ block: Block, votes: [Vote], validators: ValidatorSet, work: inout WorkMeter,
                          effects: inout [NodeEffect]) {
        for transaction in block.transactions { mempool.remove(transaction.id) }
        let record = CommittedRecord(block: block, commit: votes)
        chain.append(record)
        storedTransactionCount += block.transactions.count
        effects.append(.storeBlock(record))
        if block.height % configuration.storageSyncEvery == 0 { effects.append(.syncStorage) }
        let result: Result<BlockReceipt, BlockFailure>
        if let speculation = speculative, speculation.hash == block.hash {
            result = .success(speculation.receipt)
        } else {
            dropSpeculation()
            result = applyStrictly(block, work: &work)
        }
        speculative = nil
        switch result {
        case .success(let receipt):
            if let execution { execution.commit(&state, receipt, peers: peers.count) } else { state.commit(receipt) }
            effects.append(.committed(block, votes: votes, validators: validators, receipt: receipt, failure: nil))
        case .failure(let failure):
            effects.append(.committed(block, votes: votes, validators: validators, receipt: nil, failure: failure))
        }
        evictLapsed(by: block.timestamp, work: &work)
    }

    /// Drops the waiting transactions that no block after one at `time` can include (expired,
    /// or a lock or an order past its deadline), each a rejection with its reason: the recheck a
    /// node runs on its mempool after a commit. Without it every replica keeps such a transaction
    /// until it proposes, and each proposer in turn spends a slot of its block leaving it out.
    /// Complexity: O(1) while nothing can have lapsed, else O(n) for n waiting and a check of each lapsed one.
    private func evictLapsed(by time: SimTime, work: inout WorkMeter) {
        for transaction in mempool.lapsed(by: time) {
            evictIfLapsed(transaction, at: time, work: &work)
        }
    }

    // MARK: Byzantine rewriting of outgoing messages

    private func sendProposal(_ proposal: Proposal, work: inout WorkMeter, effects: inout [NodeEffect]) {
        let scheme = configuration.consensus.signatureScheme
        switch configuration.behaviour {
        case .equivocation?:
            let block = proposal.block
            let twin = Block(height: block.height, round: block.round, parentHash: block.parentHash, proposer: block.proposer,
                             timestamp: block.timestamp + SimDuration(nanoseconds: 1), transactions: block.transactions,
                             lastCommit: block.lastCommit, evidence: block.evidence,
                             proofOfWorkNonce: block.proofOfWorkNonce, parameterChanges: block.parameterChanges)
            work.signaturesMade += 1
            let other = Proposal(block: twin, round: proposal.round, validRound: proposal.validRound, proposer: id,
                                 keyPair: keyPair, scheme: scheme, polka: proposal.polka)
            collusion?.register(even: block.hash, odd: twin.hash)
            let (even, odd) = halves()
            effects.append(.send(to: even, .proposal(proposal)))
            effects.append(.send(to: odd, .proposal(other)))
        case .invalidSignatures?:
            effects.append(.broadcast(.proposal(Proposal(block: proposal.block, round: proposal.round,
                                                         validRound: proposal.validRound, proposer: id,
                                                         signature: proposal.signature.corrupted,
                                                         polka: proposal.polka))))
        case .invalidProposals?:
            let block = proposal.block
            let forged = Block(height: block.height, round: block.round, parentHash: block.parentHash,
                               proposer: block.proposer, timestamp: block.timestamp,
                               transactions: block.transactions + block.transactions.prefix(1),
                               lastCommit: block.lastCommit, evidence: block.evidence,
                               parameterChanges: block.parameterChanges)
            work.signaturesMade += 1
            effects.append(.broadcast(.proposal(Proposal(block: forged, round: proposal.round,
                                                         validRound: proposal.validRound, proposer: id,
                                                         keyPair: keyPair, scheme: scheme))))
        case .splitAmnesia? where proposal.round == 0 && peers.count > 1:
            splitProposal = proposal.block.hash
            let skipped = splitTargets(at: proposal.block.height).skipped
            effects.append(.send(to: peers.filter { $0 != skipped }, .proposal(proposal)))
        case .withholdVotes?, .censorship?, .amnesia?, .splitAmnesia?, nil:
            effects.append(.broadcast(.proposal(proposal)))
        }
    }

    private func sendVote(_ vote: Vote, work: inout WorkMeter, effects: inout [NodeEffect]) {
        switch configuration.behaviour {
        case .equivocation?:
            // Colluding equivocators send the even half one block and the odd half its twin;
            // for any other vote, the odd half gets a conflicting vote (nil, or a made-up block).
            let (evenTarget, oddTarget) = collusion?.split(vote.blockHash)
                ?? (vote.blockHash, vote.blockHash == nil ? Blake2b.hash([UInt8(vote.round & 0xff)]) : nil)
            let scheme = configuration.consensus.signatureScheme
            work.signaturesMade += 2
            let evenVote = Vote(kind: vote.kind, height: vote.height, round: vote.round, blockHash: evenTarget,
                                voter: vote.voter, keyPair: keyPair, scheme: scheme)
            let oddVote = Vote(kind: vote.kind, height: vote.height, round: vote.round, blockHash: oddTarget,
                               voter: vote.voter, keyPair: keyPair, scheme: scheme)
            let (even, odd) = halves()
            effects.append(.send(to: even, .vote(evenVote)))
            effects.append(.send(to: odd, .vote(oddVote)))
        case .invalidSignatures?:
            effects.append(.broadcast(.vote(Vote(kind: vote.kind, height: vote.height, round: vote.round,
                                                 blockHash: vote.blockHash, voter: vote.voter,
                                                 signature: vote.signature.corrupted))))
        case .withholdVotes?:
            break
        case .splitAmnesia? where vote.round == 0 && vote.blockHash != nil && peers.count > 1:
            let targets = splitTargets(at: vote.height)
            effects.append(.send(to: vote.kind == .precommit ? [targets.precommitsTo] : peers.filter { $0 != targets.skipped },
                                 .vote(vote)))
        case .invalidProposals?, .censorship?, .amnesia?, .splitAmnesia?, nil:
            effects.append(.broadcast(.vote(vote)))
        }
    }

    /// Where a split-amnesia validator aims at `height`: the one peer its precommits for a block
    /// go to, and another that its proposals and prevotes for a block skip (both turn with the
    /// height). Needs two peers or more.
    private func splitTargets(at height: UInt64) -> (precommitsTo: NodeID, skipped: NodeID) {
        let first = Int(height % UInt64(peers.count))
        return (peers[first], peers[(first + 1) % peers.count])
    }

    /// Peers split by id parity: how an equivocator divides the network.
    private func halves() -> ([NodeID], [NodeID]) {
        (peers.filter { $0.rawValue % 2 == 0 }, peers.filter { $0.rawValue % 2 == 1 })
    }
}

/// The shared knowledge of a run's Byzantine validators: which pairs of twin blocks an
/// equivocating proposer sent to the even and the odd halves of the network, so that every
/// colluding voter backs the same block in each half.
public final class Collusion {
    private var twins: [Digest32: (even: Digest32, odd: Digest32)] = [:]

    public init() {}

    func register(even: Digest32, odd: Digest32) {
        twins[even] = (even, odd)
        twins[odd] = (even, odd)
    }

    /// The blocks to back in the even and the odd half for a vote for `hash`, when it is one of a pair.
    func split(_ hash: Digest32?) -> (Digest32?, Digest32?)? {
        guard let hash, let pair = twins[hash] else { return nil }
        return (pair.even, pair.odd)
    }
}
