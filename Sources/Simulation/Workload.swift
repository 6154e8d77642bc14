import Foundation
import GridCore
import Ledger
import Market
import Scenario
import Sharding

/// Outputs a participant owns, as committed blocks confirm them, in the order they arrived (so
/// that choosing inputs is deterministic), and those its pending transactions spend. Each
/// output arrives once; spending the oldest first, a wallet finds a spent output near the front
/// of its ``ArrivalQueue``.
struct Wallet {
    private var outputs: [ArrivalQueue<OutPoint, Int64>] = Asset.allCases.map { _ in ArrivalQueue() }
    private var reserved: Set<OutPoint> = []

    mutating func receive(_ outPoint: OutPoint, _ output: TxOutput) {
        outputs[Int(output.asset.rawValue)].append(output.amount, forKey: outPoint)
    }

    mutating func spent(_ outPoint: OutPoint) {
        for asset in outputs.indices where outputs[asset].removeValue(forKey: outPoint) != nil { break }
        reserved.remove(outPoint)
    }

    mutating func release(_ outPoints: [OutPoint]) {
        for outPoint in outPoints { reserved.remove(outPoint) }
    }

    /// Takes `other`'s outputs (after this wallet's, in their order) and reservations.
    mutating func absorb(_ other: Wallet) {
        for asset in outputs.indices {
            for (outPoint, amount) in other.outputs[asset] { outputs[asset].append(amount, forKey: outPoint) }
        }
        reserved.formUnion(other.reserved)
    }

    /// The balance of `asset`, reserved or not.
    func total(_ asset: Asset) -> Int64 {
        outputs[Int(asset.rawValue)].reduce(0) { $0 + $1.value }
    }

    /// The unreserved balance of `asset`.
    func available(_ asset: Asset) -> Int64 {
        outputs[Int(asset.rawValue)].reduce(0) { $0 + (reserved.contains($1.key) ? 0 : $1.value) }
    }

    /// Reserves oldest unreserved outputs of `asset` worth at least `amount`; `nil` when there
    /// are not enough. Returns the inputs and their sum.
    mutating func reserve(_ asset: Asset, atLeast amount: Int64) -> (inputs: [OutPoint], total: Int64)? {
        var chosen: [OutPoint] = []
        var total: Int64 = 0
        for (outPoint, value) in outputs[Int(asset.rawValue)] where !reserved.contains(outPoint) {
            guard total < amount else { break }
            chosen.append(outPoint)
            total += value
        }
        guard total >= amount, !chosen.isEmpty else { return nil }
        reserved.formUnion(chosen)
        return (chosen, total)
    }
}

/// One simulated participant.
struct Agent {
    let keyPair: KeyPair
    let participantClass: Int32
    let role: ParticipantRole
    let source: EnergySource
    let location: GridLocation
    let entryNode: NodeID
    /// Producers: installed capacity, W.
    let capacityWatts: Double
    var wallet = Wallet()
    /// Outputs held in other shards' ledgers (a cross-shard bid's proceeds), by the shard that
    /// holds them (a split keeps them in that shard: their owner does not move with it).
    var abroad: [(shard: ShardID, wallet: Wallet)] = []
    var nextNonce: UInt64 = 0
    /// Producers: this metering interval's clearness, wind speed or flow.
    var condition = 0.0

    /// Committed spends leave whichever wallet holds them (home, or abroad where a split or
    /// merge may have moved them since the spending transaction was made).
    mutating func spent(_ inputs: [OutPoint]) {
        for input in inputs { wallet.spent(input) }
        for entry in abroad.indices {
            for input in inputs { abroad[entry].wallet.spent(input) }
        }
    }

    /// An output created for this participant in `shard`, which does not serve its region.
    mutating func receiveAbroad(_ outPoint: OutPoint, _ output: TxOutput, in shard: ShardID) {
        if let entry = abroad.firstIndex(where: { $0.shard == shard }) {
            abroad[entry].wallet.receive(outPoint, output)
        } else {
            var wallet = Wallet()
            wallet.receive(outPoint, output)
            abroad.append((shard, wallet))
        }
    }
}

/// What the workload submits.
enum SubmissionKind: UInt8, CaseIterable {
    case order, transfer, mint, settlement, cancel, proposal, vote

