import Governance
import GridCore
import Ledger
import Market

/// A grid test double (unit tests only): approves everything unless told otherwise, books
/// capacity per trade, and can reject congestion above a per-pair energy limit, add a premium,
/// or charge a loss share.
struct TestGrid: GridTradeAssessor {
    var capacityWh: Int64 = .max
    var premium: BasisPoints = .zero
    var lossShare: BasisPoints = .zero
    var incompatible: Set<Region> = []
    private(set) var booked: [Digest32: GridTradeRequest] = [:]

    var bookedEnergy: Int64 { booked.values.reduce(0) { $0 + $1.energy.rawValue } }

    func assess(_ request: GridTradeRequest) -> GridAssessment {
        if incompatible.contains(request.buyer.region) || incompatible.contains(request.seller.region) {
            return GridAssessment(verdict: .rejected(.incompatibleLocation), loss: .zero)
        }
        if bookedEnergy + request.energy.rawValue > capacityWh {
            return GridAssessment(verdict: .rejected(.congestion), loss: .zero)
        }
        return GridAssessment(verdict: premium > .zero ? .conditional(premium: premium) : .approved,
                              loss: request.energy.share(lossShare))
    }

    mutating func reserve(_ request: GridTradeRequest, key: Digest32) {
        precondition(booked[key] == nil)
        booked[key] = request
    }

    mutating func release(key: Digest32) {
        precondition(booked.removeValue(forKey: key) != nil)
    }

    func retaining(_ keeps: (Digest32) -> Bool) -> TestGrid {
        var part = self
        part.booked = booked.filter { keeps($0.key) }
        return part
    }

    mutating func absorb(_ other: TestGrid) {
        booked.merge(other.booked) { _, _ in preconditionFailure("a booking on both sides") }
    }

    var commitment: Digest32 {
        var hash = MultisetHash()
        for (key, request) in booked {
            var encoder = CanonicalEncoder()
            encoder.append(key)
            encoder.append(request.energy)
            hash.insert(encoder.blake2b)
        }
        return hash.digest
    }
}

/// Keys, a genesis and helpers to build transactions against an `ExchangeState<TestGrid>`.
struct Fixture {
    let stream: RandomStream
    let operators: [KeyPair]
    let proposer: KeyPair
    var state: ExchangeState<TestGrid>
    let verifier = SignatureVerifier()
    var nonce: UInt64 = 0
    var height: UInt64 = 0
    var now = SimTime.zero + .hours(1)

    /// `funded` keys each get `tokens` payment tokens at genesis.
    init(seed: UInt64 = 1, funded: [KeyPair] = [], tokens: Int64 = 10_000, grid: TestGrid = TestGrid(),
         configuration: MarketConfiguration = MarketConfiguration(), parameters: ((inout LedgerParameters) -> Void)? = nil) {
        stream = RandomStream(masterSeed: seed, name: "market-fixture")
        operators = Region.allCases.map { _ in KeyPair(drawingFrom: RandomStream(masterSeed: seed, name: "operators")) }
        let operatorStream = RandomStream(masterSeed: seed, name: "operator-keys")
        let operatorKeys = Region.allCases.map { _ in KeyPair(drawingFrom: operatorStream) }
        var ledgerParameters = LedgerParameters(gridOperators: operatorKeys.map(\.publicKey))
        parameters?(&ledgerParameters)
        proposer = KeyPair(drawingFrom: RandomStream(masterSeed: seed, name: "proposer"))
        let governance = GovernanceState(
            rules: GovernanceRules(deposit: .tokens(100), votingPeriods: 1...1_000, epochLength: 10),
            parameters: GovernanceParameters(maxBlockTransactions: 1_000, blockInterval: .seconds(1),
                                             minimumFee: ledgerParameters.minimumFee, tradingFee: ledgerParameters.tradingFee,
                                             clearingRule: Int64(ClearingRule.continuous.firstIndex(of: configuration.clearingRule) ?? 0)))
        state = ExchangeState(parameters: ledgerParameters, configuration: configuration, grid: grid,
                              governance: governance, genesis: funded.map { TxOutput(owner: $0.publicKey, asset: .payment, amount: MicroTokens.tokens(tokens).rawValue) })
        self.operatorKeys = operatorKeys
    }

    let operatorKeys: [KeyPair]

