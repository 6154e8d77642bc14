import GridCore
import Ledger

/// A block: an ordered batch of transactions at a height, linked to its parent by hash.
public final class Block: Sendable {
    public let height: UInt64
    public let parentHash: Digest32
    public let proposer: NodeID
    /// The proposer's simulated time when it built the block.
    public let timestamp: SimTime
    public let transactions: [Transaction]
    /// The Merkle root over the transaction ids.
    public let transactionRoot: Digest32
    /// BLAKE2b-256 of the header (height, parent, proposer, timestamp, root, count).
    public let hash: Digest32

    /// Builds a block and computes its Merkle root and hash.
    ///
    /// Complexity: O(n) hashes for n transactions.
    public init(height: UInt64, parentHash: Digest32, proposer: NodeID, timestamp: SimTime,
                transactions: [Transaction]) {
        self.height = height
        self.parentHash = parentHash
        self.proposer = proposer
        self.timestamp = timestamp
        self.transactions = transactions
        self.transactionRoot = MerkleTree.root(of: transactions.map(\.id))
        var encoder = CanonicalEncoder()
        encoder.append("block")
        encoder.append(height)
        encoder.append(parentHash)
        encoder.append(proposer.rawValue)
        encoder.append(timestamp)
        encoder.append(transactionRoot)
        encoder.append(UInt32(transactions.count))
        self.hash = encoder.blake2b
    }

    /// Bytes on the wire: a 160-byte header plus the transactions.
    public var encodedSize: Int {
        transactions.reduce(160) { $0 + $1.encodedSize }
    }

    /// The parent hash of the first block.
    public static let genesisHash = Blake2b.hash(Array("gridtokenx-sim genesis".utf8))
}

/// A signed statement by a validator that it backs a block at a height.
public final class Vote: Sendable {
    public let height: UInt64
    public let blockHash: Digest32
    public let voter: NodeID
    public let signature: Signature

    /// What is signed: BLAKE2b of ("vote", height, block hash).
    public static func signedDigest(height: UInt64, blockHash: Digest32) -> Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append("vote")
        encoder.append(height)
        encoder.append(blockHash)
        return encoder.blake2b
    }

    public init(height: UInt64, blockHash: Digest32, voter: NodeID, signature: Signature) {
        self.height = height
        self.blockHash = blockHash
        self.voter = voter
        self.signature = signature
    }

    /// Bytes on the wire.
    public static let encodedSize = 112
}

/// A block offered by its proposer, with the proposer's signature of the block hash.
public final class Proposal: Sendable {
    public let block: Block
    public let signature: Signature

    public init(block: Block, signature: Signature) {
        self.block = block
        self.signature = signature
    }
}
