import Consensus
import GridCore
import Ledger

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
    /// A client transaction was refused, with the reason.
    case rejected(TransactionID, RejectionReason)
    /// This node proposed a block.
    case proposed(Block)
    /// This node finalized a block.
    case committed(Block, votes: [Vote])
}