    var name: String {
        switch self {
        case .order: "order"
        case .transfer: "transfer"
        case .mint: "mint"
        case .settlement: "settlement"
        case .cancel: "cancel"
        case .proposal: "proposal"
        case .vote: "vote"
        }
    }
}

/// The participants of a scenario and the random processes that drive them (DESIGN.md,
/// workload): per class, Poisson processes of orders and transfers (rate = count × per-participant
/// rate, each arrival from a participant drawn uniformly); producers' meters read every
/// `mint_interval` and minted; the grid operator of the seller's region settles each trade after
/// its window. Limit prices are Gaussian around the pricing model's reference; buy quantities
/// lognormal around the participant's demand per order.
///
/// A class, not a struct: the simulator calls it on every arrival and commit, and a method
/// called on a struct stored in a class runs on a copy of all of it.
final class Workload {
    let scenario: Scenario
    let classes: [ParticipantClass]
    private(set) var agents: [Agent] = []
    /// Each region's grid operator: signs meter attestations and settlements.
    private(set) var operatorAgents: [Int] = []
    private var classStart: [Int] = []
    private var agentByKey: [PublicKey: Int] = [:]
    /// Under sharding: for each region (`Region.index`), the participants a transfer from there
    /// may pay — those whose region is in the same shard (a payment across shards needs the
    /// cross-shard protocol). `nil`: anyone.
    var recipientPools: [[Int]]?
    /// Under sharding: for each region, the participants in other shards (whom a cross-shard
    /// transfer pays, when `sharding.cross_shard` is above 0).
    var foreignPools: [[Int]]?
    /// Under sharding: each region's shard number, to tell a cross-shard recipient.
    var shardOfRegion: [Int]?
    /// Under sharding: for each region, the regions of other shards with sellers (where a
    /// cross-shard bid from there goes, when `sharding.cross_shard_bids` is above 0).
    var foreignMarkets: [[Region]]?
    private let crossShard: RandomStream
    private let crossShardBids: RandomStream
    private let orderArrivals: [ArrivalProcess]
    private let transferArrivals: [ArrivalProcess]
    private let choice: RandomStream
    private let amounts: RandomStream
    private let prices: RandomStream
    private let conditions: RandomStream
    private let deliveries: RandomStream
    private let invalid: RandomStream
    let pricing: PricingModel
    let calendar: SimCalendar
    private let scheme: SignatureScheme
    private let validity: SimDuration
    /// The least fee the chain asks now (governance may change it); transactions pay it.
    var minimumFee: MicroTokens

