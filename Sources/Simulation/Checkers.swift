import Consensus
import Foundation
import GridCore

/// A broken invariant, with what is needed to find it again.
public struct InvariantViolation: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Exit code 4.
        case safety
        /// Exit code 5.
        case liveness
    }

    public var kind: Kind
    /// The invariant's name, e.g. `agreement`.
    public var invariant: String
    public var height: UInt64
    public var nodes: [NodeID]
    public var time: SimTime
    public var detail: String

    /// E.g. "safety invariant 'agreement' broken at 21.036 s, height 21, nodes n0,n1: …"; the
    /// height and nodes are left out for a check of no block (a reshard's, the run's end).
    public var description: String {
        var place = "\(kind) invariant '\(invariant)' broken at \(String(format: "%.3f", time.seconds)) s"
        if height > 0 { place += ", height \(height)" }
        if !nodes.isEmpty { place += ", nodes " + nodes.map(\.description).joined(separator: ",") }
        return place + ": \(detail)"
    }
}

/// Checks every commit as it happens: no two different blocks finalized at one height
/// (agreement), and every finalized block carries precommits from more than 2/3 of the stake
/// that certified it, with valid signatures (quorum) — independently of the protocol's own
/// quorum rule, so a mutated protocol is caught.
struct SafetyChecker {
    private(set) var finalized: [UInt64: (hash: Digest32, node: NodeID)] = [:]

    mutating func check(commitOf block: Block, votes: [Vote], by node: NodeID, at time: SimTime,
                        validators: ValidatorSet, verifier: SignatureVerifier) -> InvariantViolation? {
        if let first = finalized[block.height], first.hash != block.hash {
            return InvariantViolation(
                kind: .safety, invariant: "agreement", height: block.height, nodes: [first.node, node], time: time,
                detail: "\(first.node) finalized \(first.hash.hex.prefix(16)), \(node) finalized \(block.hash.hex.prefix(16))")
        }
        if finalized[block.height] == nil { finalized[block.height] = (block.hash, node) }
        var voters = Set<NodeID>()
        var stake: Int64 = 0
        for vote in votes where vote.kind == .precommit && vote.blockHash == block.hash && vote.height == block.height {
            guard vote.voter.index < validators.count, voters.insert(vote.voter).inserted,
                  verifier.verify(vote.signature, of: vote.signedDigest, by: validators[vote.voter].publicKey) else { continue }
            stake += validators[vote.voter].stake
        }
        if !validators.isQuorum(stake) {
            return InvariantViolation(
                kind: .safety, invariant: "quorum", height: block.height, nodes: [node], time: time,
                detail: "finalized with \(stake) of \(validators.totalStake) stake in valid votes (needs > 2/3)")
        }
        return nil
    }
}
