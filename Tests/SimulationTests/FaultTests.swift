import Consensus
import GridCore
import Node
import Scenario
import Simulation
import Testing

func loadScenario(_ name: String, overrides: [String] = []) throws -> Scenario {
    try ScenarioLoader.load(path: scenarioPath(name), overrides: overrides)
}

func run(_ name: String, seed: UInt64, mutation: Mutation? = nil, overrides: [String] = []) throws -> RunResult {
    Simulator(scenario: try loadScenario(name, overrides: overrides), seed: seed, costProfile: .reference,
              mutation: mutation).run()
}

@Suite struct FaultScenarioTests {
    @Test(arguments: ["byzantine-equivocation.yaml", "consensus-partition.yaml", "crash-restart.yaml",
                      "byzantine-amnesia.yaml"])
    func faultScenariosStaySafeAndLive(name: String) throws {
        for seed in UInt64(1)...2 {
            let result = try run(name, seed: seed)
            #expect(result.violations.isEmpty, "\(name) seed \(seed): \(result.violations)")
            // 60 simulated seconds of 1 s blocks; equivocation rounds cost the most (25 to 50 heights
            // over seeds 1...30), and the liveness checker holds the strict bound.
            #expect(result.blocks.count > 20, "\(name) seed \(seed) finalizes")
        }
    }

    /// The scenario module cannot see the node's behaviours, so it writes their names again; a
    /// name the node lacked would stop the run on a precondition.
    @Test func theScenarioSchemaAdmitsExactlyTheNodesByzantineBehaviours() {
        #expect(ScenarioSchema.byzantineBehaviours == ByzantineBehaviour.allCases.map(\.rawValue))
    }

    @Test func equivocatorsAreCaughtAndSlashed() throws {
        let result = try run("byzantine-equivocation.yaml", seed: 1)
        #expect(result.consensus.evidenceDetected > 0)
        #expect(result.consensus.equivocationsCommitted > 0)
        #expect(result.consensus.slashed == 2)
        #expect(result.consensus.activeValidators == 5)
    }

    @Test func crashesLoseUnsyncedBlocksAndRestartsReplayTheRest() throws {
        let result = try run("crash-restart.yaml", seed: 1)
        #expect(result.consensus.crashes == 3 && result.consensus.restarts == 3)
        #expect(result.consensus.blocksReplayed > 0, "restarted validators replay their synced blocks")
        #expect(result.blocks.contains { $0.round > 0 }, "a crashed proposer costs a round")
    }

    /// Validator 0 is down from 40 s to 42 s, when the grid operators send their 40 s meter
    /// readings and a participant an order to it. Each client finds it down and sends the
    /// transaction to the next validator, so nothing submitted well before the end is left
    /// waiting unadmitted (before, those four stayed pending to the end).
    @Test func submissionsToACrashedValidatorGoToTheNextOne() throws {
        let result = try run("crash-restart.yaml", seed: 1)
        #expect(result.load.redirectedSubmissions == 4)
        let tracker = result.transactions
        let lastSecond = result.endTime.nanoseconds - SimDuration.seconds(1).nanoseconds
        let neverAdmitted = tracker.submittedNanos.indices.filter {
            tracker.submittedNanos[$0] < lastSecond && tracker.time(of: .admission, at: $0) == nil
        }
        #expect(neverAdmitted.isEmpty, "submitted at \(neverAdmitted.map { tracker.submittedNanos[$0] })")
        let aroundCrash = tracker.submittedNanos.indices.filter {
            (40_000_000_000..<42_000_000_000).contains(tracker.submittedNanos[$0])
        }
        #expect(aroundCrash.count >= 4 && aroundCrash.allSatisfy { tracker.outcome(at: $0) == .accepted })
    }