    init(scenario: Scenario, seed: UInt64, validatorRegions: [Region], calendar: SimCalendar) {
        self.scenario = scenario
        classes = scenario.participants
        self.calendar = calendar
        scheme = scenario.consensus.signatureScheme
        minimumFee = scenario.market.minimumFee
        validity = max(.minutes(2), scenario.consensus.blockInterval * 10)
        let market = scenario.market
        pricing = PricingModel(base: market.basePrice, peakPremium: market.peakPremium, peakWindows: market.peakWindows,
                               renewablePremium: market.renewablePremium, locationSpread: market.locationSpread,
                               carbonAdder: market.carbonAdder, calendar: calendar)
        let end = SimTime.zero + scenario.run.duration
        orderArrivals = scenario.participants.enumerated().map { index, participants in
            ArrivalProcess(participants: participants, perParticipantRate: participants.orderRatePerSecond,
                           load: scenario.load, calendar: calendar, end: end,
                           stream: RandomStream(masterSeed: seed, name: "workload/orders/\(index)-\(participants.kind)"))
        }
        transferArrivals = scenario.participants.enumerated().map { index, participants in
            ArrivalProcess(participants: participants, perParticipantRate: participants.transferRatePerSecond,
                           load: scenario.load, calendar: calendar, end: end,
                           stream: RandomStream(masterSeed: seed, name: "workload/transfers/\(index)-\(participants.kind)"))
        }
        choice = RandomStream(masterSeed: seed, name: "workload/choice")
        amounts = RandomStream(masterSeed: seed, name: "workload/amounts")
        prices = RandomStream(masterSeed: seed, name: "workload/prices")
        conditions = RandomStream(masterSeed: seed, name: "workload/weather")
        deliveries = RandomStream(masterSeed: seed, name: "workload/deliveries")
        invalid = RandomStream(masterSeed: seed, name: "workload/invalid")
        crossShard = RandomStream(masterSeed: seed, name: "workload/cross-shard")
        crossShardBids = RandomStream(masterSeed: seed, name: "workload/cross-shard-bids")
        let keyPairs = KeyPair.drawing(scenario.participantCount,
                                       from: RandomStream(masterSeed: seed, name: "keys/participants"))
        let latencies = scenario.network.latencies
        let presentRegions = Region.allCases.filter { validatorRegions.contains($0) }
        let topology = scenario.grid.topology
        var zoneCursor = [Int](repeating: 0, count: Region.allCases.count)
        for (classIndex, participantClass) in classes.enumerated() {
            classStart.append(agents.count)
            let entryRegion = validatorRegions.contains(participantClass.region)
                ? participantClass.region : latencies.nearest(to: participantClass.region, among: presentRegions)!
            let entryCandidates = validatorRegions.indices.filter { validatorRegions[$0] == entryRegion }
            let source: EnergySource = switch participantClass.kind {
            case "solar": .solar
            case "wind": .wind
            case "hydro": .hydro
            default: .conventional
            }
            for member in 0..<participantClass.count {
                let region = participantClass.region
                let zone = UInt16(zoneCursor[region.index] % topology[region].zones.count)
                zoneCursor[region.index] += 1
                let agent = Agent(keyPair: keyPairs[agents.count], participantClass: Int32(classIndex),
                                  role: participantClass.role, source: source,
                                  location: GridLocation(region: region, zone: zone),
                                  entryNode: NodeID(entryCandidates[member % entryCandidates.count]),
                                  capacityWatts: participantClass.capacityWatts)
                agentByKey[agent.keyPair.publicKey] = agents.count
                agents.append(agent)
            }
        }
        classStart.append(agents.count)
        // Regions without an operator participant get one that submits nothing but settlements.
        let operatorKeys = RandomStream(masterSeed: seed, name: "keys/operators")
        var operators: [Int] = []
        for region in Region.allCases {
            if let existing = agents.indices.first(where: { agents[$0].role == .gridOperator && agents[$0].location.region == region }) {
                operators.append(existing)
                continue
            }
            let entryRegion = latencies.nearest(to: region, among: presentRegions)!
            let agent = Agent(keyPair: KeyPair(drawingFrom: operatorKeys), participantClass: -1, role: .gridOperator,
                              source: .conventional, location: GridLocation(region: region, zone: 0),
                              entryNode: NodeID(validatorRegions.firstIndex(of: entryRegion)!), capacityWatts: 0)
            agentByKey[agent.keyPair.publicKey] = agents.count
            operators.append(agents.count)
            agents.append(agent)
        }
        operatorAgents = operators
        fundGenesis()
    }

    /// The genesis outputs: each participant's payment balance. Output `i` of the list sits at
    /// `OutPoint(genesisOrigin, i)`; the wallets already hold them.
    private var genesis: [TxOutput] = []

    /// The genesis outputs, handed over once to build the genesis state: the workload keeps no
    /// copy (12 million outputs of a large population are 0.6 GB the run no longer needs).
    func takeGenesis() -> [TxOutput] {
        defer { genesis = [] }
        return genesis
    }

    private func fundGenesis() {
        for index in agents.indices where agents[index].participantClass >= 0 {
            let participants = classes[Int(agents[index].participantClass)]
            let balance = participants.balance.rawValue
            let coins = Int64(participants.genesisCoins)
            guard coins > 0 else { continue }
            for coin in 0..<coins {
                let amount = balance / coins + (coin < balance % coins ? 1 : 0)
                let output = TxOutput(owner: agents[index].keyPair.publicKey, asset: .payment, amount: amount)
                agents[index].wallet.receive(OutPoint(transaction: genesisOrigin, index: UInt32(genesis.count)), output)
                genesis.append(output)
            }
        }
    }

    /// Each region's grid operator key.
    var gridOperatorKeys: [PublicKey] { operatorAgents.map { agents[$0].keyPair.publicKey } }

    func agentIndex(of key: PublicKey) -> Int? { agentByKey[key] }

    // MARK: Arrivals

    /// The next order (or transfer) of class `index` after `now`; `nil` when there is none.
    func nextArrival(ofClass index: Int, transfers: Bool, after now: SimTime) -> SimTime? {
        (transfers ? transferArrivals : orderArrivals)[index].next(after: now)
    }