    func key() -> KeyPair { KeyPair(drawingFrom: stream) }

    func gridOperator(_ region: Region) -> KeyPair { operatorKeys[region.index] }

    /// Outputs of `owner` holding `asset`, oldest first.
    func outputs(of owner: PublicKey, _ asset: Asset) -> [(OutPoint, TxOutput)] {
        state.ledger.outputs.filter { $0.value.owner == owner && $0.value.asset == asset }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func balance(of owner: PublicKey, _ asset: Asset) -> Int64 {
        outputs(of: owner, asset).reduce(0) { $0 + $1.1.amount }
    }

    mutating func nextNonce() -> UInt64 {
        nonce += 1
        return nonce
    }

    /// A mint of `energy` for `producer` attested by its region's operator.
    mutating func mint(_ producer: KeyPair, _ energy: EnergyWh, at location: GridLocation,
                       source: EnergySource = .solar) -> Transaction {
        let attestation = MeterAttestation(
            producer: producer.publicKey, location: location, source: source, energy: energy,
            periodStart: now - .minutes(15), periodEnd: now, signedBy: gridOperator(location.region), scheme: .ed25519)
        return Transaction(signedBy: producer, region: location.region, kind: .mint(attestation),
                           validUntil: now + .hours(1), nonce: nextNonce(), scheme: .ed25519)
    }

    /// An order funded from the owner's outputs of the escrow asset (and payment for the fee).
    mutating func order(_ owner: KeyPair, _ side: OrderSide, kWh: Int64, price milliTokens: Int64,
                        at location: GridLocation, source: EnergySource = .conventional,
                        window: (SimTime, SimTime)? = nil, expiresIn: SimDuration = .hours(6)) -> Transaction {
        let (start, end) = window ?? (now + .minutes(15), now + .minutes(30))
        let terms = OrderTerms(side: side, price: .milliTokens(milliTokens), quantity: .kWh(kWh), location: location,
                               deliveryStart: start, deliveryEnd: end, expiresAt: now + expiresIn,
                               source: side == .sell ? source : .conventional)
        let fee = state.ledger.parameters.minimumFee
        var required = AssetAmounts()
        required[terms.escrow!.asset] += terms.escrow!.amount
        required.payment += fee.rawValue
        var inputs: [OutPoint] = []
        var change: [TxOutput] = []
        for asset in [Asset.energy, .payment] where required[asset] > 0 {
            var gathered: Int64 = 0
            for (outPoint, output) in outputs(of: owner.publicKey, asset) where gathered < required[asset] {
                inputs.append(outPoint)
                gathered += output.amount
            }
            if gathered > required[asset] {
                change.append(TxOutput(owner: owner.publicKey, asset: asset, amount: gathered - required[asset]))
            }
        }
        return Transaction(signedBy: owner, region: location.region,
                           kind: .placeOrder(terms, inputs: inputs, change: change), fee: fee,
                           validUntil: now + .hours(1), nonce: nextNonce(), scheme: .ed25519)
    }

    mutating func cancel(_ owner: KeyPair, _ order: Transaction) -> Transaction {
        Transaction(signedBy: owner, region: order.region, kind: .cancelOrder(order: order.id),
                    validUntil: now + .hours(1), nonce: nextNonce(), scheme: .ed25519)
    }

    mutating func settle(_ trade: Trade, delivered: EnergyWh) -> Transaction {
        Transaction(signedBy: gridOperator(trade.sellerLocation.region), region: trade.sellerLocation.region,
                    kind: .settleTrade(trade: trade.id, delivered: delivered), validUntil: now + .hours(1),
                    nonce: nextNonce(), scheme: .ed25519)
    }

    /// Applies a block strictly and commits it; returns the receipt or the failure.
    @discardableResult
    mutating func commitBlock(_ transactions: [Transaction], advance: SimDuration = .seconds(10))
        -> Result<BlockReceipt, BlockFailure> {
        height += 1
        now += advance
        var work = WorkMeter()
        let result = state.apply(transactions, context: BlockContext(height: height, timestamp: now,
                                                                     proposer: proposer.publicKey),
                                 mode: .strict, verifier: verifier, work: &work)
        if case .success(let receipt) = result { state.commit(receipt) } else { height -= 1 }
        return result
    }
}

extension Result {
    var receipt: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
