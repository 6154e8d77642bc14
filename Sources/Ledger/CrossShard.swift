import GridCore

/// A finalized block of another chain as a cross-shard receipt needs it: which chain and
/// height, the block's time, and the root its transactions are committed under. Whether it
/// really was finalized — signed by its chain's committee — is for a ``CommitVerifier`` to say;
/// the ledger only knows the data.
public protocol BlockCommitment: Sendable {
    /// The chain instance the block is on.
    var chain: UInt64 { get }
    var height: UInt64 { get }
    /// The block's timestamp: against a lock's deadline it decides credit or expiry.
    var timestamp: SimTime { get }
    /// The Merkle root over the block's transaction ids.
    var transactionRoot: Digest32 { get }
    /// The block's hash, which commits to every field above.
    var digest: Digest32 { get }
    /// Bytes on the wire.
    var encodedSize: Int { get }
}

/// Checks that a block commitment is a block its chain's committee finalized.
public protocol CommitVerifier: Sendable {
    /// Whether more than two thirds of the stake of `commitment.chain`'s committee signed a
    /// precommit for the block. Signature checks go through `verifier` and are charged to `work`.
    func verifies(_ commitment: any BlockCommitment, verifier: SignatureVerifier, work: inout WorkMeter) -> Bool
}

/// Evidence that a transaction is in a finalized block of another chain: the block's
/// commitment and the Merkle path from the transaction's id to the block's transaction root.
public struct InclusionEvidence: Sendable {
    public let commitment: any BlockCommitment
    public let path: MerkleProof

    public init(commitment: any BlockCommitment, path: MerkleProof) {
        self.commitment = commitment
        self.path = path
    }

    /// Whether the path leads from `id` to the commitment's transaction root. O(log n) hashes.
    public func includes(_ id: TransactionID) -> Bool {
        path.verifies(leaf: id, root: commitment.transactionRoot)
    }

    /// Bytes on the wire: the commitment and 33 bytes per path step.
    public var encodedSize: Int { commitment.encodedSize + 8 + 33 * path.steps.count }
}

/// What a cross-shard lock promises: `outputs` created in `destination`'s shard if a block
/// there includes the receipt by `deadline`; otherwise the sender gets them back.
///
/// A lock with an `order` is a cross-shard bid: instead of creating the outputs, the credit
/// places the order in the book of `destination`'s market area with the locked amount as its
/// escrow, so a buyer in one shard trades with sellers in another. The trade settles there; the
/// buyer's proceeds (energy, refunds, an unfilled remainder) are the buyer's outputs in that
/// shard, which the buyer sends home with a lock of its own.
public struct LockTerms: Hashable, Sendable {
    /// The recipients' region; its shard credits the outputs.
    public var destination: Region
    /// The last destination block time at which the credit may happen.
    public var deadline: SimTime
    public var outputs: [TxOutput]
    /// The buy order the credit places in the destination's book, if this is a cross-shard bid;
    /// `outputs` is then the order's escrow, owned by the sender.
    public var order: OrderTerms?

    public init(destination: Region, deadline: SimTime, outputs: [TxOutput], order: OrderTerms? = nil) {
        self.destination = destination
        self.deadline = deadline
        self.outputs = outputs
        self.order = order
    }

    /// The terms of a cross-shard bid by `buyer`: `order`'s escrow locked for `destination`'s
    /// book; `nil` unless `order` is a buy order whose escrow does not overflow.
    public static func bid(_ order: OrderTerms, by buyer: PublicKey, in destination: Region, deadline: SimTime) -> Self? {
        guard order.side == .buy, let escrow = order.escrow else { return nil }
        return LockTerms(destination: destination, deadline: deadline,
                         outputs: [TxOutput(owner: buyer, asset: escrow.asset, amount: escrow.amount)], order: order)
    }

    /// The locked amounts by asset (outputs are checked positive before they are summed here).
    public var amounts: AssetAmounts {
        var sums = AssetAmounts()
        for output in outputs { sums[output.asset] += output.amount }
        return sums
    }
}

extension Transaction {
    /// The lock terms, if this is a cross-shard lock.
    public var lockTerms: LockTerms? {
        if case .lockTransfer(_, _, let terms) = kind { return terms }
        return nil
    }

    /// The lock a cross-shard credit (or the credit a settlement) names, if this is one.
    public var crossShardSubject: Transaction? {
        switch kind {
        case .creditTransfer(let lock, _): lock
        case .settleLock(let credit, _): credit
        default: nil
        }
    }
}