    /// A class and kind drawn in proportion to their rates (closed-loop load).
    func drawClosedLoopArrival() -> (participantClass: Int, transfer: Bool)? {
        var weights: [(Int, Bool, Double)] = []
        for (index, participants) in classes.enumerated() {
            weights.append((index, false, Double(participants.count) * participants.orderRatePerSecond))
            weights.append((index, true, Double(participants.count) * participants.transferRatePerSecond))
        }
        let total = weights.reduce(0) { $0 + $1.2 }
        guard total > 0 else { return nil }
        var point = choice.uniform() * total
        for (index, transfer, weight) in weights where weight > 0 {
            if point < weight { return (index, transfer) }
            point -= weight
        }
        return weights.last { $0.2 > 0 }.map { ($0.0, $0.1) }
    }

    /// One of the classes the scenario's `participants[entry]` became, drawn in proportion to
    /// their counts (an entry with `regions` is one class per region).
    func drawClass(ofEntry entry: Int) -> Int {
        let candidates = classes.indices.filter { classes[$0].entry == entry }
        precondition(!candidates.isEmpty, "participants[\(entry)] has no class")
        var point = choice.uniformInt(below: candidates.reduce(0) { $0 + classes[$1].count })
        for index in candidates {
            if point < classes[index].count { return index }
            point -= classes[index].count
        }
        preconditionFailure("the draw is below the total count")
    }

    private func randomMember(ofClass index: Int) -> Int {
        classStart[index] + choice.uniformInt(below: classStart[index + 1] - classStart[index])
    }

    /// The class participant number `participant` (as a load trace counts them) belongs to.
    func classIndex(ofParticipant participant: Int) -> Int {
        precondition((classStart[0]..<classStart[classes.count]).contains(participant), "participant \(participant) is not in the scenario")
        return Int(agents[participant].participantClass)
    }

    // MARK: Building transactions

