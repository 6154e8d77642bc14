import Foundation
import TestSupport
import Testing

/// `runs.jsonl` without the wall-clock field, which differs from run to run.
private func runsWithoutWallTime(_ folder: String) throws -> [String] {
    let text = try String(contentsOfFile: folder + "/runs.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        object["wall_seconds"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

@Suite struct SweepCommandTests {
    @Test func slicesMergedEqualTheWholeSweep() throws {
        let root = try ScratchFolder.make().path
        let arguments = ["sweep", "Scenarios/byzantine-equivocation.yaml", "--seeds", "1...6", "--jobs", "2",
                         "--grid", "consensus.max_block_txs=500,1000"]
        let whole = try CLI.run(arguments + ["--out", root + "/whole"])
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        #expect(whole.stdout.contains("12 runs: 6 seeds × 2 parameter points; 0 failed"))
        #expect(whole.stdout.contains("seeds per hour"))
        var slices: [String] = []
        for slice in 0..<3 {
            let folder = root + "/slice-\(slice)"
            let result = try CLI.run(arguments + ["--shard", "\(slice)/3", "--out", folder])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try runsWithoutWallTime(folder).count == 4)
            slices.append(folder)
        }
        let merged = try CLI.run(["merge"] + slices + ["--out", root + "/merged", "--junit", root + "/junit.xml"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try runsWithoutWallTime(root + "/merged") == runsWithoutWallTime(root + "/whole"))
        #expect(try String(contentsOfFile: root + "/merged/summary.md", encoding: .utf8)
                == String(contentsOfFile: root + "/whole/summary.md", encoding: .utf8))
        let junit = try String(contentsOfFile: root + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("tests=\"12\" failures=\"0\""))

        // A slice of another sweep (other seeds at the same places) does not merge.
        let other = try CLI.run(arguments.map { $0 == "1...6" ? "7...12" : $0 } + ["--shard", "0/3", "--out", root + "/other"])
        #expect(other.status == 0, "\(other.stderr)")
        let mixed = try CLI.run(["merge", slices[0], root + "/other", "--out", root + "/mixed"])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("merge: the folders are different sweeps: run 0 is `gridsim run"), "\(mixed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/mixed/runs.jsonl"))
    }

    /// A sweep prints each warning of its scenario once, for the whole sweep and each grid point,
    /// not once a run.
    @Test func aSweepWarnsOnceOfAFieldItsRunsIgnore() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "1...2", "--set", "run.duration=10 s",
                                  "--set", "load.outstanding=3", "--grid", "load.controller=poisson,fixed,closed-loop",
                                  "--out", out])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("6 runs: 2 seeds × 3 parameter points; 0 failed"))
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains(": warning: ") }
        #expect(warnings == [
            "--set load.outstanding=3:0:0: warning: load.outstanding: the poisson controller ignores it (it is for the closed-loop controller)",
            "--set load.outstanding=3:0:0: warning: load.outstanding: the fixed controller ignores it (it is for the closed-loop controller)",
        ], "\(result.stderr)")
    }

    @Test func aSweepWithABrokenProtocolFindsTheFailureAndSaysHowToReproduceIt() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["sweep", "Scenarios/byzantine-equivocation.yaml", "--seeds", "1...4",
                                  "--mutation", "quorum-half", "--junit", out + "/junit.xml", "--out", out])
        #expect(result.status == 4, "the worst exit of the runs: a safety violation")
        #expect(result.stdout.contains("## Failures"))
        #expect(result.stdout.contains("reproduce: `gridsim run Scenarios/byzantine-equivocation.yaml --seed"))
        #expect(result.stdout.contains("--mutation quorum-half`"))
        let shrink = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("  shrink: `") },
                                  "each failure says how to shrink it")
        #expect(shrink.hasPrefix("  shrink: `gridsim shrink Scenarios/byzantine-equivocation.yaml --seed "))
        #expect(shrink.hasSuffix(" --mutation quorum-half --out shrunk/seed-\(shrink.split(separator: " ")[5]).yaml`"), "\(shrink)")
        let lines = try runsWithoutWallTime(out)
        #expect(lines.count == 4)
        let failed = lines.filter { $0.contains("\"exit\":4") }
        #expect(!failed.isEmpty)
        #expect(failed.allSatisfy { $0.contains("\"invariant\":\"safety ") })
        let kept = try FileManager.default.contentsOfDirectory(atPath: out + "/runs")
        #expect(kept.contains { $0.hasSuffix("stderr") }, "a failed run keeps its report and its error output")
        #expect(try String(contentsOfFile: out + "/junit.xml", encoding: .utf8).contains("<failure message=\"exit 4"))
        // Standard error names each failure as it finishes and counts the runs done.
        let progress = result.stderr.split(separator: "\n").filter { $0.hasPrefix("sweep: ") }
        #expect(progress.filter { $0.contains(" exited 4 (safety ") }.count == failed.count, "\(result.stderr)")
        #expect(progress.last?.hasPrefix("sweep: 4 of 4 runs, \(failed.count) failed, ") == true, "\(result.stderr)")
    }

    /// `--quiet` leaves out the progress lines, not the failures.
    @Test func aQuietSweepNamesOnlyItsFailures() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["sweep", "Scenarios/byzantine-equivocation.yaml", "--seeds", "1...2", "--quiet",
                                  "--mutation", "quorum-half", "--out", out])
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("sweep: seed ") && $0.contains(" exited ") }, "\(result.stderr)")
    }

    @Test func aSweepRunAgainFinishesWhatItHadNotRun() throws {
        let out = try ScratchFolder.make().path
        let first = try CLI.run(["sweep", "Scenarios/crash-restart.yaml", "--seeds", "1...2", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        // The same file named another way is the same sweep.
        let second = try CLI.run(["sweep", "./Scenarios//crash-restart.yaml", "--seeds", "1...4", "--out", out])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("2 runs already in"))
        #expect(second.stdout.contains("2 runs in"), "only the two missing seeds ran")
        #expect(try runsWithoutWallTime(out).count == 4)
        let scenarios = try String(contentsOfFile: out + "/runs.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0?["scenario"] as? String }
        #expect(scenarios == Array(repeating: "Scenarios/crash-restart.yaml", count: 4))
    }

    /// Another sweep's folder: its results are neither counted as this sweep's (seeds 1 and 2
    /// stood in for 3 and 4, unrun, when runs were matched by their place alone) nor dropped.
    @Test func aFolderHoldingAnotherSweepsRunsIsRefused() throws {
        let out = try ScratchFolder.make().path
        let first = try CLI.run(["sweep", "Scenarios/crash-restart.yaml", "--seeds", "1...2", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try runsWithoutWallTime(out)
        for other in [["--seeds", "3...4"], ["--seeds", "1...2", "--set", "run.duration=70 s"],
                      ["--seeds", "1...2", "--mutation", "quorum-half"]] {
            let again = try CLI.run(["sweep", "Scenarios/crash-restart.yaml"] + other + ["--out", out])
            #expect(again.status == 2, "\(other)")
            #expect(again.stderr.contains("runs.jsonl holds 2 runs that are not of this sweep"), "\(again.stderr)")
            #expect(again.stderr.contains("`gridsim run Scenarios/crash-restart.yaml --seed 1`"), "\(again.stderr)")
            #expect(try runsWithoutWallTime(out) == before)
        }
    }

    @Test func badSeedsOrShardsAreBadInput() throws {
        let out = try ScratchFolder.make().path
        #expect(try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "9...1", "--out", out]).status == 2)
        #expect(try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "1...2", "--shard", "3/3", "--out", out]).status == 2)
        #expect(try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "1...2", "--grid", "run.duration=", "--out", out]).status == 2)
        let jobs = try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "1...2", "--jobs", "0", "--out", out])
        #expect(jobs.status == 2 && jobs.stderr.contains("--jobs 0: at least one run at a time"), "\(jobs.stderr)")
        // Every 64-bit seed: the plan listed every run in memory and the machine ran out of it.
        let every = try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "0...18446744073709551615", "--out", out])
        #expect(every.status == 2 && every.stderr.contains("is more than 10000000 runs"), "\(every.stderr)")
        let points = try CLI.run(["sweep", "Scenarios/smoke.yaml", "--seeds", "1...5000000", "--grid", "load.tps=1,2,3", "--out", out])
        #expect(points.status == 2 && points.stderr.contains("over the --grid points is more than 10000000 runs"))
        #expect(!FileManager.default.fileExists(atPath: out + "/runs.jsonl"), "nothing ran")
    }
}

