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
}

/// What the load offered against what was submitted: an arrival whose participant had no
/// confirmed funds left (every output locked by its pending transactions, or spent) submits
/// nothing.
public struct LoadStatistics: Sendable {
    public var offeredOrders = 0
    public var offeredTransfers = 0
    public var unfundedOrders = 0
    public var unfundedTransfers = 0
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
        var up = true
        var pausedUntil: SimTime?
        var skew = SimDuration.zero
        var incarnation: UInt32 = 0

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

    public let scenario: Scenario
    public let seed: UInt64
    public let costProfile: CostProfile
    private let validators: ValidatorSet
    private let verifier: SignatureVerifier
    private let gridNetwork: GridNetwork
    private let keyPairs: [KeyPair]
    private let genesis: ChainState
    private let collusion = Collusion()
    private let mutation: ConsensusMutation?
    private var runtimes: [NodeRuntime] = []
    private var storage: [NodeStorage] = []
    private var faultActions: [FaultAction] = []
    private var livenessBaseline = 0
    private var consensusStatistics = ConsensusStatistics()
    private var loadStatistics = LoadStatistics()
    private var evidenceSeen: Set<Digest32> = []
    private var closedLoopInFlight: Set<TransactionID> = []
    private var network: Network
    private var workload: Workload
    private var physicalGrid: PhysicalGrid
    private var loop = EventLoop(capacity: 1 << 14)
    private var tracker = TransactionTracker()
    private var safety = SafetyChecker()
    private var blocks: [CommittedBlock] = []
    private var violations: [InvariantViolation] = []
    private var effects: [NodeEffect] = []
    /// Transactions submitted and not yet finalized or rejected, with their submitter.
    private var pending: [TransactionID: (transaction: Transaction, agent: Int)] = [:]
    private var tradesAwaitingSettlement: [Trade] = []
    private var governanceStatistics = GovernanceStatistics()
    /// The governance parameters after the last finalized block.
    private var currentParameters: GovernanceParameters
    /// Each scenario proposal's transaction, once submitted.
    private var proposalIDs: [TransactionID?]
    private var proposalIndex: [TransactionID: Int] = [:]
    /// The two orders of each finalized trade not yet settled, for the settlement latency.
    private var ordersOfTrade: [TradeID: (buy: TransactionID, sell: TransactionID)] = [:]
    private var spentOutPoints: Set<OutPoint> = []
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
    /// real protocol or a deliberately broken `mutation` of it. With `verifyingAhead`, ed25519
    /// signatures are checked ahead on a helper thread; the outcome is the same either way.
    public init(scenario: Scenario, seed: UInt64, costProfile: CostProfile, mutation: ConsensusMutation? = nil,
                verifyingAhead: Bool = Simulator.verifiesAheadByDefault) {
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
        nodeMemoryPeakBytes = Array(repeating: 0, count: members.count)
        self.keyPairs = keyPairs
        let regions = members.map(\.region)
        let calendar = scenario.run.calendar
        gridNetwork = GridNetwork(topology: scenario.grid.topology, calendar: calendar)
        workload = Workload(scenario: scenario, seed: seed, validatorRegions: regions, calendar: calendar)
        impact = GridImpact(topology: scenario.grid.topology)
        physicalGrid = PhysicalGrid(network: gridNetwork,
                                    loadNoise: RandomStream(masterSeed: seed, name: "grid/load-noise"),
                                    loadNoiseSigma: scenario.grid.loadNoise.fraction)
        genesis = Simulator.genesisState(scenario: scenario, workload: workload, gridNetwork: gridNetwork)
        currentParameters = genesis.governance.parameters
        governanceStatistics.initial = genesis.governance.parameters
        proposalIDs = Array(repeating: nil, count: scenario.governance.proposals.count)
        network = Network(settings: scenario.network, nodeRegions: regions, faults: scenario.faults, seed: seed)
        consensusStatistics.mutation = mutation?.rawValue
        for member in members {
            var runtime = NodeRuntime(node: makeNode(member.id),
                                      coreFreeAt: Array(repeating: .zero, count: scenario.validators.cores))
            runtime.skew = scenario.faults.clockSkews.last { $0.node == member.id.index }?.skew ?? .zero
            runtimes.append(runtime)
            storage.append(NodeStorage())
        }
    }