    /// An order from a member of class `index`, with what `given` fixes (participant, quantity,
    /// price) and the rest drawn. Returns the arrival with every detail that was used, for an
    /// explicit load trace, and the order, or `nil` when that member cannot fund one.
    func makeOrder(ofClass index: Int, at now: SimTime, given: TraceRow? = nil)
        -> (arrival: TraceRow, made: (Transaction, agent: Int)?) {
        let agentIndex = given?.participant ?? randomMember(ofClass: index)
        precondition(Int(agents[agentIndex].participantClass) == index, "the participant is of another class")
        var arrival = TraceRow(time: now, entry: classes[index].entry, transfer: false, participant: agentIndex)
        let agent = agents[agentIndex]
        let market = scenario.market
        let slotStart = SimTime(nanoseconds: now.nanoseconds - now.nanoseconds % market.slot.nanoseconds)
        let deliveryStart = slotStart + market.slot * Int64(market.deliveryLeadSlots)
        let deliveryEnd = deliveryStart + market.slot * Int64(market.deliverySlots)
        let spread = classes[index].priceSpread.fraction
        let fee = minimumFee
        switch agent.role {
        case .producer, .gridOperator:
            let quantity = given?.quantityWh ?? agents[agentIndex].wallet.available(.energy)
            arrival.quantityWh = quantity
            guard Self.generates(agent), quantity > 0, let energy = agents[agentIndex].wallet.reserve(.energy, atLeast: quantity) else {
                return (arrival, nil)
            }
            guard let feeInputs = agents[agentIndex].wallet.reserve(.payment, atLeast: fee.rawValue) else {
                agents[agentIndex].wallet.release(energy.inputs)
                return (arrival, nil)
            }
            let price = given?.priceMicroPerKWh.map { MicroTokensPerKWh($0) } ?? {
                let reference = pricing.referencePrice(at: deliveryStart, source: agent.source, distance: 0.5)
                return MicroTokensPerKWh(max(1, Int64(Double(reference.rawValue) * prices.gaussian(mean: 0.98, sigma: spread))))
            }()
            arrival.priceMicroPerKWh = price.rawValue
            let terms = OrderTerms(side: .sell, price: price, quantity: EnergyWh(quantity), location: agent.location,
                                   deliveryStart: deliveryStart, deliveryEnd: deliveryEnd,
                                   expiresAt: now + market.orderLifetime, source: agent.source)
            var change: [TxOutput] = []
            if energy.total > quantity {
                change.append(TxOutput(owner: agent.keyPair.publicKey, asset: .energy, amount: energy.total - quantity))
            }
            if feeInputs.total > fee.rawValue {
                change.append(TxOutput(owner: agent.keyPair.publicKey, asset: .payment, amount: feeInputs.total - fee.rawValue))
            }
            return (arrival, (sign(.placeOrder(terms, inputs: energy.inputs + feeInputs.inputs, change: change), fee: fee,
                                   by: agentIndex, at: now), agentIndex))
        case .consumer:
            let quantity = given?.quantityWh ?? {
                let perOrderDemand = Double(classes[index].dailyDemand.rawValue)
                    / max(1, classes[index].orderRatePerSecond * 86_400)
                return max(1, Int64(amounts.lognormal(zeta: log(max(perOrderDemand, 1)) - 0.125, sigma: 0.5)))
            }()
            let price = given?.priceMicroPerKWh.map { MicroTokensPerKWh($0) } ?? {
                let reference = pricing.referencePrice(at: deliveryStart, source: .solar, distance: 0.5)
                return MicroTokensPerKWh(max(1, Int64(Double(reference.rawValue) * prices.gaussian(mean: 1.02, sigma: spread))))
            }()
            arrival.quantityWh = quantity
            arrival.priceMicroPerKWh = price.rawValue
            guard quantity > 0, let escrow = MicroTokens.value(of: EnergyWh(quantity), at: price), escrow > .zero,
                  let funds = agents[agentIndex].wallet.reserve(.payment, atLeast: escrow.rawValue + fee.rawValue) else {
                return (arrival, nil)
            }
            let terms = OrderTerms(side: .buy, price: price, quantity: EnergyWh(quantity), location: agent.location,
                                   deliveryStart: deliveryStart, deliveryEnd: deliveryEnd,
                                   expiresAt: now + market.orderLifetime, source: .conventional)
            let changeAmount = funds.total - escrow.rawValue - fee.rawValue
            let change = changeAmount > 0
                ? [TxOutput(owner: agent.keyPair.publicKey, asset: .payment, amount: changeAmount)] : []
            let kind: TransactionKind
            let destination = bidDestination(from: agent.location.region, given: given?.bidRegion)
            if scenario.sharding?.crossShardBidShare.fraction ?? 0 > 0 {
                arrival.bidRegion = destination ?? agent.location.region
            }
            if let destination, let bid = LockTerms.bid(terms, by: agent.keyPair.publicKey, in: destination,
                                                        deadline: now + scenario.sharding!.crossShardDeadline) {
                kind = .lockTransfer(inputs: funds.inputs, change: change, bid)
            } else {
                kind = .placeOrder(terms, inputs: funds.inputs, change: change)
            }
            return (arrival, (sign(kind, fee: fee, by: agentIndex, at: now), agentIndex))
        }
    }

    /// Where a buy order from `region` goes as a cross-shard bid, or `nil` to place it at home:
    /// the trace's `bid_region` when it names a region of another shard (any other region places
    /// it at home), drawing nothing; otherwise, with probability `sharding.cross_shard_bids`, a
    /// region of another shard with sellers. Draws nothing when that share is 0.
    private func bidDestination(from region: Region, given: Region?) -> Region? {
        if let given {
            return shardOfRegion.map { $0[given.index] != $0[region.index] } == true ? given : nil
        }
        let share = scenario.sharding?.crossShardBidShare.fraction ?? 0
        guard share > 0, let markets = foreignMarkets?[region.index], !markets.isEmpty,
              crossShardBids.bernoulli(share) else { return nil }
        return markets[crossShardBids.uniformInt(below: markets.count)]
    }

    /// The regions where some participant sells energy it generates, in `Region` order.
    var sellerRegions: [Region] {
        Region.allCases.filter { region in agents.contains { $0.location.region == region && Self.generates($0) } }
    }

    /// Whether an agent generates energy it mints and sells: producers, and operators with
    /// conventional supply.
    private static func generates(_ agent: Agent) -> Bool {
        agent.role == .producer || (agent.role == .gridOperator && agent.capacityWatts > 0)
    }

