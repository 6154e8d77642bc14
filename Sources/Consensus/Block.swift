import GridCore
import Ledger

/// A block: an ordered batch of transactions at a height, linked to its parent by hash, carrying
/// the precommits that finalized its parent (the last commit) and any equivocation evidence.
public final class Block: Sendable {
    public let height: UInt64
    /// The round it was proposed in.
    public let round: UInt32
    public let parentHash: Digest32
    public let proposer: NodeID
    /// The proposer's clock when it built the block.
    public let timestamp: SimTime
    public let transactions: [Transaction]
    /// The Merkle root over the transaction ids.
    public let transactionRoot: Digest32
    /// Precommits from more than 2/3 of stake for the parent (empty at height 1).
    public let lastCommit: [Vote]
    public let evidence: [Evidence]
    /// The optional proof-of-work stamp (0 when the stamp is off).
    public let proofOfWorkNonce: UInt64
    /// Governance parameter changes the block executes (at an epoch boundary), in order: every
    /// node makes them at this height, and consensus follows them from the next.
    public let parameterChanges: [ParameterChange]
    /// BLAKE2b-256 of the header: every field above, the transactions by their root, the last
    /// commit and the evidence by their digests, and the parameter changes if there are any.
    public let hash: Digest32

    /// Builds a block and computes its Merkle root and hash. Complexity: O(n) hashes for n
    /// transactions.
    public init(height: UInt64, round: UInt32, parentHash: Digest32, proposer: NodeID, timestamp: SimTime,
                transactions: [Transaction], lastCommit: [Vote], evidence: [Evidence], proofOfWorkNonce: UInt64 = 0,
                parameterChanges: [ParameterChange] = []) {
        self.height = height
        self.round = round
        self.parentHash = parentHash
        self.proposer = proposer
        self.timestamp = timestamp
        self.transactions = transactions
        self.transactionRoot = MerkleTree.root(of: transactions.map(\.id))
        self.lastCommit = lastCommit
        self.evidence = evidence
        self.proofOfWorkNonce = proofOfWorkNonce
        self.parameterChanges = parameterChanges
        self.hash = BlockHeader(height: height, round: round, parentHash: parentHash, proposer: proposer,
                                timestamp: timestamp, transactionRoot: transactionRoot,
                                transactionCount: transactions.count, lastCommitDigests: lastCommit.map(\.signedDigest),
                                evidenceDigests: evidence.map(\.digest), proofOfWorkNonce: proofOfWorkNonce,
                                parameterChanges: parameterChanges).hash
    }

    /// The same block with a different proof-of-work nonce.
    public func stamped(_ nonce: UInt64) -> Block {
        Block(height: height, round: round, parentHash: parentHash, proposer: proposer, timestamp: timestamp,
              transactions: transactions, lastCommit: lastCommit, evidence: evidence, proofOfWorkNonce: nonce,
              parameterChanges: parameterChanges)
    }

    /// The header's hash with nonce 0: what proof of work is computed over.
    public var unstampedHash: Digest32 {
        var unstamped = header
        unstamped.proofOfWorkNonce = 0
        return unstamped.hash
    }

    /// The header: what the hash covers, with the transactions by their root.
    public var header: BlockHeader {
        BlockHeader(height: height, round: round, parentHash: parentHash, proposer: proposer, timestamp: timestamp,
                    transactionRoot: transactionRoot, transactionCount: transactions.count,
                    lastCommitDigests: lastCommit.map(\.signedDigest), evidenceDigests: evidence.map(\.digest),
                    proofOfWorkNonce: proofOfWorkNonce, parameterChanges: parameterChanges)
    }

    /// Bytes on the wire: a 200-byte header, the transactions, 112 bytes per commit vote and 240
    /// per piece of evidence.
    public var encodedSize: Int {
        transactions.reduce(200 + 112 * lastCommit.count + 240 * evidence.count) { $0 + $1.encodedSize }
    }

    /// The parent hash of the first block.
    public static let genesisHash = Blake2b.hash(Array("gridtokenx-sim genesis".utf8))
}

