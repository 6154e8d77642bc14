import Consensus
import GridCore

/// A validator that may serve on a shard committee, with what the proposer score reads.
public struct CommitteeCandidate: Sendable {
    /// The validator's index in the run.
    public var validator: Int
    public var stake: Int64
    /// Basis points; 5,000 for a validator with no history.
    public var reputation: Int64
    public var region: Region

    public init(validator: Int, stake: Int64, reputation: Int64, region: Region) {
        self.validator = validator
        self.stake = stake
        self.reputation = reputation
        self.region = region
    }
}

/// Chooses a shard's committee by the proposer score (``ValidatorRegistry/score(stake:reputation:diversity:random:)``):
/// one seat at a time, the candidate with the highest score takes it, where diversity is how
/// rare the candidate's region is among the seats already filled (a validator in one of the
/// shard's own regions counts as rare only once) and randomness comes from `salt`. Ties go to
/// the lower validator index. Deterministic.
public enum CommitteeSelection {
    /// The `seats` best of `candidates` (fewer when there are fewer), in selection order.
    ///
    /// Complexity: O(seats × candidates).
    public static func choose(_ seats: Int, from candidates: [CommitteeCandidate], salt: Digest32) -> [Int] {
        precondition(seats >= 0)
        guard let maxStake = candidates.map(\.stake).max(), maxStake > 0 else { return [] }
        var remaining = candidates
        var chosenRegions: [Region] = []
        var chosen: [Int] = []
        while chosen.count < seats, !remaining.isEmpty {
            var best = 0
            var bestScore = Int64.min
            for (index, candidate) in remaining.enumerated() {
                let same = Int64(chosenRegions.filter { $0 == candidate.region }.count)
                let diversity = chosenRegions.isEmpty ? 10_000 : 10_000 - same * 10_000 / Int64(chosenRegions.count)
                let random = Int64(ValidatorRegistry.draw(salt, UInt64(chosen.count), 0,
                                                          salt: UInt64(candidate.validator)) % 10_001)
                let score = ValidatorRegistry.score(stake: mulDivFloor(candidate.stake, 10_000, maxStake)!,
                                                    reputation: candidate.reputation, diversity: diversity,
                                                    random: random)
                if score > bestScore || (score == bestScore && candidate.validator < remaining[best].validator) {
                    best = index
                    bestScore = score
                }
            }
            let taken = remaining.remove(at: best)
            chosen.append(taken.validator)
            chosenRegions.append(taken.region)
        }
        return chosen
    }
}
