import GridCore

/// The digest that names a transaction: BLAKE2b-256 of its canonical body.
public typealias TransactionID = Digest32

/// What a transaction asks the ledger to do, without its signature.
public struct TransactionBody: Hashable, Sendable {
    /// The signer, who pays.
    public var sender: PublicKey
    /// Who receives the amount.
    public var recipient: PublicKey
    /// The amount moved.
    public var amount: MicroTokens
    /// A per-sender number; together with the id check it makes a replay detectable.
    public var nonce: UInt64
    /// The grid region the sender trades in.
    public var region: Region

    public init(sender: PublicKey, recipient: PublicKey, amount: MicroTokens, nonce: UInt64, region: Region) {
        self.sender = sender
        self.recipient = recipient
        self.amount = amount
        self.nonce = nonce
        self.region = region
    }

    /// The canonical encoding, input of the id and the signature.
    public func encoded() -> [UInt8] {
        var encoder = CanonicalEncoder(capacity: 96)
        encoder.append(UInt8(1))
        encoder.append(sender.bytes)
        encoder.append(recipient.bytes)
        encoder.append(amount)
        encoder.append(nonce)
        encoder.append(UInt8(region.index))
        return encoder.bytes
    }
}

/// A signed transaction. Immutable and shared by reference between the in-process nodes, like
/// bytes on a wire.
public final class Transaction: Sendable {
    /// What it asks for.
    public let body: TransactionBody
    /// BLAKE2b-256 of the canonical body.
    public let id: TransactionID
    /// The sender's signature of ``id``.
    public let signature: Signature

    /// Signs `body` with `keyPair`, which must be the sender's.
    public init(body: TransactionBody, signedBy keyPair: KeyPair, scheme: SignatureScheme) {
        precondition(keyPair.publicKey == body.sender, "a transaction is signed by its sender")
        self.body = body
        self.id = Blake2b.hash(body.encoded())
        self.signature = keyPair.sign(id, scheme: scheme)
    }

    /// A transaction with a given signature (which may be wrong: how invalid input is produced).
    public init(body: TransactionBody, signature: Signature) {
        self.body = body
        self.id = Blake2b.hash(body.encoded())
        self.signature = signature
    }

    /// Bytes on the wire: the body plus the 64-byte signature.
    public var encodedSize: Int { 93 + 64 }

    /// Whether the signature is the sender's signature of the id.
    public func hasValidSignature(_ verifier: SignatureVerifier) -> Bool {
        verifier.verify(signature, of: id, by: body.sender)
    }
}

/// Why a transaction was not accepted. Every rejection carries one, and reports count them.
public enum RejectionReason: String, Sendable, CaseIterable, Comparable {
    case badSignature = "bad_signature"
    case duplicate
    case replayed

    public static func < (lhs: RejectionReason, rhs: RejectionReason) -> Bool { lhs.rawValue < rhs.rawValue }
}
