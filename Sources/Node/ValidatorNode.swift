import Consensus
import Grid
import GridCore
import Ledger
import Market

/// The replicated state every node applies blocks to.
public typealias ChainState = ExchangeState<GridState>

/// Static configuration of a validator node.
public struct NodeConfiguration: Sendable {
    public var blockInterval: SimDuration
    public var maxBlockTransactions: Int
    public var signatureScheme: SignatureScheme

    public init(blockInterval: SimDuration, maxBlockTransactions: Int, signatureScheme: SignatureScheme) {
        self.blockInterval = blockInterval
        self.maxBlockTransactions = maxBlockTransactions
        self.signatureScheme = signatureScheme
    }
}

/// One validator: the chain state (ledger, market, grid bookings), a mempool and consensus,
/// behind ``NodeInput`` and ``NodeEffect``. It reads no clock and sends nothing itself; the
/// simulator (or, one day, a networked driver) delivers inputs and carries out effects.
///
/// Admission checks a client transaction's signature, its conflicts with waiting transactions
/// and its validity on the committed state. A proposer assembles its block by applying waiting
/// transactions and rolling them back, leaving out those that no longer apply (reported with
/// their reason). A validator accepts a proposal only if every signature checks and the block
/// applies; it applies a block for real when consensus finalizes it.
public final class ValidatorNode {
    public let id: NodeID
    private let validators: ValidatorSet
    private let verifier: SignatureVerifier
    private var consensus: LeaderRotation
    private var mempool = Mempool()
    public private(set) var state: ChainState
    private var actions: [ConsensusAction] = []

    /// The height this node is deciding.
    public var height: UInt64 { consensus.height }
    /// Transactions waiting in this node's mempool.
    public var mempoolCount: Int { mempool.count }

    public init(id: NodeID, validators: ValidatorSet, keyPair: KeyPair, configuration: NodeConfiguration,
                verifier: SignatureVerifier, genesis: ChainState) {
        self.id = id
        self.validators = validators
        self.verifier = verifier
        self.state = genesis
        self.consensus = LeaderRotation(
            validators: validators, me: id, keyPair: keyPair, scheme: configuration.signatureScheme,
            blockInterval: configuration.blockInterval,
            maxBlockTransactions: configuration.maxBlockTransactions)
    }

    /// Starts the node at time zero.
    public func start(effects: inout [NodeEffect]) {
        consensus.start(actions: &actions)
        var work = WorkMeter()
        drainActions(work: &work, effects: &effects)
    }

    /// Handles one input at simulated time `now`, counting the work done and appending effects.
    public func handle(_ input: NodeInput, now: SimTime, work: inout WorkMeter, effects: inout [NodeEffect]) {
        work.messages += 1
        switch input {
        case .client(let transaction):
            if let reason = admit(transaction, at: now, work: &work) {
                effects.append(.rejected(transaction.id, reason))
            } else {
                effects.append(.admitted(transaction.id))
                effects.append(.broadcast(.transaction(transaction)))
            }
        case .message(_, .transaction(let transaction)):
            _ = admit(transaction, at: now, work: &work)
        case .message(_, .proposal(let proposal)):
            consensus.receive(proposal, verifier: verifier, work: &work, actions: &actions, isAcceptable: isAcceptable)
        case .message(_, .vote(let vote)):
            consensus.receive(vote, verifier: verifier, work: &work, actions: &actions, isAcceptable: isAcceptable)
        case .timer(.propose(let height)):
            guard height == consensus.height, consensus.leader(of: height) == id else { break }
            let block = assemble(height: height, at: now, work: &work, effects: &effects)
            consensus.proposalDue(height: height, now: now, transactions: block, work: &work, actions: &actions,
                                  isAcceptable: isAcceptable)
        }
        drainActions(work: &work, effects: &effects)
    }

    /// Why `transaction` cannot enter the mempool, or `nil` when it entered.
    private func admit(_ transaction: Transaction, at now: SimTime, work: inout WorkMeter) -> RejectionReason? {
        work.hashes += 1
        if mempool.contains(transaction.id) { return .duplicate }
        work.signaturesChecked += 1
        guard transaction.hasValidSignature(verifier) else { return .badSignature }
        if transaction.inputs.contains(where: { mempool.spender(of: $0) != nil }) { return .spentInput }
        if let reason = state.check(transaction, at: now, verifier: verifier, work: &work) { return reason }
        mempool.insert(transaction)
        return nil
    }

    /// The transactions of this node's block at `height`: waiting ones that still apply.
    private func assemble(height: UInt64, at now: SimTime, work: inout WorkMeter,
                          effects: inout [NodeEffect]) -> [Transaction] {
        let candidates = mempool.take(consensus.maxBlockTransactions)
        let context = BlockContext(height: height, timestamp: now, proposer: validators[id].publicKey)
        switch state.apply(candidates, context: context, mode: .assemble, verifier: verifier, work: &work) {
        case .success(let receipt):
            state.rollback(receipt)
            for (transaction, reason) in receipt.rejected {
                mempool.remove(transaction)
                effects.append(.rejected(transaction, reason))
            }
            return receipt.applied
        case .failure:
            preconditionFailure("assembling never fails")
        }
    }

    private func isAcceptable(_ block: Block, _ work: inout WorkMeter) -> Bool {
        for transaction in block.transactions {
            work.signaturesChecked += 1
            guard transaction.hasValidSignature(verifier) else { return false }
        }
        switch state.apply(block.transactions, context: context(of: block), mode: .strict, verifier: verifier,
                           work: &work) {
        case .success(let receipt):
            state.rollback(receipt)
            return true
        case .failure:
            return false
        }
    }

    private func context(of block: Block) -> BlockContext {
        BlockContext(height: block.height, timestamp: block.timestamp, proposer: validators[block.proposer].publicKey)
    }

    private func drainActions(work: inout WorkMeter, effects: inout [NodeEffect]) {
        for action in actions {
            switch action {
            case .broadcastProposal(let proposal):
                effects.append(.proposed(proposal.block))
                effects.append(.broadcast(.proposal(proposal)))
            case .broadcastVote(let vote):
                effects.append(.broadcast(.vote(vote)))
            case .scheduleProposal(let height, let at):
                effects.append(.setTimer(.propose(height: height), at: at))
            case .commit(let block, let votes):
                commit(block, votes: votes, work: &work, effects: &effects)
            }
        }
        actions.removeAll(keepingCapacity: true)
    }

    private func commit(_ block: Block, votes: [Vote], work: inout WorkMeter, effects: inout [NodeEffect]) {
        for transaction in block.transactions { mempool.remove(transaction.id) }
        switch state.apply(block.transactions, context: context(of: block), mode: .strict, verifier: verifier,
                           work: &work) {
        case .success(let receipt):
            state.commit(receipt)
            effects.append(.committed(block, votes: votes, receipt: receipt, failure: nil))
        case .failure(let failure):
            effects.append(.committed(block, votes: votes, receipt: nil, failure: failure))
        }
    }
}
