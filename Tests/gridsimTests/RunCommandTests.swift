import Foundation
import TestSupport
import Testing

@Suite struct RunCommandTests {
    @Test func smokeScenarioWritesAReportWhoseCountsAddUp() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--seed", "1", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("digest"))
        #expect(result.stdout.contains("\nload     Poisson open loop\n"), "\(result.stdout)")
        let report = try CLI.json(out + "/report.json")
        let manifest = try #require(report["manifest"] as? [String: Any])
        #expect(manifest["scenario"] as? String == "smoke")
        #expect(manifest["seed"] as? Int == 1)
        #expect((manifest["digest"] as? String)?.count == 64)
        let transactions = try #require(report["transactions"] as? [String: Any])
        let count = { (key: String) in transactions[key] as? Int ?? -1 }
        #expect(count("submitted") > 500)
        #expect(count("submitted") == count("accepted") + count("rejected") + count("pending"))
        let throughput = try #require(report["throughput"] as? [String: Any])
        #expect((throughput["tps"] as? Double ?? 0) > 10)
        #expect(FileManager.default.fileExists(atPath: out + "/report.md"))
        // The tool runs on the allocator it links: mimalloc serves the process's malloc.
        let harness = try #require(report["harness"] as? [String: Any])
        #expect((harness["allocator"] as? String)?.hasPrefix("mimalloc ") == true, "\(harness)")
    }

    /// The allocator `harness.allocator` names and the digest of a smoke run with `environment`.
    private func allocatorAndDigest(environment: [String: String]) throws -> (allocator: String?, digest: String?) {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--quiet"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try CLI.json(out + "/report.json")
        return ((report["harness"] as? [String: Any])?["allocator"] as? String,
                (report["manifest"] as? [String: Any])?["digest"] as? String)
    }

    @Test func largeOSPagesAreOnByDefaultAndChangeNoOutcome() throws {
        let large = try allocatorAndDigest(environment: [:])
        let small = try allocatorAndDigest(environment: ["MIMALLOC_LARGE_OS_PAGES": "0"])
        #expect(large.allocator?.contains(", large OS pages") == true, "\(large)")
        #expect(small.allocator?.contains("large") == false, "\(small)")
        #expect(large.digest != nil && large.digest == small.digest)
    }

    @Test func prefaultingIsOnByDefaultChangesNoOutcomeAndRejectsABadLead() throws {
        let byDefault = try allocatorAndDigest(environment: [:])
        let shorter = try allocatorAndDigest(environment: ["GRIDSIM_PREFAULT_MB": "64"])
        let off = try allocatorAndDigest(environment: ["GRIDSIM_PREFAULT_MB": "0"])
        // Where the host refuses the reservation, the run goes on without the thread and says so.
        let started = PrefaultingTests.reservationIsAllowed
        #expect(byDefault.allocator?.hasSuffix(", prefaulted 256 MiB ahead") == started, "\(byDefault)")
        #expect(shorter.allocator?.hasSuffix(", prefaulted 64 MiB ahead") == started, "\(shorter)")
        #expect(off.allocator?.contains("prefaulted") == false, "\(off)")
        #expect(byDefault.digest != nil && byDefault.digest == shorter.digest && byDefault.digest == off.digest)

        // Not a number, and a lead under one 32 MiB segment, which the thread could not keep.
        for setting in ["lots", "16"] {
            let out = try ScratchFolder.make().path
            let bad = try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--quiet"], environment: ["GRIDSIM_PREFAULT_MB": setting])
            #expect(bad.status == 2, "\(setting)")
            #expect(bad.stderr.contains("GRIDSIM_PREFAULT_MB: expected a whole number of MiB"), "\(bad.stderr)")
            #expect(bad.stderr.contains("got '\(setting)'"), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out + "/report.json"))
        }
    }

    /// A run long enough that its last allocations come from the prefaulting arena, which lies
    /// beyond mimalloc's segment map: the report still names mimalloc (it said "system malloc"
    /// when it asked mimalloc about such a block at the end of the run).
    @Test func aLongRunStillNamesTheAllocatorThatServedIt() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/shard-stress.yaml", "--set", "consensus.signatures=modelled",
                                  "--set", "run.duration=60 s", "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let harness = try #require(try CLI.json(out + "/report.json")["harness"] as? [String: Any])
        let allocator = try #require(harness["allocator"] as? String)
        #expect(allocator.hasPrefix("mimalloc "), "\(allocator)")
        #expect(allocator.hasSuffix(", prefaulted 256 MiB ahead") == PrefaultingTests.reservationIsAllowed, "\(allocator)")
    }

    @Test func theShardTradesReportCountsBidsTradesBetweenShardsAndEveryLock() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/shard-trades.yaml", "--set", "run.duration=40 s", "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try CLI.json(out + "/report.json")
        let crossShard = try #require(report["cross_shard"] as? [String: Any])
        let count = { (key: String) in crossShard[key] as? Int ?? -1 }
        #expect(count("bids") > 0 && count("trades") > 0 && count("sent_home") > 0, "\(crossShard)")
        #expect(count("traded_wh") > 0)
        #expect(count("locked") == count("delivered") + count("refunded") + count("awaiting_credit") + count("awaiting_settlement"))
        let market = try #require(report["market"] as? [String: Any])
        #expect(count("trades") <= market["trades"] as? Int ?? -1)
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(count("bids_refunded") == 0)
        #expect(markdown.contains("Cross-shard bids: \(count("bids")) locked into another shard's book (0 refunded, too late); \(count("trades")) trades"))
    }

    @Test func sameSeedGivesTheSameDigestInTwoProcessesAndAnotherSeedDoesNot() throws {
        func digest(seed: Int) throws -> String {
            let out = try ScratchFolder.make().path
            let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--seed", String(seed), "--out", out, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            let manifest = try #require(try CLI.json(out + "/report.json")["manifest"] as? [String: Any])
            return try #require(manifest["digest"] as? String)
        }
        let first = try digest(seed: 5)
        let second = try digest(seed: 5)
        let other = try digest(seed: 6)
        #expect(first == second)
        #expect(first != other)
    }

    /// The summary says which load the figures under it come from.
    @Test func theSummaryNamesAClosedLoopAndItsThinkTime() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=10 s", "--set", "load.controller=closed-loop",
                                  "--set", "load.outstanding=30", "--set", "load.think_time=1.5 s", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\nload     closed loop, 30 in flight, think time 1.50 s\n"), "\(result.stdout)")
    }

    /// A sharded run's summary shows what sharding did: each shard with its regions, throughput
    /// and finality, the autoscaler's changes, and how every lock ended.
    @Test func theSummaryOfAShardedRunShowsItsShardsReshardsAndLocks() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/shard-surge.yaml", "--set", "run.duration=90 s", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let shards = lines.filter { $0.hasPrefix("shard ") }
        #expect(shards.count == 3, "\(result.stdout)")
        #expect(shards.first?.hasPrefix("shard 1  bangkok · ") == true)
        #expect(shards.last?.hasPrefix("shard 3  east · ") == true && shards.last?.hasSuffix(" · from 75.00 s") == true)
        #expect(lines.contains("reshard  75.00 s split of shard 1 (east to shard 3)"), "\(result.stdout)")
        let cross = try #require(lines.first { $0.hasPrefix("cross    locked ") })
        let report = try CLI.json(out + "/report.json")
        let blocks = try #require(report["shards"] as? [[String: Any]]).compactMap { $0["blocks"] as? Int }
        #expect(blocks.count == 3)
        #expect(zip(shards, blocks).allSatisfy { $0.contains(" · \($1) blocks") }, "\(shards) \(blocks)")
        let total = try #require((report["consensus"] as? [String: Any])?["blocks"] as? Int)
        #expect(total == blocks.reduce(0, +))
        #expect(lines.contains { $0.hasPrefix("tps ") && $0.hasSuffix("   \(total) blocks over all shards") }, "\(result.stdout)")
        let section = try #require(report["cross_shard"] as? [String: Any])
        let locked = try #require(section["locked"] as? Int), delivered = try #require(section["delivered"] as? Int)
        #expect(locked > 0 && cross.hasPrefix("cross    locked \(locked) = delivered \(delivered) + refunded "), "\(cross)")
        let plain = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=10 s", "--out", try ScratchFolder.make().path])
        #expect(!plain.stdout.contains("\nshard ") && !plain.stdout.contains("\nreshard "), "nothing of shards without sharding")
        #expect(plain.stdout.split(separator: "\n").contains { $0.hasPrefix("tps ") && $0.contains("   height ") }, "\(plain.stdout)")
    }

    @Test func overridesAreListedInTheManifest() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=10 s", "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let manifest = try #require(try CLI.json(out + "/report.json")["manifest"] as? [String: Any])
        #expect(manifest["overrides"] as? [String] == ["run.duration=10 s"])
        #expect(manifest["simulated_seconds"] as? Double == 10)
    }

    /// A scenario written outside the project, with no grid data beside it, runs on the Thai grid
    /// compiled into the tool: the same outcome as the project's data file named explicitly, and
    /// the manifest says which it read.
    @Test func aScenarioWrittenAnywhereRunsOnTheBuiltInGrid() throws {
        let smoke = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent("Scenarios/smoke.yaml").path,
                               encoding: .utf8)
        let elsewhere = try CLI.scenarioFile(smoke)
        let builtIn = try ScratchFolder.make().path, named = try ScratchFolder.make().path
        let dataFile = CLI.packageRoot.appendingPathComponent("Scenarios/data/thai-grid.yaml").path
        let first = try CLI.run(["run", elsewhere, "--set", "run.duration=10 s", "--out", builtIn, "--quiet"])
        let second = try CLI.run(["run", elsewhere, "--set", "run.duration=10 s", "--set", "grid.data=\(dataFile)",
                                  "--out", named, "--quiet"])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        let builtInManifest = try #require(try CLI.json(builtIn + "/report.json")["manifest"] as? [String: Any])
        let namedManifest = try #require(try CLI.json(named + "/report.json")["manifest"] as? [String: Any])
        #expect(builtInManifest["grid_data"] as? String == "built-in thai-grid.yaml")
        #expect(namedManifest["grid_data"] as? String == dataFile)
        #expect(builtInManifest["grid_data_hash"] as? String == namedManifest["grid_data_hash"] as? String)
        #expect(builtInManifest["digest"] as? String == namedManifest["digest"] as? String)
        let validate = try CLI.run(["validate", elsewhere])
        #expect(validate.status == 0 && validate.stdout.hasSuffix("; grid data built-in thai-grid.yaml)\n"), "\(validate.stdout)")
        let missing = try CLI.run(["run", elsewhere, "--set", "grid.data=nowhere.yaml", "--out", try ScratchFolder.make().path])
        #expect(missing.status == 2 && missing.stderr.contains("grid.data: cannot read the grid data file"), "\(missing.stderr)")
    }

    /// A genesis no machine could hold (10¹¹ coins, 35 TB) is refused before the run starts, with
    /// the participants' line and no report, rather than killed by the kernel part way.
    @Test func aGenesisLargerThanTheMachinesMemoryIsRefusedBeforeTheRun() throws {
        let out = try ScratchFolder.make().appendingPathComponent("huge").path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "participants[0].count=10000000",
                                  "--set", "participants[0].coins=10000", "--out", out])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Scenarios/smoke.yaml:45:3: error: participants: the genesis holds 100000000106 coins"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func validateAcceptsTheSmokeScenario() throws {
        let result = try CLI.run(["validate", "Scenarios/smoke.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("ok"))
    }

    /// A load field the controller ignores is a located warning on standard error and in the
    /// report's manifest; the scenario still validates and runs.
    @Test func aFieldTheRunIgnoresIsAWarningThatDoesNotStopIt() throws {
        let validate = try CLI.run(["validate", "Scenarios/shard-trades.yaml", "--set", "load.controller=closed-loop"])
        #expect(validate.status == 0)
        #expect(validate.stdout.contains("ok"))
        #expect(validate.stderr.contains(
            "Scenarios/shard-trades.yaml:41:19: warning: load.daily_profiles: the closed-loop controller ignores it"),
                "\(validate.stderr)")

        let out = try ScratchFolder.make().path
        let run = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=10 s", "--set", "load.outstanding=3",
                               "--out", out, "--quiet"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("--set load.outstanding=3:0:0: warning: load.outstanding: the poisson controller ignores it"),
                "\(run.stderr)")
        let warning = "--set load.outstanding=3:0:0: warning: load.outstanding: the poisson controller ignores it"
            + " (it is for the closed-loop controller)"
        let manifest = try #require(try CLI.json(out + "/report.json")["manifest"] as? [String: Any])
        #expect(manifest["warnings"] as? [String] == [warning])
        #expect(try String(contentsOfFile: out + "/report.md", encoding: .utf8).contains("- `\(warning)`"))

        let clean = try ScratchFolder.make().path
        #expect(try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=10 s", "--out", clean, "--quiet"]).status == 0)
        let cleanManifest = try #require(try CLI.json(clean + "/report.json")["manifest"] as? [String: Any])
        #expect(cleanManifest["warnings"] as? [String] == [])
        #expect(try CLI.run(["validate", "Scenarios/smoke.yaml"]).stderr.isEmpty)
    }
}

