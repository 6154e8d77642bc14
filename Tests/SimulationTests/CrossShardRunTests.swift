import Foundation
import GridCore
import Ledger
import Scenario
import Sharding
import Simulation
import Testing

/// Two shards whose participants pay each other across shards: a lock in the sender's shard,
/// a receipt relayed to the recipient's, an acknowledgement relayed back.
private let twoShards = """
name: cross-shard
run: { duration: 90 s, seed: 2, warmup: 5 s, start: "11:00" }
validators: { count: 8 }
consensus: { block_interval: 1 s, max_block_txs: 400 }
market: { areas: regional }
load: { daily_profiles: false }
sharding:
  shards: [[bangkok, east], [north, northeast, south]]
  committee: 4
  autoscaler: { enabled: false }
  cross_shard: 40 %
  cross_shard_deadline: 15 s
  relay_retry: 2 s
participants:
  - { class: residential, count: 80, region: bangkok, tx_rate: 0.1 /s, coins: 6 }
  - { class: residential, count: 80, region: north, tx_rate: 0.1 /s, coins: 6 }
"""

private func run(_ overrides: [String] = [], text: String = twoShards) throws -> RunResult {
    let scenario = try ScenarioLoader.parse(text, path: scenarioPath("cross-shard.yaml"), overrides: overrides)
    return Simulator(scenario: scenario, seed: scenario.run.seed, costProfile: .reference).run()
}

/// Every lock ends delivered, refunded or on its way, and the simulator's atomicity and
/// conservation checkers found nothing.
private func everyLockAccountedFor(_ result: RunResult) -> Bool {
    let transfers = result.sharding.crossShard
    return transfers.locked == transfers.delivered + transfers.refunded + transfers.awaitingCredit + transfers.awaitingSettlement
        && !result.violations.contains { $0.invariant.hasPrefix("cross-shard") }
}

/// The override that crashes two of the four members of `committee` (a shard's quorum) at
/// `at` seconds and restarts them at `restart` seconds.
private func quorumCrash(of committee: [Int], at: Int, restart: Int) -> String {
    "faults.crashes=[" + committee.prefix(2).map { "{node: \($0), at: \(at) s, restart: \(restart) s}" }
        .joined(separator: ", ") + "]"
}

