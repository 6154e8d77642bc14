import Consensus
import GridCore
import Ledger
import Market

/// What travels between nodes.
public enum NodeMessage: Sendable {
    case transaction(Transaction)
    case proposal(Proposal)
    case vote(Vote)

    /// Bytes on the wire, for bandwidth.
    public var encodedSize: Int {
        switch self {
        case .transaction(let transaction): transaction.encodedSize
        case .proposal(let proposal): proposal.block.encodedSize + 64
        case .vote: Vote.encodedSize
        }
    }
}

/// Timers a node asks its host to fire.
public enum NodeTimer: Hashable, Sendable {
    /// Time to propose the block at this height.
    case propose(height: UInt64)
}

/// An input to a node's state machine.
public enum NodeInput: Sendable {
    /// A transaction submitted by a client to this node.
    case client(Transaction)
    /// A message from another node.
    case message(from: NodeID, NodeMessage)
    /// A timer the node set has fired.
    case timer(NodeTimer)
}

/// What a node asks its host to do, or reports, after handling an input.
public enum NodeEffect: Sendable {
    /// Send to every other validator.
    case broadcast(NodeMessage)
    /// Fire `timer` at `at`.
    case setTimer(NodeTimer, at: SimTime)
    /// A client transaction entered this node's mempool.
    case admitted(TransactionID)
    /// A transaction was refused (at admission, or left out of a block), with the reason.
    case rejected(TransactionID, RejectionReason)
    /// This node proposed a block.
    case proposed(Block)
    /// This node finalized a block and applied it: `receipt` says what the block did, or is
    /// `nil` when the block did not apply on this node's state (its state has diverged).
    case committed(Block, votes: [Vote], receipt: BlockReceipt?, failure: BlockFailure?)
}
