import Foundation
import GridCore
import Ledger
import Scenario
import Sharding
import Simulation
import Testing

private func runScenario(text: String? = nil, file: String = "shard-surge.yaml", overrides: [String] = [],
                         seed: UInt64 = 1) throws -> RunResult {
    let path = scenarioPath(file)
    let scenario = try ScenarioLoader.parse(text ?? String(contentsOfFile: path, encoding: .utf8), path: path,
                                            overrides: overrides)
    return Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
}

/// Every transaction ends accepted, rejected or pending, once.
private func outcomesAddUp(_ result: RunResult) -> Bool {
    var accepted = 0, rejected = 0, pending = 0
    for index in 0..<result.transactions.count {
        switch result.transactions.outcome(at: index) {
        case .accepted: accepted += 1
        case .rejected: rejected += 1
        case .pending: pending += 1
        }
    }
    return accepted + rejected + pending == result.transactions.count
        && Set(result.transactions.ids).count == result.transactions.count
}

/// Finalized transactions per second over every shard, and the worst shard's finality p99,
/// over the monitor windows ending in (start, end].
private func load(_ result: RunResult, from start: Double, to end: Double) -> (tps: Double, finalityP99Nanos: Int64) {
    let windows = result.sharding.loads.filter { $0.time.seconds > start && $0.time.seconds <= end }
    let committed = windows.reduce(0) { $0 + $1.committedTransactions }
    return (Double(committed) / (end - start), windows.compactMap(\.finalityP99Nanos).max() ?? 0)
}

/// Sharding end to end: regional shards with their own committees and chains, the monitor, the
/// autoscaler's split and merge, and the invariants the simulator checks through them
/// (conservation at every reshard, exactly-once finality, a consistent shard map).
@Suite struct ShardingRunTests {
    @Test func theEastSurgeSplitsTheEastIntoAThirdShardAndThroughputRises() throws {
        let result = try runScenario()
        #expect(result.violations.isEmpty, "\(result.violations)")
        let sharding = result.sharding
        #expect(sharding.enabled)
        try #require(sharding.events.count == 1, "\(sharding.events.map(\.reason))")
        let split = sharding.events[0]
        #expect(split.action == .split && split.shards == [ShardID(1), ShardID(3)] && split.regions == [.east])
        #expect(split.time.seconds > 60, "not before the surge")
        #expect(split.rerouted > 0 && split.movedOrders > 0)
        #expect(sharding.shards.map(\.regions) == [[.bangkok], [.north, .northeast, .south], [.east]])
        // Blocks of every chain instance carry their shard; each shard finalized blocks.
        #expect(Set(result.blocks.map(\.shard)) == [1, 2, 3])
        #expect(outcomesAddUp(result))
        // Payments waiting at the split from the East to Bangkok were executed in shard 3, so
        // their recipients were paid in another shard's ledger: they send the money home by
        // cross-shard locks rather than spend it where it is not, and nothing is rejected.
        let rejected = (0..<result.transactions.count).filter {
            if case .rejected = result.transactions.outcome(at: $0) { return true }
            return false
        }
        #expect(rejected.isEmpty, "\(rejected.count) rejected")
        let transfers = sharding.crossShard
        #expect(transfers.sentHome > 0 && transfers.sentHome == transfers.locked, "\(transfers)")
        #expect(transfers.locked == transfers.delivered + transfers.awaitingCredit + transfers.awaitingSettlement)
        let t = split.time.seconds
        let before = load(result, from: t - 20, to: t), after = load(result, from: t + 20, to: t + 40)
        #expect(after.tps > before.tps * 1.1, "\(before) → \(after)")
        #expect(after.finalityP99Nanos < before.finalityP99Nanos, "\(before) → \(after)")
    }

    @Test func waitingTransactionsAreRoutedAgainAndNoneIsLostOrFinalizedTwice() throws {
        let result = try runScenario()
        let split = try #require(result.sharding.events.first)
        // The exactly-once checker saw no transaction finalized on two chains; most of those
        // routed again were finalized on their new shard by the end.
        #expect(!result.violations.contains { $0.invariant == "exactly-once" })
        var pending = 0
        for index in 0..<result.transactions.count where result.transactions.outcome(at: index) == .pending { pending += 1 }
        #expect(pending < split.rerouted)
    }

