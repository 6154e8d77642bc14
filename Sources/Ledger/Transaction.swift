import GridCore
import Synchronization

/// The digest that names a transaction: BLAKE2b-256 of its canonical content.
public typealias TransactionID = Digest32

/// A trade's identity: BLAKE2b-256 of (buy order, sell order, fill number).
public typealias TradeID = Digest32

/// A grid operator's signed statement that a producer's meter recorded `energy` in a period:
/// the only thing energy tokens can be minted against.
public struct MeterAttestation: Hashable, Sendable {
    public var producer: PublicKey
    public var location: GridLocation
    public var source: EnergySource
    public var energy: EnergyWh
    public var periodStart: SimTime
    public var periodEnd: SimTime
    /// The region's grid operator, who signs.
    public var gridOperator: PublicKey
    public var signature: Signature

    /// What the operator signs; also the attestation's identity against reuse.
    public static func digest(producer: PublicKey, location: GridLocation, source: EnergySource,
                              energy: EnergyWh, periodStart: SimTime, periodEnd: SimTime,
                              gridOperator: PublicKey) -> Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append("meter-attestation")
        encoder.append(producer.bytes)
        encoder.append(UInt8(location.region.index))
        encoder.append(location.zone)
        encoder.append(source.rawValue)
        encoder.append(energy)
        encoder.append(periodStart)
        encoder.append(periodEnd)
        encoder.append(gridOperator.bytes)
        return encoder.blake2b
    }

    public var digest: Digest32 {
        Self.digest(producer: producer, location: location, source: source, energy: energy,
                    periodStart: periodStart, periodEnd: periodEnd, gridOperator: gridOperator)
    }

    /// An attestation signed by `gridOperator`.
    public init(producer: PublicKey, location: GridLocation, source: EnergySource, energy: EnergyWh,
                periodStart: SimTime, periodEnd: SimTime, signedBy gridOperator: KeyPair, scheme: SignatureScheme) {
        self.producer = producer
        self.location = location
        self.source = source
        self.energy = energy
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.gridOperator = gridOperator.publicKey
        self.signature = Signature(bytes: .zero)
        self.signature = gridOperator.sign(digest, scheme: scheme)
    }
}

/// What an order asks for.
public struct OrderTerms: Hashable, Sendable {
    public var side: OrderSide
    /// Limit price: the most a buyer pays, the least a seller accepts.
    public var price: MicroTokensPerKWh
    public var quantity: EnergyWh
    /// Where the energy is produced (sell) or consumed (buy).
    public var location: GridLocation
    /// The delivery window the order accepts.
    public var deliveryStart: SimTime
    public var deliveryEnd: SimTime
    /// When an unfilled remainder is withdrawn and its escrow released.
    public var expiresAt: SimTime
    /// The energy's source (sell orders); buyers put `.conventional`.
    public var source: EnergySource

    public init(side: OrderSide, price: MicroTokensPerKWh, quantity: EnergyWh, location: GridLocation,
                deliveryStart: SimTime, deliveryEnd: SimTime, expiresAt: SimTime, source: EnergySource) {
        self.side = side
        self.price = price
        self.quantity = quantity
        self.location = location
        self.deliveryStart = deliveryStart
        self.deliveryEnd = deliveryEnd
        self.expiresAt = expiresAt
        self.source = source
    }

    /// What the order must lock in escrow: the energy (sell) or its value at the limit price (buy).
    public var escrow: (asset: Asset, amount: Int64)? {
        switch side {
        case .sell:
            return (.energy, quantity.rawValue)
        case .buy:
            guard let value = MicroTokens.value(of: quantity, at: price) else { return nil }
            return (.payment, value.rawValue)
        }
    }
}