    /// A payment from a member of class `index` to another participant, with what `given` fixes
    /// (participant, recipient, amount) and the rest drawn. Returns the arrival with every detail
    /// used and the transfer, or `nil` when the payer cannot fund it.
    func makeTransfer(ofClass index: Int, at now: SimTime, given: TraceRow? = nil)
        -> (arrival: TraceRow, made: (Transaction, agent: Int)?) {
        let sender = given?.participant ?? randomMember(ofClass: index)
        precondition(Int(agents[sender].participantClass) == index, "the participant is of another class")
        let foreign = foreignPools?[agents[sender].location.region.index] ?? []
        let share = scenario.sharding?.crossShardShare.fraction ?? 0
        let recipient = given?.recipient ?? {
            if share > 0, !foreign.isEmpty, crossShard.bernoulli(share) {
                return foreign[crossShard.uniformInt(below: foreign.count)]
            }
            if let pool = recipientPools?[agents[sender].location.region.index], pool.count > 1 {
                let drawn = choice.uniformInt(below: pool.count)
                return pool[drawn] == sender ? pool[(drawn + 1) % pool.count] : pool[drawn]
            }
            let participants = classStart[classes.count] - classStart[0]
            let drawn = classStart[0] + choice.uniformInt(below: participants)
            return drawn == sender ? classStart[0] + (drawn + 1 - classStart[0]) % participants : drawn
        }()
        let fee = minimumFee.rawValue
        let amount = given?.amountMicro ?? Int64(amounts.lognormal(zeta: log(2e6), sigma: 0.8)) + 1
        let arrival = TraceRow(time: now, entry: classes[index].entry, transfer: true, participant: sender,
                               recipient: recipient, amountMicro: amount)
        guard let funds = agents[sender].wallet.reserve(.payment, atLeast: amount + fee) else { return (arrival, nil) }
        let payment = TxOutput(owner: agents[recipient].keyPair.publicKey, asset: .payment, amount: amount)
        let change = funds.total > amount + fee
            ? [TxOutput(owner: agents[sender].keyPair.publicKey, asset: .payment, amount: funds.total - amount - fee)] : []
        let kind: TransactionKind
        if let shards = shardOfRegion, let deadline = scenario.sharding?.crossShardDeadline,
           shards[agents[recipient].location.region.index] != shards[agents[sender].location.region.index] {
            kind = .lockTransfer(inputs: funds.inputs, change: change,
                                 LockTerms(destination: agents[recipient].location.region, deadline: now + deadline,
                                           outputs: [payment]))
        } else {
            kind = .transfer(inputs: funds.inputs, outputs: [payment] + change)
        }
        return (arrival, (sign(kind, fee: MicroTokens(fee), by: sender, at: now), sender))
    }

    /// A cross-shard step relayed into `region`'s shard (a credit there, or a settlement back
    /// to the sender's region), signed by the region's grid operator, who relays. Relayed
    /// steps carry no fee and are never corrupted: their validity rests on the evidence.
    func makeRelayed(_ kind: TransactionKind, into region: Region, at now: SimTime) -> (Transaction, agent: Int) {
        let index = operatorAgents[region.index]
        agents[index].nextNonce += 1
        return (Transaction(signedBy: agents[index].keyPair, region: region, kind: kind, validUntil: now + validity,
                            nonce: agents[index].nextNonce, scheme: scheme), index)
    }

    // MARK: Governance

    /// A proposal from the first member of `participants[spec.proposerEntry]` whose wallet holds
    /// the deposit and the fee, or `nil` when none does.
    func makeProposal(_ spec: ProposalSpec, parameter: GovernedParameter, votingPeriodBlocks: UInt64,
                               deposit: MicroTokens, at now: SimTime) -> (Transaction, agent: Int)? {
        let members = classes.indices.filter { classes[$0].entry == spec.proposerEntry }
            .flatMap { classStart[$0]..<classStart[$0 + 1] }
        let needed = deposit.rawValue + minimumFee.rawValue
        guard let proposer = members.first(where: { agents[$0].wallet.available(.payment) >= needed }),
              let funds = agents[proposer].wallet.reserve(.payment, atLeast: needed) else { return nil }
        let change = funds.total > needed
            ? [TxOutput(owner: agents[proposer].keyPair.publicKey, asset: .payment, amount: funds.total - needed)] : []
        let text = Blake2b.hash(Array("\(spec.parameter) = \(spec.value) from \(spec.at)".utf8))
        let proposal = GovernanceProposal(change: ParameterChange(parameter, to: spec.value),
                                          votingPeriodBlocks: votingPeriodBlocks, textHash: text)
        return (sign(.propose(proposal, inputs: funds.inputs, change: change), fee: minimumFee, by: proposer, at: now),
                proposer)
    }

