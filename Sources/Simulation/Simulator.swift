import Consensus
import DequeModule
import Foundation
import Governance
import Grid
import GridCore
import Ledger
import Market
import Node
import Scenario
import Sharding

/// A block as first finalized by any node.
public struct CommittedBlock: Sendable {
    public var height: UInt64
    public var hash: Digest32
    public var proposer: NodeID
    /// When its proposer built it.
    public var proposedAt: SimTime
    /// When the first node finalized it.
    public var committedAt: SimTime
    public var transactionCount: Int
    /// The state root after applying it.
    public var stateRoot: Digest32
    /// The consensus round it was decided in (0: the first proposer's round).
    public var round: UInt32
    /// Validators whose precommits for the parent it carries.
    public var lastCommitSigners: Int
    /// The governance parameters after it (``GovernanceParameters/digest``).
    public var parametersDigest: Digest32
    /// The shard whose chain it is on (1 when the run is not sharded).
    public var shard: Int
}

/// What consensus did over a run, beyond the blocks.
public struct ConsensusStatistics: Sendable {
    /// Equivocations seen by any honest node (evidence found).
    public var evidenceDetected = 0
    /// From the most advanced honest node's registry: evidence committed, validators slashed,
    /// precommits missing from blocks' last commits.
    public var equivocationsCommitted = 0
    public var slashed = 0
    public var missedVotes = 0
    /// Validators neither crashed (at the end), slashed nor Byzantine.
    public var activeValidators = 0
    public var messagesDropped = 0
    public var messagesDuplicated = 0
    public var crashes = 0
    public var restarts = 0
    /// Blocks replayed from storage across all restarts, and blocks fetched by block sync.
    public var blocksReplayed = 0
    public var mutation: String?

    public init() {}
}

/// Everything a run produced, for reports and checks. Wall-clock figures are not here: they
/// belong to the command line, outside the digest.
public struct RunResult: Sendable {
    public var scenario: Scenario
    public var seed: UInt64
    /// BLAKE2b over the canonical log of committed blocks and transaction outcomes.
    public var digest: Digest32
    public var stopReason: StopReason
    public var endTime: SimTime
    public var events: UInt64
    public var transactions: TransactionTracker
    public var blocks: [CommittedBlock]
    public var violations: [InvariantViolation]
    public var costProfile: CostProfile
    /// Simulated CPU time each validator spent busy.
    public var nodeBusyNanos: [Int64]
    /// Each validator's peak modelled memory (`ValidatorNode.modelledMemoryBytes`), sampled every
    /// `grid.sample_interval`.
    public var nodeMemoryPeakBytes: [Int64]
    public var signatureChecksComputed: Int
    public var signatureCacheHits: Int
    /// Of `signatureChecksComputed`, those the helper thread had answered in time: a wall-clock
    /// race, so it differs between runs and stays out of the digest.
    public var signatureChecksAhead: Int
    /// Block applications and commits the replicas computed, and those they took from another
    /// replica's computation of the same step (the shared execution cache).
    public var executionStepsComputed: Int
    public var executionStepsReused: Int
    /// Admission checks answered from another replica's check of the same state.
    public var admissionChecksReused: Int
    public var market: MarketStatistics
    public var gridImpact: GridImpact
    /// The physical grid, sampled every `grid.sample_interval`.
    public var gridSamples: [GridSample]
    /// Names of the grid's elements (lines, then feeders), matching each sample's loading.
    public var gridElementNames: [String]
    /// How many inter-regional lines lead `gridElementNames`.
    public var gridLineCount: Int
    public var consensus: ConsensusStatistics
    public var load: LoadStatistics
    public var governance: GovernanceStatistics
    public var sharding: ShardingStatistics
}

/// What the load offered against what was submitted: an arrival whose participant had no
/// confirmed funds left (every output locked by its pending transactions, or spent) submits
/// nothing.
public struct LoadStatistics: Sendable {
    public var offeredOrders = 0
    public var offeredTransfers = 0
    public var unfundedOrders = 0
    public var unfundedTransfers = 0
    /// Times a client sent a submission again to the next validator because the one it sent
    /// it to was down (the connection refused, or reset by a crash before the node read it or
    /// before the transaction was final).
    public var redirectedSubmissions = 0
}

/// The simulator: builds the validators, the participants and the grid of a scenario, then
/// drives them in simulated time — delivering inputs, charging CPU cost, carrying out effects,
/// checking invariants — on one thread.
public final class Simulator {
    /// A validator and its simulated CPU: input queue, when each core is free, whether it is up
    /// or paused, its clock skew, and which incarnation (restart) it is.
    private struct NodeRuntime {
        var node: ValidatorNode
        var coreFreeAt: [SimTime]
        var inbox: Deque<NodeInput> = []
        var readyScheduled = false
        var busyNanos: Int64 = 0
        /// When it crashed, while it is down; `nil` while it is up.
        var downSince: SimTime?
        var up: Bool { downSince == nil }
        var pausedUntil: SimTime?
        var skew = SimDuration.zero
        var incarnation: UInt32 = 0
        /// The chain instance it serves; `nil` while it stands by for a new shard (its node is
        /// then never started and receives nothing).
        var chain: Int?

        var earliestFreeCore: Int {
            coreFreeAt.indices.min { coreFreeAt[$0] < coreFreeAt[$1] }!
        }
    }

    /// A validator's simulated disk: the block store (only the synced prefix survives a crash)
    /// and the signing record (always synced before a vote leaves).
    private struct NodeStorage {
        var records: [CommittedRecord] = []
        var synced = 0
        var signing: SigningRecord?
    }

    /// A scheduled fault action.
    private enum FaultAction {
        case crash(Int)
        case restart(Int)
        case pause(Int, until: SimTime)
        case resume(Int)
        case livenessBaseline
        case livenessCheck
    }

    /// How often (in heights) the first node to commit a height audits conservation in full.
    static let conservationAuditInterval: UInt64 = 20

    /// A transaction submitted and not yet finalized or rejected: its submitter and the chain
    /// instance it was routed to.
    private struct PendingTransaction {
        var transaction: Transaction
        var agent: Int
        var chain: Int
        /// The validator its client last sent it to (the relayer's pick for a relayed step).
        var entry: Int
        /// Times its client found the validator it sent it to down and tried the next.
        var redirects = 0
        /// A reshard moved it from the chain it was waiting on: a full mempool still takes it.
        var handedOver = false
    }

    public let scenario: Scenario
    public let seed: UInt64
    public let costProfile: CostProfile
    /// Every validator of the run (a shard's committee is a chain's own set).
    private let validators: ValidatorSet
    private let verifier: SignatureVerifier
    /// Block execution shared by the replicas of each chain (`nil`: every replica executes
    /// every block itself; the outcome is the same).
    private let execution: ExecutionCache<GridState>?
    private let gridNetwork: GridNetwork
    private let keyPairs: [KeyPair]
    private let genesis: ChainState
    private let collusion = Collusion()
    private let mutation: Mutation?
    private var runtimes: [NodeRuntime] = []
    private var storage: [NodeStorage] = []
    private var faultActions: [FaultAction] = []
    /// Per current chain instance, its highest honest height when faults ended.
    private var livenessBaselines: [(chain: Int, height: Int)] = []
    private var consensusStatistics = ConsensusStatistics()
    private var loadStatistics = LoadStatistics()
    private var evidenceSeen: Set<Digest32> = []
    private var closedLoopInFlight: Set<TransactionID> = []
    /// The closed loop's think times (`load.think_time`); drawn from only when that is above zero.
    private let thinkTimes: RandomStream
    private var network: Network
    private var workload: Workload
    private var physicalGrid: PhysicalGrid
    private var loop = EventLoop(capacity: 1 << 14)
    private var tracker = TransactionTracker()
    /// Every chain instance so far; without sharding, one.
    private var chains: [ChainInstance] = []
    /// The current chain instance of each shard (`ShardID.rawValue − 1`).
    private var currentChain: [Int?] = []
    private var shardMap: ShardMap
    private var autoscaler: Autoscaler?
    private var sharding = ShardingStatistics()
    /// Every chain instance's committee, against which cross-shard receipts are checked.
    private let directory = CommitteeDirectory()
    private var crossShardTransfers: [CrossShardTransfer] = []
    private var transferOfLock: [TransactionID: Int] = [:]
    private var violations: [InvariantViolation] = []
    private var effects: [NodeEffect] = []
    /// Transactions submitted and not yet finalized or rejected.
    private var pending: [TransactionID: PendingTransaction] = [:]
    private var tradesAwaitingSettlement: [Trade] = []
    private var governanceStatistics = GovernanceStatistics()
    /// The governance parameters after the last finalized block.
    private var currentParameters: GovernanceParameters
    /// Each scenario proposal's transaction, once submitted.
    private var proposalIDs: [TransactionID?]
    private var proposalIndex: [TransactionID: Int] = [:]
    /// The two orders of each finalized trade not yet settled, for the settlement latency.
    private var ordersOfTrade: [TradeID: (buy: TransactionID, sell: TransactionID)] = [:]
    /// The no-double-spend checker's own view, apart from every ledger: the outputs genesis and
    /// the finalized blocks created and no finalized transaction has spent yet (as large as the
    /// unspent set, where a set of every output ever spent would grow all run).
    private var unspentOutPoints: Set<OutPoint> = []
    private var market = MarketStatistics()
    private var impact: GridImpact
    private var gridSamples: [GridSample] = []
    /// Receives every trace line when set (`gridsim run --trace`); costs one check when not.
    public var tracer: ((TraceLine) -> Void)?
    /// Receives every order and transfer arrival of the load as a load-trace row with the
    /// participant, quantity, price, recipient and amount it used (for `gridsim shrink`, which
    /// turns a run's arrivals into an explicit trace).
    public var arrivalObserver: ((TraceRow) -> Void)?
    /// The memory model's peak per validator, sampled with the grid.
    private var nodeMemoryPeakBytes: [Int64]

    /// Whether real ed25519 checks run ahead on a helper thread by default: when there is a
    /// second core to run it.
    public static var verifiesAheadByDefault: Bool { ProcessInfo.processInfo.activeProcessorCount > 1 }

