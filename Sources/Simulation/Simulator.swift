import Consensus
import DequeModule
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
    public var signatureChecksComputed: Int
    public var signatureCacheHits: Int
    public var market: MarketStatistics
    public var gridImpact: GridImpact
    /// The physical grid, sampled every `grid.sample_interval`.
    public var gridSamples: [GridSample]
    /// Names of the grid's elements (lines, then feeders), matching each sample's loading.
    public var gridElementNames: [String]
    /// How many inter-regional lines lead `gridElementNames`.
    public var gridLineCount: Int
}

/// The simulator: builds the validators, the participants and the grid of a scenario, then
/// drives them in simulated time — delivering inputs, charging CPU cost, carrying out effects,
/// checking invariants — on one thread.
public final class Simulator {
    /// A validator and its simulated CPU: input queue and when each core is free.
    private struct NodeRuntime {
        let node: ValidatorNode
        var coreFreeAt: [SimTime]
        var inbox: Deque<NodeInput> = []
        var readyScheduled = false
        var busyNanos: Int64 = 0

        var earliestFreeCore: Int {
            coreFreeAt.indices.min { coreFreeAt[$0] < coreFreeAt[$1] }!
        }
    }

    /// How often (in heights) the first node to commit a height audits conservation in full.
    static let conservationAuditInterval: UInt64 = 20

    public let scenario: Scenario
    public let seed: UInt64
    public let costProfile: CostProfile
    private let validators: ValidatorSet
    private let verifier: SignatureVerifier
    private let gridNetwork: GridNetwork
    private var runtimes: [NodeRuntime] = []
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
    private var spentOutPoints: Set<OutPoint> = []
    private var market = MarketStatistics()
    private var impact: GridImpact
    private var gridSamples: [GridSample] = []

    /// Prepares a run of `scenario` under `seed` (which takes the place of `run.seed`).
    public init(scenario: Scenario, seed: UInt64, costProfile: CostProfile) {
        self.scenario = scenario
        self.seed = seed
        self.costProfile = costProfile
        verifier = SignatureVerifier(scheme: scenario.consensus.signatureScheme)
        let keys = RandomStream(masterSeed: seed, name: "keys/validators")
        var members: [Validator] = []
        var keyPairs: [KeyPair] = []
        for index in 0..<scenario.validators.count {
            let keyPair = KeyPair(drawingFrom: keys)
            keyPairs.append(keyPair)
            members.append(Validator(id: NodeID(index), publicKey: keyPair.publicKey,
                                     stake: scenario.validators.stake.rawValue,
                                     region: scenario.validators.region(ofValidator: index)))
        }
        validators = ValidatorSet(members)
        let regions = members.map(\.region)
        let calendar = scenario.run.calendar
        gridNetwork = GridNetwork(topology: scenario.grid.topology, calendar: calendar)
        workload = Workload(scenario: scenario, seed: seed, validatorRegions: regions, calendar: calendar)
        impact = GridImpact(topology: scenario.grid.topology)
        physicalGrid = PhysicalGrid(network: gridNetwork,
                                    loadNoise: RandomStream(masterSeed: seed, name: "grid/load-noise"),
                                    loadNoiseSigma: scenario.grid.loadNoise.fraction)
        let genesis = Simulator.genesisState(scenario: scenario, workload: workload, gridNetwork: gridNetwork)
        let configuration = NodeConfiguration(
            blockInterval: scenario.consensus.blockInterval,
            maxBlockTransactions: scenario.consensus.maxBlockTransactions,
            signatureScheme: scenario.consensus.signatureScheme)
        for member in members {
            let node = ValidatorNode(id: member.id, validators: validators, keyPair: keyPairs[member.id.index],
                                     configuration: configuration, verifier: verifier, genesis: genesis)
            runtimes.append(NodeRuntime(node: node, coreFreeAt: Array(repeating: .zero, count: scenario.validators.cores)))
        }
        network = Network(latencies: scenario.network.latencies, jitter: scenario.network.jitter,
                          nodeRegions: regions, random: RandomStream(masterSeed: seed, name: "network/jitter"))
    }

    /// The chain state every validator starts from: the scenario's rules and the genesis balances.
    static func genesisState(scenario: Scenario, workload: Workload, gridNetwork: GridNetwork) -> ChainState {
        let market = scenario.market
        let parameters = LedgerParameters(
            gridOperators: workload.gridOperatorKeys, minimumFee: market.minimumFee, tradingFee: market.tradingFee,
            blockReward: market.blockReward, creditsPerKWh: market.creditsPerKWh,
            settlementTimeout: market.settlementTimeout)
        let configuration = MarketConfiguration(
            areas: market.areas, clearingRule: ClearingRule(rawValue: market.clearingRule)!, slotLength: market.slot,
            candidateLimit: market.candidateLimit)
        return ChainState(parameters: parameters, configuration: configuration,
                          grid: GridState(network: gridNetwork, slotLength: market.slot), genesis: workload.genesis)
    }