    /// `agent`'s vote on `proposal`.
    func makeVote(by agent: Int, on proposal: TransactionID, ballot: Ballot, at now: SimTime) -> Transaction {
        sign(.vote(proposal: proposal, ballot: ballot), fee: .zero, by: agent, at: now)
    }

    /// Participants whose wallets hold payment tokens: who can vote, in participant order.
    var paymentHolders: [Int] {
        (classStart[0]..<classStart[classes.count]).filter { agents[$0].wallet.available(.payment) > 0 }
    }

    /// Reads every producer's meter over the interval ending `now`, draws the next interval's
    /// conditions, and returns a mint for each producer that generated something.
    func readMeters(at now: SimTime, interval: SimDuration) -> [(Transaction, agent: Int)] {
        var mints: [(Transaction, agent: Int)] = []
        let hour = calendar.hourOfDay(at: now - SimDuration(nanoseconds: interval.nanoseconds / 2))
        for index in agents.indices where Self.generates(agents[index]) {
            let agent = agents[index]
            let share = GenerationModel.availability(agent.source, hour: hour, condition: agent.condition)
            let energy = Int64(agent.capacityWatts * share * interval.seconds / 3_600)
            agents[index].condition = GenerationModel.drawCondition(agent.source, conditions)
            guard energy > 0 else { continue }
            let gridOperator = agents[operatorAgents[agent.location.region.index]]
            let attestation = MeterAttestation(
                producer: agent.keyPair.publicKey, location: agent.location, source: agent.source,
                energy: EnergyWh(energy), periodStart: now - interval, periodEnd: now, signedBy: gridOperator.keyPair,
                scheme: scheme)
            mints.append((sign(.mint(attestation), fee: .zero, by: index, at: now), index))
        }
        return mints
    }

    /// The first conditions of every producer, drawn at the start.
    func drawInitialConditions() {
        for index in agents.indices where Self.generates(agents[index]) {
            agents[index].condition = GenerationModel.drawCondition(agents[index].source, conditions)
        }
    }

    /// The seller region operator's meter reading for a trade whose window has ended.
    func makeSettlement(for trade: Trade, at now: SimTime) -> (Transaction, agent: Int) {
        let operatorIndex = operatorAgents[trade.sellerLocation.region.index]
        var delivered = trade.quantity
        if deliveries.bernoulli(scenario.market.shortfallProbability.fraction) {
            delivered = EnergyWh(Int64(Double(trade.quantity.rawValue) * deliveries.uniform()))
        }
        return (sign(.settleTrade(trade: trade.id, delivered: delivered), fee: .zero, by: operatorIndex, at: now),
                operatorIndex)
    }

    /// A transaction by agent `index` for `region`'s shard (its own region's by default).
    private func sign(_ kind: TransactionKind, fee: MicroTokens, by index: Int, at now: SimTime,
                      in region: Region? = nil) -> Transaction {
        let agent = agents[index]
        agents[index].nextNonce += 1
        let transaction = Transaction(signedBy: agent.keyPair, region: region ?? agent.location.region, kind: kind, fee: fee,
                                      validUntil: now + validity, nonce: agent.nextNonce, scheme: scheme)
        let share = scenario.workload.invalidShare
        if share.rawValue > 0, invalid.bernoulli(share.fraction) { return transaction.withCorruptedSignature() }
        return transaction
    }

    // MARK: Chain feedback

    /// A committed block's effect on wallets: spent inputs leave, created outputs arrive. Under
    /// sharding the block is `shard`'s, which serves `regions`; outputs there of participants
    /// from elsewhere (a cross-shard bid's proceeds) are held abroad, and the returned locks
    /// send them home: one per participant whose payment held there covers the fee.
    func applyCommit(applied: [Transaction], createdOutputs: [(outPoint: OutPoint, output: TxOutput)],
                     shard: (id: ShardID, regions: [Region])?, at now: SimTime) -> [(Transaction, agent: Int)] {
        for transaction in applied {
            guard let index = agentByKey[transaction.signer] else { continue }
            agents[index].spent(transaction.inputs)
        }
        var abroad: [Int] = []
        for (outPoint, output) in createdOutputs {
            guard let index = agentByKey[output.owner] else { continue }
            if let shard, !shard.regions.contains(agents[index].location.region) {
                agents[index].receiveAbroad(outPoint, output, in: shard.id)
                if abroad.last != index { abroad.append(index) }
            } else {
                agents[index].wallet.receive(outPoint, output)
            }
        }
        guard let shard, let deadline = scenario.sharding?.crossShardDeadline else { return [] }
        return abroad.compactMap { sendHome(heldBy: $0, in: shard.id, via: shard.regions[0], deadline: now + deadline, at: now) }
    }