    /// Prepares a run of `scenario` under `seed` (which takes the place of `run.seed`), with the
    /// real modules or a deliberately broken `mutation` of one. With `verifyingAhead`, ed25519
    /// signatures are checked ahead on a helper thread; the outcome is the same either way.
    /// With `sharingExecution`, a replica that holds exactly the state another replica applied a
    /// block to takes that result (see `ExecutionCache`); the outcome is the same either way.
    public init(scenario: Scenario, seed: UInt64, costProfile: CostProfile, mutation: Mutation? = nil,
                verifyingAhead: Bool = Simulator.verifiesAheadByDefault, sharingExecution: Bool = true) {
        execution = sharingExecution ? ExecutionCache() : nil
        self.scenario = scenario
        self.seed = seed
        self.costProfile = costProfile
        self.mutation = mutation
        verifier = SignatureVerifier(scheme: scenario.consensus.signatureScheme,
                                     verifyingAhead: verifyingAhead && scenario.consensus.signatureScheme == .ed25519)
        let keys = RandomStream(masterSeed: seed, name: "keys/validators")
        var members: [Validator] = []
        var keyPairs: [KeyPair] = []
        for index in 0..<scenario.validators.count {
            let keyPair = KeyPair(drawingFrom: keys)
            keyPairs.append(keyPair)
            members.append(Validator(id: NodeID(index), publicKey: keyPair.publicKey,
                                     stake: scenario.validators.stake(ofValidator: index).rawValue,
                                     region: scenario.validators.region(ofValidator: index)))
        }
        validators = ValidatorSet(members)
        shardMap = ShardMap(scenario.sharding?.shards ?? [Region.allCases])
        nodeMemoryPeakBytes = Array(repeating: 0, count: members.count)
        self.keyPairs = keyPairs
        let regions = members.map(\.region)
        let calendar = scenario.run.calendar
        gridNetwork = GridNetwork(topology: scenario.grid.topology, calendar: calendar)
        workload = Workload(scenario: scenario, seed: seed, validatorRegions: regions, calendar: calendar)
        thinkTimes = RandomStream(masterSeed: seed, name: "load/think-time")
        impact = GridImpact(topology: scenario.grid.topology)
        physicalGrid = PhysicalGrid(network: gridNetwork,
                                    loadNoise: RandomStream(masterSeed: seed, name: "grid/load-noise"),
                                    loadNoiseSigma: scenario.grid.loadNoise.fraction)
        let genesisOutputs = workload.takeGenesis()
        genesis = Simulator.genesisState(scenario: scenario, workload: workload, outputs: genesisOutputs, gridNetwork: gridNetwork,
                                         mutation: mutation?.exchange)
        unspentOutPoints = Set(genesisOutputs.indices.map { OutPoint(transaction: genesisOrigin, index: UInt32($0)) })
        currentParameters = genesis.governance.parameters
        governanceStatistics.initial = genesis.governance.parameters
        proposalIDs = Array(repeating: nil, count: scenario.governance.proposals.count)
        network = Network(settings: scenario.network, nodeRegions: regions, faults: scenario.faults, seed: seed)
        consensusStatistics.mutation = mutation?.name
        startInitialChains()
        for member in members {
            let chain = chains.first { $0.members.contains(member.id.index) }?.serial
            var runtime = NodeRuntime(node: chain.map { makeNode(member.id.index, chain: $0) } ?? standbyNode(member.id.index),
                                      coreFreeAt: Array(repeating: .zero, count: scenario.validators.cores))
            runtime.chain = chain
            runtime.skew = scenario.faults.clockSkews.last { $0.node == member.id.index }?.skew ?? .zero
            runtimes.append(runtime)
            storage.append(NodeStorage())
        }
    }

    /// One chain instance per shard of the scenario's map, each from the genesis state with
    /// only its regions' accounts and areas; without sharding, one chain of every validator.
    private func startInitialChains() {
        guard let settings = scenario.sharding else {
            var state = genesis
            execution?.identify(&state)
            chains = [ChainInstance(serial: 0, shard: ShardID(1), members: Array(validators.members.indices),
                                    validators: validators, genesis: state, startedAt: .zero,
                                    validatorCount: validators.count)]
            currentChain = [0]
            sharding.shards = [ShardSummary(shard: ShardID(1), regions: Region.allCases, createdAt: .zero)]
            return
        }
        sharding.enabled = true
        if settings.autoscaler.enabled {
            let scaler = settings.autoscaler
            autoscaler = Autoscaler(policy: AutoscalerPolicy(
                cpuHigh: scaler.cpuHigh, memoryHighBytes: scaler.memoryHighBytes,
                finalityTargetNanos: scaler.finalityTarget.nanoseconds, offeredShareHigh: scaler.tpsShare,
                cpuLow: scaler.cpuLow, minimumOfferedPerSecond: scaler.minimumOfferedPerSecond,
                capacityPerSecond: Double(scenario.consensus.maxBlockTransactions) / scenario.consensus.blockInterval.seconds,
                sustainWindows: scaler.sustainWindows, cooldownNanos: scaler.cooldown.nanoseconds,
                maxShards: scaler.maxShards, minShards: scaler.minShards))
        }
        var rest = genesis
        rest.commitVerifier = directory
        var standby = Array(validators.members.indices)
        for shard in shardMap.shards {
            var state = rest
            if shard.id != shardMap.shards.last!.id {
                let moving = shard.regions
                // The last shard keeps instance 0; the others take their chain's serial + 1.
                let parts = rest.splitting(movingAreas: areaMoves(moving), movingOwners: ownerMoves(moving),
                                           instances: (kept: 0, moved: UInt64(chains.count + 1)))
                (rest, state) = (parts.kept, parts.moved)
            }
            let committee = chooseCommittee(for: shard.id, from: standby)
            precondition(committee.count == settings.committee,
                         "every chain's committee is full: the scenario check and the swarm draw give each shard enough validators")
            standby.removeAll { committee.contains($0) }
            sharding.shards.append(ShardSummary(shard: shard.id, regions: shard.regions, createdAt: .zero))
            startChain(shard: shard.id, members: committee, genesis: state, at: .zero)
        }
        updateRecipientPools()
    }

    /// Which market areas lie wholly in `regions`.
    private func areaMoves(_ regions: [Region]) -> (Int) -> Bool {
        let areas = scenario.market.areas
        return { area in areas[area].allSatisfy(regions.contains) }
    }

    /// Which owners live in `regions`: participants and grid operators by their region;
    /// validators' reward keys by none (their outputs stay where they were earned).
    private func ownerMoves(_ regions: [Region]) -> (PublicKey) -> Bool {
        let workload = self.workload
        return { owner in
            workload.agentIndex(of: owner).map { regions.contains(workload.agents[$0].location.region) } ?? false
        }
    }

    /// For each region, the participants in the same shard (whom a transfer may pay) and, with
    /// cross-shard transfers, those in other shards.
    private func updateRecipientPools() {
        let shardOfRegion = Region.allCases.map { shardMap.shard(of: $0).rawValue }
        let participants = workload.agents.indices.filter { workload.agents[$0].participantClass >= 0 }
        var pools = Array(repeating: [Int](), count: Region.allCases.count)
        var foreign = pools
        for region in Region.allCases {
            for agent in participants {
                let same = shardOfRegion[workload.agents[agent].location.region.index] == shardOfRegion[region.index]
                if same { pools[region.index].append(agent) } else { foreign[region.index].append(agent) }
            }
        }
        workload.recipientPools = pools
        workload.foreignPools = foreign
        workload.shardOfRegion = shardOfRegion
        let sellerRegions = workload.sellerRegions
        workload.foreignMarkets = Region.allCases.map { region in
            sellerRegions.filter { shardOfRegion[$0.index] != shardOfRegion[region.index] }
        }
    }

    /// `seats` validators from `candidates` by the proposer score, salted by the shard and the
    /// chain instance about to start.
    private func chooseCommittee(for shard: ShardID, from candidates: [Int], seats: Int? = nil) -> [Int] {
        var encoder = CanonicalEncoder()
        encoder.append("committee")
        encoder.append(seed)
        encoder.append(UInt64(shard.rawValue))
        encoder.append(UInt64(chains.count))
        // Reputation from the chain a validator serves; a fresh one's for a validator standing by.
        func reputation(of validator: Int) -> Int64 {
            guard runtimes.indices.contains(validator), let chain = runtimes[validator].chain,
                  let local = chains[chain].local(validator) else { return 5_000 }
            return runtimes[validator].node.registry.reputation[local.index]
        }
        let pool = candidates.map { validator in
            CommitteeCandidate(validator: validator, stake: validators.members[validator].stake,
                               reputation: reputation(of: validator), region: validators.members[validator].region)
        }
        return CommitteeSelection.choose(seats ?? scenario.sharding?.committee ?? candidates.count, from: pool,
                                         salt: encoder.blake2b).sorted()
    }

    /// A committee of the scenario's size, chosen by the proposer score from the first of
    /// `tiers` (validators that are up), and from the next ones in turn for the seats it leaves
    /// (a merge's crashed members last: seated, they rejoin when they restart). A smaller
    /// committee would tolerate fewer faults than the scenario asks, and its Byzantine members
    /// could hold a third of its stake (the bound a swarm draw keeps holds for full
    /// committees): with a crashed member left out of a split, an equivocator and one honest
    /// validator made a quorum of three (swarm seed 11803).
    private func fullCommittee(for shard: ShardID, tiers: [[Int]]) -> [Int] {
        let seats = scenario.sharding!.committee
        var chosen: [Int] = []
        for tier in tiers where chosen.count < seats {
            chosen += chooseCommittee(for: shard, from: tier.filter { !chosen.contains($0) }, seats: seats - chosen.count)
        }
        return chosen.sorted()
    }

    /// A full committee for `shard` from `members` (of the chains it replaces): those up first,
    /// then validators standing by, then those down (seated, they rejoin when they restart).
    private func fullCommittee(for shard: ShardID, keepingThoseUpOf members: [Int]) -> [Int] {
        fullCommittee(for: shard, tiers: [members.filter { runtimes[$0].up }, standbyValidators(),
                                          members.filter { !runtimes[$0].up }])
    }

