import Foundation
import GridCore
import Ledger
import Scenario
import Simulation
import Testing

func runGovernance(_ overrides: [String] = [], seed: UInt64 = 1) throws -> RunResult {
    let path = scenarioPath("governance-block-size.yaml")
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let scenario = try ScenarioLoader.parse(text, path: path, overrides: overrides)
    return Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
}

/// Governance end to end: participants propose and vote through transactions, validators tally
/// and execute, every node at the same height (the simulator's parameter-agreement checker).
@Suite struct GovernanceRunTests {
    @Test func thePassedBlockSizeChangeExecutesAtAnEpochBoundaryAndRaisesThroughput() throws {
        let result = try runGovernance()
        #expect(result.violations.isEmpty, "\(result.violations)")
        let governance = result.governance
        #expect(governance.submitted == 1 && governance.opened == 1)
        #expect(governance.tallies.map(\.tally.outcome) == [.passed])
        let change = try #require(governance.changes.first)
        #expect(change.parameter == .maxBlockTransactions && change.from == 40 && change.to == 400)
        #expect(change.height % result.scenario.consensus.epochLength == 0)
        #expect(change.height > governance.tallies[0].height)
        // Blocks hold at most 40 transactions up to the change and more after it.
        let before = result.blocks.filter { $0.height <= change.height }
        let after = result.blocks.filter { $0.height > change.height }
        #expect(before.allSatisfy { $0.transactionCount <= 40 })
        #expect(after.contains { $0.transactionCount > 40 })
        // Every honest node committed the same parameters at every height (checked per commit).
        // The block at the boundary makes the change (its own size was decided before it).
        let unchanged = before.filter { $0.height < change.height }, changed = result.blocks.filter { $0.height >= change.height }
        #expect(Set(unchanged.map(\.parametersDigest)).count == 1 && Set(changed.map(\.parametersDigest)).count == 1)
        #expect(unchanged.last?.parametersDigest != changed.first?.parametersDigest)
    }

    @Test func aRejectedOrExpiredProposalChangesNothing() throws {
        let rejected = try runGovernance(["governance.proposals[0].support=0 %"])
        #expect(rejected.violations.isEmpty)
        #expect(rejected.governance.tallies.map(\.tally.outcome) == [.rejected])
        #expect(rejected.governance.tallies[0].tally.depositReturned)
        #expect(rejected.governance.changes.isEmpty)
        #expect(rejected.blocks.allSatisfy { $0.transactionCount <= 40 })

        let expired = try runGovernance(["governance.proposals[0].turnout=1 %"])
        #expect(expired.violations.isEmpty, "conservation holds with the deposit burned")
        #expect(expired.governance.tallies.map(\.tally.outcome) == [.expired])
        #expect(!expired.governance.tallies[0].tally.depositReturned)
        #expect(expired.governance.changes.isEmpty)
    }

    @Test func anUnsafeProposalIsRejectedWithItsReason() throws {
        let result = try runGovernance(["governance.proposals[0].parameter=finality_threshold_bp",
                                        "governance.proposals[0].value=6000"])
        #expect(result.governance.submitted == 1 && result.governance.opened == 0)
        let index = try #require((0..<result.transactions.count).first { result.transactions.kinds[$0] == "proposal" })
        guard case .rejected(let reason) = result.transactions.outcome(at: index) else {
            Issue.record("the unsafe proposal was not rejected")
            return
        }
        #expect(reason == .unsafeParameter)
    }

    @Test func aStricterFinalityThresholdKeepsTheChainLiveAndSafe() throws {
        let result = try runGovernance(["governance.proposals[0].parameter=finality_threshold_bp",
                                        "governance.proposals[0].value=8000"])
        #expect(result.violations.isEmpty)
        let change = try #require(result.governance.changes.first)
        #expect(change.parameter == .finalityThresholdBasisPoints && change.to == 8_000)
        #expect(result.blocks.contains { $0.height > change.height + 10 }, "blocks keep coming after the change")
    }

    @Test func theScenarioNamesEveryGovernedParameter() {
        #expect(ScenarioSchema.governedParameters == GovernedParameter.allCases.map(\.rawValue))
    }

    @Test func twoRunsGiveTheSameDigest() throws {
        #expect(try runGovernance().digest == runGovernance().digest)
    }
}
