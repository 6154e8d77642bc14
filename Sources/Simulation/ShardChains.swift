import Consensus
import GridCore
import Market
import Node
import Sharding

/// One consensus instance: a shard's committee running a chain from a genesis state. A reshard
/// ends the instances it touches and starts new ones from their finalized state.
struct ChainInstance {
    /// Index in the simulator's list of instances.
    let serial: Int
    let shard: ShardID
    /// The committee: validator indices of the run; a member's id on this chain is its position.
    let members: [Int]
    let validators: ValidatorSet
    let genesis: ChainState
    let startedAt: SimTime
    var endedAt: SimTime?
    /// Blocks as first finalized by any member.
    var blocks: [CommittedBlock] = []
    var safety = SafetyChecker()
    /// The monitor's current window, and the committee's busy time when it began.
    var window = ShardWindow()
    var busyNanosAtWindowStart: Int64 = 0
    /// Each validator's id on this chain, by its index in the run (−1: not a member).
    private let localIDs: [Int32]
    /// For each member (by its id on this chain), the other members, in committee order: whom
    /// it broadcasts to, kept so that no broadcast or gossip builds the list again.
    private let peersOfMember: [[NodeID]]

    init(serial: Int, shard: ShardID, members: [Int], validators: ValidatorSet, genesis: ChainState,
         startedAt: SimTime, validatorCount: Int) {
        self.serial = serial
        self.shard = shard
        self.members = members
        self.validators = validators
        self.genesis = genesis
        self.startedAt = startedAt
        var localIDs = [Int32](repeating: -1, count: validatorCount)
        for (local, validator) in members.enumerated() { localIDs[validator] = Int32(local) }
        self.localIDs = localIDs
        peersOfMember = members.map { member in members.filter { $0 != member }.map(NodeID.init) }
    }

    var isCurrent: Bool { endedAt == nil }

    /// The other members of member `node` (a validator of the run), in committee order. O(1).
    func peers(of node: NodeID) -> [NodeID] {
        guard let local = local(node.index) else { preconditionFailure("\(node) is not a member of chain \(serial)") }
        return peersOfMember[local.index]
    }

    /// `validator`'s id on this chain, if it is a member. O(1): every delivery asks.
    func local(_ validator: Int) -> NodeID? {
        localIDs[validator] >= 0 ? NodeID(Int(localIDs[validator])) : nil
    }
}

/// A split or a merge the autoscaler made.
public struct ShardingEvent: Sendable {
    public enum Action: String, Sendable {
        case split, merge
        /// A committee's long-down members replaced by validators standing by
        /// (`sharding.reseat_after`); the shard keeps its regions.
        case reseat
    }

    public var time: SimTime
    public var action: Action
    /// Split: the shard split and the new one; merge: the survivor and the shard merged into it;
    /// reseat: the shard.
    public var shards: [ShardID]
    /// The regions that moved (none for a reseat).
    public var regions: [Region]
    public var reason: String
    /// The finalized heights the ended chains handed over at (one per chain ended).
    public var handoverHeights: [UInt64]
    /// Transactions waiting (submitted, neither final nor rejected) that were routed again.
    public var rerouted: Int
    /// Open orders and trades awaiting delivery that moved with their areas.
    public var movedOrders: Int
    public var movedTrades: Int
    /// Validators that changed committee or left one for the standby pool.
    public var validatorsReassigned: Int
}

/// What one shard did over the run, across every chain instance that served it.
public struct ShardSummary: Sendable {
    public var shard: ShardID
    /// Regions at the end (or when the shard was merged away).
    public var regions: [Region]
    public var createdAt: SimTime
    /// When a merge removed it; `nil` if it lasted the run.
    public var removedAt: SimTime?
    public var blocks = 0
    /// Admission and finality latency of its transactions submitted after the warm-up.
    public var admissionNanos: [Int64] = []
    public var finalityNanos: [Int64] = []
    /// Its transactions submitted after the warm-up and finalized.
    public var committedTransactions: Int { finalityNanos.count }
    /// The highest monitor-window CPU share and the largest modelled memory.
    public var cpuPeakBasisPoints: Int64 = 0
    public var memoryPeakBytes: Int64 = 0
    /// The deepest mempool a window ended with.
    public var mempoolPeak = 0
    /// Validator indices of its latest committee.
    public var committee: [Int] = []

    /// Simulated seconds the shard existed after `warmupEnd` until `runEnd`.
    public func activeSeconds(warmupEnd: SimTime, runEnd: SimTime) -> Double {
        let start = max(createdAt, warmupEnd)
        let end = removedAt ?? runEnd
        return end > start ? (end - start).seconds : 0
    }
}

/// Sharding over a run: the shards, the changes and the monitor's windows.
public struct ShardingStatistics: Sendable {
    /// Whether the run was sharded (otherwise one chain served every region).
    public var enabled = false
    public var shards: [ShardSummary] = []
    public var events: [ShardingEvent] = []
    /// Every monitor window of every shard, in time order.
    public var loads: [ShardLoad] = []
    /// Splits due and not made (no standby validators for a committee, no split relieving the
    /// shard, `max_shards` reached); the autoscaler's counts at the end of the run.
    public var heldBackSplits = HeldBackSplits()
    public var crossShard = CrossShardStatistics()

    public init() {}
}