    @Test func quietShardsMergeAndTheMergedShardKeepsEveryInvariant() throws {
        let text = """
        name: shard-merge
        run: { duration: 120 s, seed: 3, warmup: 5 s, start: "11:00" }
        validators: { count: 12 }
        consensus: { block_interval: 1 s, max_block_txs: 200 }
        market: { areas: regional, slot: 10 s, mint_interval: 10 s, delivery_lead: 1, delivery_slots: 3, settlement_delay: 2 s }
        load: { daily_profiles: false }
        sharding:
          shards: [[bangkok], [east], [north, northeast, south]]
          autoscaler: { interval: 5 s, sustain: 2, cooldown: 20 s, min_shards: 1 }
        participants:
          - { class: residential, count: 60, region: bangkok, tx_rate: 0.05 /s, coins: 4 }
          - { class: residential, count: 60, region: east, tx_rate: 0.05 /s, coins: 4 }
          - { class: residential, count: 60, region: north, tx_rate: 0.05 /s, coins: 4 }
          - { class: solar, count: 5, region: east, capacity: 2 MW, order_rate: 0.1 /s }
          - { class: industrial, count: 5, region: east, demand: 40 MWh, order_rate: 0.1 /s, coins: 4 }
        """
        let result = try runScenario(text: text)
        #expect(result.violations.isEmpty, "\(result.violations)")
        let merges = result.sharding.events.filter { $0.action == .merge }
        #expect(merges.count >= 1)
        #expect(result.sharding.shards.contains { $0.removedAt != nil })
        #expect(outcomesAddUp(result))
        let surviving = result.sharding.shards.filter { $0.removedAt == nil }
        #expect(surviving.flatMap(\.regions).sorted() == Region.allCases)
        // Two runs, the same digest.
        #expect(try runScenario(text: text).digest == result.digest)
    }

