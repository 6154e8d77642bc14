import GridCore
import Ledger
import Node

/// Every kind of event the simulator schedules: a closed enum, not existentials (DESIGN.md), and
/// small, so the heap moves little memory.
public enum Event: Sendable {
    /// The next order of a participant class is due.
    case orderArrival(participantClass: Int32)
    /// The next payment transfer of a participant class is due.
    case transferArrival(participantClass: Int32)
    /// The load trace's row at this index, which names its participant, is due.
    case tracedArrival(row: Int32)
    /// The scenario's governance proposal at this index is submitted.
    case governanceProposal(index: Int32)
    /// A participant votes on the scenario's proposal at `proposal`.
    case governanceVote(agent: Int32, proposal: Int32, ballot: Ballot)
    /// Producers' meters are read and their energy minted.
    case meterReading
    /// A trade's delivery window ended; its seller region's operator reports the meter.
    case settlementDue(trade: Int32)
    /// The physical grid is sampled.
    case gridSample
    /// A client's transaction reaches its entry validator, a member of chain instance `chain`
    /// (dropped if the validator has left that chain: a reshard routed the transaction again);
    /// `handover` when a reshard moved it there (see `NodeInput.handover`), carried here from
    /// the pending entry so that each delivery needs no lookup (3 % of the stress run's time).
    case clientDelivery(node: NodeID, chain: Int32, transaction: Transaction, handover: Bool)
    /// A message between members of chain instance `chain` reaches a node (dropped if either
    /// has left that chain).
    case delivery(to: NodeID, from: NodeID, chain: Int32, message: NodeMessage)
    /// A timer a node set fires (ignored if the node restarted since: another incarnation).
    case timer(node: NodeID, incarnation: UInt32, timer: NodeTimer)
    /// The scheduled fault action at this index happens (crash, restart, pause, resume, liveness check).
    case fault(index: Int32)
    /// The shard monitor closes a window; the autoscaler reads it.
    case shardMonitor
    /// A relayer's wait for cross-shard transfer `transfer`'s step to be final ran out: unless the
    /// transfer moved on since send `attempt`, the step goes again.
    case relayCheck(transfer: Int32, attempt: Int32)
    /// A busy node has a core free again and work queued.
    case nodeReady(node: NodeID)
}
