import Governance
import GridCore
import Ledger
import Market
import Testing

extension Fixture {
    /// A proposal of `parameterChange` by `owner`, funding the deposit and the fee from its
    /// payment outputs.
    mutating func propose(_ owner: KeyPair, _ parameterChange: ParameterChange, votingPeriod: UInt64 = 3) -> Transaction {
        let fee = state.governance.parameters.minimumFee
        let needed = state.governance.rules.deposit.rawValue + fee.rawValue
        var inputs: [OutPoint] = []
        var gathered: Int64 = 0
        for (outPoint, output) in outputs(of: owner.publicKey, .payment) where gathered < needed {
            inputs.append(outPoint)
            gathered += output.amount
        }
        let change = gathered > needed ? [TxOutput(owner: owner.publicKey, asset: .payment, amount: gathered - needed)] : []
        let proposal = GovernanceProposal(change: parameterChange, votingPeriodBlocks: votingPeriod, textHash: .zero)
        return Transaction(signedBy: owner, region: .bangkok, kind: .propose(proposal, inputs: inputs, change: change),
                           fee: fee, validUntil: now + .hours(1), nonce: nextNonce(), scheme: .ed25519)
    }

    mutating func vote(_ voter: KeyPair, on proposal: Transaction, _ ballot: Ballot) -> Transaction {
        Transaction(signedBy: voter, region: .bangkok, kind: .vote(proposal: proposal.id, ballot: ballot),
                    validUntil: now + .hours(1), nonce: nextNonce(), scheme: .ed25519)
    }

    /// Commits empty blocks up to and including `height`.
    mutating func advance(to target: UInt64) {
        while height < target { commitBlock([]) }
    }
}

/// Governance on the chain state: deposits in escrow, returned or burned, and parameters the
/// ledger and the market follow. The fixture's epochs are 10 blocks.
@Suite struct GovernanceLedgerTests {
    @Test func aPassedFeeChangeReturnsTheDepositAndRaisesTheFeeAtTheEpochBoundary() throws {
        let (alice, bob) = (KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "a")),
                            KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "b")))
        var fixture = Fixture(funded: [alice, bob])
        let proposal = fixture.propose(alice, ParameterChange(.minimumFeeMicro, to: 5_000))
        let opened = try #require(fixture.commitBlock([proposal]).receipt)
        #expect(opened.applied.count == 1)
        #expect(fixture.state.ledger.escrowTotals.payment == 100_000_000, "the deposit is held")
        #expect(fixture.state.conservationViolations().isEmpty)
        #expect(fixture.commitBlock([fixture.vote(alice, on: proposal, .yes), fixture.vote(bob, on: proposal, .abstain)]).receipt != nil)
        fixture.advance(to: 4)
        let tallied = try #require(fixture.commitBlock([]).receipt)
        #expect(tallied.tallies.map(\.outcome) == [.passed])
        #expect(fixture.state.ledger.escrowTotals.payment == 0)
        #expect(fixture.balance(of: alice.publicKey, .payment) == 10_000_000_000 - 1_000, "deposit back, fee paid")
        #expect(fixture.state.governance.parameters.minimumFee == MicroTokens(1_000), "not before the epoch boundary")
        fixture.advance(to: 9)
        let boundary = try #require(fixture.commitBlock([]).receipt)
        #expect(boundary.parameterChanges == [ParameterChange(.minimumFeeMicro, to: 5_000)])
        #expect(fixture.state.governance.parameters.minimumFee == MicroTokens(5_000))
        #expect(fixture.state.conservationViolations().isEmpty)
        // The old fee is now too low.
        let cheap = fixture.propose(bob, ParameterChange(.tradingFeeBasisPoints, to: 20))
        let underpaid = Transaction(signedBy: bob, region: .bangkok, kind: cheap.kind, fee: MicroTokens(1_000),
                                    validUntil: fixture.now + .hours(1), nonce: fixture.nextNonce(), scheme: .ed25519)
        var work = WorkMeter()
        #expect(fixture.state.check(underpaid, at: fixture.now, verifier: fixture.verifier, work: &work) == .feeTooLow)
    }

    @Test func anExpiredProposalBurnsItsDepositAndConservationHolds() throws {
        let alice = KeyPair(drawingFrom: RandomStream(masterSeed: 2, name: "a"))
        var fixture = Fixture(funded: [alice])
        let proposal = fixture.propose(alice, ParameterChange(.maxBlockTransactions, to: 50))
        fixture.commitBlock([proposal])
        fixture.advance(to: 4)
        let tallied = try #require(fixture.commitBlock([]).receipt)
        #expect(tallied.tallies.map(\.outcome) == [.expired])
        #expect(fixture.state.ledger.burnedTotals.payment == 100_000_000)
        #expect(fixture.state.conservationViolations().isEmpty)
        fixture.advance(to: 10)
        #expect(fixture.state.governance.parameters.maxBlockTransactions == 1_000, "an expired proposal changes nothing")
    }

    @Test func anUnsafeProposalIsRejectedByValidation() {
        let alice = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "a"))
        var fixture = Fixture(funded: [alice])
        let unsafe = fixture.propose(alice, ParameterChange(.finalityThresholdBasisPoints, to: 6_000))
        #expect(fixture.commitBlock([unsafe]).failure?.reason == .unsafeParameter)
        let late = fixture.vote(alice, on: unsafe, .yes)
        #expect(fixture.commitBlock([late]).failure?.reason == .unknownProposal)
    }
}
