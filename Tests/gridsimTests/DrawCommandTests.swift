import Foundation
import TestSupport
import Testing

@Suite struct DrawCommandTests {
    /// The digest of `report.json` in `folder`.
    private func digest(_ folder: String) throws -> String {
        let manifest = try #require(try CLI.json(folder + "/report.json")["manifest"] as? [String: Any])
        return try #require(manifest["digest"] as? String)
    }

    static let sharded = ["--set", "swarm.shards=[2, 3]", "--set", "swarm.autoscaler=100 %"]

    /// A swarm seed's draw written as a plain scenario runs to the swarm run's digest: every
    /// drawn value (validators and stakes, Byzantine validators, crashes, partitions, loss,
    /// rates, shards and autoscaler) is written exactly. Seeds as the sweeps draw them: plain,
    /// sharded and autoscaled under crashes, under Byzantine validators and partitions, and
    /// under crashes with `sharding.reseat_after` (seed 8 reseats three times).
    @Test(arguments: [
        ("1", [String]()),
        ("3007", sharded + ["--set", "swarm.crashes=[1, 3]"]),
        ("2513", sharded + ["--set", "swarm.byzantine=[1, 3]", "--set", "swarm.partitions=[1, 2]"]),
        ("8", sharded + ["--set", "swarm.crashes=[1, 3]", "--set", "sharding.reseat_after=1 s"]),
    ])
    func aDrawnSeedRunsToTheSwarmRunsDigest(seed: String, overrides: [String]) throws {
        let folder = try ScratchFolder.make().path
        let swarm = try CLI.run(["run", "Scenarios/swarm.yaml", "--seed", seed, "--out", folder + "/swarm", "--quiet"] + overrides)
        #expect(swarm.status == 0, "\(swarm.stderr)")

        let drawn = folder + "/drawn/seed.yaml"
        let draw = try CLI.run(["draw", "Scenarios/swarm.yaml", "--seed", seed, "--out", drawn] + overrides)
        #expect(draw.status == 0, "\(draw.stderr)")
        let text = try String(contentsOfFile: drawn, encoding: .utf8)
        #expect(!text.contains("\nswarm:") && text.contains("  seed: \(seed)\n"))
        #expect(text.contains("\nsharding:") == !overrides.isEmpty, "the sharded draws write their shards")
        let validate = try CLI.run(["validate", drawn])
        #expect(validate.status == 0 && validate.stderr.isEmpty, "\(validate.stderr)")

        let plain = try CLI.run(["run", drawn, "--out", folder + "/plain", "--quiet"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try digest(folder + "/plain") == digest(folder + "/swarm"))
        if overrides.contains("sharding.reseat_after=1 s") {
            #expect(text.contains("\n  reseat_after: 1000000000 ns\n"))
            #expect(try String(contentsOfFile: folder + "/swarm/report.json", encoding: .utf8).contains("\"action\" : \"reseat\""))
        }
    }

    /// The grid data file, cost profile and load trace the scenario names are named relative to
    /// the written file, wherever it goes.
    @Test func theFilesADrawnScenarioNamesAreRelativeToIt() throws {
        let folder = try ScratchFolder.make().path + "/deep/er"
        let draw = try CLI.run(["draw", "Scenarios/swarm.yaml", "--seed", "1", "--set", "cost_profile=profiles/host.json",
                                "--set", "load.trace=arrivals.csv", "--out", folder + "/seed.yaml"])
        #expect(draw.status == 0, "\(draw.stderr)")
        let lines = try String(contentsOfFile: folder + "/seed.yaml", encoding: .utf8).split(separator: "\n")
        for (key, file) in [("data", "data/thai-grid.yaml"), ("cost_profile", "profiles/host.json"), ("trace", "arrivals.csv")] {
            let line = try #require(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ": ") })
            let written = String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
            #expect(URL(fileURLWithPath: folder).appendingPathComponent(written).standardizedFileURL.path
                    == CLI.packageRoot.appendingPathComponent("Scenarios/" + file).standardizedFileURL.path, "\(line)")
        }
    }

    @Test func aPlainScenarioHasNothingToDraw() throws {
        let out = try ScratchFolder.make().appendingPathComponent("drawn.yaml").path
        let result = try CLI.run(["draw", "Scenarios/smoke.yaml", "--seed", "1", "--out", out])
        #expect(result.status == 2)
        #expect(result.stderr.contains("swarm mode is off"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// `shrink` takes a swarm seed as the plain scenario of its draw, and the shrunk file fails
    /// on its own.
    @Test func aSwarmSeedShrinksAsThePlainScenarioOfItsDraw() throws {
        let folder = try ScratchFolder.make().path
        let out = folder + "/shrunk.yaml"
        let shrink = try CLI.run(["shrink", "Scenarios/swarm.yaml", "--seed", "2", "--mutation", "quorum-half", "--out", out]
                                 + Self.sharded)
        #expect(shrink.status == 0, "\(shrink.stdout)\(shrink.stderr)")
        #expect(shrink.stdout.contains("before: 120 s simulated, 3 faults, 16 validators"), "\(shrink.stdout)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!written.contains("\nswarm:") && written.contains("\nsharding:"))
        let rerun = try CLI.run(["run", out, "--seed", "2", "--mutation", "quorum-half", "--out", folder + "/rerun", "--quiet"])
        #expect(rerun.status == 4, "the shrunk file fails on its own: \(rerun.stderr)")
        #expect(rerun.stderr.contains("invariant broken: safety invariant 'quorum'"))
    }
}