@Suite struct ShrinkCommandTests {
    /// A sweep under a broken protocol finds a failing seed; shrinking it keeps the invariant
    /// with fewer faults and less simulated time, and the small file fails on its own.
    @Test func aFailureFoundBySweepingShrinksAndStillFails() throws {
        let folder = try ScratchFolder.make().path
        // Slow blocks, so the failure comes 15 s in, after orders have arrived.
        let slow = ["--set", "consensus.block_interval=15 s", "--set", "participants[0].order_rate=0.5 /s"]
        let sweep = try CLI.run(["sweep", "Scenarios/byzantine-equivocation.yaml", "--seeds", "1...3",
                                 "--mutation", "quorum-half", "--out", folder + "/sweep"] + slow)
        #expect(sweep.status == 4)
        let failing = try String(contentsOfFile: folder + "/sweep/runs.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["exit"] as? Int == 4 }
        let seed = try #require(failing?["seed"] as? Int)
        let invariant = try #require(failing?["invariant"] as? String)

        let out = folder + "/small/shrunk.yaml"
        let shrink = try CLI.run(["shrink", "Scenarios/byzantine-equivocation.yaml", "--seed", String(seed),
                                  "--mutation", "quorum-half", "--out", out] + slow)
        #expect(shrink.status == 0, "\(shrink.stdout)\(shrink.stderr)")
        #expect(shrink.stdout.contains("before: 60 s simulated, 2 faults"))
        let after = try #require(shrink.stdout.split(separator: "\n").first { $0.hasPrefix("after:") })
        let seconds = try #require(Int(after.split(separator: " ")[1]))
        let faults = try #require(Int(after.split(separator: " ")[4]))
        #expect(seconds < 60 && faults < 2, "\(after)")
        let workload = try #require(shrink.stdout.split(separator: "\n").first { $0.hasPrefix("workload:") })
        let words = workload.split(separator: " ")
        let left = try #require(Int(words[4])), recorded = try #require(Int(words[9]))
        #expect(recorded > 0 && left < recorded, "arrivals made explicit and cut down: \(workload)")
        let arrivals = try String(contentsOfFile: folder + "/small/shrunk.arrivals.csv", encoding: .utf8)
        #expect(arrivals.hasPrefix("time_s,class,kind,participant,quantity_wh,price_micro_per_kwh,recipient,amount_micro,bid_region\n"))
        #expect(arrivals.split(separator: "\n").dropFirst().allSatisfy { !$0.split(separator: ",")[3].isEmpty },
                "every arrival names its participant")

        let rerun = try CLI.run(["run", out, "--seed", String(seed), "--mutation", "quorum-half",
                                 "--out", folder + "/rerun", "--trace", folder + "/rerun.trace"])
        #expect(rerun.status == 4, "the shrunk file fails on its own")
        let report = try CLI.json(folder + "/rerun/report.json")
        let violation = try #require((report["violations"] as? [[String: Any]])?.first)
        #expect("\(violation["kind"] as? String ?? "") \(violation["invariant"] as? String ?? "")" == invariant)
        let replay = try CLI.run(["replay", folder + "/rerun.trace"])
        #expect(replay.status == 0 && replay.stdout.contains("same digest"), "\(replay.stdout)\(replay.stderr)")
    }

