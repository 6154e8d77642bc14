import GridCore
import Ledger

/// Where a proposal stands.
public enum ProposalStatus: String, Sendable, CaseIterable {
    /// Votes are accepted until the end height.
    case voting
    /// Reached quorum and more than the pass threshold of yes in yes + no; waits for the next
    /// epoch boundary.
    case passed
    /// Reached quorum without enough yes.
    case rejected
    /// Did not reach quorum.
    case expired
    /// Passed and made: the parameter has the new value.
    case executed
}

/// The count of one proposal's vote when its voting period ended.
public struct GovernanceTally: Hashable, Sendable {
    public var proposal: TransactionID
    public var proposer: PublicKey
    public var change: ParameterChange
    public var yes: Int64
    public var no: Int64
    public var abstain: Int64
    /// Payment tokens held when the proposal opened: the most that could vote.
    public var eligible: Int64
    public var outcome: ProposalStatus
    /// Whether the deposit goes back to the proposer (quorum reached) or is burned.
    public var depositReturned: Bool

    /// Stake that voted, abstentions included, in basis points of the eligible stake.
    public var turnout: BasisPoints { BasisPoints.ratio(yes + no + abstain, of: eligible) }
}

/// On-chain governance as replicated state: open proposals with their stake snapshots and votes,
/// tallies when voting periods end, and the parameters, changed only at epoch boundaries.
///
/// Every mutation is journaled; ``rollback(to:)`` undoes a block exactly and ``commit()`` makes
/// it permanent, alongside the rest of the chain state. Proposals are kept in the order they
/// opened, so tallies and executions never depend on hash-table order.
public struct GovernanceState: Sendable {
    struct Proposal: Sendable {
        var id: TransactionID
        var proposer: PublicKey
        var content: GovernanceProposal
        var startHeight: UInt64
        /// The last height whose block may carry votes.
        var endHeight: UInt64
        /// Payment balance of every holder when the proposal opened.
        var weights: [PublicKey: Int64]
        var eligible: Int64
        var ballots: [PublicKey: Ballot] = [:]
        var status = ProposalStatus.voting
    }

    enum Entry: Sendable {
        case opened(TransactionID)
        case voted(TransactionID, PublicKey, previous: Ballot?)
        case status(TransactionID, previous: ProposalStatus)
        case parameters(previous: GovernanceParameters)
    }

    public let rules: GovernanceRules
    public private(set) var parameters: GovernanceParameters
    private var proposals: [TransactionID: Proposal] = [:]
    /// Proposal ids in opening order.
    private var order: [TransactionID] = []
    /// Deposits of proposals still voting.
    public private(set) var heldDeposits: Int64 = 0
    /// Every proposal's status and every ballot, kept up to date change by change.
    private var proposalCommitment = MultisetHash()
    private var journal: [Entry] = []

    public init(rules: GovernanceRules, parameters: GovernanceParameters) {
        self.rules = rules
        self.parameters = parameters
    }

    // MARK: Queries

    /// Proposals opened so far.
    public var proposalCount: Int { order.count }

    public func status(of proposal: TransactionID) -> ProposalStatus? { proposals[proposal]?.status }