    /// Adds a chain instance for `shard` and makes it the shard's current one.
    @discardableResult
    private func startChain(shard: ShardID, members: [Int], genesis: ChainState, at time: SimTime) -> Int {
        precondition(!members.isEmpty, "a chain needs a committee")
        let set = ValidatorSet(members.enumerated().map { local, validator in
            let member = validators.members[validator]
            return Validator(id: NodeID(local), publicKey: member.publicKey, stake: member.stake, region: member.region)
        })
        let serial = chains.count
        directory.register(chain: UInt64(serial), committee: set)
        var genesis = genesis
        execution?.identify(&genesis)
        chains.append(ChainInstance(serial: serial, shard: shard, members: members, validators: set, genesis: genesis,
                                    startedAt: time, validatorCount: validators.count))
        while currentChain.count < shard.rawValue { currentChain.append(nil) }
        currentChain[shard.rawValue - 1] = serial
        sharding.shards[shard.rawValue - 1].committee = members
        return serial
    }

    /// The node a standby validator holds until it is seated: a chain of its own at the run's
    /// genesis, never started.
    private func standbyNode(_ validator: Int) -> ValidatorNode {
        let member = validators.members[validator]
        let solo = ValidatorSet([Validator(id: NodeID(0), publicKey: member.publicKey, stake: member.stake, region: member.region)])
        return makeNode(validator, id: NodeID(0), validators: solo, genesis: genesis)
    }

    /// A fresh node for `validator` on chain instance `chain`, at that chain's genesis.
    private func makeNode(_ validator: Int, chain serial: Int) -> ValidatorNode {
        let chain = chains[serial]
        return makeNode(validator, id: chain.local(validator)!, validators: chain.validators, genesis: chain.genesis)
    }

    private func makeNode(_ validator: Int, id: NodeID, validators: ValidatorSet, genesis: ChainState) -> ValidatorNode {
        let consensus = scenario.consensus
        let behaviour = scenario.faults.byzantine.first { $0.node == validator }.map { entry in
            guard let known = ByzantineBehaviour(rawValue: entry.behaviour) else {
                preconditionFailure("the scenario schema admits behaviour '\(entry.behaviour)', which the node lacks")
            }
            return known
        }
        let parameters = ConsensusParameters(
            blockInterval: consensus.blockInterval,
            timeoutPropose: consensus.timeoutPropose, timeoutPrevote: consensus.timeoutPrevote,
            timeoutPrecommit: consensus.timeoutPrecommit, timeoutDelta: consensus.timeoutDelta,
            epochLength: consensus.epochLength, slashShare: consensus.slash, proofOfWorkBits: consensus.proofOfWorkBits,
            signatureScheme: consensus.signatureScheme, mutation: mutation?.consensus, forgetsLocks: behaviour?.forgetsLocks ?? false)
        let configuration = NodeConfiguration(consensus: parameters, storageSyncEvery: scenario.storage.syncEvery,
                                              behaviour: behaviour, mempoolLimit: consensus.mempoolLimit)
        return ValidatorNode(id: id, validators: validators, keyPair: keyPairs[validator],
                             configuration: configuration, verifier: verifier, execution: execution, genesis: genesis,
                             collusion: collusion)
    }

    /// The chain state every validator starts from: the scenario's rules and the genesis balances.
    static func genesisState(scenario: Scenario, workload: Workload, outputs: [TxOutput], gridNetwork: GridNetwork,
                             mutation: ExchangeMutation?) -> ChainState {
        let market = scenario.market
        let parameters = LedgerParameters(
            gridOperators: workload.gridOperatorKeys, minimumFee: market.minimumFee, tradingFee: market.tradingFee,
            blockReward: market.blockReward, creditsPerKWh: market.creditsPerKWh,
            settlementTimeout: market.settlementTimeout)
        let clearingRule = ClearingRule(rawValue: market.clearingRule)!
        let configuration = MarketConfiguration(
            areas: market.areas, clearingRule: clearingRule, slotLength: market.slot,
            candidateLimit: market.candidateLimit, mutation: mutation)
        let settings = scenario.governance
        let governance = GovernanceState(
            rules: GovernanceRules(deposit: settings.deposit, epochLength: scenario.consensus.epochLength),
            parameters: GovernanceParameters(
                maxBlockTransactions: scenario.consensus.maxBlockTransactions, blockInterval: scenario.consensus.blockInterval,
                minimumFee: market.minimumFee, tradingFee: market.tradingFee,
                clearingRule: Int64(ClearingRule.continuous.firstIndex(of: clearingRule) ?? 0),
                quorum: settings.quorum, passThreshold: settings.passThreshold))
        return ChainState(parameters: parameters, configuration: configuration,
                          grid: GridState(network: gridNetwork, slotLength: market.slot), governance: governance,
                          genesis: outputs)
    }

    /// Runs to the scenario's duration, or until an invariant breaks. `progress`, when given, is
    /// called every 65,536 events with the simulated time and the events handled so far (the
    /// command line turns that into a progress line; the simulation reads no clock).
    public func run(progress: ((SimTime, UInt64) -> Void)? = nil) -> RunResult {
        for index in runtimes.indices where runtimes[index].chain != nil {
            effects.removeAll(keepingCapacity: true)
            runtimes[index].node.start(at: .zero + runtimes[index].skew, effects: &effects)
            apply(effects, from: NodeID(index), at: .zero)
        }
        if let settings = scenario.sharding { loop.schedule(.shardMonitor, at: .zero + settings.autoscaler.interval) }
        scheduleFaults()
        workload.drawInitialConditions()
        scheduleLoad()
        loop.schedule(.meterReading, at: .zero + scenario.market.mintInterval)
        loop.schedule(.gridSample, at: .zero)
        let limit = RunLimit(endTime: .zero + scenario.run.duration)
        var stopReason = StopReason.timeLimit
        while let event = loop.next(within: limit) {
            handle(event)
            if !violations.isEmpty {
                stopReason = .stopCondition
                break
            }
            if let progress, loop.processedEvents & 0xFFFF == 0 { progress(loop.now, loop.processedEvents) }
        }
        if violations.isEmpty { stopReason = loop.stopReason(for: limit) }
        for violation in violations {
            tracer?(TraceLine(time: violation.time, kind: .verdict, node: violation.nodes.first?.index ?? 0,
                              height: violation.height, detail: "\(violation.kind.rawValue) \(violation.invariant): \(violation.detail)"))
        }
        finishCrossShard()
        let blocks = chains.flatMap(\.blocks)
        for chain in chains where chain.isCurrent {
            sharding.shards[chain.shard.rawValue - 1].regions = shardMap.regions(of: chain.shard)
        }
        sharding.heldBackSplits = autoscaler?.heldBack ?? HeldBackSplits()
        return RunResult(
            scenario: scenario, seed: seed, digest: RunDigest.compute(blocks: blocks, transactions: tracker),
            stopReason: stopReason, endTime: loop.now, events: loop.processedEvents, transactions: tracker,
            blocks: blocks, violations: violations, costProfile: costProfile,
            nodeBusyNanos: runtimes.map(\.busyNanos), nodeMemoryPeakBytes: nodeMemoryPeakBytes,
            signatureChecksComputed: verifier.computedVerifications,
            signatureCacheHits: verifier.cacheHits, signatureChecksAhead: verifier.verifiedAhead,
            executionStepsComputed: execution?.computed ?? 0, executionStepsReused: execution?.reused ?? 0,
            admissionChecksReused: execution?.checksReused ?? 0,
            market: market, gridImpact: impact, gridSamples: gridSamples,
            gridElementNames: gridNetwork.elements.indices.map(gridNetwork.element(named:)),
            gridLineCount: gridNetwork.topology.lines.count, consensus: finalConsensusStatistics(),
            load: loadStatistics, governance: governanceStatistics, sharding: sharding)
    }

    private func finalConsensusStatistics() -> ConsensusStatistics {
        var statistics = consensusStatistics
        statistics.messagesDropped = network.dropped
        statistics.messagesDuplicated = network.duplicated
        for chain in chains where chain.isCurrent {
            let honest = chain.members.filter { !isByzantine($0) && runtimes[$0].chain == chain.serial }
            guard let reference = honest.max(by: { runtimes[$0].node.height < runtimes[$1].node.height }) else { continue }
            let registry = runtimes[reference].node.registry
            statistics.equivocationsCommitted += registry.equivocations
            statistics.slashed += registry.slashedCount
            statistics.missedVotes += registry.missedVotes
            statistics.activeValidators += chain.members.indices.filter {
                runtimes[chain.members[$0]].up && !registry.slashed[$0] && !isByzantine(chain.members[$0])
            }.count
        }
        return statistics
    }

    private func isByzantine(_ index: Int) -> Bool {
        scenario.faults.byzantine.contains { $0.node == index }
    }

    // MARK: Faults

    private func scheduleFaults() {
        func add(_ action: FaultAction, at time: SimTime) {
            loop.schedule(.fault(index: Int32(faultActions.count)), at: time)
            faultActions.append(action)
        }
        let faults = scenario.faults
        for crash in faults.crashes {
            add(.crash(crash.node), at: crash.at)
            if let restart = crash.restart { add(.restart(crash.node), at: restart) }
        }
        for pause in faults.pauses {
            add(.pause(pause.node, until: pause.at + pause.duration), at: pause.at)
            add(.resume(pause.node), at: pause.at + pause.duration)
        }
        if faults.checksLiveness {
            add(.livenessBaseline, at: faults.end)
            add(.livenessCheck, at: faults.end + scenario.liveness.bound)
        }
    }