/// A block's header: every field its hash covers, with the transactions, the last commit and
/// the evidence by their digests. Enough to check a Merkle path into the block without the
/// block (a light client's view).
public struct BlockHeader: Sendable {
    public var height: UInt64
    public var round: UInt32
    public var parentHash: Digest32
    public var proposer: NodeID
    public var timestamp: SimTime
    public var transactionRoot: Digest32
    public var transactionCount: Int
    public var lastCommitDigests: [Digest32]
    public var evidenceDigests: [Digest32]
    public var proofOfWorkNonce: UInt64
    public var parameterChanges: [ParameterChange]

    public init(height: UInt64, round: UInt32, parentHash: Digest32, proposer: NodeID, timestamp: SimTime,
                transactionRoot: Digest32, transactionCount: Int, lastCommitDigests: [Digest32],
                evidenceDigests: [Digest32], proofOfWorkNonce: UInt64, parameterChanges: [ParameterChange]) {
        self.height = height
        self.round = round
        self.parentHash = parentHash
        self.proposer = proposer
        self.timestamp = timestamp
        self.transactionRoot = transactionRoot
        self.transactionCount = transactionCount
        self.lastCommitDigests = lastCommitDigests
        self.evidenceDigests = evidenceDigests
        self.proofOfWorkNonce = proofOfWorkNonce
        self.parameterChanges = parameterChanges
    }

    /// BLAKE2b-256 of the canonical header: the block's hash.
    public var hash: Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append("block/v2")
        encoder.append(height)
        encoder.append(round)
        encoder.append(parentHash)
        encoder.append(proposer.rawValue)
        encoder.append(timestamp)
        encoder.append(transactionRoot)
        encoder.append(UInt32(transactionCount))
        encoder.append(UInt32(lastCommitDigests.count))
        for digest in lastCommitDigests { encoder.append(digest) }
        encoder.append(UInt32(evidenceDigests.count))
        for digest in evidenceDigests { encoder.append(digest) }
        encoder.append(proofOfWorkNonce)
        // Appended only when present, so blocks without changes hash as before governance.
        if !parameterChanges.isEmpty {
            encoder.append(UInt32(parameterChanges.count))
            for change in parameterChanges {
                encoder.append(change.parameter.code)
                encoder.append(change.value)
            }
        }
        return encoder.blake2b
    }

    /// Bytes on the wire: 200, and 32 per digest carried.
    public var encodedSize: Int { 200 + 32 * (lastCommitDigests.count + evidenceDigests.count) }
}

/// A block's finality as another chain sees it: the header and the precommits that finalized
/// it, on chain instance `chain`. Whether the precommits are the committee's is for whoever
/// knows the committee to check (``CommitteeDirectory`` in the Sharding module).
public struct CommitCertificate: BlockCommitment {
    public let chain: UInt64
    public let header: BlockHeader
    public let precommits: [Vote]
    /// The header's hash, computed once.
    public let digest: Digest32

    public init(chain: UInt64, header: BlockHeader, precommits: [Vote]) {
        self.chain = chain
        self.header = header
        self.precommits = precommits
        digest = header.hash
    }

    public var height: UInt64 { header.height }
    public var timestamp: SimTime { header.timestamp }
    public var transactionRoot: Digest32 { header.transactionRoot }
    public var encodedSize: Int { 8 + header.encodedSize + Vote.encodedSize * precommits.count }
}

/// The two voting steps of a round.
public enum VoteKind: UInt8, Sendable, CaseIterable {
    case prevote = 1
    case precommit = 2
}

/// A signed vote for a block (or for nothing: `blockHash == nil`) at a height and round.
public final class Vote: Sendable {
    public let kind: VoteKind
    public let height: UInt64
    public let round: UInt32
    /// The block voted for; `nil` is a vote for nothing.
    public let blockHash: Digest32?
    public let voter: NodeID
    public let signature: Signature

    /// What is signed: BLAKE2b of (kind, height, round, block hash or the nil marker).
    public static func signedDigest(kind: VoteKind, height: UInt64, round: UInt32, blockHash: Digest32?) -> Digest32 {
        Blake2b.hash(capacity: 64) { encoder in
            encoder.append(UInt8(0x56))
            encoder.append(kind.rawValue)
            encoder.append(height)
            encoder.append(round)
            encoder.append(blockHash == nil ? UInt8(0) : UInt8(1))
            encoder.append(blockHash ?? .zero)
        }
    }

    /// This vote's `signedDigest(kind:height:round:blockHash:)`, hashed once.
    public let signedDigest: Digest32