    /// A fresh node for validator `id` at genesis.
    private func makeNode(_ id: NodeID) -> ValidatorNode {
        let consensus = scenario.consensus
        let parameters = ConsensusParameters(
            blockInterval: consensus.blockInterval,
            timeoutPropose: consensus.timeoutPropose, timeoutPrevote: consensus.timeoutPrevote,
            timeoutPrecommit: consensus.timeoutPrecommit, timeoutDelta: consensus.timeoutDelta,
            epochLength: consensus.epochLength, slashShare: consensus.slash, proofOfWorkBits: consensus.proofOfWorkBits,
            signatureScheme: consensus.signatureScheme, mutation: mutation)
        let behaviour = scenario.faults.byzantine.first { $0.node == id.index }
            .flatMap { ByzantineBehaviour(rawValue: $0.behaviour) }
        let configuration = NodeConfiguration(consensus: parameters, storageSyncEvery: scenario.storage.syncEvery,
                                              behaviour: behaviour)
        return ValidatorNode(id: id, validators: validators, keyPair: keyPairs[id.index], configuration: configuration,
                             verifier: verifier, genesis: genesis, collusion: collusion)
    }

    /// The chain state every validator starts from: the scenario's rules and the genesis balances.
    static func genesisState(scenario: Scenario, workload: Workload, gridNetwork: GridNetwork) -> ChainState {
        let market = scenario.market
        let parameters = LedgerParameters(
            gridOperators: workload.gridOperatorKeys, minimumFee: market.minimumFee, tradingFee: market.tradingFee,
            blockReward: market.blockReward, creditsPerKWh: market.creditsPerKWh,
            settlementTimeout: market.settlementTimeout)
        let clearingRule = ClearingRule(rawValue: market.clearingRule)!
        let configuration = MarketConfiguration(
            areas: market.areas, clearingRule: clearingRule, slotLength: market.slot,
            candidateLimit: market.candidateLimit)
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
                          genesis: workload.genesis)
    }

    /// Runs to the scenario's duration, or until an invariant breaks. `progress`, when given, is
    /// called every 65,536 events with the simulated time and the events handled so far (the
    /// command line turns that into a progress line; the simulation reads no clock).
    public func run(progress: ((SimTime, UInt64) -> Void)? = nil) -> RunResult {
        for index in runtimes.indices {
            effects.removeAll(keepingCapacity: true)
            runtimes[index].node.start(at: .zero + runtimes[index].skew, effects: &effects)
            apply(effects, from: NodeID(index), at: .zero)
        }
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
        return RunResult(
            scenario: scenario, seed: seed, digest: RunDigest.compute(blocks: blocks, transactions: tracker),
            stopReason: stopReason, endTime: loop.now, events: loop.processedEvents, transactions: tracker,
            blocks: blocks, violations: violations, costProfile: costProfile,
            nodeBusyNanos: runtimes.map(\.busyNanos), nodeMemoryPeakBytes: nodeMemoryPeakBytes,
            signatureChecksComputed: verifier.computedVerifications,
            signatureCacheHits: verifier.cacheHits, signatureChecksAhead: verifier.verifiedAhead, market: market, gridImpact: impact, gridSamples: gridSamples,
            gridElementNames: gridNetwork.elements.indices.map(gridNetwork.element(named:)),
            gridLineCount: gridNetwork.topology.lines.count, consensus: finalConsensusStatistics(),
            load: loadStatistics, governance: governanceStatistics)
    }

    private func finalConsensusStatistics() -> ConsensusStatistics {
        var statistics = consensusStatistics
        statistics.messagesDropped = network.dropped
        statistics.messagesDuplicated = network.duplicated
        let honest = runtimes.indices.filter { !isByzantine($0) }
        if let reference = honest.max(by: { runtimes[$0].node.height < runtimes[$1].node.height }) {
            let registry = runtimes[reference].node.registry
            statistics.equivocationsCommitted = registry.equivocations
            statistics.slashed = registry.slashedCount
            statistics.missedVotes = registry.missedVotes
            statistics.activeValidators = runtimes.indices.filter {
                runtimes[$0].up && !registry.slashed[$0] && !isByzantine($0)
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
        let hasFaults = faults.end > .zero || !faults.byzantine.isEmpty
        if hasFaults {
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
            runtimes[index].up = false
            runtimes[index].inbox.removeAll()
            storage[index].records.removeLast(storage[index].records.count - storage[index].synced)
            consensusStatistics.crashes += 1
        case .restart(let index):
            guard !runtimes[index].up else { return }
            var runtime = runtimes[index]
            runtime.node = makeNode(NodeID(index))
            runtime.incarnation += 1
            runtime.up = true
            runtime.pausedUntil = nil
            runtime.readyScheduled = false
            var work = WorkMeter()
            let stored = Array(storage[index].records.prefix(storage[index].synced))
            runtime.node.restore(from: stored, signing: storage[index].signing, at: now + runtime.skew, work: &work)
            consensusStatistics.restarts += 1
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
            livenessBaseline = honestHeights().map(\.height).max() ?? 0
        case .livenessCheck:
            let advanced = honestHeights().filter { $0.height > livenessBaseline }
            let stake = advanced.reduce(Int64(0)) { $0 + validators[NodeID($1.index)].stake }
            if !validators.isQuorum(stake) {
                violations.append(InvariantViolation(
                    kind: .liveness, invariant: "liveness", height: UInt64(livenessBaseline + 1),
                    nodes: advanced.map { NodeID($0.index) }, time: now,
                    detail: "faults ended at \(scenario.faults.end); \(scenario.liveness.bound) later only validators holding \(stake) of \(validators.totalStake) stake had finalized past height \(livenessBaseline) (needs > 2/3)"))
            }
        }
    }

    /// Committed heights of the honest validators that are up.
    private func honestHeights() -> [(index: Int, height: Int)] {
        runtimes.indices.filter { runtimes[$0].up && !isByzantine($0) }.map { ($0, runtimes[$0].node.chain.count) }
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
        case .clientDelivery(let node, let transaction):
            deliver(.client(transaction), to: node)
        case .delivery(let to, let from, let message):
            if let tracer { traceDelivery(message, from: from, to: to, tracer) }
            deliver(.message(from: from, message), to: to)
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
    /// loop, one that could not be funded is replaced at once so the number in flight stays the same.
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

    /// A closed-loop transaction finished (finalized or rejected) at `time`, when the node that
    /// finished it is done processing: the next one starts then.
    private func completed(_ id: TransactionID, at time: SimTime) {
        guard closedLoopInFlight.remove(id) != nil else { return }
        scheduleClosedLoopArrival(at: time)
    }

    private func submit(_ transaction: Transaction, by agent: Int, kind: SubmissionKind) {
        let now = loop.now
        let participant = workload.agents[agent]
        tracker.submitted(transaction.id, participantClass: participant.participantClass, kind: kind.name,
                          region: participant.location.region, at: now)
        pending[transaction.id] = (transaction, agent)
        verifier.prefetch(transaction.signature, of: transaction.id, by: transaction.signer)
        if case .mint(let attestation) = transaction.kind {
            verifier.prefetch(attestation.signature, of: attestation.digest, by: attestation.gridOperator)
        }
        let arrival = network.clientArrival(from: participant.location.region, to: participant.entryNode, sentAt: now)
        loop.schedule(.clientDelivery(node: participant.entryNode, transaction: transaction), at: arrival)
    }

    private func sampleGrid(at time: SimTime) {
        let (generation, forecast) = workload.zoneActivity(at: time, zones: gridNetwork.zoneCount,
                                                           zoneIndex: gridNetwork.zoneIndex)
        var activity = ZoneActivity(zones: gridNetwork.zoneCount)
        activity.generationWatts = generation
        activity.forecastWatts = forecast
        let booked = runtimes[0].node.state.grid.bookedFlows(at: time)
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

    private func apply(_ effects: [NodeEffect], from node: NodeID, at time: SimTime) {
        for effect in effects {
            switch effect {
            case .broadcast(let message):
                send(message, from: node, to: runtimes.indices.filter { $0 != node.index }.map(NodeID.init), at: time)
            case .send(let targets, let message):
                send(message, from: node, to: targets, at: time)
            case .gossip(let transaction):
                send(.transaction(transaction), from: node, to: network.gossipTargets(from: node), at: time)
            case .setTimer(let timer, let at):
                loop.schedule(.timer(node: node, incarnation: runtimes[node.index].incarnation, timer: timer),
                              at: max(at - runtimes[node.index].skew, time))
            case .admitted(let id):
                tracker.admitted(id, at: time)
            case .rejected(let id, let reason):
                if tracker.rejected(id, reason), let (transaction, agent) = pending.removeValue(forKey: id) {
                    workload.release(transaction, agent: agent)
                    completed(id, at: time)
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
                             at: time)
            }
        }
    }

    private func send(_ message: NodeMessage, from node: NodeID, to targets: [NodeID], at time: SimTime) {
        announceSignature(of: message)
        if let tracer {
            switch message {
            case .vote(let vote):
                tracer(TraceLine(time: time, kind: .vote, node: node.index, height: vote.height,
                                 detail: "\(vote.kind) r\(vote.round) \(vote.blockHash.map { String($0.hex.prefix(12)) } ?? "nil")"))
            case .proposal(let proposal):
                tracer(TraceLine(time: time, kind: .proposal, node: node.index, height: proposal.height,
                                 detail: "r\(proposal.round) \(proposal.block.hash.hex.prefix(12)) txs \(proposal.block.transactions.count)"))
            default: break
            }
        }
        let bytes = message.encodedSize
        for target in targets where target != node {
            for arrival in network.arrivals(from: node, to: target, sentAt: time, bytes: bytes) {
                loop.schedule(.delivery(to: target, from: node, message: message), at: arrival)
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
    private func announceSignature(of message: NodeMessage) {
        switch message {
        case .vote(let vote) where vote.voter.index < validators.count:
            verifier.prefetch(vote.signature, of: vote.signedDigest, by: validators[vote.voter].publicKey)
        case .proposal(let proposal) where proposal.proposer.index < validators.count:
            verifier.prefetch(proposal.signature, of: proposal.signedDigest, by: validators[proposal.proposer].publicKey)
        default:
            break
        }
    }

    // MARK: Commits and checkers

    private func recordCommit(_ block: Block, votes: [Vote], certifiedBy certifiers: ValidatorSet, receipt: BlockReceipt?,
                              failure: BlockFailure?, by node: NodeID, at time: SimTime) {
        tracer?(TraceLine(time: time, kind: .commit, node: node.index, height: block.height,
                          detail: "\(block.hash.hex.prefix(12)) txs \(block.transactions.count)"))
        // Safety is about honest validators; a Byzantine node's own view is not checked.
        guard !isByzantine(node.index) else { return }
        if let violation = safety.check(commitOf: block, votes: votes, by: node, at: time,
                                        validators: certifiers, verifier: verifier) {
            violations.append(violation)
            return
        }
        guard let receipt else {
            violations.append(InvariantViolation(
                kind: .safety, invariant: "validity", height: block.height, nodes: [node], time: time,
                detail: "a finalized block does not apply on \(node)'s state: transaction \(failure!.transactionIndex) \(failure!.reason.rawValue)"))
            return
        }
        if block.height <= UInt64(blocks.count) {
            let first = blocks[Int(block.height) - 1]
            if first.parametersDigest != receipt.parameters.digest {
                violations.append(InvariantViolation(
                    kind: .safety, invariant: "parameter-agreement", height: block.height,
                    nodes: [first.proposer, node], time: time,
                    detail: "\(node) runs different governance parameters after the block than the first committer"))
            }
            if first.stateRoot != receipt.stateRoot {
                violations.append(InvariantViolation(
                    kind: .safety, invariant: "state-agreement", height: block.height,
                    nodes: [first.proposer, node], time: time,
                    detail: "\(node) has state root \(receipt.stateRoot.hex.prefix(16)) after the block, the first committer \(first.stateRoot.hex.prefix(16))"))
            }
            return
        }
        precondition(block.height == UInt64(blocks.count) + 1, "heights are finalized in order")
        blocks.append(CommittedBlock(height: block.height, hash: block.hash, proposer: block.proposer,
                                     proposedAt: block.timestamp, committedAt: time,
                                     transactionCount: block.transactions.count, stateRoot: receipt.stateRoot,
                                     round: votes.first?.round ?? block.round, lastCommitSigners: block.lastCommit.count,
                                     parametersDigest: receipt.parameters.digest))
        for transaction in block.transactions {
            tracker.finalized(transaction.id, height: block.height, at: time)
            pending[transaction.id] = nil
            completed(transaction.id, at: time)
            for input in transaction.inputs where !spentOutPoints.insert(input).inserted {
                violations.append(InvariantViolation(
                    kind: .safety, invariant: "no-double-spend", height: block.height, nodes: [node], time: time,
                    detail: "output \(input) spent a second time by \(transaction.id.hex.prefix(16))"))
            }
        }
        workload.applyCommit(applied: receipt.applied, createdOutputs: receipt.createdOutputs)
        governanceStatistics.record(receipt, before: currentParameters, height: block.height, at: time)
        currentParameters = receipt.parameters
        workload.minimumFee = receipt.parameters.minimumFee
        for transaction in block.transactions {
            guard let index = proposalIndex[transaction.id] else { continue }
            governanceStatistics.opened += 1
            scheduleVotes(onProposal: index, at: time)
        }
        market.record(receipt, committedAt: time)
        for settlement in receipt.settlements {
            guard let orders = ordersOfTrade.removeValue(forKey: settlement.trade) else { continue }
            tracker.settled(orders.buy, at: time)
            tracker.settled(orders.sell, at: time)
        }
        for trade in receipt.trades {
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
            if !problems.isEmpty {
                violations.append(InvariantViolation(
                    kind: .safety, invariant: "conservation", height: block.height, nodes: [node], time: time,
                    detail: problems.joined(separator: "; ")))
            }
        }
    }
}

extension LoadSettings.Controller {
    /// Whether arrivals come from timed processes (rather than completions or a trace).
    var isTimed: Bool { self == .poisson || self == .fixed }
}