    private func perform(_ action: FaultAction) {
        let now = loop.now
        if let tracer {
            switch action {
            case .crash(let index): tracer(TraceLine(time: now, kind: .fault, node: index, height: 0, detail: "crash"))
            case .restart(let index): tracer(TraceLine(time: now, kind: .fault, node: index, height: 0, detail: "restart"))
            case .pause(let index, let until):
                tracer(TraceLine(time: now, kind: .fault, node: index, height: 0, detail: "pause until \(until.nanoseconds)"))
            case .resume(let index): tracer(TraceLine(time: now, kind: .fault, node: index, height: 0, detail: "resume"))
            case .livenessBaseline, .livenessCheck: break
            }
        }
        switch action {
        case .crash(let index):
            guard runtimes[index].up else { return }
            runtimes[index].downSince = now
            // Clients connected to the validator see the connection reset: each sends again, to
            // the next member, a transaction it submitted there that is not final yet (peers
            // that hold it refuse it as a duplicate) or that the validator had not read.
            for transaction in runtimes[index].node.waitingTransactions where pending[transaction.id]?.entry == index {
                redirect(transaction, refusedBy: NodeID(index))
            }
            for input in runtimes[index].inbox {
                switch input {
                case .client(let transaction), .handover(let transaction): redirect(transaction, refusedBy: NodeID(index))
                case .message, .timer: break
                }
            }
            runtimes[index].inbox.removeAll()
            storage[index].records.removeLast(storage[index].records.count - storage[index].synced)
            consensusStatistics.crashes += 1
        case .restart(let index):
            guard !runtimes[index].up else { return }
            var runtime = runtimes[index]
            runtime.incarnation += 1
            runtime.downSince = nil
            runtime.pausedUntil = nil
            runtime.readyScheduled = false
            consensusStatistics.restarts += 1
            guard let chain = runtime.chain else {
                runtimes[index] = runtime
                return
            }
            runtime.node = makeNode(index, chain: chain)
            var work = WorkMeter()
            let stored = Array(storage[index].records.prefix(storage[index].synced))
            runtime.node.restore(from: stored, signing: storage[index].signing, at: now + runtime.skew, work: &work)
            consensusStatistics.blocksReplayed += runtime.node.chain.count
            let cost = costProfile.cost(of: work)
            runtime.coreFreeAt = runtime.coreFreeAt.map { _ in now + cost }
            runtime.busyNanos += cost.nanoseconds
            runtimes[index] = runtime
            effects.removeAll(keepingCapacity: true)
            runtimes[index].node.start(at: now + cost + runtime.skew, effects: &effects)
            apply(effects, from: NodeID(index), at: now + cost)
        case .pause(let index, let until):
            runtimes[index].pausedUntil = until
        case .resume(let index):
            runtimes[index].pausedUntil = nil
            drainInbox(of: NodeID(index))
        case .livenessBaseline:
            livenessBaselines = chains.filter(\.isCurrent).map { chain in
                (chain.serial, honestHeights(on: chain.serial).map(\.height).max() ?? 0)
            }
        case .livenessCheck:
            // A chain a reshard started after the faults ended is checked from its first height,
            // once it has had a handover, a block interval and a timed-out round to reach it.
            let settled = now - (scenario.sharding?.handover ?? .zero) - scenario.consensus.livenessFloor
            let started = chains.filter { chain in
                chain.isCurrent && chain.startedAt <= settled && !livenessBaselines.contains { $0.chain == chain.serial }
            }
            for (serial, baseline) in livenessBaselines.filter({ chains[$0.chain].isCurrent }) + started.map({ ($0.serial, 0) }) {
                let chain = chains[serial]
                let advanced = honestHeights(on: serial).filter { $0.height > baseline }
                let stake = advanced.reduce(Int64(0)) { $0 + chain.validators[chain.local($1.index)!].stake }
                if !chain.validators.isQuorum(stake) {
                    let shard = shardSuffix(of: serial)
                    violations.append(InvariantViolation(
                        kind: .liveness, invariant: "liveness", height: UInt64(baseline + 1),
                        nodes: advanced.map { NodeID($0.index) }, time: now,
                        detail: "faults ended at \(scenario.faults.end); \(scenario.liveness.bound) later only validators holding \(stake) of \(chain.validators.totalStake) stake had finalized past height \(baseline)\(shard) (needs > 2/3)"))
                }
            }
        }
    }

    /// " on shard N" for chain instance `serial` in a sharded run, where heights are per chain;
    /// empty otherwise.
    private func shardSuffix(of serial: Int) -> String {
        sharding.enabled ? " on \(chains[serial].shard)" : ""
    }

    /// Committed heights of the honest validators that are up and serve chain instance `serial`.
    private func honestHeights(on serial: Int) -> [(index: Int, height: Int)] {
        chains[serial].members.filter { runtimes[$0].up && !isByzantine($0) && runtimes[$0].chain == serial }
            .map { ($0, runtimes[$0].node.chain.count) }
    }

    private func handle(_ event: Event) {
        let now = loop.now
        switch event {
        case .orderArrival(let participantClass):
            submitFromLoad(ofClass: Int(participantClass), transfer: false)
            if scenario.load.controller.isTimed,
               let next = workload.nextArrival(ofClass: Int(participantClass), transfers: false, after: now) {
                loop.schedule(.orderArrival(participantClass: participantClass), at: next)
            }
        case .transferArrival(let participantClass):
            submitFromLoad(ofClass: Int(participantClass), transfer: true)
            if scenario.load.controller.isTimed,
               let next = workload.nextArrival(ofClass: Int(participantClass), transfers: true, after: now) {
                loop.schedule(.transferArrival(participantClass: participantClass), at: next)
            }
        case .tracedArrival(let row):
            let given = scenario.load.trace[Int(row)]
            submitFromLoad(ofClass: workload.classIndex(ofParticipant: given.participant!), transfer: given.transfer,
                           given: given)
        case .governanceProposal(let index):
            submitProposal(index: Int(index))
        case .governanceVote(let agent, let proposal, let ballot):
            guard let id = proposalIDs[Int(proposal)] else { return }
            governanceStatistics.votes += 1
            submit(workload.makeVote(by: Int(agent), on: id, ballot: ballot, at: now), by: Int(agent), kind: .vote)
        case .meterReading:
            for (transaction, agent) in workload.readMeters(at: now, interval: scenario.market.mintInterval) {
                submit(transaction, by: agent, kind: .mint)
            }
            loop.schedule(.meterReading, at: now + scenario.market.mintInterval)
        case .settlementDue(let trade):
            let (transaction, agent) = workload.makeSettlement(for: tradesAwaitingSettlement[Int(trade)], at: now)
            submit(transaction, by: agent, kind: .settlement)
        case .gridSample:
            sampleGrid(at: now)
            loop.schedule(.gridSample, at: now + scenario.grid.sampleInterval)
        case .clientDelivery(let node, let chain, let transaction, let handover):
            guard runtimes[node.index].chain == Int(chain) else { return }
            guard runtimes[node.index].up else {
                redirect(transaction, refusedBy: node)
                return
            }
            deliver(handover ? .handover(transaction) : .client(transaction), to: node)
        case .delivery(let to, let from, let chain, let message):
            guard runtimes[to.index].chain == Int(chain), runtimes[from.index].chain == Int(chain) else { return }
            if let tracer { traceDelivery(message, from: from, to: to, tracer) }
            deliver(.message(from: chains[Int(chain)].local(from.index)!, message), to: to)
        case .relayCheck(let transfer, let attempt):
            retryRelay(Int(transfer), attempt: attempt)
        case .shardMonitor:
            closeMonitorWindow()
            loop.schedule(.shardMonitor, at: now + scenario.sharding!.autoscaler.interval)
        case .timer(let node, let incarnation, let timer):
            guard incarnation == runtimes[node.index].incarnation else { return }
            deliver(.timer(timer), to: node)
        case .nodeReady(let node):
            runtimes[node.index].readyScheduled = false
            drainInbox(of: node)
        case .fault(let index):
            perform(faultActions[Int(index)])
        }
    }

    /// Submits the scenario's governance proposal `index` from its proposer entry.
    private func submitProposal(index: Int) {
        let spec = scenario.governance.proposals[index]
        let parameter = GovernedParameter(rawValue: spec.parameter)!
        let period = spec.votingPeriodBlocks ?? scenario.governance.votingPeriodBlocks
        guard let (transaction, agent) = workload.makeProposal(spec, parameter: parameter, votingPeriodBlocks: period,
                                                               deposit: scenario.governance.deposit, at: loop.now) else {
            return
        }
        governanceStatistics.submitted += 1
        proposalIDs[index] = transaction.id
        proposalIndex[transaction.id] = index
        submit(transaction, by: agent, kind: .proposal)
    }

    /// A proposal is final: the participants holding payment tokens each vote with the
    /// proposal's turnout, at times spread over the first 60 % of its voting period.
    private func scheduleVotes(onProposal index: Int, at now: SimTime) {
        let spec = scenario.governance.proposals[index]
        let period = spec.votingPeriodBlocks ?? scenario.governance.votingPeriodBlocks
        let window = Double(period) * currentParameters.blockInterval.seconds * 0.6
        let draws = RandomStream(masterSeed: seed, name: "governance/votes/\(index)")
        for agent in workload.paymentHolders where draws.bernoulli(spec.turnout.fraction) {
            let ballot: Ballot = draws.bernoulli(spec.abstain.fraction) ? .abstain
                : draws.bernoulli(spec.support.fraction) ? .yes : .no
            loop.schedule(.governanceVote(agent: Int32(agent), proposal: Int32(index), ballot: ballot),
                          at: now + SimDuration(seconds: draws.uniform() * window))
        }
    }

    /// Starts the load: timed arrivals per class, the closed loop's first `outstanding`
    /// transactions, or every row of the trace; and the governance proposals.
    private func scheduleLoad() {
        for (index, proposal) in scenario.governance.proposals.enumerated() {
            loop.schedule(.governanceProposal(index: Int32(index)), at: proposal.at)
        }
        switch scenario.load.controller {
        case .poisson, .fixed:
            for classIndex in workload.classes.indices {
                if let first = workload.nextArrival(ofClass: classIndex, transfers: false, after: .zero) {
                    loop.schedule(.orderArrival(participantClass: Int32(classIndex)), at: first)
                }
                if let first = workload.nextArrival(ofClass: classIndex, transfers: true, after: .zero) {
                    loop.schedule(.transferArrival(participantClass: Int32(classIndex)), at: first)
                }
            }
        case .closedLoop:
            for _ in 0..<scenario.load.outstanding { scheduleClosedLoopArrival(at: .zero) }
        case .trace:
            for (index, row) in scenario.load.trace.enumerated() where row.time <= .zero + scenario.run.duration {
                guard row.participant == nil else {
                    loop.schedule(.tracedArrival(row: Int32(index)), at: row.time)
                    continue
                }
                let participantClass = Int32(workload.drawClass(ofEntry: row.entry))
                loop.schedule(row.transfer ? .transferArrival(participantClass: participantClass)
                                           : .orderArrival(participantClass: participantClass), at: row.time)
            }
        }
    }

    private func scheduleClosedLoopArrival(at time: SimTime) {
        guard let (participantClass, transfer) = workload.drawClosedLoopArrival() else { return }
        loop.schedule(transfer ? .transferArrival(participantClass: Int32(participantClass))
                               : .orderArrival(participantClass: Int32(participantClass)), at: time)
    }

