import Consensus
import DequeModule
import GridCore
import Ledger
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
}

/// The simulator: builds the validators and participants of a scenario, then drives them in
/// simulated time — delivering inputs, charging CPU cost, carrying out effects, checking
/// invariants — on one thread.
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

    public let scenario: Scenario
    public let seed: UInt64
    public let costProfile: CostProfile
    private let validators: ValidatorSet
    private let verifier: SignatureVerifier
    private var runtimes: [NodeRuntime] = []
    private var network: Network
    private var workload: Workload
    private var loop = EventLoop(capacity: 1 << 14)
    private var tracker = TransactionTracker()
    private var safety = SafetyChecker()
    private var blocks: [CommittedBlock] = []
    private var violations: [InvariantViolation] = []
    private var effects: [NodeEffect] = []

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
        let configuration = NodeConfiguration(
            blockInterval: scenario.consensus.blockInterval,
            maxBlockTransactions: scenario.consensus.maxBlockTransactions,
            signatureScheme: scenario.consensus.signatureScheme)
        for member in members {
            let node = ValidatorNode(id: member.id, validators: validators, keyPair: keyPairs[member.id.index],
                                     configuration: configuration, verifier: verifier)
            runtimes.append(NodeRuntime(node: node, coreFreeAt: Array(repeating: .zero, count: scenario.validators.cores)))
        }
        let regions = members.map(\.region)
        network = Network(latencies: scenario.network.latencies, jitter: scenario.network.jitter,
                          nodeRegions: regions, random: RandomStream(masterSeed: seed, name: "network/jitter"))
        workload = Workload(scenario: scenario, seed: seed, validatorRegions: regions)
    }

    /// Runs to the scenario's duration, or until an invariant breaks.
    public func run() -> RunResult {
        for index in runtimes.indices {
            effects.removeAll(keepingCapacity: true)
            runtimes[index].node.start(effects: &effects)
            apply(effects, from: NodeID(index), at: .zero)
        }
        for classIndex in workload.classes.indices {
            if let gap = workload.nextGap(ofClass: classIndex) {
                loop.schedule(.arrival(participantClass: Int32(classIndex)), at: .zero + gap)
            }
        }
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
            signatureCacheHits: verifier.cacheHits)
    }

    private func handle(_ event: Event) {
        switch event {
        case .arrival(let participantClass):
            submitTransaction(ofClass: Int(participantClass))
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

    private func submitTransaction(ofClass classIndex: Int) {
        let now = loop.now
        let (transaction, participant) = workload.makeTransaction(ofClass: classIndex)
        tracker.submitted(transaction.id, participantClass: participant.participantClass, at: now)
        let arrival = network.clientArrival(from: participant.region, to: participant.entryNode, sentAt: now)
        loop.schedule(.clientDelivery(node: participant.entryNode, transaction: transaction), at: arrival)
        if let gap = workload.nextGap(ofClass: classIndex) {
            loop.schedule(.arrival(participantClass: Int32(classIndex)), at: now + gap)
        }
    }

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
                tracker.rejected(id, reason)
            case .proposed(let block):
                for transaction in block.transactions {
                    tracker.included(transaction.id, at: time)
                }
            case .committed(let block, let votes):
                recordCommit(block, votes: votes, by: node, at: time)
            }
        }
    }

    private func recordCommit(_ block: Block, votes: [Vote], by node: NodeID, at time: SimTime) {
        if let violation = safety.check(commitOf: block, votes: votes, by: node, at: time,
                                        validators: validators, verifier: verifier) {
            violations.append(violation)
            return
        }
        guard block.height > UInt64(blocks.count) else { return }
        precondition(block.height == UInt64(blocks.count) + 1, "heights are finalized in order")
        blocks.append(CommittedBlock(height: block.height, hash: block.hash, proposer: block.proposer,
                                     proposedAt: block.timestamp, committedAt: time,
                                     transactionCount: block.transactions.count))
        for transaction in block.transactions {
            tracker.finalized(transaction.id, height: block.height, at: time)
        }
    }
}