    /// Validator 0 is cut off from its peers from 5 s and crashes at 20 s: it admitted what its
    /// clients sent meanwhile but could not pass it on, and the crash lost it. Each client sees
    /// its connection reset and sends its transaction, not final yet, to the next validator;
    /// before, the three meter readings of 10 s stayed pending to the end.
    @Test func transactionsOnlyACrashedValidatorHeldAreSentAgain() throws {
        let result = try run("crash-restart.yaml", seed: 1, overrides: [
            "faults.partitions=[{start: 5 s, heal: 40 s, groups: [[0], [1, 2, 3, 4, 5, 6]]}]",
            "faults.crashes=[{node: 0, at: 20 s, restart: 45 s}]", "faults.pauses=[]",
        ])
        #expect(result.violations.isEmpty, "\(result.violations)")
        let tracker = result.transactions
        let cutOff = tracker.submittedNanos.indices.filter { (5_000_000_000..<20_000_000_000).contains(tracker.submittedNanos[$0]) }
        #expect(cutOff.count > 3 && cutOff.allSatisfy { tracker.outcome(at: $0) == .accepted })
        let tenSecondsBeforeTheEnd = result.endTime.nanoseconds - SimDuration.seconds(10).nanoseconds
        let stillPending = tracker.submittedNanos.indices.filter {
            tracker.submittedNanos[$0] < tenSecondsBeforeTheEnd && tracker.outcome(at: $0) == .pending
        }
        #expect(stillPending.isEmpty, "submitted at \(stillPending.map { tracker.submittedNanos[$0] })")
    }

    @Test func partitionsDropMessagesAndHalt() throws {
        let result = try run("consensus-partition.yaml", seed: 1)
        #expect(result.consensus.messagesDropped > 0)
        // Nothing may be finalized while 3 | 4 split (10 s to 25 s): neither side has > 2/3.
        let duringSplit = result.blocks.filter {
            $0.committedAt > SimTime.zero + .seconds(11) && $0.committedAt < SimTime.zero + .seconds(25)
        }
        #expect(duringSplit.isEmpty)
    }

    /// Rollbacks of blocks that did not finalize, failed blocks, restarts that replay storage,
    /// equivocating twins and reshards all go through the shared execution cache; none of them
    /// may change an outcome.
    @Test(arguments: ["byzantine-equivocation.yaml", "consensus-partition.yaml", "crash-restart.yaml",
                      "shard-surge.yaml", "swarm.yaml"])
    func sharingBlockExecutionChangesNothingUnderFaults(name: String) throws {
        let scenario = try loadScenario(name, overrides: name == "shard-surge.yaml" ? ["sharding.cross_shard=20 %"] : [])
        let alone = Simulator(scenario: scenario, seed: 3, costProfile: .reference, sharingExecution: false).run()
        let shared = Simulator(scenario: scenario, seed: 3, costProfile: .reference, sharingExecution: true).run()
        #expect(shared.executionStepsReused > 0)
        #expect(shared.digest == alone.digest, "\(name)")
        #expect(shared.events == alone.events, "\(name)")
        #expect(shared.violations.map(\.invariant) == alone.violations.map(\.invariant), "\(name)")
        #expect(shared.nodeBusyNanos == alone.nodeBusyNanos, "\(name)")
    }

