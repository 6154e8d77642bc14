import GridCore

/// One member of the validator set.
public struct Validator: Hashable, Sendable {
    public var id: NodeID
    public var publicKey: PublicKey
    /// Voting power.
    public var stake: Int64
    public var region: Region

    public init(id: NodeID, publicKey: PublicKey, stake: Int64, region: Region) {
        precondition(stake >= 0, "stake cannot be negative")
        self.id = id
        self.publicKey = publicKey
        self.stake = stake
        self.region = region
    }
}

/// The validators of a chain for one epoch, indexed by ``NodeID`` (ids are 0..<count, in order).
public struct ValidatorSet: Hashable, Sendable {
    /// Validators in id order.
    public let members: [Validator]
    /// The sum of all stake.
    public let totalStake: Int64
    /// A stricter finality threshold set by governance (basis points of stake, above 2/3);
    /// `nil`: more than 2/3.
    public let finalityThreshold: BasisPoints?

    public init(_ members: [Validator], finalityThreshold: BasisPoints? = nil) {
        precondition(finalityThreshold.map { 3 * $0.rawValue > 20_000 && $0 <= .whole } ?? true,
                     "a finality threshold must be above 2/3")
        precondition(!members.isEmpty, "a validator set needs members")
        for (index, member) in members.enumerated() {
            precondition(member.id.index == index, "validator ids must be 0..<count in order")
        }
        self.members = members
        guard let total = MicroTokens.totalStake(of: members.lazy.map(\.stake)) else {
            preconditionFailure("validators hold at most \(MicroTokens.maximumTotalStake) of stake in all")
        }
        self.totalStake = total
        self.finalityThreshold = finalityThreshold
        precondition(totalStake > 0, "a validator set needs stake")
    }

    public var count: Int { members.count }

    public subscript(id: NodeID) -> Validator { members[id.index] }

    /// Whether `stake` is more than two thirds of the total (3 × stake > 2 × total, in integers)
    /// and, when governance set one, more than the finality threshold.
    @inlinable
    public func isQuorum(_ stake: Int64) -> Bool {
        3 * stake > 2 * totalStake
            && (finalityThreshold.map { Int128(stake) * 10_000 > Int128($0.rawValue) * Int128(totalStake) } ?? true)
    }

    /// Whether `stake` is more than one third of the total: at least one honest validator is in it.
    @inlinable
    public func isOneThird(_ stake: Int64) -> Bool {
        3 * stake > totalStake
    }
}

/// The replicated consensus state beyond the chain: stake, reputation and slashing, updated
/// only from committed blocks, so every honest node holds the same registry at every height.
///
/// Reputation (basis points, starting at 5,000) rises by `reward` for each validator whose
/// precommit is in a block's last commit (a timely vote), falls by `missPenalty` for each whose
/// is not (a missed vote) and by `badProposalPenalty` for each proposer of an earlier round of the
/// same height whose proposal did not become the block. Evidence of equivocation slashes the
/// offender's stake by `slashShare` and zeroes its reputation; stake changes take effect at the
/// next epoch boundary (heights divisible by `epochLength`), as does a finality threshold a
/// block's governance parameter changes carry.
public struct ValidatorRegistry: Hashable, Sendable {
    public private(set) var validators: ValidatorSet
    public private(set) var reputation: [Int64]
    /// Stake as it will be from the next epoch boundary.
    public private(set) var pendingStake: [Int64]
    public private(set) var slashed: [Bool]
    /// Regions of the last ten blocks' proposers, oldest first.
    public private(set) var recentProposerRegions: [Region] = []
    public private(set) var equivocations = 0
    public private(set) var missedVotes = 0
    public let epochLength: UInt64
    public let slashShare: BasisPoints
    /// The finality threshold from the next epoch boundary (`nil`: more than 2/3).
    public private(set) var pendingFinalityThreshold: BasisPoints?

    static let reward: Int64 = 50
    static let missPenalty: Int64 = 100
    static let badProposalPenalty: Int64 = 500

    public init(validators: ValidatorSet, epochLength: UInt64, slashShare: BasisPoints) {
        precondition(epochLength > 0)
        self.validators = validators
        self.reputation = Array(repeating: 5_000, count: validators.count)
        self.pendingStake = validators.members.map(\.stake)
        self.slashed = Array(repeating: false, count: validators.count)
        self.epochLength = epochLength
        self.slashShare = slashShare
    }

    /// Validators slashed so far.
    public var slashedCount: Int { slashed.filter { $0 }.count }