    /// An order or transfer from the load, with the details a trace row gives; under the closed
    /// loop, one that could not be funded is drawn again 100 ms later, so the number in flight
    /// stays the same without a place redrawing at one instant while every participant is spent.
    private func submitFromLoad(ofClass index: Int, transfer: Bool, given: TraceRow? = nil) {
        let now = loop.now
        let (arrival, made) = transfer ? workload.makeTransfer(ofClass: index, at: now, given: given)
            : workload.makeOrder(ofClass: index, at: now, given: given)
        arrivalObserver?(arrival)
        if transfer { loadStatistics.offeredTransfers += 1 } else { loadStatistics.offeredOrders += 1 }
        if made == nil {
            if transfer { loadStatistics.unfundedTransfers += 1 } else { loadStatistics.unfundedOrders += 1 }
        }
        if let (transaction, agent) = made {
            submit(transaction, by: agent, kind: transfer ? .transfer : .order)
            if scenario.load.controller == .closedLoop { closedLoopInFlight.insert(transaction.id) }
        } else if scenario.load.controller == .closedLoop {
            scheduleClosedLoopArrival(at: now + .milliseconds(100))
        }
    }

    /// A closed-loop transaction finished (finalized or rejected) at `time`: when the node that
    /// finished it is done processing, or `load.backoff` after that when it refused it as
    /// `mempool_full`. Its client's next transaction starts a think time later
    /// (`load.think_time`, exponential).
    private func completed(_ id: TransactionID, at time: SimTime) {
        guard closedLoopInFlight.remove(id) != nil else { return }
        let meanThink = scenario.load.thinkTime
        guard meanThink > .zero else { return scheduleClosedLoopArrival(at: time) }
        let thinkSeconds = thinkTimes.exponential(mean: meanThink.seconds)
        // A client thinking past the run's end sends nothing more.
        guard thinkSeconds < ((.zero + scenario.run.duration) - time).seconds else { return }
        scheduleClosedLoopArrival(at: time + SimDuration(seconds: thinkSeconds))
    }

    private func submit(_ transaction: Transaction, by agent: Int, kind: SubmissionKind) {
        let now = loop.now
        let participant = workload.agents[agent]
        tracker.submitted(transaction.id, participantClass: participant.participantClass, kind: kind.name,
                          region: participant.location.region, at: now)
        verifier.prefetch(transaction.signature, of: transaction.id, by: transaction.signer)
        if case .mint(let attestation) = transaction.kind {
            verifier.prefetch(attestation.signature, of: attestation.digest, by: attestation.gridOperator)
        }
        route(transaction, by: agent)
    }

    /// Sends a waiting transaction to the current chain of `shard` — by default its region's
    /// (its participant's own, or where a cross-shard bid's proceeds are held): to the
    /// participant's entry validator without sharding, else to a committee member chosen by the
    /// participant. `handover` when a reshard moves it from the chain it waited on.
    private func route(_ transaction: Transaction, by agent: Int, to shard: ShardID? = nil, handover: Bool = false) {
        let participant = workload.agents[agent]
        let shard = shard ?? shardMap.shard(of: transaction.region)
        let serial = currentChain[shard.rawValue - 1]!
        let entry = sharding.enabled ? NodeID(chains[serial].members[agent % chains[serial].members.count])
                                     : participant.entryNode
        pending[transaction.id] = PendingTransaction(transaction: transaction, agent: agent, chain: serial,
                                                     entry: entry.index, handedOver: handover)
        if sharding.enabled { chains[serial].window.recordOffered(from: transaction.region) }
        let arrival = network.clientArrival(from: participant.location.region, to: entry, sentAt: loop.now)
        loop.schedule(.clientDelivery(node: entry, chain: Int32(serial), transaction: transaction, handover: handover),
                      at: arrival)
    }

    /// A client learns that the validator it sent `transaction` to is down when the connection
    /// is refused or reset, one trip back later, and sends it to the next member of the same
    /// chain; once it has tried them all it waits a block interval before the next round of
    /// tries. That covers a submission the validator had not read and one it admitted but had
    /// not seen final when it crashed (peers that hold it already refuse the resend as a
    /// duplicate). Without this such a transaction waited to the end of the run, holding its
    /// participant's coins. A relayed cross-shard step is left to its relayer's retry timer, and
    /// a transaction routed elsewhere since is not sent again.
    private func redirect(_ transaction: Transaction, refusedBy node: NodeID) {
        guard !transaction.isRelayedStep, var waiting = pending[transaction.id],
              runtimes[node.index].chain == waiting.chain else { return }
        let members = chains[waiting.chain].members
        let next = NodeID(members[(members.firstIndex(of: node.index)! + 1) % members.count])
        waiting.redirects += 1
        waiting.entry = next.index
        pending[transaction.id] = waiting
        loadStatistics.redirectedSubmissions += 1
        let region = workload.agents[waiting.agent].location.region
        var refusedAt = network.clientArrival(from: region, to: node, sentAt: loop.now)
        if waiting.redirects % members.count == 0 { refusedAt = refusedAt + scenario.consensus.blockInterval }
        let arrival = network.clientArrival(from: region, to: next, sentAt: refusedAt)
        loop.schedule(.clientDelivery(node: next, chain: Int32(waiting.chain), transaction: transaction,
                                      handover: waiting.handedOver), at: arrival)
    }

    private func sampleGrid(at time: SimTime) {
        let (generation, forecast) = workload.zoneActivity(at: time, zones: gridNetwork.zoneCount,
                                                           zoneIndex: gridNetwork.zoneIndex)
        var activity = ZoneActivity(zones: gridNetwork.zoneCount)
        activity.generationWatts = generation
        activity.forecastWatts = forecast
        var booked = [Int64](repeating: 0, count: gridNetwork.elements.count)
        for chain in chains where chain.isCurrent {
            for (element, watts) in runtimes[chain.members[0]].node.state.grid.bookedFlows(at: time).enumerated() {
                booked[element] += watts
            }
        }
        let sample = physicalGrid.sample(at: time, activity: activity, bookedFlows: booked)
        impact.record(sample)
        gridSamples.append(sample)
        for index in runtimes.indices {
            nodeMemoryPeakBytes[index] = max(nodeMemoryPeakBytes[index], runtimes[index].node.modelledMemoryBytes)
        }
    }

    // MARK: Nodes and their CPUs

    /// Hands `input` to the node now if a core is free and nothing is queued; otherwise queues it.
    /// A crashed node loses it; a paused one keeps it queued until it resumes.
    private func deliver(_ input: NodeInput, to node: NodeID) {
        // Fields are read in place: copying the runtime would share the inbox's buffer and make
        // the next append copy the whole queue.
        let now = loop.now
        guard runtimes[node.index].up else { return }
        if runtimes[node.index].pausedUntil != nil {
            runtimes[node.index].inbox.append(input)
            return
        }
        if runtimes[node.index].inbox.isEmpty, freeCoreTime(node) <= now {
            process(input, on: node, at: now)
        } else {
            runtimes[node.index].inbox.append(input)
            scheduleReady(node)
        }
    }

    private func drainInbox(of node: NodeID) {
        let now = loop.now
        guard runtimes[node.index].up, runtimes[node.index].pausedUntil == nil else { return }
        while !runtimes[node.index].inbox.isEmpty {
            guard freeCoreTime(node) <= now else { break }
            let input = runtimes[node.index].inbox.removeFirst()
            process(input, on: node, at: now)
        }
        if !runtimes[node.index].inbox.isEmpty { scheduleReady(node) }
    }

    private func scheduleReady(_ node: NodeID) {
        guard !runtimes[node.index].readyScheduled else { return }
        runtimes[node.index].readyScheduled = true
        loop.schedule(.nodeReady(node: node), at: max(loop.now, freeCoreTime(node)))
    }

    /// When the node's earliest core is free.
    private func freeCoreTime(_ node: NodeID) -> SimTime {
        runtimes[node.index].coreFreeAt.min()!
    }

    /// Runs the node's state machine on a free core; its effects take place when the work is done.
    private func process(_ input: NodeInput, on node: NodeID, at start: SimTime) {
        var work = WorkMeter()
        effects.removeAll(keepingCapacity: true)
        runtimes[node.index].node.handle(input, now: start + runtimes[node.index].skew, work: &work, effects: &effects)
        let cost = costProfile.cost(of: work)
        let core = runtimes[node.index].earliestFreeCore
        let done = start + cost
        runtimes[node.index].coreFreeAt[core] = done
        runtimes[node.index].busyNanos += cost.nanoseconds
        apply(effects, from: node, at: done)
    }

    /// Carries out a node's effects; the node names its peers by their ids on its chain.
    private func apply(_ effects: [NodeEffect], from node: NodeID, at time: SimTime) {
        let serial = runtimes[node.index].chain!
        let members = chains[serial].members
        for effect in effects {
            switch effect {
            case .broadcast(let message):
                send(message, from: node, to: chains[serial].peers(of: node), chain: serial, at: time)
            case .send(let targets, let message):
                send(message, from: node, to: targets.map { NodeID(members[$0.index]) }, chain: serial, at: time)
            case .gossip(let transaction, let sender):
                let targets = network.gossipTargets(peers: chains[serial].peers(of: node),
                                                    relayedFrom: sender.map { NodeID(members[$0.index]) })
                if !targets.isEmpty { send(.transaction(transaction), from: node, to: targets, chain: serial, at: time) }
            case .setTimer(let timer, let at):
                loop.schedule(.timer(node: node, incarnation: runtimes[node.index].incarnation, timer: timer),
                              at: max(at - runtimes[node.index].skew, time))
            case .admitted(let id):
                if let submitted = tracker.admitted(id, at: time), sharding.enabled {
                    chains[serial].window.recordAdmission(latencyNanos: (time - submitted).nanoseconds)
                    if submitted >= warmupEnd {
                        sharding.shards[chains[serial].shard.rawValue - 1].admissionNanos.append((time - submitted).nanoseconds)
                    }
                }
            case .rejected(_, .duplicate):
                // The node already holds the transaction (a relay's resend, a duplicated
                // delivery): it is still waiting, and this says nothing of how it will end.
                break
            case .rejected(let id, let reason):
                if tracker.rejected(id, reason), let waiting = pending.removeValue(forKey: id) {
                    workload.release(waiting.transaction, agent: waiting.agent)
                    completed(id, at: reason == .mempoolFull ? time + scenario.load.backoff : time)
                }
            case .proposed(let block):
                for transaction in block.transactions {
                    tracker.included(transaction.id, at: time)
                }
            case .persistSigning(let record):
                storage[node.index].signing = record
            case .storeBlock(let record):
                storage[node.index].records.append(record)
            case .syncStorage:
                storage[node.index].synced = storage[node.index].records.count
            case .evidence(let evidence):
                if !isByzantine(node.index), evidenceSeen.insert(evidence.digest).inserted {
                    consensusStatistics.evidenceDetected += 1
                }
            case .committed(let block, let votes, let certifiers, let receipt, let failure):
                recordCommit(block, votes: votes, certifiedBy: certifiers, receipt: receipt, failure: failure, by: node,
                             on: serial, at: time)
            }
        }
    }

