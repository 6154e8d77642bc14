import GridCore
import Ledger
import Testing

@Suite struct LedgerStateTests {
    private func ledger() -> LedgerState {
        let operators = Region.allCases.map { _ in PublicKey(bytes: .zero) }
        return LedgerState(parameters: LedgerParameters(gridOperators: operators))
    }

    private let alice = PublicKey(bytes: Blake2b.hash([1]))
    private let bob = PublicKey(bytes: Blake2b.hash([2]))

    private func point(_ index: UInt32) -> OutPoint { OutPoint(transaction: Blake2b.hash([9]), index: index) }

    @Test func rollbackRestoresEverythingExactly() {
        var state = ledger()
        state.create(TxOutput(owner: alice, asset: .payment, amount: 100), at: point(0))
        state.recordMinted(.payment, 100)
        state.commit(pruningReplaysBefore: .zero)
        let before = state.commitments
        let mark = state.savepoint
        state.spend(point(0))
        state.create(TxOutput(owner: bob, asset: .payment, amount: 60), at: point(1))
        state.adjustEscrow(.payment, by: 40)
        state.remember(Blake2b.hash([7]), validUntil: .zero + .seconds(5))
        state.useAttestation(Blake2b.hash([8]))
        #expect(state.commitments != before)
        #expect(state.conservationViolations().isEmpty)
        state.rollback(to: mark)
        #expect(state.commitments == before)
        #expect(state.output(at: point(0))?.owner == alice)
        #expect(state.output(at: point(1)) == nil)
        #expect(!state.isCommitted(Blake2b.hash([7]), validUntil: .zero + .seconds(5)))
        #expect(state.rememberedTransactionCount == 0)
        #expect(!state.isAttestationUsed(Blake2b.hash([8])))
    }

    /// A genesis ledger is the ledger that creating and minting each output and committing
    /// gives, with nothing to roll back.
    @Test func aGenesisLedgerIsTheCommittedLedgerOfItsOutputs() {
        let origin = Blake2b.hash([9])
        let outputs = [TxOutput(owner: alice, asset: .payment, amount: 100), TxOutput(owner: bob, asset: .energy, amount: 5_000),
                       TxOutput(owner: alice, asset: .payment, amount: 7)]
        var created = ledger()
        for (index, output) in outputs.enumerated() {
            created.create(output, at: point(UInt32(index)))
            created.recordMinted(output.asset, output.amount)
        }
        created.commit(pruningReplaysBefore: .zero)
        var genesis = LedgerState(parameters: ledger().parameters, genesis: outputs, origin: origin)
        #expect(genesis.commitments == created.commitments)
        #expect(genesis.createdTotals == created.createdTotals && genesis.unspentTotals == created.unspentTotals)
        #expect(genesis.output(at: point(1)) == outputs[1])
        #expect(genesis.conservationViolations().isEmpty)
        #expect(genesis.savepoint == 0, "no journal")
        genesis.spend(point(2))
        genesis.rollback(to: 0)
        #expect(genesis.commitments == created.commitments)
    }

    @Test func conservationCatchesValueFromNowhere() {
        var state = ledger()
        state.create(TxOutput(owner: alice, asset: .energy, amount: 5_000), at: point(0))
        #expect(state.conservationViolations().count == 1, "an output nobody minted")
        state.recordMinted(.energy, 5_000)
        #expect(state.conservationViolations().isEmpty)
    }

    @Test func inputChecksNameTheReason() {
        var state = ledger()
        state.create(TxOutput(owner: alice, asset: .payment, amount: 10), at: point(0))
        #expect(state.sumInputs([point(0)], owner: alice).successValue?.payment == 10)
        #expect(state.sumInputs([point(1)], owner: alice).failureValue == .unknownInput)
        #expect(state.sumInputs([point(0)], owner: bob).failureValue == .notOwner)
        #expect(state.sumInputs([point(0), point(0)], owner: alice).failureValue == .doubleSpendInBlock)
        #expect(LedgerState.sumOutputs([TxOutput(owner: bob, asset: .payment, amount: 0)]).failureValue == .amountNotPositive)
        #expect(LedgerState.sumOutputs([TxOutput(owner: bob, asset: .payment, amount: .max),
                                        TxOutput(owner: bob, asset: .payment, amount: 1)]).failureValue == .overflow)
    }

    @Test func replayWindowIsPrunedOnlyAfterExpiry() {
        var state = ledger()
        let id = Blake2b.hash([3])
        state.remember(id, validUntil: .zero + .seconds(10))
        state.commit(pruningReplaysBefore: .zero + .seconds(10))
        #expect(state.isCommitted(id, validUntil: .zero + .seconds(10)))
        state.commit(pruningReplaysBefore: .zero + .seconds(11))
        #expect(!state.isCommitted(id, validUntil: .zero + .seconds(10)))
    }

    @Test func replayWindowPrunesToTheNanosecondAcrossSeconds() {
        var state = ledger()
        let ends = [10_200, 10_700, 10_900, 12_000, 3_000, 15_500].map { SimTime.zero + .milliseconds($0) }
        let ids = ends.indices.map { Blake2b.hash([UInt8($0), 0x52]) }
        for (id, end) in zip(ids, ends) { state.remember(id, validUntil: end) }
        state.commit(pruningReplaysBefore: .zero + .milliseconds(2_000))
        #expect(state.rememberedTransactionCount == 6)
        // Inside second 10: the entries before 10.7 s go, the rest of that second stays.
        state.commit(pruningReplaysBefore: .zero + .milliseconds(10_700))
        #expect(zip(ids, ends).map { state.isCommitted($0, validUntil: $1) } == [false, true, true, true, false, true])
        #expect(state.rememberedTransactionCount == 4)
        let mark = state.savepoint
        let late = Blake2b.hash([0x99])
        state.remember(late, validUntil: .zero + .seconds(40))
        state.rollback(to: mark)
        #expect(!state.isCommitted(late, validUntil: .zero + .seconds(40)))
        #expect(state.rememberedTransactionCount == 4)
        state.commit(pruningReplaysBefore: .zero + .milliseconds(15_500))
        #expect(zip(ids, ends).map { state.isCommitted($0, validUntil: $1) } == [false, false, false, false, false, true])
        #expect(state.rememberedTransactionCount == 1)
        state.commit(pruningReplaysBefore: .zero + .seconds(60))
        #expect(state.rememberedTransactionCount == 0)
        state.remember(late, validUntil: .zero + .seconds(70))
        #expect(state.isCommitted(late, validUntil: .zero + .seconds(70)))
    }

    @Test func aTransactionSpendingOneInputTwiceIsRefusedWithManyInputsToo() {
        var state = ledger()
        let points = (0..<40).map { point(UInt32($0)) }
        for outPoint in points { state.create(TxOutput(owner: alice, asset: .payment, amount: 1), at: outPoint) }
        #expect(state.sumInputs(points, owner: alice).successValue?.payment == 40)
        #expect(state.sumInputs(points + [points[17]], owner: alice).failureValue == .doubleSpendInBlock)
    }

    @Test func creditsPerKWh() {
        #expect(ledger().parameters.credits(for: .kWh(500)) == MilliCredits(25_000))
        #expect(ledger().parameters.credits(for: EnergyWh(19)) == .zero)
    }
}

extension Result {
    var successValue: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