    /// What participants hold in shards other than their own, by asset.
    var heldAbroad: AssetAmounts {
        var sums = AssetAmounts()
        for agent in agents {
            for entry in agent.abroad {
                for asset in Asset.allCases { sums[asset] += entry.wallet.total(asset) }
            }
        }
        return sums
    }

    /// After a merge of `absorbed` into `survivor`, once `shardOfRegion` is the merged map:
    /// outputs held in `absorbed` are held in `survivor`, and those now in their owner's own
    /// shard join its wallet.
    func merged(_ absorbed: ShardID, into survivor: ShardID) {
        for index in agents.indices where !agents[index].abroad.isEmpty {
            var kept: [(shard: ShardID, wallet: Wallet)] = []
            for var entry in agents[index].abroad {
                if entry.shard == absorbed { entry.shard = survivor }
                if shardOfRegion?[agents[index].location.region.index] == entry.shard.rawValue {
                    agents[index].wallet.absorb(entry.wallet)
                } else if let same = kept.firstIndex(where: { $0.shard == entry.shard }) {
                    kept[same].wallet.absorb(entry.wallet)
                } else {
                    kept.append(entry)
                }
            }
            agents[index].abroad = kept
        }
    }

    /// A lock by participant `index` of everything it holds in `shard`, sent into `region` (one
    /// the shard serves) for its home region, paying the fee from the payment held there; `nil`
    /// if that payment does not exceed the fee (energy alone waits for more).
    private func sendHome(heldBy index: Int, in shard: ShardID, via region: Region, deadline: SimTime, at now: SimTime)
        -> (Transaction, agent: Int)? {
        let fee = minimumFee.rawValue
        guard let entry = agents[index].abroad.firstIndex(where: { $0.shard == shard }) else { return nil }
        var held = agents[index].abroad[entry].wallet
        guard held.available(.payment) > fee else { return nil }
        let owner = agents[index].keyPair.publicKey
        var inputs: [OutPoint] = []
        var outputs: [TxOutput] = []
        for asset in Asset.allCases {
            let amount = held.available(asset)
            guard amount > 0, let coins = held.reserve(asset, atLeast: amount) else { continue }
            inputs += coins.inputs
            let sent = asset == .payment ? coins.total - fee : coins.total
            outputs.append(TxOutput(owner: owner, asset: asset, amount: sent))
        }
        agents[index].abroad[entry].wallet = held
        let terms = LockTerms(destination: agents[index].location.region, deadline: deadline, outputs: outputs)
        return (sign(.lockTransfer(inputs: inputs, change: [], terms), fee: MicroTokens(fee), by: index, at: now,
                     in: region), index)
    }

    /// A transaction that will not be committed: its inputs are free again.
    func release(_ transaction: Transaction, agent: Int) {
        agents[agent].wallet.release(transaction.inputs)
        for entry in agents[agent].abroad.indices { agents[agent].abroad[entry].wallet.release(transaction.inputs) }
    }

    /// Renewable producers' generation and forecast at `time`, W per zone (conventional supply
    /// is dispatched to the schedule and adds no imbalance).
    func zoneActivity(at time: SimTime, zones: Int, zoneIndex: (GridLocation) -> Int) -> ([Double], [Double]) {
        var generation = [Double](repeating: 0, count: zones)
        var forecast = [Double](repeating: 0, count: zones)
        let hour = calendar.hourOfDay(at: time)
        for agent in agents where agent.role == .producer {
            let zone = zoneIndex(agent.location)
            generation[zone] += agent.capacityWatts * GenerationModel.availability(agent.source, hour: hour, condition: agent.condition)
            forecast[zone] += agent.capacityWatts * GenerationModel.forecast(agent.source, hour: hour)
        }
        return (generation, forecast)
    }
}