    /// Swarm seeds that stalled for good before validators relayed votes: an equivocator kept
    /// the honest validators' views of a polka apart (137, 142, 169), and a partition left part
    /// of the committee a round behind the rest (5 and 7, with relays of the current round only).
    /// Drawn without shards, as they were when they stalled.
    @Test(arguments: [UInt64(5), 7, 137, 142, 169])
    func swarmSeedsThatStalledFinalizeAgainAfterTheirFaults(seed: UInt64) throws {
        var unsharded = try loadScenario("swarm.yaml")
        unsharded.swarm.shards = 1...1
        let (scenario, _) = SwarmDraw.apply(to: unsharded, seed: seed)
        let result = Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.detail))")
        let lastCommit = try #require(result.blocks.last).committedAt
        #expect(lastCommit > scenario.faults.end + .seconds(30), "last block at \(lastCommit), faults ended \(scenario.faults.end)")
    }

    /// Swarm seed 2408 broke liveness while each round drew its proposer afresh: the equivocating
    /// validator of a four-validator shard was drawn for rounds 3 to 7 of one height. Drawn
    /// without replacement it proposes one round of each four, and every height is decided
    /// within its committee's first cycle of rounds.
    @Test func aFaultyProposerCannotHoldAHeightThroughARunOfDraws() throws {
        let (scenario, _) = SwarmDraw.apply(to: try loadScenario("swarm.yaml"), seed: 2408)
        #expect(scenario.sharding?.committee == 4)
        #expect(scenario.faults.byzantine.contains { $0.behaviour == "equivocation" })
        let result = Simulator(scenario: scenario, seed: 2408, costProfile: .reference).run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.detail))")
        let rounds = result.blocks.map(\.round)
        #expect(rounds.contains { $0 > 0 }, "the equivocator costs rounds")
        #expect(rounds.allSatisfy { $0 < 4 }, "largest round \(rounds.max() ?? 0)")
    }

    /// Swarm seed 11803 broke agreement: shard 1 split while one of its four members was down,
    /// the old shard's next committee was seated from its three members that were up, and its
    /// equivocating member and one honest validator then held more than 2/3 of that committee's
    /// stake, so two honest validators finalized different blocks at height 6. The crashed
    /// member now keeps its seat (it rejoins when it restarts) and every committee is full.
    @Test func aSplitWhileAMemberIsDownSeatsAFullCommitteeAndKeepsAgreement() throws {
        let (scenario, _) = SwarmDraw.apply(to: try loadScenario("swarm.yaml"), seed: 11803)
        let sharding = try #require(scenario.sharding)
        #expect(sharding.committee == 4)
        #expect(scenario.faults.byzantine.map(\.behaviour) == ["equivocation"])
        let crash = try #require(scenario.faults.crashes.first)
        let result = Simulator(scenario: scenario, seed: 11803, costProfile: .reference).run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.detail))")
        let split = try #require(result.sharding.events.first { $0.action == .split })
        #expect(split.time > crash.at && split.time < crash.restart!, "the split falls in the crash")
        let kept = try #require(result.sharding.shards.first { $0.shard == split.shards[0] })
        #expect(kept.committee.contains(crash.node), "\(kept.committee)")
        #expect(result.sharding.shards.allSatisfy { $0.committee.count == 4 }, "\(result.sharding.shards.map(\.committee))")
    }

    /// Sharded swarm seeds whose autoscaler splits and merges while validators crash (27, 50) or
    /// a partition and an equivocator strike (5): every checker holds, including conservation
    /// across each reshard and across shards, every lock ends delivered, refunded or visibly in
    /// flight, and every shard finalizes again after the faults.
    @Test(arguments: [UInt64(5), 27, 50])
    func shardedSwarmSeedsReshardUnderFaultsAndKeepEveryInvariant(seed: UInt64) throws {
        let (scenario, _) = SwarmDraw.apply(to: try loadScenario("swarm.yaml"), seed: seed)
        let sharding = try #require(scenario.sharding)
        #expect(sharding.autoscaler.enabled)
        let result = Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.detail))")
        let actions = result.sharding.events.map(\.action)
        #expect(actions.contains(.split), "\(actions)")
        #expect(actions.contains(.merge), "\(actions)")
        let locks = result.sharding.crossShard
        #expect(locks.locked > 0)
        #expect(locks.locked == locks.delivered + locks.refunded + locks.awaitingCredit + locks.awaitingSettlement)
        let lastCommit = try #require(result.blocks.last).committedAt
        #expect(lastCommit > scenario.faults.end + .seconds(30))
    }

    @Test func faultyRunsAreDeterministic() throws {
        let first = try run("crash-restart.yaml", seed: 4)
        let second = try run("crash-restart.yaml", seed: 4)
        #expect(first.digest == second.digest)
        #expect(first.events == second.events)
    }

    @Test func losingMoreThanAThirdOfStakeBreaksLiveness() throws {
        let result = try run("crash-restart.yaml", seed: 1, overrides: [
            "faults.crashes=[{node: 1, at: 10 s}, {node: 2, at: 10 s}, {node: 3, at: 10 s}]",
            "faults.pauses=[]", "faults.clogs=[]",
        ])
        #expect(result.violations.map(\.invariant) == ["liveness"])
        #expect(result.violations.first?.kind == .liveness)
    }
}

/// The harness must be able to fail: a deliberately broken protocol or cross-shard rule is caught.
@Suite struct MutationTests {
    @Test func quorumHalfBreaksSafetyWhereTheRealProtocolHolds() throws {
        var broken: [UInt64] = []
        for seed in UInt64(1)...6 {
            let real = try run("byzantine-equivocation.yaml", seed: seed)
            #expect(real.violations.isEmpty, "the real protocol holds on seed \(seed)")
            let mutated = try run("byzantine-equivocation.yaml", seed: seed, mutation: .consensus(.quorumHalf))
            if let violation = mutated.violations.first {
                #expect(violation.kind == .safety)
                broken.append(seed)
            }
        }
        #expect(!broken.isEmpty, "a sweep finds the safety violation")
    }