    /// A run stressed with `load.tps` shrinks its rate too (halving a class's count or rates
    /// cannot lower it: every class is scaled to it). Making the arrivals explicit switches the
    /// load to the trace controller and drops the load fields it does not use, so the shrunk file
    /// reads without warnings. (With `load.tps` left in, when the trace controller still refused
    /// it, the shrinker took the refusal for a failure that needs the random arrivals.) A rate
    /// written with underscores, as YAML allows, is halved too.
    @Test(arguments: [(rate: "40", tps: 40), (rate: "1_000", tps: 1_000)])
    func aShrunkRunWithALoadRateLowersItAndStillReplaysItsArrivals(rate: String, tps: Int) throws {
        let folder = try ScratchFolder.make().path
        let out = folder + "/shrunk.yaml"
        let shrink = try CLI.run(["shrink", "Scenarios/byzantine-equivocation.yaml", "--seed", "1", "--mutation", "quorum-half",
                                  "--set", "consensus.block_interval=15 s", "--set", "load.tps=\(rate)", "--out", out])
        #expect(shrink.status == 0, "\(shrink.stdout)\(shrink.stderr)")
        let workload = try #require(shrink.stdout.split(separator: "\n").first { $0.hasPrefix("workload:") })
        #expect(workload.hasPrefix("workload: the load replays"), "\(workload)")
        let recorded = try #require(Int(workload.split(separator: " ")[9]))
        #expect(recorded < tps * 15 / 2, "the failure at 15 s is recorded at a lower rate than \(tps) a second: \(workload)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains("controller: trace") && !written.contains("tps:"))
        #expect(written.hasPrefix("# Shrunk by `gridsim shrink Scenarios/byzantine-equivocation.yaml --seed 1 "
            + "--set 'consensus.block_interval=15 s' --set load.tps=\(rate) --mutation quorum-half --out \(out)`"),
            "the header names every option the failure was found with")
        let validate = try CLI.run(["validate", out])
        #expect(validate.status == 0 && validate.stderr.isEmpty, "\(validate.stderr)")
        let rerun = try CLI.run(["run", out, "--seed", "1", "--mutation", "quorum-half", "--out", folder + "/rerun", "--quiet"])
        #expect(rerun.status == 4, "the shrunk file fails on its own")
    }

    /// A failure under a cost profile of its own shrinks under it, and the shrunk file names the
    /// profile (relative to itself) and the failing seed, so it fails with no option but the
    /// mutation.
    @Test func theShrunkFileNamesTheCostProfileAndTheSeedItFailedWith() throws {
        let folder = try ScratchFolder.make().path
        let profile = folder + "/profiles/host.json"
        let calibrate = try CLI.run(["calibrate", "--out", profile, "--iterations", "20"])
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        let out = folder + "/small/shrunk.yaml"
        let shrink = try CLI.run(["shrink", "Scenarios/byzantine-equivocation.yaml", "--seed", "2", "--mutation", "quorum-half",
                                  "--cost-profile", profile, "--out", out])
        #expect(shrink.status == 0, "\(shrink.stdout)\(shrink.stderr)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains("\ncost_profile: ../profiles/host.json\n"), "\(written)")
        #expect(written.contains("\n  seed: 2\n"))
        let rerun = try CLI.run(["run", out, "--mutation", "quorum-half", "--out", folder + "/rerun", "--quiet"])
        #expect(rerun.status == 4, "the shrunk file fails on its own")
        #expect(rerun.stderr.contains("reproduce: gridsim run \(out) --seed 2 --mutation quorum-half"), "\(rerun.stderr)")
    }

    @Test func aSeedThatDoesNotFailIsBadInput() throws {
        let out = try ScratchFolder.make().appendingPathComponent("never.yaml").path
        let result = try CLI.run(["shrink", "Scenarios/smoke.yaml", "--seed", "1", "--out", out])
        #expect(result.status == 2)
        #expect(result.stderr.contains("breaks no invariant"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

@Suite struct TraceCommandTests {
    @Test func aTraceReplaysToTheSameDigestAndTwoRunsTraceAlike() throws {
        let folder = try ScratchFolder.make().path
        for name in ["a", "b"] {
            let result = try CLI.run(["run", "Scenarios/crash-restart.yaml", "--seed", "3", "--out", folder + "/\(name)",
                                      "--trace", folder + "/\(name).trace", "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let trace = try String(contentsOfFile: folder + "/a.trace", encoding: .utf8)
        for kind in ["delivery", "vote", "proposal", "commit", "fault"] {
            #expect(trace.contains(" \(kind) n"), "the trace records \(kind)")
        }
        let replay = try CLI.run(["replay", folder + "/a.trace"])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("same digest"))
        let same = try CLI.run(["diverge", folder + "/a.trace", folder + "/b.trace"])
        #expect(same.status == 0 && same.stdout.contains("traces agree"))

        var lines = trace.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[41] = lines[41].replacingOccurrences(of: " h", with: " h9")
        try lines.joined(separator: "\n").write(toFile: folder + "/doctored.trace", atomically: true, encoding: .utf8)
        let diverged = try CLI.run(["diverge", folder + "/a.trace", folder + "/doctored.trace"])
        #expect(diverged.status == 1)
        #expect(diverged.stdout.contains("traces diverge at line 42"))
        #expect(diverged.stdout.contains(lines[41]))

        lines[lines.count - 2] = "# end digest=" + String(repeating: "0", count: 64) + " events=1"
        try lines.joined(separator: "\n").write(toFile: folder + "/wrong.trace", atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["replay", folder + "/wrong.trace"])
        #expect(wrong.status == 1 && wrong.stdout.contains("DIFFERENT digest"))
    }

    @Test func filtersKeepOnlyTheChosenNodesKindsAndHeights() throws {
        let folder = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--out", folder, "--quiet", "--trace", folder + "/t",
                                  "--trace-node", "1", "--trace-kind", "commit,vote", "--trace-heights", "5...9"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try String(contentsOfFile: folder + "/t", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
        #expect(!events.isEmpty)
        for line in events {
            let fields = line.split(separator: " ")
            #expect(fields[2] == "n1")
            #expect(["commit", "vote"].contains(fields[1]))
            #expect((5...9).contains(Int(fields[3].dropFirst()) ?? 0))
        }
        #expect(try CLI.run(["run", "Scenarios/smoke.yaml", "--out", folder, "--trace", folder + "/t",
                             "--trace-kind", "gossip"]).status == 2)
    }
}
