import Consensus
import GridCore
import Ledger
import Market

/// A finalized block with the precommits that finalized it: what a node stores and what block
/// sync sends.
public struct CommittedRecord: Sendable {
    public var block: Block
    public var commit: [Vote]

    public init(block: Block, commit: [Vote]) {
        self.block = block
        self.commit = commit
    }
}

/// What travels between nodes.
public enum NodeMessage: Sendable {
    case transaction(Transaction)
    case proposal(Proposal)
    case vote(Vote)
    /// "Send me your finalized blocks from this height on."
    case syncRequest(fromHeight: UInt64)
    case syncResponse([CommittedRecord])

    /// Bytes on the wire, for bandwidth.
    public var encodedSize: Int {
        switch self {
        case .transaction(let transaction): transaction.encodedSize
        case .proposal(let proposal): proposal.block.encodedSize + 80 + proposal.polka.count * Vote.encodedSize
        case .vote: Vote.encodedSize
        case .syncRequest: 48
        case .syncResponse(let records):
            records.reduce(16) { $0 + $1.block.encodedSize + $1.commit.count * Vote.encodedSize }
        }
    }

    /// The consensus height the message speaks of, if any.
    var height: UInt64? {
        switch self {
        case .proposal(let proposal): proposal.height
        case .vote(let vote): vote.height
        default: nil
        }
    }
}

/// Timers a node asks its host to fire.
public enum NodeTimer: Hashable, Sendable {
    case consensus(ConsensusTimeout)
    /// No answer to a block-sync request: ask another peer.
    case syncRetry(attempt: UInt32)
}

/// An input to a node's state machine.
public enum NodeInput: Sendable {
    /// A transaction submitted by a client to this node.
    case client(Transaction)
    /// A waiting transaction that a reshard moved to this node's chain from one it ended:
    /// admitted as a client's, but even into a full mempool, since its client was already told
    /// it was waiting and a reshard drops nothing.
    case handover(Transaction)
    /// A message from another node.
    case message(from: NodeID, NodeMessage)
    /// A timer the node set has fired.
    case timer(NodeTimer)
}

/// What a node asks its host to do, or reports, after handling an input.
public enum NodeEffect: Sendable {
    /// Send to every other validator.
    case broadcast(NodeMessage)
    /// Send to these validators.
    case send(to: [NodeID], NodeMessage)
    /// Pass a transaction on to a few random peers (the host's gossip fanout): one a client
    /// submitted (`relayedFrom` nil), or one received from the peer `relayedFrom`.
    case gossip(Transaction, relayedFrom: NodeID?)
    /// Fire `timer` at `at` (node clock).
    case setTimer(NodeTimer, at: SimTime)
    /// A client transaction entered this node's mempool.
    case admitted(TransactionID)
    /// A transaction was refused (at admission, or left out of a block), with the reason.
    case rejected(TransactionID, RejectionReason)
    /// This node proposed a block.
    case proposed(Block)
    /// Durable and synced before anything that follows: the consensus signing record.
    case persistSigning(SigningRecord)
    /// Append a finalized block to the node's block store (not yet synced).
    case storeBlock(CommittedRecord)
    /// Sync the block store: everything appended so far is durable.
    case syncStorage
    /// This node finalized a block and applied it: `receipt` says what the block did, or is
    /// `nil` when the block did not apply on this node's state (its state has diverged).
    case committed(Block, votes: [Vote], validators: ValidatorSet, receipt: BlockReceipt?, failure: BlockFailure?)
    /// This node saw a validator sign conflicting votes.
    case evidence(Evidence)
}

/// How a Byzantine validator misbehaves (DESIGN.md, faults).
public enum ByzantineBehaviour: String, Sendable, CaseIterable {
    /// Proposes two different blocks and casts two conflicting votes, one to each half of its peers.
    case equivocation
    /// Corrupts the signature of everything it signs.
    case invalidSignatures = "invalid-signatures"
    /// Never sends its votes.
    case withholdVotes = "withhold-votes"
    /// Proposes blocks whose transaction root does not match their transactions.
    case invalidProposals = "invalid-proposals"
    /// Proposes empty blocks: no client transaction gets in through it.
    case censorship
    /// Forgets its locks and valid blocks: prevotes for any valid proposal and proposes a fresh
    /// block in every round it leads (``ConsensusParameters/forgetsLocks``). It signs nothing
    /// twice, so it leaves no evidence.
    case amnesia
    /// Amnesia aimed at the locks, with the first round's messages sent where they split the
    /// honest validators. At each height one peer gets none of its first-round proposal and
    /// prevotes for a block, so it sees no polka and precommits nil, and one other peer alone
    /// gets its first-round precommit for a block, so that peer alone can finalize; as the
    /// proposer it also ignores that round's precommits for its own block, staying at the height
    /// with the peers short of a quorum, which move to the next round, where it backs a fresh
    /// block to everyone. Only the honest validators' locks (and their rebroadcasts) keep them
    /// to the finalized block. It still signs nothing twice.
    case splitAmnesia = "split-amnesia"

    /// Whether this validator forgets its locks (``ConsensusParameters/forgetsLocks``).
    public var forgetsLocks: Bool { self == .amnesia || self == .splitAmnesia }
}