    public init(kind: VoteKind, height: UInt64, round: UInt32, blockHash: Digest32?, voter: NodeID, signature: Signature) {
        self.kind = kind
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.voter = voter
        self.signature = signature
        signedDigest = Vote.signedDigest(kind: kind, height: height, round: round, blockHash: blockHash)
    }

    /// A vote signed with `keyPair`.
    public convenience init(kind: VoteKind, height: UInt64, round: UInt32, blockHash: Digest32?, voter: NodeID,
                            keyPair: KeyPair, scheme: SignatureScheme) {
        let digest = Vote.signedDigest(kind: kind, height: height, round: round, blockHash: blockHash)
        self.init(kind: kind, height: height, round: round, blockHash: blockHash, voter: voter,
                  signature: keyPair.sign(digest, scheme: scheme))
    }

    /// Bytes on the wire.
    public static let encodedSize = 112
}

/// A block offered by the proposer of (height, round). `validRound` is the round in which the
/// proposer saw a polka for this block (−1 if none), as Tendermint's proposal carries. The
/// proposer of the round may re-propose a block built in an earlier round by someone else, so
/// it is named here, not taken from the block.
public final class Proposal: Sendable {
    public let block: Block
    public let round: UInt32
    public let validRound: Int32
    public let proposer: NodeID
    public let signature: Signature
    /// With `validRound ≥ 0`: the prevotes for the block in `validRound` (the proof of lock), so a
    /// validator that missed them can check the polka itself.
    public let polka: [Vote]

    public var height: UInt64 { block.height }

    /// What is signed: BLAKE2b of (height, round, block hash, valid round, proposer).
    public static func signedDigest(height: UInt64, round: UInt32, blockHash: Digest32, validRound: Int32,
                                    proposer: NodeID) -> Digest32 {
        Blake2b.hash(capacity: 64) { encoder in
            encoder.append(UInt8(0x50))
            encoder.append(height)
            encoder.append(round)
            encoder.append(blockHash)
            encoder.append(UInt32(bitPattern: validRound))
            encoder.append(proposer.rawValue)
        }
    }

    /// This proposal's `signedDigest(height:round:blockHash:validRound:proposer:)`, hashed once.
    public let signedDigest: Digest32

    public init(block: Block, round: UInt32, validRound: Int32, proposer: NodeID, signature: Signature,
                polka: [Vote] = []) {
        self.block = block
        self.round = round
        self.validRound = validRound
        self.proposer = proposer
        self.signature = signature
        self.polka = polka
        signedDigest = Proposal.signedDigest(height: block.height, round: round, blockHash: block.hash,
                                             validRound: validRound, proposer: proposer)
    }

    public convenience init(block: Block, round: UInt32, validRound: Int32, proposer: NodeID, keyPair: KeyPair,
                            scheme: SignatureScheme, polka: [Vote] = []) {
        let digest = Proposal.signedDigest(height: block.height, round: round, blockHash: block.hash,
                                           validRound: validRound, proposer: proposer)
        self.init(block: block, round: round, validRound: validRound, proposer: proposer,
                  signature: keyPair.sign(digest, scheme: scheme), polka: polka)
    }
}

/// Proof that a validator signed two different votes of one kind at one height and round.
public struct Evidence: Hashable, Sendable {
    public let first: Vote
    public let second: Vote

    public init(first: Vote, second: Vote) {
        // Order the pair canonically, so the same equivocation is the same evidence everywhere.
        if (first.blockHash ?? .zero) < (second.blockHash ?? .zero) {
            self.first = first
            self.second = second
        } else {
            self.first = second
            self.second = first
        }
    }

    public var offender: NodeID { first.voter }

    public var digest: Digest32 {
        Blake2b.hash(capacity: 72) { encoder in
            encoder.append(first.signedDigest)
            encoder.append(second.signedDigest)
            encoder.append(first.voter.rawValue)
        }
    }

    /// Whether the two votes really conflict: same voter, kind, height and round, different blocks.
    public var isConflicting: Bool {
        first.voter == second.voter && first.kind == second.kind && first.height == second.height
            && first.round == second.round && first.blockHash != second.blockHash
    }

    public static func == (lhs: Evidence, rhs: Evidence) -> Bool { lhs.digest == rhs.digest }
    public func hash(into hasher: inout Hasher) { hasher.combine(digest) }
}
