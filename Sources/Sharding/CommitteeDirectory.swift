import Consensus
import GridCore
import Ledger
import Synchronization

/// Every chain instance's committee, as the shards know one another: what a cross-shard
/// receipt's commit certificate is checked against. Registered when a chain starts and kept
/// after it ends, so receipts from a chain that handed over at a reshard still verify.
public final class CommitteeDirectory: CommitVerifier {
    private let committees = Mutex<[UInt64: ValidatorSet]>([:])

    public init() {}

    /// Records chain instance `chain`'s committee. A chain's committee is set once.
    public func register(chain: UInt64, committee: ValidatorSet) {
        committees.withLock { known in
            precondition(known[chain] == nil, "chain \(chain) registered twice")
            known[chain] = committee
        }
    }

    /// The committee of `chain`, if registered.
    public func committee(of chain: UInt64) -> ValidatorSet? {
        committees.withLock { $0[chain] }
    }

    /// Whether `commitment` is a ``CommitCertificate`` whose precommits — for its header's hash,
    /// at its height, each from a distinct member with a valid signature — carry a quorum of
    /// its chain's committee's stake.
    ///
    /// Complexity: one signature check per precommit (cached by `verifier` across receipts of
    /// the same block).
    public func verifies(_ commitment: any BlockCommitment, verifier: SignatureVerifier, work: inout WorkMeter) -> Bool {
        guard let certificate = commitment as? CommitCertificate,
              let committee = committee(of: certificate.chain) else { return false }
        var signed = [Bool](repeating: false, count: committee.count)
        var stake: Int64 = 0
        for vote in certificate.precommits {
            guard vote.kind == .precommit, vote.height == certificate.height, vote.blockHash == certificate.digest,
                  vote.voter.index < committee.count, !signed[vote.voter.index] else { return false }
            work.signaturesChecked += 1
            guard verifier.verify(vote.signature, of: vote.signedDigest, by: committee[vote.voter].publicKey) else {
                return false
            }
            signed[vote.voter.index] = true
            stake += committee[vote.voter].stake
        }
        return committee.isQuorum(stake)
    }
}