@Suite struct CrossShardRunTests {
    @Test func transfersBetweenShardsAreCreditedAndSettledOnce() throws {
        let result = try run()
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.locked > 200, "\(transfers)")
        #expect(transfers.delivered > transfers.locked * 9 / 10, "\(transfers)")
        #expect(transfers.refunded == 0)
        #expect(everyLockAccountedFor(result))
        // Only locks of the last seconds are still on their way.
        #expect(transfers.awaitingCredit + transfers.awaitingSettlement < transfers.locked / 10)
        #expect(try run().digest == result.digest)
    }

    /// Blocks of 20 against 120 offered a second: a backlog of hundreds waits in every mempool.
    /// Credits and settlements go ahead of it, so transfers still complete before their deadline
    /// (first in, first out, most credits queued past it and settlements went unanswered). Locks
    /// that waited past their deadline leave every mempool at the next commit, so they take no
    /// slot (before, each proposer left them out in turn and blocks carried 12 of 20).
    @Test func relayedStepsGoAheadOfABacklogAndTransfersStillComplete() throws {
        let result = try run(["consensus.max_block_txs=20", "load.tps=120"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let filled = result.blocks.filter { $0.committedAt > .zero + .seconds(10) }.map(\.transactionCount)
        #expect(filled.reduce(0, +) * 100 >= filled.count * 20 * 99, "blocks of 20 carry \(filled)")
        #expect((0..<result.transactions.count).contains { result.transactions.outcome(at: $0) == .rejected(.invalidLock) },
                "locks lapse in the backlog")
        #expect(result.sharding.shards.allSatisfy { $0.mempoolPeak > 200 }, "\(result.sharding.shards.map(\.mempoolPeak))")
        let transfers = result.sharding.crossShard
        #expect(transfers.locked > 100, "\(transfers)")
        #expect(everyLockAccountedFor(result))
        #expect(transfers.delivered > transfers.locked * 8 / 10, "\(transfers)")
        #expect(transfers.awaitingCredit + transfers.awaitingSettlement < transfers.locked / 10, "\(transfers)")
        #expect(transfers.resends < transfers.locked / 10, "\(transfers)")
    }

    @Test func aPartitionBetweenTheShardsDelaysTransfersAndLateOnesAreRefunded() throws {
        let committees = try run(["run.duration=10 s"]).sharding.shards.map(\.committee)
        let result = try run(["faults.partitions=[{start: 20 s, heal: 45 s, groups: \(committees)}]"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.resends > 0, "relays were lost to the partition and sent again")
        // Locks made early in the partition passed their 15 s deadline before their receipt
        // could arrive: voided at the destination, refunded at the source. The rest went through.
        #expect(transfers.refunded > 0 && transfers.delivered > 0, "\(transfers)")
        #expect(everyLockAccountedFor(result))
    }

    @Test(arguments: [0, 1])
    func aCrashedShardHoldsItsTransfersUntilItRestartsAndNoneIsCreatedOrLost(shard: Int) throws {
        let committees = try run(["run.duration=10 s"]).sharding.shards.map(\.committee)
        // Two of the four members down: the shard has no quorum and finalizes nothing until they restart.
        let result = try run([quorumCrash(of: committees[shard], at: 20, restart: 40)])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.resends > 0)
        #expect(transfers.delivered > 0, "\(transfers)")
        #expect(!result.blocks.contains { $0.shard == shard + 1 && $0.committedAt.seconds > 21 && $0.committedAt.seconds < 40 },
                "the crashed shard stalled")
        #expect(everyLockAccountedFor(result))
        // After the restart the stalled steps complete: few are left at the end.
        #expect(transfers.awaitingCredit + transfers.awaitingSettlement < transfers.locked / 10, "\(transfers)")
    }

    @Test func transfersInFlightAcrossASplitComplete() throws {
        let path = scenarioPath("shard-surge.yaml")
        let scenario = try ScenarioLoader.parse(String(contentsOfFile: path, encoding: .utf8), path: path,
                                                overrides: ["sharding.cross_shard=10 %"])
        let result = Simulator(scenario: scenario, seed: 1, costProfile: .reference).run()
        #expect(result.violations.isEmpty, "\(result.violations)")
        #expect(result.sharding.events.first?.action == .split)
        let transfers = result.sharding.crossShard
        #expect(transfers.delivered > 100, "\(transfers)")
        #expect(everyLockAccountedFor(result))
    }

    @Test func transfersInFlightAcrossAMergeComplete() throws {
        let text = """
        name: shard-merge-cross
        run: { duration: 120 s, seed: 3, warmup: 5 s, start: "11:00" }
        validators: { count: 12 }
        consensus: { block_interval: 1 s, max_block_txs: 200 }
        market: { areas: regional }
        load: { daily_profiles: false }
        sharding:
          shards: [[bangkok], [east], [north, northeast, south]]
          autoscaler: { interval: 5 s, sustain: 2, cooldown: 20 s, min_shards: 1 }
          cross_shard: 50 %
          relay_retry: 2 s
        participants:
          - { class: residential, count: 40, region: bangkok, tx_rate: 0.05 /s, coins: 4 }
          - { class: residential, count: 120, region: east, tx_rate: 0.05 /s, coins: 4 }
          - { class: residential, count: 40, region: north, tx_rate: 0.05 /s, coins: 4 }
        """
        let result = try run(text: text)
        #expect(result.violations.isEmpty, "\(result.violations)")
        #expect(result.sharding.events.contains { $0.action == .merge })
        let transfers = result.sharding.crossShard
        #expect(transfers.delivered > 50, "\(transfers)")
        #expect(everyLockAccountedFor(result))
    }

    // MARK: Cross-shard bids (Scenarios/shard-trades.yaml)

    private func runTrades(_ overrides: [String] = []) throws -> RunResult {
        let path = scenarioPath("shard-trades.yaml")
        let scenario = try ScenarioLoader.parse(String(contentsOfFile: path, encoding: .utf8), path: path,
                                                overrides: ["run.duration=60 s"] + overrides)
        return Simulator(scenario: scenario, seed: scenario.run.seed, costProfile: .reference).run()
    }

    /// The transactions the run rejected.
    private func rejections(_ result: RunResult) -> [TransactionOutcome] {
        (0..<result.transactions.count).map { result.transactions.outcome(at: $0) }.filter {
            if case .rejected = $0 { return true }
            return false
        }
    }

    @Test func bidsFromOneShardTradeInAnothersBookAndTheirProceedsGoHome() throws {
        let result = try runTrades()
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.bids > 50, "\(transfers)")
        // Buyers in shard 1 traded with sellers in shard 2's North book.
        #expect(transfers.trades > 20 && transfers.tradedWh > 0, "\(transfers)")
        #expect(transfers.trades < result.market.trades, "Bangkok's own book trades too")
        #expect(transfers.sentHome > 10, "\(transfers)")
        // A lock sending proceeds home is load of the shard it runs in, under that shard's region
        // it spends from, not under its owner's home region.
        let regions: [[Region]] = [[.bangkok, .east], [.north, .northeast, .south]]
        #expect(!result.sharding.loads.isEmpty)
        #expect(result.sharding.loads.allSatisfy { load in
            Region.allCases.allSatisfy { regions[load.shard.rawValue - 1].contains($0) || load.offeredByRegion[$0.index] == 0 }
        })
        #expect(transfers.refunded == 0)
        #expect(everyLockAccountedFor(result))
        // The bids, the credits that place them and the locks that send proceeds home all applied.
        #expect(rejections(result).isEmpty, "\(rejections(result).prefix(5))")
        #expect(try runTrades().digest == result.digest)
    }

    @Test func bidsCutOffByAPartitionAreRefundedAtHome() throws {
        let committees = try runTrades(["run.duration=15 s"]).sharding.shards.map(\.committee)
        let result = try runTrades(["sharding.cross_shard_deadline=10 s",
                                    "faults.partitions=[{start: 15 s, heal: 30 s, groups: \(committees)}]"])
        // Bids locked early in the partition reached the North's book after their deadline:
        // voided there, refunded in Bangkok. The atomicity checker finds none that traded too.
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.bidsRefunded > 0 && transfers.resends > 0, "\(transfers)")
        #expect(transfers.trades > 0, "bids before and after the partition traded")
        #expect(everyLockAccountedFor(result))
    }

    @Test(arguments: [0, 1])
    func aCrashedShardHoldsItsBidsAndProceedsUntilItRestarts(shard: Int) throws {
        let committees = try runTrades(["run.duration=15 s"]).sharding.shards.map(\.committee)
        let result = try runTrades([quorumCrash(of: committees[shard], at: 15, restart: 30)])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let transfers = result.sharding.crossShard
        #expect(transfers.resends > 0 && transfers.trades > 0, "\(transfers)")
        #expect(everyLockAccountedFor(result))
    }

    /// A run's recorded arrivals name each buy order's book (`bid_region`): replayed, they give
    /// the same run, and placed at home instead, no bid crosses shards. The trace decides, not
    /// the seed's draws in arrival order, so removing arrivals (as `gridsim shrink` does) moves
    /// no later bid.
    @Test func aRecordedTraceFixesTheBookEachBidGoesTo() throws {
        let path = scenarioPath("shard-trades.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let original = try ScenarioLoader.parse(text, path: path, overrides: ["run.duration=40 s"])
        let recorder = Simulator(scenario: original, seed: original.run.seed, costProfile: .reference)
        var rows: [TraceRow] = []
        recorder.arrivalObserver = { rows.append($0) }
        let recorded = recorder.run()
        #expect(recorded.sharding.crossShard.bids > 10, "\(recorded.sharding.crossShard)")
        #expect(rows.contains { $0.bidRegion == .north } && rows.contains { $0.bidRegion == .bangkok })

        func replay(_ rows: [TraceRow]) throws -> RunResult {
            let trace = try traceFile(LoadTrace.text(of: rows))
            let scenario = try ScenarioLoader.parse(text, path: path, overrides: [
                "run.duration=40 s", "load.controller=trace", "load.trace=\(trace.path)"])
            return Simulator(scenario: scenario, seed: scenario.run.seed, costProfile: .reference).run()
        }
        let same = try replay(rows)
        #expect(same.digest == recorded.digest)
        #expect(same.sharding.crossShard.bids == recorded.sharding.crossShard.bids)
        let atHome = try replay(rows.map { row in
            var row = row
            if row.bidRegion != nil { row.bidRegion = .bangkok }
            return row
        })
        #expect(atHome.sharding.crossShard.bids == 0)
        #expect(atHome.market.trades > 0, "the orders still trade, in Bangkok's own book")
    }

    @Test func aMergeOfTheBuyersAndSellersShardsBringsTheProceedsHome() throws {
        // Bangkok and the North each a shard, the other regions a third with the North's
        // households; Bangkok and the North stay quiet, so after 60 s the autoscaler merges them,
        // when buyers hold energy bought in the North that no payment there has yet sent home.
        let result = try runTrades([
            "run.duration=120 s", "validators.count=12", "participants[0].count=40", "participants[1].region=east",
            "sharding.shards=[[bangkok], [north], [east, northeast, south]]", "sharding.autoscaler.enabled=true",
            "sharding.autoscaler.min_shards=1", "sharding.autoscaler.sustain=12", "sharding.autoscaler.interval=5 s",
            "sharding.autoscaler.cooldown=20 s", "sharding.autoscaler.tps_share=100 %",
        ])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let merge = try #require(result.sharding.events.first)
        #expect(merge.action == .merge && merge.shards == [ShardID(1), ShardID(2)] && merge.time.seconds >= 60, "\(merge)")
        let transfers = result.sharding.crossShard
        #expect(transfers.trades > 0 && transfers.sentHome > 0, "\(transfers)")
        #expect(everyLockAccountedFor(result))
        // What they held in the North's shard joined their wallets at the merge, and no bid went
        // abroad after it: nobody holds anything in another shard, and nothing was rejected.
        #expect(transfers.heldAbroad == AssetAmounts(), "\(transfers.heldAbroad)")
        #expect(rejections(result).isEmpty, "\(rejections(result).prefix(5))")
    }

    @Test func anOverloadedShardSplitsAndMergesWithoutStrandingASettlementOrACoin() throws {
        // Blocks of 100, the North's households spread over the North and the Northeast, and a
        // 10× surge in the North: the North (89 % of its shard's load) splits off at 50 s and the
        // quiet shards merge at 110 s, with locks, credits and settlements in flight throughout.
        // (The share rule is set out of reach, so the capacity rule splits and quiet shards are
        // cold; two shards at least, or the two quiet ones would merge before the surge.)
        let result = try runTrades([
            "run.duration=180 s", "validators.count=16", "consensus.max_block_txs=100",
            "load.schedule=[{ at: 30 s, factor: 10, ramp: 5 s, regions: [north] }]", "sharding.autoscaler.enabled=true",
            "participants[1]={ class: residential, count: 200, regions: [north, northeast], tx_rate: 0.1 /s, coins: 8 }",
            "sharding.autoscaler.tps_share=100 %", "sharding.autoscaler.min_shards=2",
        ])
        #expect(result.violations.isEmpty, "\(result.violations)")
        #expect(result.sharding.events.map(\.action) == [.split, .merge], "\(result.sharding.events)")
        #expect(result.sharding.events.first?.regions == [.north])
        let transfers = result.sharding.crossShard
        #expect(transfers.sentHome > 0 && transfers.delivered > 1_000, "\(transfers)")
        #expect(everyLockAccountedFor(result))
        // A settlement goes where its lock is held, also a send-home lock that stayed with its
        // owner's part when its region left; a lock still waiting at the split goes where its
        // coins went; a resend the member already holds is no verdict; coins back from a lapsed
        // lock are not refused by members still holding it.
        let reasons = Set(rejections(result).compactMap { outcome -> RejectionReason? in
            if case .rejected(let reason) = outcome { return reason }
            return nil
        })
        for reason in [RejectionReason.unknownLock, .unknownInput, .duplicate, .lockResolved, .spentInput] {
            #expect(!reasons.contains(reason), "\(reason) among \(reasons.sorted())")
        }
    }
}