/// What a transaction does.
public enum TransactionKind: Sendable {
    /// Moves outputs: inputs are spent, outputs created; payment inputs also pay the fee.
    case transfer(inputs: [OutPoint], outputs: [TxOutput])
    /// Creates energy tokens for a producer against a meter attestation. Boxed: the attestation
    /// (160 bytes with its signature) would otherwise set the inline size of every kind, and so
    /// of every transaction.
    indirect case mint(MeterAttestation)
    /// Puts an order on the book; the inputs fund the escrow, the fee and the change.
    case placeOrder(OrderTerms, inputs: [OutPoint], change: [TxOutput])
    /// Withdraws an order (named by the transaction that placed it); its escrow is released.
    case cancelOrder(order: TransactionID)
    /// A grid operator's meter reading after a trade's delivery window: settles the trade.
    case settleTrade(trade: TradeID, delivered: EnergyWh)
    /// Opens a governance proposal; the inputs fund the deposit, the fee and the change.
    case propose(GovernanceProposal, inputs: [OutPoint], change: [TxOutput])
    /// A vote on an open proposal (named by the transaction that opened it), weighted by the
    /// signer's payment balance when the proposal opened; a later vote replaces an earlier one.
    case vote(proposal: TransactionID, ballot: Ballot)
    /// The first step of a cross-shard transfer, in the sender's shard: the inputs fund the
    /// lock's outputs (held in escrow), the fee and the change.
    case lockTransfer(inputs: [OutPoint], change: [TxOutput], LockTerms)
    /// The second step, in the destination's shard: the lock with evidence that a finalized
    /// block of the source chain holds it. Credits the lock's outputs if the block including
    /// this is not past the deadline, else voids the lock; either way only once per lock.
    /// Anyone may relay it (grid operators do); it carries no fee.
    case creditTransfer(lock: Transaction, InclusionEvidence)
    /// The last step, in the sender's shard: the credit with evidence that a finalized block of
    /// the destination chain holds it. That block's time against the deadline says whether the
    /// locked amounts left for the destination or go back to the sender.
    case settleLock(credit: Transaction, InclusionEvidence)

    /// A short name for reports and traces.
    public var name: String {
        switch self {
        case .transfer: "transfer"
        case .mint: "mint"
        case .placeOrder: "place_order"
        case .cancelOrder: "cancel_order"
        case .settleTrade: "settle_trade"
        case .propose: "propose"
        case .vote: "vote"
        case .lockTransfer: "lock_transfer"
        case .creditTransfer: "credit_transfer"
        case .settleLock: "settle_lock"
        }
    }

    /// The ``name``s of the relayed steps of a cross-shard transfer (credits and settlements).
    public static let relayedStepNames = ["credit_transfer", "settle_lock"]
}

/// A signed transaction. Immutable and shared by reference between the in-process nodes, like
/// bytes on a wire.
public final class Transaction: Sendable {
    /// Who signs: the owner of every input, the placer of an order, the operator of a settlement.
    public let signer: PublicKey
    /// The signer's region: which market area and shard the transaction belongs to.
    public let region: Region
    public let kind: TransactionKind
    /// Paid in payment tokens from the inputs (zero for kinds without inputs).
    public let fee: MicroTokens
    /// The last simulated time at which the transaction may be included (replay window).
    public let validUntil: SimTime
    /// Makes otherwise equal transactions distinct.
    public let nonce: UInt64
    /// BLAKE2b-256 of the canonical content.
    public let id: TransactionID
    public let signature: Signature
    /// Bytes on the wire.
    public let encodedSize: Int
    /// The inputs the transaction spends (held apart from `kind`: every node reads them often).
    public let inputs: [OutPoint]
    /// The earliest time from which no block can include this transaction, whatever the state:
    /// past `validUntil`, a lock's deadline, or an order's expiry or delivery end (held apart
    /// from `kind` for a mempool's recheck after each commit).
    public let lapseTime: SimTime
    /// Whether this is a relayed step of a cross-shard transfer: a credit or a settlement. Held
    /// apart from `kind` because every mempool reads it at each insertion, removal and block,
    /// and reading `kind` copies its payload (retaining the arrays it holds).
    public let isRelayedStep: Bool
    /// The signature check's answer once known (see `SignatureVerifier.verify(_:of:by:remembering:)`).
    private let signatureAnswer = Atomic<UInt8>(0)
    /// ``evidenceIncludesSubject`` once known: 0 not yet, 1 no, 2 yes.
    private let inclusionAnswer = Atomic<UInt8>(0)