    /// Governance's part of the state root: the parameters, the deposits held, and each
    /// proposal's status and ballots (an incremental multiset hash). O(1).
    public var commitment: Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append(parameters.digest)
        encoder.append(heldDeposits)
        encoder.append(proposalCommitment.digest)
        return encoder.blake2b
    }

    private static func statusDigest(_ id: TransactionID, _ status: ProposalStatus) -> Digest32 {
        Blake2b.hash(capacity: 48) { encoder in
            encoder.append(UInt8(0x50))
            encoder.append(id)
            encoder.append(UInt8(ProposalStatus.allCases.firstIndex(of: status)!))
        }
    }

    private static func ballotDigest(_ id: TransactionID, _ voter: PublicKey, _ ballot: Ballot) -> Digest32 {
        Blake2b.hash(capacity: 80) { encoder in
            encoder.append(UInt8(0x42))
            encoder.append(id)
            encoder.append(voter.bytes)
            encoder.append(ballot.rawValue)
        }
    }

    // MARK: Checks

    /// Why a proposal cannot open, or `nil`: its change must be inside the parameter's safe range
    /// and its voting period within the rules.
    public func check(_ proposal: GovernanceProposal) -> RejectionReason? {
        if let problem = GovernanceParameters.validate(proposal.change) { return problem }
        return rules.votingPeriods.contains(proposal.votingPeriodBlocks) ? nil : .unsafeParameter
    }

    /// Why `voter` cannot vote on `proposal` in the block at `height`, or `nil`.
    public func checkVote(on proposal: TransactionID, by voter: PublicKey, height: UInt64) -> RejectionReason? {
        guard let open = proposals[proposal] else { return .unknownProposal }
        guard open.status == .voting, height <= open.endHeight else { return .votingClosed }
        return (open.weights[voter] ?? 0) > 0 ? nil : .noVotingWeight
    }

    // MARK: Changes

    /// Opens `content` (checked) in the block at `height`, with the payment balances of that
    /// moment as voting weights, and holds the deposit.
    public mutating func open(_ id: TransactionID, proposer: PublicKey, content: GovernanceProposal, height: UInt64,
                              weights: [PublicKey: Int64]) {
        precondition(check(content) == nil && proposals[id] == nil, "only a valid new proposal opens")
        proposals[id] = Proposal(id: id, proposer: proposer, content: content, startHeight: height,
                                 endHeight: height + content.votingPeriodBlocks, weights: weights,
                                 eligible: weights.values.reduce(0, +))
        order.append(id)
        heldDeposits += rules.deposit.rawValue
        proposalCommitment.insert(Self.statusDigest(id, .voting))
        journal.append(.opened(id))
    }

    /// Records `voter`'s ballot (checked), replacing an earlier one.
    public mutating func vote(on proposal: TransactionID, by voter: PublicKey, ballot: Ballot) {
        let previous = proposals[proposal]!.ballots.updateValue(ballot, forKey: voter)
        if let previous { proposalCommitment.remove(Self.ballotDigest(proposal, voter, previous)) }
        proposalCommitment.insert(Self.ballotDigest(proposal, voter, ballot))
        journal.append(.voted(proposal, voter, previous: previous))
    }

    /// Counts every proposal whose voting ended before `height`, in opening order. The caller
    /// returns or burns each tally's deposit.
    ///
    /// Complexity: O(proposals) plus O(ballots) of each one counted.
    public mutating func closeVoting(before height: UInt64) -> [GovernanceTally] {
        var tallies: [GovernanceTally] = []
        for id in order where proposals[id]!.status == .voting && proposals[id]!.endHeight < height {
            let proposal = proposals[id]!
            var totals = [Int64](repeating: 0, count: Ballot.allCases.count)
            for (voter, ballot) in proposal.ballots { totals[Int(ballot.rawValue)] += proposal.weights[voter] ?? 0 }
            let (yes, no, abstain) = (totals[0], totals[1], totals[2])
            let reachedQuorum = proposal.eligible > 0
                && BasisPoints.ratio(yes + no + abstain, of: proposal.eligible) >= parameters.quorum
            let passes = reachedQuorum && yes + no > 0
                && Int128(yes) * 10_000 > Int128(parameters.passThreshold.rawValue) * Int128(yes + no)
            let outcome: ProposalStatus = !reachedQuorum ? .expired : passes ? .passed : .rejected
            setStatus(id, outcome)
            heldDeposits -= rules.deposit.rawValue
            tallies.append(GovernanceTally(proposal: id, proposer: proposal.proposer, change: proposal.content.change,
                                           yes: yes, no: no, abstain: abstain, eligible: proposal.eligible,
                                           outcome: outcome, depositReturned: reachedQuorum))
        }
        return tallies
    }

    /// At an epoch boundary, makes every passed change in the order the proposals opened (a later
    /// one of the same parameter wins) and returns them; elsewhere nothing.
    public mutating func execute(at height: UInt64) -> [ParameterChange] {
        guard height % rules.epochLength == 0 else { return [] }
        var changes: [ParameterChange] = []
        for id in order where proposals[id]!.status == .passed {
            changes.append(proposals[id]!.content.change)
            setStatus(id, .executed)
        }
        guard !changes.isEmpty else { return [] }
        journal.append(.parameters(previous: parameters))
        parameters = changes.reduce(parameters) { $0.applying($1) }
        return changes
    }

    private mutating func setStatus(_ id: TransactionID, _ status: ProposalStatus) {
        let previous = proposals[id]!.status
        journal.append(.status(id, previous: previous))
        proposalCommitment.remove(Self.statusDigest(id, previous))
        proposalCommitment.insert(Self.statusDigest(id, status))
        proposals[id]!.status = status
    }

    // MARK: Journal

    /// The mark to pass to ``rollback(to:)``.
    public var savepoint: Int { journal.count }

    /// Undoes every change after `savepoint`, newest first.
    public mutating func rollback(to savepoint: Int) {
        precondition(savepoint <= journal.count)
        while journal.count > savepoint {
            switch journal.removeLast() {
            case .opened(let id):
                proposalCommitment.remove(Self.statusDigest(id, proposals.removeValue(forKey: id)!.status))
                order.removeLast()
                heldDeposits -= rules.deposit.rawValue
            case .voted(let id, let voter, let previous):
                proposalCommitment.remove(Self.ballotDigest(id, voter, proposals[id]!.ballots[voter]!))
                if let previous { proposalCommitment.insert(Self.ballotDigest(id, voter, previous)) }
                proposals[id]!.ballots[voter] = previous
            case .status(let id, let previous):
                proposalCommitment.remove(Self.statusDigest(id, proposals[id]!.status))
                proposalCommitment.insert(Self.statusDigest(id, previous))
                if previous == .voting, proposals[id]!.status != .voting { heldDeposits += rules.deposit.rawValue }
                proposals[id]!.status = previous
            case .parameters(let previous):
                parameters = previous
            }
        }
    }

    /// Makes everything applied so far permanent.
    public mutating func commit() {
        journal.removeAll()
    }
}