    private func send(_ message: NodeMessage, from node: NodeID, to targets: [NodeID], chain serial: Int, at time: SimTime) {
        announceSignature(of: message, by: chains[serial].validators)
        if let tracer {
            let members = chains[serial].members
            /// Empty when `node` signed the message itself; otherwise whose message it passes on.
            func relayed(_ signer: NodeID) -> String {
                let origin = signer.index < members.count ? members[signer.index] : -1
                return origin == node.index ? "" : " relaying n\(origin)"
            }
            switch message {
            case .vote(let vote):
                tracer(TraceLine(time: time, kind: .vote, node: node.index, height: vote.height,
                                 detail: "\(vote.kind) r\(vote.round) \(vote.blockHash.map { String($0.hex.prefix(12)) } ?? "nil")\(relayed(vote.voter))"))
            case .proposal(let proposal):
                tracer(TraceLine(time: time, kind: .proposal, node: node.index, height: proposal.height,
                                 detail: "r\(proposal.round) \(proposal.block.hash.hex.prefix(12)) txs \(proposal.block.transactions.count)\(relayed(proposal.proposer))"))
            default: break
            }
        }
        let bytes = message.encodedSize
        for target in targets where target != node {
            for arrival in network.arrivals(from: node, to: target, sentAt: time, bytes: bytes) {
                loop.schedule(.delivery(to: target, from: node, chain: Int32(serial), message: message), at: arrival)
            }
        }
    }

    private func traceDelivery(_ message: NodeMessage, from: NodeID, to: NodeID, _ tracer: (TraceLine) -> Void) {
        let now = loop.now
        switch message {
        case .vote(let vote):
            tracer(TraceLine(time: now, kind: .delivery, node: to.index, height: vote.height,
                             detail: "vote \(vote.kind) r\(vote.round) from n\(from.index)"))
        case .proposal(let proposal):
            tracer(TraceLine(time: now, kind: .delivery, node: to.index, height: proposal.height,
                             detail: "proposal r\(proposal.round) \(proposal.block.hash.hex.prefix(12)) from n\(from.index)"))
        case .syncRequest(let height):
            tracer(TraceLine(time: now, kind: .delivery, node: to.index, height: height, detail: "sync-request from n\(from.index)"))
        case .syncResponse(let records):
            tracer(TraceLine(time: now, kind: .delivery, node: to.index, height: records.first?.block.height ?? 0,
                             detail: "sync-response \(records.count) blocks from n\(from.index)"))
        case .transaction:
            break
        }
    }

    /// Lets the verifier start on a consensus message's signature while the message is in flight.
    private func announceSignature(of message: NodeMessage, by validators: ValidatorSet) {
        switch message {
        case .vote(let vote) where vote.voter.index < validators.count:
            verifier.prefetch(vote.signature, of: vote.signedDigest, by: validators[vote.voter].publicKey)
        case .proposal(let proposal) where proposal.proposer.index < validators.count:
            verifier.prefetch(proposal.signature, of: proposal.signedDigest, by: validators[proposal.proposer].publicKey)
        default:
            break
        }
    }

    // MARK: Shards: monitor, autoscaler, reshards

    private var warmupEnd: SimTime { .zero + scenario.run.warmup }

    /// Closes every current chain's monitor window: its load (CPU from the members' busy time,
    /// memory from their state model, mempool depth, latencies) goes to the timeline and the
    /// autoscaler, whose decision is carried out at once.
    private func closeMonitorWindow() {
        let now = loop.now
        let interval = scenario.sharding!.autoscaler.interval
        var loads: [ShardLoad] = []
        for serial in chains.indices where chains[serial].isCurrent {
            let chain = chains[serial]
            let busy = chain.members.reduce(Int64(0)) { $0 + runtimes[$1].busyNanos }
            // Core time available since the window began (or the chain started, if later).
            let capacity = (now - max(chain.startedAt, now - interval)).nanoseconds
                * Int64(scenario.validators.cores * chain.members.count)
            let cpu = capacity > 0 ? mulDivFloor(busy - chain.busyNanosAtWindowStart, 10_000, capacity)! : 0
            let load = chain.window.load(
                shard: chain.shard, at: now, windowNanos: interval.nanoseconds,
                mempoolDepth: chain.members.map { runtimes[$0].node.mempoolCount }.max() ?? 0, cpuBasisPoints: cpu,
                memoryBytes: chain.members.map { runtimes[$0].node.modelledMemoryBytes }.max() ?? 0)
            loads.append(load)
            chains[serial].window = ShardWindow()
            chains[serial].busyNanosAtWindowStart = busy
            let index = chain.shard.rawValue - 1
            sharding.shards[index].cpuPeakBasisPoints = max(sharding.shards[index].cpuPeakBasisPoints, cpu)
            sharding.shards[index].memoryPeakBytes = max(sharding.shards[index].memoryPeakBytes, load.memoryBytes)
            sharding.shards[index].mempoolPeak = max(sharding.shards[index].mempoolPeak, load.mempoolDepth)
        }
        sharding.loads.append(contentsOf: loads)
        let problems = shardMap.problems
        if !problems.isEmpty {
            violations.append(InvariantViolation(kind: .safety, invariant: "shard-map", height: 0, nodes: [], time: now,
                                                 detail: problems.joined(separator: "; ")))
            return
        }
        if let after = scenario.sharding!.reseatAfter, reseatLongDownMembers(downSince: now - after) { return }
        let standby = standbyValidators().count
        let seats = scenario.sharding!.committee
        let decision = autoscaler?.decide(loads, map: shardMap, at: now) { _ in standby >= seats }
        guard let decision else { return }
        switch decision {
        case .split(let shard, let regions, let reason): split(shard, moving: regions, reason: reason)
        case .merge(let absorbed, let survivor, let reason): merge(absorbed, into: survivor, reason: reason)
        }
    }

    /// Reseats the first shard (by chain instance) with a member down since `cutoff` or before,
    /// when a validator stands by to replace one; returns whether it did.
    private func reseatLongDownMembers(downSince cutoff: SimTime) -> Bool {
        guard !standbyValidators().isEmpty else { return false }
        for serial in chains.indices where chains[serial].isCurrent {
            let longDown = chains[serial].members.filter { runtimes[$0].downSince.map { $0 <= cutoff } ?? false }
            guard !longDown.isEmpty else { continue }
            let since = longDown.map { "node \($0) since \(String(format: "%.1f", runtimes[$0].downSince!.seconds)) s" }
            return reseat(chains[serial].shard, reason: "members down for \(scenario.sharding!.reseatAfter!) or more: "
                          + since.joined(separator: ", "))
        }
        return false
    }

    /// Hands `shard`'s chain over, with its state and regions, to a new chain whose committee
    /// keeps the members that are up and fills the other seats from validators standing by, then
    /// from the members that are down; returns whether it did (not when no member is up to hand
    /// the finalized state over).
    private func reseat(_ shard: ShardID, reason: String) -> Bool {
        let now = loop.now
        let old = currentChain[shard.rawValue - 1]!
        guard let (state, height) = finalizedState(of: old) else { return false }
        let members = chains[old].members
        let committee = fullCommittee(for: shard, keepingThoseUpOf: members)
        let next = state.continuing(asInstance: UInt64(chains.count + 1))
        checkReshardConservation(before: [state], after: [(shard, next)], at: now)
        end(old, at: now)
        let serial = startChain(shard: shard, members: committee, genesis: next, at: now)
        seat(committee, on: serial)
        let rerouted = reroute(from: [old], lockShard: { _ in shard })
        sharding.events.append(ShardingEvent(
            time: now, action: .reseat, shards: [shard], regions: [], reason: reason, handoverHeights: [height],
            rerouted: rerouted, movedOrders: 0, movedTrades: 0,
            validatorsReassigned: 2 * committee.filter { !members.contains($0) }.count))
        return true
    }

    /// Validators serving no chain that are up and honest.
    private func standbyValidators() -> [Int] {
        runtimes.indices.filter { runtimes[$0].chain == nil && runtimes[$0].up && !isByzantine($0) }
    }

    /// The finalized state of chain instance `serial` and its height, from an up, honest member
    /// at the highest height; `nil` when none is up.
    private func finalizedState(of serial: Int) -> (state: ChainState, height: UInt64)? {
        guard let source = honestHeights(on: serial).max(by: { ($0.height, $1.index) < ($1.height, $0.index) }) else {
            return nil
        }
        return (runtimes[source.index].node.committedState, UInt64(source.height))
    }

    /// Splits `shard`: its chain ends at its finalized height; the state there is split by
    /// region (accounts, order books, trades) into the state of the shard's next chain and of a
    /// new shard's first; the old committee keeps the shard and standby validators form the new
    /// one; every waiting transaction of the old chain is routed again.
    private func split(_ shard: ShardID, moving regions: [Region], reason: String) {
        let now = loop.now
        let old = currentChain[shard.rawValue - 1]!
        guard let (state, height) = finalizedState(of: old) else { return }
        let new = shardMap.split(shard, moving: regions)
        // The two new chains take serials chains.count and chains.count + 1; their states, those + 1.
        let ownerLeaves = ownerMoves(regions)
        let parts = state.splitting(movingAreas: areaMoves(regions), movingOwners: ownerLeaves,
                                    instances: (kept: UInt64(chains.count + 1), moved: UInt64(chains.count + 2)))
        checkReshardConservation(before: [state], after: [(shard, parts.kept), (new, parts.moved)], at: now)
        for index in crossShardTransfers.indices
        where crossShardTransfers[index].holder == shard && ownerLeaves(crossShardTransfers[index].lock.signer) {
            crossShardTransfers[index].holder = new
        }
        // The whole old committee keeps the shard, its members that are down included: they keep
        // their seat and rejoin when they restart. Seated from its members that were up, the
        // committee could be short enough for its Byzantine members to hold a third of its stake
        // (swarm seed 11803: an equivocator and one honest validator made a quorum of three).
        let kept = chains[old].members
        precondition(kept.count == scenario.sharding!.committee, "every chain's committee is full")
        let joining = chooseCommittee(for: new, from: standbyValidators())
        end(old, at: now)
        sharding.shards.append(ShardSummary(shard: new, regions: regions, createdAt: now))
        let keptChain = startChain(shard: shard, members: kept, genesis: parts.kept, at: now)
        let newChain = startChain(shard: new, members: joining, genesis: parts.moved, at: now)
        sharding.shards[shard.rawValue - 1].regions = shardMap.regions(of: shard)
        for serial in [keptChain, newChain] { seat(chains[serial].members, on: serial) }
        let rerouted = reroute(from: [old], lockShard: { ownerLeaves($0.signer) ? new : shard })
        sharding.events.append(ShardingEvent(
            time: now, action: .split, shards: [shard, new], regions: regions, reason: reason, handoverHeights: [height],
            rerouted: rerouted, movedOrders: parts.moved.openOrderCount, movedTrades: parts.moved.openTradeCount,
            validatorsReassigned: joining.count))
    }