    /// Signs the transaction with `keyPair`, which becomes its signer.
    public convenience init(signedBy keyPair: KeyPair, region: Region, kind: TransactionKind, fee: MicroTokens = .zero,
                            validUntil: SimTime, nonce: UInt64, scheme: SignatureScheme) {
        let encoded = Transaction.encode(signer: keyPair.publicKey, region: region, kind: kind, fee: fee,
                                         validUntil: validUntil, nonce: nonce)
        let id = Blake2b.hash(encoded)
        self.init(signer: keyPair.publicKey, region: region, kind: kind, fee: fee, validUntil: validUntil,
                  nonce: nonce, id: id, signature: keyPair.sign(id, scheme: scheme),
                  size: encoded.count + 64 + Transaction.carriedSize(of: kind))
    }

    /// A transaction with a given signature, which may be wrong: how invalid input is produced.
    public convenience init(signer: PublicKey, region: Region, kind: TransactionKind, fee: MicroTokens = .zero,
                            validUntil: SimTime, nonce: UInt64, signature: Signature) {
        let encoded = Transaction.encode(signer: signer, region: region, kind: kind, fee: fee,
                                         validUntil: validUntil, nonce: nonce)
        self.init(signer: signer, region: region, kind: kind, fee: fee, validUntil: validUntil, nonce: nonce,
                  id: Blake2b.hash(encoded), signature: signature, size: encoded.count + 64 + Transaction.carriedSize(of: kind))
    }

    /// Bytes a relayed transaction carries beyond its encoding: the transaction it names and
    /// the evidence (the encoding holds only their digests).
    private static func carriedSize(of kind: TransactionKind) -> Int {
        switch kind {
        case .creditTransfer(let subject, let evidence), .settleLock(let subject, let evidence):
            subject.encodedSize + evidence.encodedSize
        default:
            0
        }
    }

    private init(signer: PublicKey, region: Region, kind: TransactionKind, fee: MicroTokens, validUntil: SimTime,
                 nonce: UInt64, id: TransactionID, signature: Signature, size: Int) {
        self.signer = signer
        self.region = region
        self.kind = kind
        self.fee = fee
        self.validUntil = validUntil
        self.nonce = nonce
        self.id = id
        self.signature = signature
        self.encodedSize = size
        switch kind {
        case .transfer(let inputs, _), .placeOrder(_, let inputs, _), .propose(_, let inputs, _),
             .lockTransfer(let inputs, _, _): self.inputs = inputs
        case .mint, .cancelOrder, .settleTrade, .vote, .creditTransfer, .settleLock: self.inputs = []
        }
        lapseTime = Self.lapseTime(of: kind, validUntil: validUntil)
        switch kind {
        case .creditTransfer, .settleLock: isRelayedStep = true
        default: isRelayedStep = false
        }
    }

    private static func lapseTime(of kind: TransactionKind, validUntil: SimTime) -> SimTime {
        var time = validUntil == .distantFuture ? validUntil : validUntil + SimDuration(nanoseconds: 1)
        let order: OrderTerms?
        switch kind {
        case .placeOrder(let terms, _, _): order = terms
        case .lockTransfer(_, _, let terms):
            time = min(time, terms.deadline)
            order = terms.order
        default: order = nil
        }
        if let order { time = min(time, order.expiresAt, order.deliveryEnd) }
        return time
    }

    /// The same content with one bit of the signature flipped.
    public func withCorruptedSignature() -> Transaction {
        Transaction(signer: signer, region: region, kind: kind, fee: fee, validUntil: validUntil, nonce: nonce,
                    signature: signature.corrupted)
    }

    /// Whether the signature is the signer's signature of the id.
    public func hasValidSignature(_ verifier: SignatureVerifier) -> Bool {
        verifier.verify(signature, of: id, by: signer, remembering: signatureAnswer)
    }

    /// For a relayed step (a credit or a settlement): whether its evidence's Merkle path leads
    /// from the transaction it names to the commitment's transaction root; `nil` for other kinds.
    /// A function of the transaction alone, so it is remembered, like the signature's answer:
    /// every node that checks the step reads the same answer (callers still charge the hashes).
    ///
    /// Complexity: O(log n) hashes the first time, for a block of n transactions; O(1) after.
    public var evidenceIncludesSubject: Bool? {
        switch kind {
        case .creditTransfer(let subject, let evidence), .settleLock(let subject, let evidence):
            let known = inclusionAnswer.load(ordering: .relaxed)
            if known != 0 { return known == 2 }
            let holds = evidence.includes(subject.id)
            inclusionAnswer.store(holds ? 2 : 1, ordering: .relaxed)
            return holds
        default:
            return nil
        }
    }