@Suite struct BadInputTests {
    static let valid = """
    name: e2e
    run:
      duration: 3 s
    validators:
      count: 2
    participants:
      - class: solar
        count: 2
        region: bangkok
        tx_rate: 1 /s
    """

    /// Runs `gridsim run` on `text`, expecting exit code 2, no report, and a message naming
    /// the file, `line` and `field`.
    private func expectBadInput(_ text: String, line: Int, field: String,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try CLI.scenarioFile(text)
        let out = try ScratchFolder.make().appendingPathComponent("report").path
        let result = try CLI.run(["run", path, "--out", out])
        #expect(result.status == 2, "exit code", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("\(path):\(line):"), "names file and line: \(result.stderr)",
                sourceLocation: sourceLocation)
        #expect(result.stderr.contains(field), "names the field: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: out), "no report is written", sourceLocation: sourceLocation)
        let validate = try CLI.run(["validate", path])
        #expect(validate.status == 2, sourceLocation: sourceLocation)
    }

    @Test func badYAML() throws {
        try expectBadInput(Self.valid.replacingOccurrences(of: "count: 2\nparticipants", with: "count: [2\nparticipants"),
                           line: 6, field: "not valid YAML")
    }

    @Test func missingField() throws {
        try expectBadInput(Self.valid.replacingOccurrences(of: "  duration: 3 s\n", with: "  seed: 4\n"),
                           line: 2, field: "run.duration")
    }

    @Test func negativeRate() throws {
        try expectBadInput(Self.valid.replacingOccurrences(of: "1 /s", with: "-1 /s"),
                           line: 10, field: "participants[0].tx_rate")
    }

    @Test func unknownRegion() throws {
        try expectBadInput(Self.valid.replacingOccurrences(of: "region: bangkok", with: "region: chiang-mai"),
                           line: 9, field: "participants[0].region")
    }

    @Test func unreadableFile() throws {
        let result = try CLI.run(["run", "/nonexistent/scenario.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/scenario.yaml"))
    }

    @Test func badArgumentsAreBadInput() throws {
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--seed", "minus-one"])
        #expect(result.status == 2)
    }
}

