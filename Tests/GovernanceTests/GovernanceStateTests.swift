import Governance
import GridCore
import Ledger
import Testing

/// Three holders with 60, 30 and 10 tokens; quorum 33.4 %, pass above 50 %, epochs of 10 blocks.
struct Electorate {
    let keys = (0..<3).map { KeyPair(drawingFrom: RandomStream(masterSeed: UInt64($0 + 1), name: "voter")) }
    var state = GovernanceState(
        rules: GovernanceRules(deposit: .tokens(100), votingPeriods: 1...1_000, epochLength: 10),
        parameters: GovernanceParameters(maxBlockTransactions: 1_000, blockInterval: .seconds(1),
                                         minimumFee: MicroTokens(1_000), tradingFee: BasisPoints(10)))
    let proposal = Blake2b.hash(Array("proposal".utf8))

    var weights: [PublicKey: Int64] {
        [keys[0].publicKey: 60, keys[1].publicKey: 30, keys[2].publicKey: 10]
    }

    /// Opens `max_block_txs = 2000` at height 2 with a voting period of 5 blocks (last vote at 7).
    mutating func open(_ change: ParameterChange = ParameterChange(.maxBlockTransactions, to: 2_000)) {
        state.open(proposal, proposer: keys[0].publicKey,
                   content: GovernanceProposal(change: change, votingPeriodBlocks: 5, textHash: .zero),
                   height: 2, weights: weights)
    }

    mutating func vote(_ voter: Int, _ ballot: Ballot) {
        #expect(state.checkVote(on: proposal, by: keys[voter].publicKey, height: 5) == nil)
        state.vote(on: proposal, by: keys[voter].publicKey, ballot: ballot)
    }
}

@Suite struct GovernanceStateTests {
    @Test func aPassedProposalExecutesAtTheNextEpochBoundaryOnly() {
        var electorate = Electorate()
        electorate.open()
        electorate.vote(1, .yes)
        electorate.vote(2, .no)
        #expect(electorate.state.closeVoting(before: 7).isEmpty, "votes are still open at height 7")
        let tallies = electorate.state.closeVoting(before: 8)
        #expect(tallies.count == 1)
        #expect(tallies[0].outcome == .passed && tallies[0].yes == 30 && tallies[0].no == 10)
        #expect(tallies[0].turnout == BasisPoints(4_000) && tallies[0].depositReturned)
        #expect(electorate.state.execute(at: 9).isEmpty, "9 is not an epoch boundary")
        #expect(electorate.state.parameters.maxBlockTransactions == 1_000)
        #expect(electorate.state.execute(at: 10) == [ParameterChange(.maxBlockTransactions, to: 2_000)])
        #expect(electorate.state.parameters.maxBlockTransactions == 2_000)
        #expect(electorate.state.status(of: electorate.proposal) == .executed)
        #expect(electorate.state.execute(at: 20).isEmpty, "a change executes once")
    }

    @Test func theLastVoteCountsAndAbstentionsCountOnlyForQuorum() {
        var electorate = Electorate()
        electorate.open()
        electorate.vote(0, .yes)
        electorate.vote(0, .no)
        electorate.vote(2, .abstain)
        let tally = electorate.state.closeVoting(before: 8)[0]
        #expect(tally.yes == 0 && tally.no == 60 && tally.abstain == 10)
        #expect(tally.outcome == .rejected && tally.depositReturned)
        #expect(electorate.state.execute(at: 10).isEmpty)
        #expect(electorate.state.parameters.maxBlockTransactions == 1_000, "a rejected proposal changes nothing")
    }

    @Test func withoutQuorumAProposalExpiresAndItsDepositIsBurned() {
        var electorate = Electorate()
        electorate.open()
        electorate.vote(2, .yes)
        let tally = electorate.state.closeVoting(before: 8)[0]
        #expect(tally.outcome == .expired && !tally.depositReturned && tally.turnout == BasisPoints(1_000))
        #expect(electorate.state.heldDeposits == 0)
        #expect(electorate.state.execute(at: 10).isEmpty)
    }

    @Test func votesAreCheckedForTheProposalThePeriodAndTheWeight() {
        var electorate = Electorate()
        let stranger = KeyPair(drawingFrom: RandomStream(masterSeed: 9, name: "stranger")).publicKey
        #expect(electorate.state.checkVote(on: electorate.proposal, by: stranger, height: 3) == .unknownProposal)
        electorate.open()
        #expect(electorate.state.checkVote(on: electorate.proposal, by: stranger, height: 3) == .noVotingWeight)
        #expect(electorate.state.checkVote(on: electorate.proposal, by: electorate.keys[0].publicKey, height: 7) == nil)
        #expect(electorate.state.checkVote(on: electorate.proposal, by: electorate.keys[0].publicKey, height: 8) == .votingClosed)
    }

    @Test func unsafeChangesAreRejected() {
        let state = Electorate().state
        let unsafe = [
            ParameterChange(.finalityThresholdBasisPoints, to: 6_666), ParameterChange(.finalityThresholdBasisPoints, to: 5_001),
            ParameterChange(.maxBlockTransactions, to: 0), ParameterChange(.blockIntervalMillis, to: 10),
            ParameterChange(.governancePassBasisPoints, to: 4_000), ParameterChange(.clearingRule, to: 3),
        ]
        for change in unsafe {
            #expect(state.check(GovernanceProposal(change: change, votingPeriodBlocks: 5, textHash: .zero)) == .unsafeParameter,
                    "\(change.parameter.rawValue) = \(change.value)")
        }
        #expect(state.check(GovernanceProposal(change: ParameterChange(.finalityThresholdBasisPoints, to: 7_500),
                                               votingPeriodBlocks: 5, textHash: .zero)) == nil)
        #expect(state.check(GovernanceProposal(change: ParameterChange(.maxBlockTransactions, to: 500),
                                               votingPeriodBlocks: 5_000, textHash: .zero)) == .unsafeParameter,
                "the voting period is outside the rules")
    }

    @Test func rollbackUndoesAProposalItsVotesTheTallyAndTheExecution() {
        var electorate = Electorate()
        let before = electorate.state.commitment
        let mark = electorate.state.savepoint
        electorate.open()
        electorate.vote(0, .yes)
        _ = electorate.state.closeVoting(before: 8)
        _ = electorate.state.execute(at: 10)
        #expect(electorate.state.commitment != before)
        electorate.state.rollback(to: mark)
        #expect(electorate.state.commitment == before)
        #expect(electorate.state.proposalCount == 0 && electorate.state.heldDeposits == 0)
        #expect(electorate.state.parameters.maxBlockTransactions == 1_000)
    }
}