    /// The canonical encoding, input of the id and the signature.
    static func encode(signer: PublicKey, region: Region, kind: TransactionKind, fee: MicroTokens,
                       validUntil: SimTime, nonce: UInt64) -> [UInt8] {
        var encoder = CanonicalEncoder(capacity: 256)
        encoder.append("tx/v1")
        encoder.append(signer.bytes)
        encoder.append(UInt8(region.index))
        encoder.append(fee)
        encoder.append(validUntil)
        encoder.append(nonce)
        switch kind {
        case .transfer(let inputs, let outputs):
            encoder.append(UInt8(0))
            append(inputs, to: &encoder)
            append(outputs, to: &encoder)
        case .mint(let attestation):
            encoder.append(UInt8(1))
            encoder.append(attestation.digest)
            encoder.append(attestation.signature.bytes)
        case .placeOrder(let terms, let inputs, let change):
            encoder.append(UInt8(2))
            append(terms, to: &encoder)
            append(inputs, to: &encoder)
            append(change, to: &encoder)
        case .cancelOrder(let order):
            encoder.append(UInt8(3))
            encoder.append(order)
        case .settleTrade(let trade, let delivered):
            encoder.append(UInt8(4))
            encoder.append(trade)
            encoder.append(delivered)
        case .propose(let proposal, let inputs, let change):
            encoder.append(UInt8(5))
            encoder.append(proposal.change.parameter.code)
            encoder.append(proposal.change.value)
            encoder.append(proposal.votingPeriodBlocks)
            encoder.append(proposal.textHash)
            append(inputs, to: &encoder)
            append(change, to: &encoder)
        case .vote(let proposal, let ballot):
            encoder.append(UInt8(6))
            encoder.append(proposal)
            encoder.append(ballot.rawValue)
        case .lockTransfer(let inputs, let change, let terms):
            encoder.append(UInt8(7))
            encoder.append(UInt8(terms.destination.index))
            encoder.append(terms.deadline)
            append(terms.outputs, to: &encoder)
            append(inputs, to: &encoder)
            append(change, to: &encoder)
            if let order = terms.order {
                encoder.append(UInt8(1))
                append(order, to: &encoder)
            }
        case .creditTransfer(let lock, let evidence):
            encoder.append(UInt8(8))
            encoder.append(lock.id)
            append(evidence, to: &encoder)
        case .settleLock(let credit, let evidence):
            encoder.append(UInt8(9))
            encoder.append(credit.id)
            append(evidence, to: &encoder)
        }
        return encoder.bytes
    }

    private static func append(_ inputs: [OutPoint], to encoder: inout CanonicalEncoder) {
        encoder.append(UInt32(inputs.count))
        for input in inputs {
            encoder.append(input.transaction)
            encoder.append(input.index)
        }
    }

    private static func append(_ evidence: InclusionEvidence, to encoder: inout CanonicalEncoder) {
        encoder.append(evidence.commitment.chain)
        encoder.append(evidence.commitment.digest)
        encoder.append(UInt32(evidence.path.leafIndex))
        encoder.append(UInt32(evidence.path.steps.count))
        for step in evidence.path.steps {
            encoder.append(step.sibling)
            encoder.append(step.siblingIsLeft ? UInt8(1) : UInt8(0))
        }
    }

    private static func append(_ terms: OrderTerms, to encoder: inout CanonicalEncoder) {
        encoder.append(terms.side.rawValue)
        encoder.append(terms.price)
        encoder.append(terms.quantity)
        encoder.append(UInt8(terms.location.region.index))
        encoder.append(terms.location.zone)
        encoder.append(terms.deliveryStart)
        encoder.append(terms.deliveryEnd)
        encoder.append(terms.expiresAt)
        encoder.append(terms.source.rawValue)
    }

    private static func append(_ outputs: [TxOutput], to encoder: inout CanonicalEncoder) {
        encoder.append(UInt32(outputs.count))
        for output in outputs {
            encoder.append(output.owner.bytes)
            encoder.append(output.asset.rawValue)
            encoder.append(output.amount)
        }
    }
}