    /// Merges `absorbed` into `survivor`: both chains end at their finalized heights, their
    /// states join, and one committee chosen from both serves the survivor's next chain; the
    /// other members stand by.
    private func merge(_ absorbed: ShardID, into survivor: ShardID, reason: String) {
        let now = loop.now
        let first = currentChain[survivor.rawValue - 1]!, second = currentChain[absorbed.rawValue - 1]!
        guard let (survivorState, survivorHeight) = finalizedState(of: first),
              let (absorbedState, absorbedHeight) = finalizedState(of: second) else { return }
        let regions = shardMap.regions(of: absorbed)
        shardMap.merge(absorbed, into: survivor)
        var joined = survivorState
        joined.absorb(absorbedState, instance: UInt64(chains.count + 1))
        checkReshardConservation(before: [survivorState, absorbedState], after: [(survivor, joined)], at: now)
        let members = chains[first].members + chains[second].members
        let committee = fullCommittee(for: survivor, keepingThoseUpOf: members)
        end(first, at: now)
        end(second, at: now)
        currentChain[absorbed.rawValue - 1] = nil
        let serial = startChain(shard: survivor, members: committee, genesis: joined, at: now)
        seat(committee, on: serial)
        sharding.shards[absorbed.rawValue - 1].removedAt = now
        sharding.shards[survivor.rawValue - 1].regions = shardMap.regions(of: survivor)
        for index in crossShardTransfers.indices where crossShardTransfers[index].holder == absorbed {
            crossShardTransfers[index].holder = survivor
        }
        let rerouted = reroute(from: [first, second], lockShard: { _ in survivor })
        workload.merged(absorbed, into: survivor)
        sharding.events.append(ShardingEvent(
            time: now, action: .merge, shards: [survivor, absorbed], regions: regions, reason: reason,
            handoverHeights: [survivorHeight, absorbedHeight], rerouted: rerouted,
            movedOrders: absorbedState.openOrderCount, movedTrades: absorbedState.openTradeCount,
            validatorsReassigned: members.filter { !committee.contains($0) }.count
                + committee.filter { !chains[first].members.contains($0) }.count))
    }

    /// Ends chain instance `serial`: its members drop what they hold (their mempools' contents
    /// are routed again) and stand by until seated on a new chain.
    private func end(_ serial: Int, at time: SimTime) {
        chains[serial].endedAt = time
        for member in chains[serial].members {
            runtimes[member].chain = nil
            runtimes[member].incarnation += 1
            runtimes[member].inbox.removeAll()
            storage[member] = NodeStorage()
        }
    }

    /// Seats `members` on new chain instance `serial`: each loads the chain's genesis (the
    /// handover state) and starts consensus when the handover time has passed.
    private func seat(_ members: [Int], on serial: Int) {
        let start = loop.now + scenario.sharding!.handover
        for member in members {
            runtimes[member].chain = serial
            runtimes[member].incarnation += 1
            runtimes[member].inbox.removeAll()
            runtimes[member].node = makeNode(member, chain: serial)
            storage[member] = NodeStorage()
            guard runtimes[member].up else { continue }
            runtimes[member].coreFreeAt = runtimes[member].coreFreeAt.map { max($0, start) }
            effects.removeAll(keepingCapacity: true)
            runtimes[member].node.start(at: start + runtimes[member].skew, effects: &effects)
            apply(effects, from: NodeID(member), at: start)
        }
        chains[serial].busyNanosAtWindowStart = members.reduce(Int64(0)) { $0 + runtimes[$1].busyNanos }
    }

    /// Routes every waiting transaction of the ended chains to its shard's current chain, in
    /// submission order: a cross-shard step through its relay (a settlement goes where the lock
    /// is held, which need not be its region's shard); a lock to `lockShard`'s answer, the part
    /// that holds its coins (a send-home lock's owner lives elsewhere, so its coins stay with the
    /// kept part when its region leaves); returns how many.
    private func reroute(from ended: [Int], lockShard: (Transaction) -> ShardID) -> Int {
        var waiting: [(index: Int, id: TransactionID)] = []
        for (id, entry) in pending where ended.contains(entry.chain) {
            waiting.append((tracker.index(of: id)!, id))
        }
        waiting.sort { $0.index < $1.index }
        for (_, id) in waiting {
            let entry = pending[id]!
            if let transfer = transfer(relaying: entry.transaction) {
                relayStep(of: transfer, at: loop.now)
            } else if entry.transaction.lockTerms != nil {
                route(entry.transaction, by: entry.agent, to: lockShard(entry.transaction), handover: true)
            } else {
                route(entry.transaction, by: entry.agent, handover: true)
            }
        }
        updateRecipientPools()
        return waiting.count
    }

    /// A reshard creates and loses nothing: each state after it is conserved on its own (its
    /// escrow is what its orders, trades and locks hold), and per asset what the states hold
    /// (unspent + escrow) and their supply (created − burned) sum to the same before and after.
    private func checkReshardConservation(before: [ChainState], after: [(shard: ShardID, state: ChainState)],
                                          at time: SimTime) {
        func totals(_ states: [ChainState]) -> [Int64] {
            Asset.allCases.flatMap { asset in
                [states.reduce(0) { $0 + $1.ledger.unspentTotals[asset] + $1.ledger.escrowTotals[asset] },
                 states.reduce(0) { $0 + $1.ledger.supply(of: asset) }]
            }
        }
        var problems = after.flatMap { part in part.state.conservationViolations().map { "\(part.shard)'s new state: \($0)" } }
        let (held, heldAfter) = (totals(before), totals(after.map(\.state)))
        if held != heldAfter {
            problems.append("held and supply per asset were \(held), after the reshard \(heldAfter)")
        }
        if !problems.isEmpty {
            violations.append(InvariantViolation(kind: .safety, invariant: "reshard-conservation", height: 0, nodes: [],
                                                 time: time, detail: problems.joined(separator: "; ")))
        }
    }

    // MARK: Commits and checkers

    private func recordCommit(_ block: Block, votes: [Vote], certifiedBy certifiers: ValidatorSet, receipt: BlockReceipt?,
                              failure: BlockFailure?, by node: NodeID, on serial: Int, at time: SimTime) {
        tracer?(TraceLine(time: time, kind: .commit, node: node.index, height: block.height,
                          detail: "\(block.hash.hex.prefix(12)) txs \(block.transactions.count)"))
        // Safety is about honest validators; a Byzantine node's own view is not checked.
        guard !isByzantine(node.index) else { return }
        let onShard = shardSuffix(of: serial)
        // A safety check of this commit broke; in a sharded run the detail names the shard.
        func broken(_ invariant: String, nodes: [NodeID], _ detail: String) {
            violations.append(InvariantViolation(kind: .safety, invariant: invariant, height: block.height, nodes: nodes,
                                                 time: time, detail: detail + onShard))
        }
        if var violation = chains[serial].safety.check(commitOf: block, votes: votes, by: node, at: time,
                                                       validators: certifiers, verifier: verifier) {
            violation.detail += onShard
            violations.append(violation)
            return
        }
        guard let receipt else {
            broken("validity", nodes: [node], "a finalized block does not apply on \(node)'s state: "
                   + "transaction \(failure!.transactionIndex) \(failure!.reason.rawValue)")
            return
        }
        if block.height <= UInt64(chains[serial].blocks.count) {
            let first = chains[serial].blocks[Int(block.height) - 1]
            if first.parametersDigest != receipt.parameters.digest {
                broken("parameter-agreement", nodes: [first.proposer, node],
                       "\(node) runs different governance parameters after the block than the first committer")
            }
            if first.stateRoot != receipt.stateRoot {
                broken("state-agreement", nodes: [first.proposer, node],
                       "\(node) has state root \(receipt.stateRoot.hex.prefix(16)) after the block, "
                       + "the first committer \(first.stateRoot.hex.prefix(16))")
            }
            return
        }
        precondition(block.height == UInt64(chains[serial].blocks.count) + 1, "heights are finalized in order")
        let shard = chains[serial].shard
        chains[serial].blocks.append(CommittedBlock(
            height: block.height, hash: block.hash, proposer: NodeID(chains[serial].members[block.proposer.index]),
            proposedAt: block.timestamp, committedAt: time, transactionCount: block.transactions.count,
            stateRoot: receipt.stateRoot, round: votes.first?.round ?? block.round,
            lastCommitSigners: block.lastCommit.count, parametersDigest: receipt.parameters.digest, shard: shard.rawValue))
        sharding.shards[shard.rawValue - 1].blocks += 1
        for (outPoint, _) in receipt.createdOutputs { unspentOutPoints.insert(outPoint) }
        for transaction in block.transactions {
            let record = tracker.finalized(transaction.id, height: block.height, at: time)
            if record?.first == false {
                broken("exactly-once", nodes: [node], "transaction \(transaction.id.hex.prefix(16)) finalized a second time")
            }
            if let submitted = record?.submitted, sharding.enabled {
                let latency = (time - submitted).nanoseconds
                chains[serial].window.recordFinality(latencyNanos: latency)
                if submitted >= warmupEnd { sharding.shards[shard.rawValue - 1].finalityNanos.append(latency) }
            }
            pending[transaction.id] = nil
            completed(transaction.id, at: time)
            for input in transaction.inputs where unspentOutPoints.remove(input) == nil {
                broken("no-double-spend", nodes: [node],
                       "output \(input) spent by \(transaction.id.hex.prefix(16)) was spent before or never created")
            }
        }
        let sendsHome = workload.applyCommit(applied: receipt.applied, createdOutputs: receipt.createdOutputs,
                                             shard: sharding.enabled ? (shard, shardMap.regions(of: shard)) : nil, at: time)
        for (transaction, agent) in sendsHome {
            sharding.crossShard.sentHome += 1
            submit(transaction, by: agent, kind: .transfer)
        }
        governanceStatistics.record(receipt, before: currentParameters, height: block.height, at: time)
        currentParameters = receipt.parameters
        workload.minimumFee = receipt.parameters.minimumFee
        for transaction in block.transactions {
            guard let index = proposalIndex[transaction.id] else { continue }
            governanceStatistics.opened += 1
            scheduleVotes(onProposal: index, at: time)
        }
        market.record(receipt, committedAt: time)
        relayCrossShard(receipt.crossShard, in: block, votes: votes, on: serial, by: node, at: time)
        for settlement in receipt.settlements {
            guard let orders = ordersOfTrade.removeValue(forKey: settlement.trade) else { continue }
            tracker.settled(orders.buy, at: time)
            tracker.settled(orders.sell, at: time)
        }
        for trade in receipt.trades {
            if sharding.enabled, shardMap.shard(of: trade.buyerLocation.region) != shard {
                sharding.crossShard.trades += 1
                sharding.crossShard.tradedWh += trade.quantity.rawValue
            }
            tracker.matched(trade.buyOrder, at: time)
            tracker.matched(trade.sellOrder, at: time)
            ordersOfTrade[trade.id] = (trade.buyOrder, trade.sellOrder)
            impact.recordTrade(energy: trade.quantity, renewable: trade.source.isRenewable)
            let due = max(time, trade.deliveryEnd + scenario.market.settlementDelay)
            loop.schedule(.settlementDue(trade: Int32(tradesAwaitingSettlement.count)), at: due)
            tradesAwaitingSettlement.append(trade)
        }
        if block.height % Simulator.conservationAuditInterval == 0 {
            let problems = runtimes[node.index].node.state.conservationViolations()
            if !problems.isEmpty { broken("conservation", nodes: [node], problems.joined(separator: "; ")) }
        }
    }