    /// A member of the East's shard is down when it splits (at 75 s): it keeps its seat on the
    /// shard's next chain and rejoins when it restarts, rather than leaving a committee of three.
    @Test func aCrashedCommitteeMemberKeepsItsSeatThroughTheSplitAndTheShardsStayLive() throws {
        let member = try #require(try runScenario(overrides: ["run.duration=20 s"]).sharding.shards[0].committee.first)
        let result = try runScenario(overrides: ["faults.crashes=[{node: \(member), at: 70 s, restart: 100 s}]"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let split = try #require(result.sharding.events.first)
        #expect(split.action == .split && split.time.seconds < 100)
        #expect(result.sharding.shards[0].committee.contains(member))
        #expect(result.sharding.shards.allSatisfy { $0.committee.count == 4 })
        #expect(outcomesAddUp(result))
    }

    /// Two members of one committee crash for good, 40 s apart. Keeping their seats, the shard
    /// stops at the second crash (two of four up) and breaks liveness; with
    /// `sharding.reseat_after`, each is replaced by a validator standing by once it has been
    /// down that long, the shard keeps finalizing with the same state, and every invariant holds.
    @Test func aCommitteeMemberDownForGoodIsReplacedAfterReseatAfter() throws {
        let lasting = ["validators.count=12", "run.duration=150 s", "sharding.cross_shard_bids=0 %"]
        let committee = try #require(try runScenario(file: "shard-trades.yaml", overrides: lasting + ["run.duration=20 s"])
            .sharding.shards.last?.committee)
        let crashes = ["faults.crashes=[{node: \(committee[0]), at: 20 s}, {node: \(committee[1]), at: 60 s}]",
                       "liveness.bound=30 s"]
        let kept = try runScenario(file: "shard-trades.yaml", overrides: lasting + crashes)
        #expect(kept.violations.map(\.invariant) == ["liveness"], "two of four members up cannot finalize")
        #expect(kept.sharding.events.isEmpty)

        let result = try runScenario(file: "shard-trades.yaml", overrides: lasting + crashes + ["sharding.reseat_after=20 s"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let events = result.sharding.events
        #expect(events.map(\.action) == [.reseat, .reseat])
        #expect(events.map(\.shards) == [[ShardID(2)], [ShardID(2)]])
        #expect(events.map { $0.time.seconds } == [40, 80], "the first monitor window 20 s after each crash")
        #expect(events[0].reason.contains("node \(committee[0]) since 20.0 s") && events[1].reason.contains("node \(committee[1]) since 60.0 s"))
        #expect(events.allSatisfy { $0.regions.isEmpty && $0.validatorsReassigned == 2 })
        let final = result.sharding.shards[1].committee
        #expect(final.count == 4 && !final.contains(committee[0]) && !final.contains(committee[1]))
        #expect(result.sharding.shards.map(\.regions) == kept.sharding.shards.map(\.regions), "the shards keep their regions")
        let lastBlock = try #require(result.blocks.filter { $0.shard == 2 }.map(\.committedAt).max())
        #expect(lastBlock.seconds > 145, "shard 2 finalizes to the end")
        #expect(outcomesAddUp(result))
        #expect(try runScenario(file: "shard-trades.yaml", overrides: lasting + crashes + ["sharding.reseat_after=20 s"]).digest
                == result.digest)
    }

    /// Two members of the East's shard crash for good just before it splits. The split keeps
    /// them seated, so the kept part's new chain cannot finalize. The liveness check used to look
    /// only at the chains current when the faults ended (here none is, after the split) and
    /// passed; it now also checks a chain a reshard started after them, from its first height.
    /// With `sharding.reseat_after` the two are replaced (16 validators leave four standing by
    /// after the split) and the shard is live.
    @Test func aChainAReshardStartsAfterTheFaultsIsCheckedForLiveness() throws {
        let sixteen = ["validators.count=16"]
        let committee = try #require(try runScenario(overrides: sixteen + ["run.duration=20 s"]).sharding.shards.first?.committee)
        let crashes = sixteen + ["faults.crashes=[{node: \(committee[0]), at: 70 s}, {node: \(committee[1]), at: 70 s}]",
                                 "liveness.bound=40 s"]
        let result = try runScenario(overrides: crashes)
        let split = try #require(result.sharding.events.first)
        #expect(split.action == .split && split.time.seconds > 70)
        #expect(result.violations.map(\.invariant) == ["liveness"])
        #expect(result.violations.first?.detail.contains("finalized past height 0 on shard 1") == true, "\(result.violations)")

        let reseated = try runScenario(overrides: crashes + ["sharding.reseat_after=10 s"])
        #expect(reseated.violations.isEmpty, "\(reseated.violations)")
        #expect(reseated.sharding.events.contains { $0.action == .reseat && $0.shards == [ShardID(1)] })
    }

    /// A validator standing by is down when the East's shard is due to split: with three left
    /// for the new shard's committee of four, the split waits for its restart and the report
    /// counts the windows it was held back.
    @Test func aCrashedStandbyValidatorHoldsTheSplitBackUntilItRestarts() throws {
        let committees = try runScenario(overrides: ["run.duration=20 s"]).sharding.shards.flatMap(\.committee)
        let standby = try #require((0..<12).first { !committees.contains($0) })
        let result = try runScenario(overrides: ["faults.crashes=[{node: \(standby), at: 70 s, restart: 100 s}]"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let split = try #require(result.sharding.events.first)
        #expect(split.action == .split && split.time.seconds >= 100)
        #expect(result.sharding.heldBackSplits.withoutValidators > 0)
        #expect(result.sharding.shards.allSatisfy { $0.committee.count == 4 })
        #expect(outcomesAddUp(result))
    }

    /// With a mempool limit the surge's overflow is refused at admission as `mempool_full` and
    /// counted, where without one nothing is refused: no refused transaction was admitted
    /// anywhere, every transaction still ends once, and the split keeps every invariant.
    @Test func aMempoolLimitRefusesTheSurgesOverflowAndKeepsEveryInvariant() throws {
        let limit = 40
        let result = try runScenario(overrides: ["consensus.mempool_limit=\(limit)"])
        #expect(result.violations.isEmpty, "\(result.violations)")
        #expect(outcomesAddUp(result))
        #expect(result.sharding.events.map(\.action) == [.split])
        var refused = 0
        for index in 0..<result.transactions.count {
            guard case .rejected(let reason) = result.transactions.outcome(at: index) else { continue }
            #expect(reason == .mempoolFull)
            #expect(result.transactions.time(of: .admission, at: index) == nil)
            refused += 1
        }
        #expect(refused > 1_000)
        // Every committee filled its pools to the limit; only relayed cross-shard steps and
        // settlements, which a full pool still takes, went past it.
        for shard in result.sharding.shards {
            #expect(shard.mempoolPeak >= limit && shard.mempoolPeak < limit + 10, "shard \(shard.shard): \(shard.mempoolPeak)")
        }
    }

    @Test func theSurgeRunIsDeterministic() throws {
        #expect(try runScenario().digest == runScenario().digest)
    }
}