@Suite struct InvariantExitCodeTests {
    @Test func aBrokenProtocolExitsFourWithTheReproduceCommand() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/byzantine-equivocation.yaml", "--seed", "2", "--mutation",
                                  "quorum-half", "--out", out])
        #expect(result.status == 4)
        #expect(result.stderr.contains("invariant broken: safety"))
        #expect(result.stderr.contains("reproduce: gridsim run Scenarios/byzantine-equivocation.yaml --seed 2 --mutation quorum-half"))
        #expect(result.stderr.contains(
            "shrink: gridsim shrink Scenarios/byzantine-equivocation.yaml --seed 2 --mutation quorum-half --out byzantine-equivocation-seed2.shrunk.yaml"),
                "\(result.stderr)")
        let violations = try #require(try CLI.json(out + "/report.json")["violations"] as? [[String: Any]])
        #expect(violations.first?["kind"] as? String == "safety")
    }

    @Test func lostLivenessExitsFive() throws {
        let result = try CLI.run(["run", "Scenarios/crash-restart.yaml", "--out", try ScratchFolder.make().path,
                                  "--set", "faults.crashes=[{node: 1, at: 10 s}, {node: 2, at: 10 s}, {node: 3, at: 10 s}]",
                                  "--set", "faults.pauses=[]", "--set", "faults.clogs=[]"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("liveness invariant 'liveness'"))
        #expect(result.stderr.contains("--set 'faults.crashes="))
    }

    @Test func aBrokenCrossShardRuleExitsFourAndTheReportNamesIt() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/shard-trades.yaml", "--set", "sharding.cross_shard_deadline=3s",
                                  "--mutation", "settle-own-clock", "--out", out])
        #expect(result.status == 4)
        #expect(result.stderr.contains("invariant broken: safety invariant 'cross-shard-atomicity' broken at 21.036 s, height 21, nodes n1: lock "),
                "\(result.stderr)")
        #expect(result.stderr.contains("--set sharding.cross_shard_deadline=3s --mutation settle-own-clock"))
        let consensus = try #require(try CLI.json(out + "/report.json")["consensus"] as? [String: Any])
        #expect(consensus["mutation"] as? String == "settle-own-clock")
    }

    @Test func anUnknownMutationIsBadInputAndTheKnownAreListed() throws {
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--mutation", "quorum-third"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("known: quorum-half, no-lock, no-block-check, local-clock, split-keeps-escrow, settle-own-clock, credit-unrecorded"), "\(result.stderr)")
    }
}