    /// Runs to the scenario's duration, or until an invariant breaks.
    public func run() -> RunResult {
        for index in runtimes.indices {
            effects.removeAll(keepingCapacity: true)
            runtimes[index].node.start(effects: &effects)
            apply(effects, from: NodeID(index), at: .zero)
        }
        workload.drawInitialConditions()
        for classIndex in workload.classes.indices {
            if let gap = workload.nextGap(ofClass: classIndex, transfers: false) {
                loop.schedule(.orderArrival(participantClass: Int32(classIndex)), at: .zero + gap)
            }
            if let gap = workload.nextGap(ofClass: classIndex, transfers: true) {
                loop.schedule(.transferArrival(participantClass: Int32(classIndex)), at: .zero + gap)
            }
        }
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
        }
        if violations.isEmpty { stopReason = loop.stopReason(for: limit) }
        return RunResult(
            scenario: scenario, seed: seed, digest: RunDigest.compute(blocks: blocks, transactions: tracker),
            stopReason: stopReason, endTime: loop.now, events: loop.processedEvents, transactions: tracker,
            blocks: blocks, violations: violations, costProfile: costProfile,
            nodeBusyNanos: runtimes.map(\.busyNanos), signatureChecksComputed: verifier.computedVerifications,
            signatureCacheHits: verifier.cacheHits, market: market, gridImpact: impact, gridSamples: gridSamples,
            gridElementNames: gridNetwork.elements.indices.map(gridNetwork.element(named:)),
            gridLineCount: gridNetwork.topology.lines.count)
    }

    private func handle(_ event: Event) {
        let now = loop.now
        switch event {
        case .orderArrival(let participantClass):
            let index = Int(participantClass)
            if let (transaction, agent) = workload.makeOrder(ofClass: index, at: now) {
                submit(transaction, by: agent, kind: .order)
            }
            if let gap = workload.nextGap(ofClass: index, transfers: false) {
                loop.schedule(.orderArrival(participantClass: participantClass), at: now + gap)
            }
        case .transferArrival(let participantClass):
            let index = Int(participantClass)
            if let (transaction, agent) = workload.makeTransfer(ofClass: index, at: now) {
                submit(transaction, by: agent, kind: .transfer)
            }
            if let gap = workload.nextGap(ofClass: index, transfers: true) {
                loop.schedule(.transferArrival(participantClass: participantClass), at: now + gap)
            }
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
            deliver(.message(from: from, message), to: to)
        case .timer(let node, let timer):
            deliver(.timer(timer), to: node)
        case .nodeReady(let node):
            runtimes[node.index].readyScheduled = false
            drainInbox(of: node)
        }
    }

    private func submit(_ transaction: Transaction, by agent: Int, kind: SubmissionKind) {
        let now = loop.now
        let participant = workload.agents[agent]
        tracker.submitted(transaction.id, participantClass: participant.participantClass, kind: kind.name, at: now)
        pending[transaction.id] = (transaction, agent)
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
    }

    // MARK: Nodes and their CPUs

    /// Hands `input` to the node now if a core is free and nothing is queued; otherwise queues it.
    private func deliver(_ input: NodeInput, to node: NodeID) {
        let now = loop.now
        let runtime = runtimes[node.index]
        if runtime.inbox.isEmpty, runtime.coreFreeAt[runtime.earliestFreeCore] <= now {
            process(input, on: node, at: now)
        } else {
            runtimes[node.index].inbox.append(input)
            scheduleReady(node)
        }
    }

    private func drainInbox(of node: NodeID) {
        let now = loop.now
        while !runtimes[node.index].inbox.isEmpty {
            let runtime = runtimes[node.index]
            guard runtime.coreFreeAt[runtime.earliestFreeCore] <= now else { break }
            let input = runtimes[node.index].inbox.removeFirst()
            process(input, on: node, at: now)
        }
        if !runtimes[node.index].inbox.isEmpty { scheduleReady(node) }
    }

    private func scheduleReady(_ node: NodeID) {
        guard !runtimes[node.index].readyScheduled else { return }
        runtimes[node.index].readyScheduled = true
        let runtime = runtimes[node.index]
        loop.schedule(.nodeReady(node: node), at: max(loop.now, runtime.coreFreeAt[runtime.earliestFreeCore]))
    }

    /// Runs the node's state machine on a free core; its effects take place when the work is done.
    private func process(_ input: NodeInput, on node: NodeID, at start: SimTime) {
        var work = WorkMeter()
        effects.removeAll(keepingCapacity: true)
        runtimes[node.index].node.handle(input, now: start, work: &work, effects: &effects)
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
                for peer in runtimes.indices where peer != node.index {
                    let to = NodeID(peer)
                    loop.schedule(.delivery(to: to, from: node, message: message),
                                  at: network.arrival(from: node, to: to, sentAt: time))
                }
            case .setTimer(let timer, let at):
                loop.schedule(.timer(node: node, timer: timer), at: max(at, time))
            case .admitted(let id):
                tracker.admitted(id, at: time)
            case .rejected(let id, let reason):
                if tracker.rejected(id, reason), let (transaction, agent) = pending.removeValue(forKey: id) {
                    workload.release(transaction, agent: agent)
                }
            case .proposed(let block):
                for transaction in block.transactions {
                    tracker.included(transaction.id, at: time)
                }
            case .committed(let block, let votes, let receipt, let failure):
                recordCommit(block, votes: votes, receipt: receipt, failure: failure, by: node, at: time)
            }
        }
    }

    // MARK: Commits and checkers

    private func recordCommit(_ block: Block, votes: [Vote], receipt: BlockReceipt?, failure: BlockFailure?,
                              by node: NodeID, at time: SimTime) {
        if let violation = safety.check(commitOf: block, votes: votes, by: node, at: time,
                                        validators: validators, verifier: verifier) {
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
                                     transactionCount: block.transactions.count, stateRoot: receipt.stateRoot))
        for transaction in block.transactions {
            tracker.finalized(transaction.id, height: block.height, at: time)
            pending[transaction.id] = nil
            for input in transaction.inputs where !spentOutPoints.insert(input).inserted {
                violations.append(InvariantViolation(
                    kind: .safety, invariant: "no-double-spend", height: block.height, nodes: [node], time: time,
                    detail: "output \(input) spent a second time by \(transaction.id.hex.prefix(16))"))
            }
        }
        workload.applyCommit(applied: receipt.applied, createdOutputs: receipt.createdOutputs)
        market.record(receipt)
        for trade in receipt.trades {
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
