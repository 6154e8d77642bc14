import Consensus
import GridCore
import Ledger

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

/// One validator: mempool, committed-transaction index and consensus, behind ``NodeInput`` and
/// ``NodeEffect``. It reads no clock and sends nothing itself; the simulator (or, one day, a
/// networked driver) delivers inputs and carries out effects.
public final class ValidatorNode {
    public let id: NodeID
    private let verifier: SignatureVerifier
    private var consensus: LeaderRotation
    private var mempool = Mempool()
    private var committed: Set<TransactionID> = []
    private var actions: [ConsensusAction] = []

    /// The height this node is deciding.
    public var height: UInt64 { consensus.height }
    /// Transactions waiting in this node's mempool.
    public var mempoolCount: Int { mempool.count }

    public init(id: NodeID, validators: ValidatorSet, keyPair: KeyPair, configuration: NodeConfiguration,
                verifier: SignatureVerifier) {
        self.id = id
        self.verifier = verifier
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
            admitFromClient(transaction, work: &work, effects: &effects)
        case .message(_, .transaction(let transaction)):
            admitFromPeer(transaction, work: &work)
        case .message(_, .proposal(let proposal)):
            consensus.receive(proposal, verifier: verifier, work: &work, actions: &actions, isAcceptable: isAcceptable)
        case .message(_, .vote(let vote)):
            consensus.receive(vote, verifier: verifier, work: &work, actions: &actions, isAcceptable: isAcceptable)
        case .timer(.propose(let height)):
            let transactions = mempool.take(consensus.maxBlockTransactions)
            consensus.proposalDue(height: height, now: now, transactions: transactions, work: &work,
                                  actions: &actions, isAcceptable: isAcceptable)
        }
        drainActions(work: &work, effects: &effects)
    }

    private func admitFromClient(_ transaction: Transaction, work: inout WorkMeter, effects: inout [NodeEffect]) {
        work.hashes += 1
        if committed.contains(transaction.id) {
            effects.append(.rejected(transaction.id, .replayed))
            return
        }
        if mempool.contains(transaction.id) {
            effects.append(.rejected(transaction.id, .duplicate))
            return
        }
        work.signaturesChecked += 1
        guard transaction.hasValidSignature(verifier) else {
            effects.append(.rejected(transaction.id, .badSignature))
            return
        }
        mempool.insert(transaction)
        effects.append(.admitted(transaction.id))
        effects.append(.broadcast(.transaction(transaction)))
    }

    private func admitFromPeer(_ transaction: Transaction, work: inout WorkMeter) {
        guard !committed.contains(transaction.id), !mempool.contains(transaction.id) else { return }
        work.signaturesChecked += 1
        guard transaction.hasValidSignature(verifier) else { return }
        mempool.insert(transaction)
    }

    private func isAcceptable(_ block: Block, _ work: inout WorkMeter) -> Bool {
        for transaction in block.transactions {
            work.transactionsApplied += 1
            guard !committed.contains(transaction.id) else { return false }
            if !mempool.contains(transaction.id) {
                work.signaturesChecked += 1
                guard transaction.hasValidSignature(verifier) else { return false }
            }
        }
        return true
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
                for transaction in block.transactions {
                    committed.insert(transaction.id)
                    mempool.markCommitted(transaction.id)
                }
                effects.append(.committed(block, votes: votes))
            }
        }
        actions.removeAll(keepingCapacity: true)
    }
}