    // MARK: Cross-shard relaying

    /// Carries the cross-shard steps of a block first finalized on chain `serial`: a lock's
    /// receipt goes to the destination's shard, a credit's acknowledgement back to the sender's,
    /// each with the block's commit certificate and the transaction's Merkle path. Checks that
    /// every lock resolves once and settles the way it resolved.
    private func relayCrossShard(_ steps: [CrossShardStep], in block: Block, votes: [Vote], on serial: Int,
                                 by node: NodeID, at time: SimTime) {
        guard !steps.isEmpty else { return }
        let tree = MerkleTree(leaves: block.transactions.map(\.id))
        let certificate = CommitCertificate(chain: UInt64(serial), header: block.header,
                                            precommits: votes.filter { $0.kind == .precommit && $0.blockHash == block.hash })
        func evidence(_ index: Int) -> InclusionEvidence {
            InclusionEvidence(commitment: certificate, path: tree.proof(forLeafAt: index))
        }
        func broken(_ detail: String) {
            violations.append(InvariantViolation(kind: .safety, invariant: "cross-shard-atomicity", height: block.height,
                                                 nodes: [node], time: time, detail: detail))
        }
        for step in steps {
            switch step {
            case .locked(let lock, let index):
                let transaction = block.transactions[index]
                let transfer = crossShardTransfers.count
                transferOfLock[lock] = transfer
                crossShardTransfers.append(CrossShardTransfer(lock: transaction,
                                                              submittedAt: tracker.submittedTime(of: lock) ?? time,
                                                              holder: chains[serial].shard))
                sharding.crossShard.locked += 1
                if transaction.lockTerms?.order != nil { sharding.crossShard.bids += 1 }
                sendStep(.creditTransfer(lock: transaction, evidence(index)), of: transfer, at: time)
            case .resolved(let lock, let index, let credited):
                guard let transfer = transferOfLock[lock], crossShardTransfers[transfer].stage == .locked else {
                    broken("lock \(lock.hex.prefix(16)) resolved in the destination a second time or without a lock")
                    continue
                }
                crossShardTransfers[transfer].stage = .resolved(credited: credited)
                if credited {
                    sharding.crossShard.creditNanos.append((time - crossShardTransfers[transfer].submittedAt).nanoseconds)
                }
                sendStep(.settleLock(credit: block.transactions[index], evidence(index)), of: transfer, at: time)
            case .settled(let lock, let credited):
                guard let transfer = transferOfLock[lock],
                      crossShardTransfers[transfer].stage == .resolved(credited: credited) else {
                    broken("lock \(lock.hex.prefix(16)) settled as \(credited ? "released" : "refunded") against the destination's outcome")
                    continue
                }
                if !credited, crossShardTransfers[transfer].terms.order != nil,
                   let index = tracker.index(of: lock), tracker.time(of: .match, at: index) != nil {
                    broken("bid \(lock.hex.prefix(16)) refunded at home after it traded abroad")
                }
                crossShardTransfers[transfer].stage = .settled(credited: credited)
                crossShardTransfers[transfer].step = nil
                crossShardTransfers[transfer].attempt += 1
                sharding.crossShard.settlementNanos.append((time - crossShardTransfers[transfer].submittedAt).nanoseconds)
            }
        }
    }

    /// Makes transfer `index`'s next step, signed by the grid operator of the region it is
    /// for, and relays it.
    private func sendStep(_ kind: TransactionKind, of index: Int, at time: SimTime) {
        let region = crossShardTransfers[index].stepRegion
        let (transaction, relayer) = workload.makeRelayed(kind, into: region, at: time)
        crossShardTransfers[index].step = transaction
        crossShardTransfers[index].relayer = relayer
        tracker.submitted(transaction.id, participantClass: workload.agents[relayer].participantClass,
                          kind: transaction.kind.name, region: region, at: time)
        relayStep(of: index, at: time)
    }

    /// Sends transfer `index`'s step over the network from a member of the shard it comes from
    /// (up, rotating with each attempt) to a member of the shard it is for: lost to a partition
    /// or a crash like any message, hence the retry timer.
    private func relayStep(of index: Int, at time: SimTime) {
        crossShardTransfers[index].attempt += 1
        let transfer = crossShardTransfers[index]
        guard let step = transfer.step else { return }
        let destination = shardMap.shard(of: transfer.terms.destination)
        let (from, to) = transfer.stage == .locked ? (transfer.holder, destination) : (destination, transfer.holder)
        let target = currentChain[to.rawValue - 1]!
        let senders = chains[currentChain[from.rawValue - 1]!].members.filter { runtimes[$0].up }
        let receivers = chains[target].members
        let turn = Int(transfer.attempt)
        let entry = NodeID(receivers[turn % receivers.count])
        pending[step.id] = PendingTransaction(transaction: step, agent: transfer.relayer, chain: target, entry: entry.index)
        if !senders.isEmpty {
            let from = NodeID(senders[turn % senders.count])
            verifier.prefetch(step.signature, of: step.id, by: step.signer)
            for arrival in network.arrivals(from: from, to: entry, sentAt: time, bytes: step.encodedSize) {
                loop.schedule(.clientDelivery(node: entry, chain: Int32(target), transaction: step, handover: false),
                              at: arrival)
            }
        }
        loop.schedule(.relayCheck(transfer: Int32(index), attempt: transfer.attempt),
                      at: time + scenario.sharding!.relayRetry)
    }

    /// The transfer whose step in flight is `transaction`, if it is one.
    private func transfer(relaying transaction: Transaction) -> Int? {
        // A credit names its lock; a settlement names the credit, which names the lock.
        guard let subject = transaction.crossShardSubject else { return nil }
        let lock = subject.crossShardSubject ?? subject
        guard let index = transferOfLock[lock.id], crossShardTransfers[index].step === transaction else { return nil }
        return index
    }

    /// The retry timer of send `attempt` fired: if the transfer has not moved on, its step goes
    /// again — the same transaction while it may still be final, a new one once it was
    /// rejected or has expired.
    private func retryRelay(_ index: Int, attempt: Int32) {
        guard crossShardTransfers[index].attempt == attempt, let step = crossShardTransfers[index].step else { return }
        sharding.crossShard.resends += 1
        if pending[step.id] == nil || step.validUntil <= loop.now {
            sendStep(step.kind, of: index, at: loop.now)
        } else {
            relayStep(of: index, at: loop.now)
        }
    }

    /// Counts how every lock ended, and checks cross-shard conservation: what the current
    /// shards imported less what they exported is exactly what was credited and not yet
    /// released at the source (when every shard's finalized state is the one the relayers saw).
    private func finishCrossShard() {
        sharding.crossShard.heldAbroad = workload.heldAbroad
        var creditedInFlight = AssetAmounts()
        for transfer in crossShardTransfers {
            switch transfer.stage {
            case .locked: sharding.crossShard.awaitingCredit += 1
            case .resolved(let credited):
                sharding.crossShard.awaitingSettlement += 1
                if credited { creditedInFlight += transfer.terms.amounts }
            case .settled(let credited):
                if credited { sharding.crossShard.delivered += 1 } else { sharding.crossShard.refunded += 1 }
                if !credited, transfer.terms.order != nil { sharding.crossShard.bidsRefunded += 1 }
            }
        }
        guard sharding.enabled, !crossShardTransfers.isEmpty else { return }
        var net = AssetAmounts()
        for serial in chains.indices where chains[serial].isCurrent {
            guard let (state, height) = finalizedState(of: serial), height == UInt64(chains[serial].blocks.count) else {
                return
            }
            for asset in Asset.allCases {
                net[asset] += state.ledger.importedTotals[asset] - state.ledger.exportedTotals[asset]
            }
        }
        if net != creditedInFlight {
            violations.append(InvariantViolation(
                kind: .safety, invariant: "cross-shard-conservation", height: 0, nodes: [], time: loop.now,
                detail: "shards imported − exported \(net), but transfers credited and not yet released hold \(creditedInFlight)"))
        }
    }
}

extension LoadSettings.Controller {
    /// Whether arrivals come from timed processes (rather than completions or a trace).
    var isTimed: Bool { self == .poisson || self == .fixed }
}