    /// Updates the registry for a committed block. `failedProposers` are the proposers of the
    /// block's height in rounds before the block's own round.
    public mutating func record(committed block: Block, failedProposers: [NodeID], newEvidence: [Evidence]) {
        if block.height > 1 {
            let signed = Set(block.lastCommit.map(\.voter))
            for member in validators.members {
                let index = member.id.index
                if signed.contains(member.id) {
                    reputation[index] = min(10_000, reputation[index] + Self.reward)
                } else {
                    reputation[index] = max(0, reputation[index] - Self.missPenalty)
                    missedVotes += 1
                }
            }
        }
        for proposer in failedProposers {
            reputation[proposer.index] = max(0, reputation[proposer.index] - Self.badProposalPenalty)
        }
        for evidence in newEvidence {
            let offender = evidence.offender.index
            equivocations += 1
            reputation[offender] = 0
            if !slashed[offender] {
                slashed[offender] = true
                pendingStake[offender] -= mulDivFloor(pendingStake[offender], slashShare.rawValue, 10_000)!
            }
        }
        for change in block.parameterChanges where change.parameter == .finalityThresholdBasisPoints {
            pendingFinalityThreshold = BasisPoints(change.value)
        }
        recentProposerRegions.append(validators[block.proposer].region)
        if recentProposerRegions.count > 10 { recentProposerRegions.removeFirst() }
        if block.height % epochLength == 0 {
            validators = ValidatorSet(validators.members.map {
                Validator(id: $0.id, publicKey: $0.publicKey, stake: pendingStake[$0.id.index], region: $0.region)
            }, finalityThreshold: pendingFinalityThreshold)
        }
    }

    /// The proposer of (`height`, `round`) after a block with hash `previousHash`: a weighted
    /// draw, the same on every node, by score = 40 % stake (relative to the largest) + 35 %
    /// reputation + 15 % geographic diversity (how rare the validator's region is among the last
    /// ten proposers) + 10 % randomness from the previous block's hash — all in basis points.
    ///
    /// The draw is without replacement within a height: the rounds of a height run in cycles of
    /// as many rounds as validators with stake, and a validator drawn earlier in the cycle is
    /// left out of the later draws. So no validator proposes two rounds of a cycle, and a faulty
    /// one cannot hold a height through a streak of lucky draws (independent draws gave one
    /// equivocator of four rounds 3 to 7 of a height). Round 0 is the plain weighted draw.
    ///
    /// Complexity: O((`round` mod m + 1) · n) hashes, for n validators of which m have stake.
    public func proposer(height: UInt64, round: UInt32, previousHash: Digest32) -> NodeID {
        let staked = UInt32(validators.members.filter { $0.stake > 0 }.count)
        precondition(staked > 0, "a validator set with stake")
        var drawn: [NodeID] = []
        for earlier in (round - round % staked)...round {
            drawn.append(weightedDraw(height: height, round: earlier, previousHash: previousHash, excluding: drawn))
        }
        return drawn[drawn.count - 1]
    }

    /// The weighted draw of one round among the validators with stake not in `excluded`.
    private func weightedDraw(height: UInt64, round: UInt32, previousHash: Digest32, excluding excluded: [NodeID]) -> NodeID {
        let maxStake = validators.members.map(\.stake).max()!
        var scores: [Int64] = []
        for member in validators.members {
            guard member.stake > 0, !excluded.contains(member.id) else {
                scores.append(0)
                continue
            }
            let stakeScore = mulDivFloor(member.stake, 10_000, maxStake)!
            let sameRegion = Int64(recentProposerRegions.filter { $0 == member.region }.count)
            let diversity = recentProposerRegions.isEmpty ? 10_000 : 10_000 - sameRegion * 10_000 / Int64(recentProposerRegions.count)
            let random = Int64(Self.draw(previousHash, height, round, salt: UInt64(member.id.rawValue)) % 10_001)
            scores.append(Self.score(stake: stakeScore, reputation: reputation[member.id.index], diversity: diversity,
                                     random: random))
        }
        let total = scores.reduce(0, +)
        var point = Int64(Self.draw(previousHash, height, round, salt: .max) % UInt64(total))
        for (index, score) in scores.enumerated() {
            if point < score { return NodeID(index) }
            point -= score
        }
        preconditionFailure("the draw lies inside the total")
    }

    /// The weighted score of a validator, every part in basis points: 40 % stake (relative to
    /// the largest), 35 % reputation, 15 % geographic diversity, 10 % randomness; at least 1.
    /// Proposers are drawn by it, and shard committees chosen by it.
    public static func score(stake: Int64, reputation: Int64, diversity: Int64, random: Int64) -> Int64 {
        (4_000 * stake + 3_500 * reputation + 1_500 * diversity + 1_000 * random) / 10_000 + 1
    }

    /// A pseudo-random word from a block hash, a height, a round and a salt, the same on every node.
    public static func draw(_ hash: Digest32, _ height: UInt64, _ round: UInt32, salt: UInt64) -> UInt64 {
        Blake2b.hash(capacity: 56) { encoder in
            encoder.append(hash)
            encoder.append(height)
            encoder.append(round)
            encoder.append(salt)
        }.prefixWord
    }
}