    /// Seed 37 of `byzantine-amnesia`: a lost precommit lets validator 1 finalize X in round 0
    /// while validator 2 only locks on it; validator 0, which saw no polka, proposes a fresh block
    /// in round 1, and the validator that forgets its locks prevotes for it. Locks keep the real
    /// protocol to one block; ignoring them, validators 0 and 1 finalize different blocks.
    @Test func noLockForksUnderAValidatorThatForgetsItsLocksWhereTheRealProtocolHolds() throws {
        let real = try run("byzantine-amnesia.yaml", seed: 37)
        #expect(real.violations.isEmpty)
        #expect(real.consensus.evidenceDetected == 0, "an amnesia validator signs nothing twice")
        let mutated = try run("byzantine-amnesia.yaml", seed: 37, mutation: .consensus(.noLock))
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "agreement" && violation.height == 37)
        #expect(violation.nodes.map(\.rawValue).sorted() == [0, 1])
    }

    /// An amnesia validator that also aims its first round's messages (`split-amnesia`: one peer
    /// left out of its proposal and prevotes, its precommit to one other peer alone, and staying
    /// at the height) makes the fork that ignoring locks allows far likelier: seed 17 forks at
    /// height 8 under `no-lock`, where plain amnesia does not fork at all; the real protocol
    /// holds against both, and neither leaves evidence.
    @Test func anAmnesiaValidatorThatSplitsItsFirstRoundForksNoLockWhereTheRealProtocolHolds() throws {
        let split = ["faults.byzantine=[{node: 3, behaviour: split-amnesia}]"]
        let real = try run("byzantine-amnesia.yaml", seed: 17, overrides: split)
        #expect(real.violations.isEmpty)
        #expect(real.consensus.evidenceDetected == 0, "it signs nothing twice")
        let mutated = try run("byzantine-amnesia.yaml", seed: 17, mutation: .consensus(.noLock), overrides: split)
        let violation = try #require(mutated.violations.first)
        #expect(violation.invariant == "agreement" && violation.height == 8)
        #expect(try run("byzantine-amnesia.yaml", seed: 17, mutation: .consensus(.noLock)).violations.isEmpty,
                "plain amnesia does not fork this seed")
    }

    /// The same fork in a shard: `shard-trades` with validator 1 amnesiac and the amnesia file's
    /// network and rounds. Heights are per chain there, so the violation names the shard.
    @Test func aForkInAShardNamesTheShard() throws {
        let overrides = ["faults.byzantine=[{node: 1, behaviour: amnesia}]", "network.loss=15 %",
                         "network.reordering=300 ms", "consensus.block_interval=250 ms", "consensus.timeout_propose=500 ms",
                         "consensus.timeout_prevote=250 ms", "consensus.timeout_precommit=250 ms",
                         "consensus.timeout_delta=100 ms"]
        let real = try run("shard-trades.yaml", seed: 28, overrides: overrides)
        #expect(real.violations.isEmpty)
        let mutated = try run("shard-trades.yaml", seed: 28, mutation: .consensus(.noLock), overrides: overrides)
        let violation = try #require(mutated.violations.first)
        #expect(violation.invariant == "agreement" && violation.height == 84)
        #expect(violation.detail.hasSuffix(" on shard 2"), "\(violation.detail)")
    }

    /// Validator 1 of `smoke` proposes blocks that spend an input twice. Honest validators
    /// execute a proposal before voting and refuse those; voting without executing, they
    /// finalize one, which the checker finds does not apply.
    @Test func votingWithoutExecutingFinalizesABlockThatDoesNotApply() throws {
        let overrides = ["faults.byzantine=[{node: 1, behaviour: invalid-proposals}]"]
        let real = try run("smoke.yaml", seed: 1, overrides: overrides)
        #expect(real.violations.isEmpty)
        #expect(real.blocks.allSatisfy { $0.proposer.index != 1 || $0.transactionCount == 0 },
                "only its empty blocks, which it cannot forge, are finalized")
        let mutated = try run("smoke.yaml", seed: 1, mutation: .consensus(.noBlockCheck), overrides: overrides)
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "validity" && violation.height == 7)
        #expect(violation.detail.hasSuffix("double_spend_in_block"), "\(violation.detail)")
    }

    /// Validators that execute a block at their own clock instead of its timestamp. `smoke`'s
    /// call auction clears every 10 s slot, and a validator executes a proposal when it
    /// validates it: block 20 reaches the replicas around the 20 s boundary, so those that run
    /// it after the boundary clear a slot that the others leave open, and their state roots
    /// part. The real protocol executes at the block's timestamp, the same on every replica.
    @Test func validatorsExecutingAtTheirOwnClocksPartAtASlotBoundary() throws {
        let real = try run("smoke.yaml", seed: 1)
        #expect(real.violations.isEmpty)
        let mutated = try run("smoke.yaml", seed: 1, mutation: .consensus(.localClock))
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "state-agreement" && violation.height == 20)
        #expect(violation.detail.contains("has state root"), "\(violation.detail)")
        let slower = try run("smoke.yaml", seed: 1, mutation: .consensus(.localClock), overrides: ["market.slot=30 s"])
        #expect(slower.violations.first?.invariant == "state-agreement" && slower.violations.first?.height == 30,
                "the first part moves with the slot boundary")
    }

    /// `shard-surge` splits the East off at 75 s. A split that leaves the moved orders' escrow
    /// with the kept shard is caught at once, in both new states.
    @Test func aSplitThatLeavesEscrowBehindBreaksReshardConservation() throws {
        let real = try run("shard-surge.yaml", seed: 1)
        #expect(real.violations.isEmpty)
        #expect(real.sharding.events.map(\.action) == [.split])
        let mutated = try run("shard-surge.yaml", seed: 1, mutation: .exchange(.splitKeepsEscrow))
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "reshard-conservation")
        #expect(violation.time == real.sharding.events.first?.time)
        #expect(violation.detail.hasPrefix("shard 1's new state: payment") && violation.detail.contains("; shard 3's new state: payment"),
                "\(violation.detail)")
    }

    /// A destination that credits transfers without recording the import: the ledger audit of
    /// every 20th block finds the shard holding more than its books say.
    @Test func aCreditLeftOutOfTheBooksBreaksConservation() throws {
        let real = try run("shard-trades.yaml", seed: 1)
        #expect(real.violations.isEmpty && real.sharding.crossShard.delivered > 0)
        let mutated = try run("shard-trades.yaml", seed: 1, mutation: .exchange(.creditUnrecorded))
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "conservation" && violation.height == 20)
        #expect(violation.detail.hasPrefix("payment (µtoken): unspent") && violation.detail.hasSuffix(" on shard 2"),
                "\(violation.detail)")
    }

    /// The same mutation in a run that ends before that audit's first block: the check at the
    /// run's end finds the shards' net imports short of what the transfers credited hold.
    @Test func aCreditLeftOutOfTheBooksBreaksCrossShardConservationAtTheRunsEnd() throws {
        let overrides = ["run.duration=15 s"]
        let real = try run("shard-trades.yaml", seed: 1, overrides: overrides)
        #expect(real.violations.isEmpty)
        #expect(real.sharding.crossShard.delivered + real.sharding.crossShard.awaitingSettlement > 0)
        let mutated = try run("shard-trades.yaml", seed: 1, mutation: .exchange(.creditUnrecorded), overrides: overrides)
        #expect(mutated.violations.count == 1)
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "cross-shard-conservation")
        #expect(violation.time == .zero + .seconds(15))
        #expect(violation.detail.hasPrefix("shards imported − exported energy 0 Wh, payment -"), "\(violation.detail)")
    }

    /// With 3 s deadlines in `shard-trades`, credits made in time are often settled at home
    /// after the deadline. A source that goes by its own clock refunds them too; the relay's
    /// check sees the lock settle against the destination's outcome.
    @Test func aSourceSettlingByItsOwnClockBreaksCrossShardAtomicity() throws {
        let overrides = ["sharding.cross_shard_deadline=3 s"]
        let real = try run("shard-trades.yaml", seed: 1, overrides: overrides)
        #expect(real.violations.isEmpty)
        #expect(real.sharding.crossShard.delivered > 0 && real.sharding.crossShard.refunded == 0, "every credit was in time")
        let mutated = try run("shard-trades.yaml", seed: 1, mutation: .exchange(.settleOwnClock), overrides: overrides)
        let violation = try #require(mutated.violations.first)
        #expect(violation.kind == .safety && violation.invariant == "cross-shard-atomicity")
        #expect(violation.detail.hasSuffix("settled as refunded against the destination's outcome"), "\(violation.detail)")
    }
}
