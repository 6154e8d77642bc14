import Foundation
import GridCore
import Scenario
import TestSupport
import Testing

/// The scenario files in `Scenarios/`.
let libraryScenarios: [String] = {
    let folder = URL(fileURLWithPath: scenarioPath(""))
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted()
}()

/// Total participants per class over all entries (an entry with `regions` is one class per region).
func population(_ scenario: Scenario) -> [String: Int] {
    scenario.participants.reduce(into: [:]) { $0[$1.kind, default: 0] += $1.count }
}

@Suite struct ScenarioLibraryTests {
    @Test func theLibraryHoldsTheNamedScenarios() {
        for name in ["smoke.yaml", "thai-national-day.yaml", "bangkok-peak-hour.yaml", "seed-targets.yaml",
                     "consensus-partition.yaml", "byzantine-equivocation.yaml", "byzantine-amnesia.yaml",
                     "crash-restart.yaml", "swarm.yaml", "governance-block-size.yaml"] {
            #expect(libraryScenarios.contains(name), "Scenarios/\(name)")
        }
    }

    @Test(arguments: libraryScenarios)
    func validatesAndIsDocumentedAtItsTop(name: String) throws {
        let path = scenarioPath(name)
        let scenario = try ScenarioLoader.load(path: path)
        #expect(scenario.name + ".yaml" == name)
        #expect(!scenario.description.isEmpty)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("# \(name) — ") == true, "the first line names the file and says what it is")
        #expect(lines.prefix { $0.hasPrefix("#") }.count >= 4, "a header comment documents it")
    }

    @Test func seedTargetsTakesTheSeedsFiguresAsWritten() throws {
        let scenario = try ScenarioLoader.load(path: scenarioPath("seed-targets.yaml"))
        #expect(scenario.validators.count == 50)
        #expect(scenario.consensus.blockInterval == .milliseconds(9_800))
        #expect(scenario.consensus.maxBlockTransactions == 1_000)
        #expect(scenario.targets.map(\.text) == ["tps >= 1000", "admission.p99 < 50 ms"])
        let offered = scenario.participants.reduce(0.0) {
            $0 + Double($1.count) * ($1.orderRatePerSecond + $1.transferRatePerSecond)
        }
        #expect(abs(offered - 1_000) < 1e-9, "1,000 transactions a second offered")
    }

    @Test func theNationalDayIsTheSeedsPopulationForADay() throws {
        let scenario = try ScenarioLoader.load(path: scenarioPath("thai-national-day.yaml"))
        #expect(population(scenario) == ["solar": 1_247, "wind": 523, "industrial": 2_156, "residential": 15_678,
                                         "operator": 12])
        #expect(scenario.run.duration == .seconds(86_400))
        #expect(scenario.consensus.blockInterval == .milliseconds(9_800))
        #expect(Set(scenario.participants.map(\.region)) == Set(Region.allCases))
    }

    @Test func swarmTrueIsShortForEnabledWithTheDefaultRanges() throws {
        let scenario = try ScenarioLoader.parse(minimalScenario + "\nswarm: true\n", path: scenarioPath("s.yaml"))
        #expect(scenario.swarm.enabled)
        #expect(scenario.swarm.validators == 4...10)
        let off = try ScenarioLoader.parse(minimalScenario + "\nswarm: false\n", path: scenarioPath("s.yaml"))
        #expect(!off.swarm.enabled)
    }
}

@Suite struct RegionSpreadTests {
    @Test func regionsSpreadACountInProportionToPeakLoad() throws {
        let text = minimalScenario.replacingOccurrences(
            of: "    region: bangkok\n", with: "    regions: [bangkok, north, south]\n")
            .replacingOccurrences(of: "count: 5", with: "count: 1000")
        let scenario = try ScenarioLoader.parse(text, path: scenarioPath("spread.yaml"))
        #expect(scenario.participants.map(\.region) == [.bangkok, .north, .south])
        #expect(scenario.participants.map(\.count).reduce(0, +) == 1_000)
        #expect(scenario.participants.allSatisfy { $0.entry == 0 && $0.kind == "solar" })
        let peaks = [Region.bangkok, .north, .south].map { scenario.grid.topology[$0].peakLoadMW }
        for (participants, peak) in zip(scenario.participants, peaks) {
            let exact = 1_000 * peak / peaks.reduce(0, +)
            #expect(abs(Double(participants.count) - exact) < 1, "\(participants.region): \(participants.count) vs \(exact)")
        }
    }

    @Test func largestRemainderKeepsTheTotal() {
        #expect(Scenario.apportion(10, weights: [1, 1, 1]) == [4, 3, 3])
        #expect(Scenario.apportion(7, weights: [0, 2, 5]) == [0, 2, 5])
        #expect(Scenario.apportion(1, weights: [1, 3]) == [0, 1])
    }
}

@Suite struct ValidationErrorTests {
    /// A scenario problem: text appended to the minimal scenario, the field and line the message
    /// must name, and a fragment of the message.
    struct Case: CustomTestStringConvertible, Sendable {
        var appended: String
        var field: String
        var line: Int
        var message: String
        var testDescription: String { field + ": " + message }
    }

    // minimalScenario has 10 lines; appended text starts on line 12.
    static let cases: [Case] = [
        Case(appended: "consensus:\n  max_block_txs: many", field: "consensus.max_block_txs", line: 13,
             message: "expected a whole number"),
        Case(appended: "consensus:\n  max_block_txs: 0", field: "consensus.max_block_txs", line: 13,
             message: "out of range"),
        Case(appended: "consensus:\n  mempool_limit: 0", field: "consensus.mempool_limit", line: 13,
             message: "out of range"),
        Case(appended: "load:\n  daily_profiles: sometimes", field: "load.daily_profiles", line: 13,
             message: "true or false"),
        Case(appended: "load:\n  controler: fixed", field: "load.controler", line: 13, message: "did you mean 'controller'"),
        Case(appended: "load:\n  controller: bursty", field: "load.controller", line: 13, message: "one of poisson"),
        Case(appended: "load:\n  schedule:\n    - { at: 5, factor: 2 }", field: "load.schedule[0].at", line: 14,
             message: "needs a unit"),
        Case(appended: "load:\n  schedule:\n    - { at: 5 s, factor: 2 }\n    - { at: 2 s, factor: 1 }",
             field: "load.schedule", line: 14, message: "in time order"),
        Case(appended: "load:\n  controller: trace", field: "load.trace", line: 13, message: "needs a `trace` file"),
        Case(appended: "swarm:\n  validators: [10, 4]", field: "swarm.validators", line: 13,
             message: "a range is [low, high]"),
        Case(appended: "swarm:\n  loss: [1 %, 2 GB]", field: "swarm.loss[1]", line: 13, message: "not a unit of percent"),
        Case(appended: "swarm:\n  loss: [3 %, 1 %]", field: "swarm.loss", line: 13, message: "a range is [low, high]"),
        Case(appended: "swarm:\n  shards: [1, 6]", field: "swarm.shards[1]", line: 13, message: "out of range"),
        Case(appended: "swarm: maybe", field: "swarm", line: 12, message: "expected a mapping"),
        Case(appended: "network:\n  bandwidth: 100 Mbit", field: "network.bandwidth", line: 13,
             message: "not a unit of bandwidth"),
        Case(appended: "validators:\n  count: 2", field: "", line: 4, message: "duplicated key(s) validators"),
        Case(appended: "grid:\n  load_noise: 60 %", field: "grid.load_noise", line: 13, message: "out of range"),
        Case(appended: "faults:\n  crashes:\n    - { node: 7, at: 1 s }", field: "faults.crashes[0].node", line: 14,
             message: "validator 7 does not exist"),
        Case(appended: "targets:\n  - latency < 5 ms", field: "targets[0]", line: 13, message: "unknown metric"),
    ]

    @Test(arguments: cases)
    func namesTheFileLineAndField(_ problem: Case) throws {
        let found = diagnostics(of: minimalScenario + "\n\n" + problem.appended + "\n")
        let diagnostic = try #require(found.first { $0.field == problem.field }, "\(found)")
        #expect(diagnostic.location.file.hasSuffix("test.yaml"))
        #expect(diagnostic.location.line == problem.line, "\(diagnostic)")
        #expect(diagnostic.message.contains(problem.message), "\(diagnostic.message)")
    }

    @Test func participantProblems() throws {
        let both = diagnostics(of: minimalScenario + "\n    regions: [north]\n")
        #expect(both.contains { $0.field == "participants[0]" && $0.message.contains("either `region` or `regions`") })
        let coins = diagnostics(of: minimalScenario + "\n    coins: 0\n")
        #expect(coins.contains { $0.field == "participants[0].coins" && $0.location.line == 11 })
        let stakes = diagnostics(of: minimalScenario.replacingOccurrences(
            of: "  count: 3\n", with: "  count: 3\n  stakes: [1 tokens, 2 tokens]\n"))
        #expect(stakes.contains { $0.field == "validators.stakes" && $0.message == "2 stakes for 3 validators" })
    }
}

@Suite struct SwarmDrawTests {
    static let ranges = """

    swarm:
      enabled: true
      validators: [4, 13]
      stake_skew: [1, 5]
      regions: [2, 4]
      byzantine: [0, 3]
      crashes: [0, 2]
      partitions: [0, 2]
      loss: ["0 %", "3 %"]
      load: [0.5, 3]
    """

    /// Seed `seed`'s draw within `ranges` and any `swarm` lines of `extraRanges`.
    func drawn(seed: UInt64, extraRanges: String = "") throws -> (Scenario, [String: String]) {
        let scenario = try ScenarioLoader.parse(
            minimalScenario.replacingOccurrences(of: "10 s", with: "60 s") + Self.ranges + extraRanges,
            path: scenarioPath("swarm.yaml"))
        let (result, values) = SwarmDraw.apply(to: scenario, seed: seed)
        return (result, Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) }))
    }

    @Test func theSameSeedDrawsTheSameConfiguration() throws {
        let (_, first) = try drawn(seed: 9)
        let (_, second) = try drawn(seed: 9)
        #expect(first == second)
        #expect(Set(first.keys) == ["validators.count", "validators.regions", "validators.stake_skew",
                                     "faults.byzantine", "faults.crashes", "faults.partitions", "network.loss",
                                     "load.factor"])
        let counts = try Set((1...30).map { try drawn(seed: $0).1["validators.count"]! })
        #expect(counts.count > 5, "different seeds draw different configurations")
    }

    @Test func drawsStayWithinTheirRangesAndKeepByzantineStakeUnderAThird() throws {
        for seed in UInt64(1)...200 {
            let (scenario, values) = try drawn(seed: seed)
            let count = scenario.validators.count
            #expect((4...13).contains(count))
            #expect((2...4).contains(scenario.validators.regions.count))
            let stakes = (0..<count).map { scenario.validators.stake(ofValidator: $0).rawValue }
            let skew = Double(stakes.max()!) / Double(stakes.min()!)
            #expect(skew >= 1 - 1e-9 && skew <= 5 + 1e-6, "seed \(seed) skew \(skew)")
            let byzantine = scenario.faults.byzantine.reduce(Int64(0)) { $0 + stakes[$1.node] }
            #expect(3 * byzantine < stakes.reduce(0, +), "seed \(seed)")
            #expect(scenario.faults.byzantine.count <= 3)
            #expect((0...2).contains(scenario.faults.crashes.count))
            #expect(scenario.faults.crashes.allSatisfy { $0.node < count && $0.restart! > $0.at })
            #expect(scenario.faults.partitions.allSatisfy { $0.groups.joined().sorted() == Array(0..<count) })
            #expect((0...300).contains(scenario.network.loss.rawValue))
            let factor = try #require(Double(values["load.factor"]!))
            #expect(factor >= 0.5 - 0.005 && factor <= 3 + 0.005)
            #expect(abs(scenario.participants[0].transferRatePerSecond - factor) < 0.01)
        }
    }

    /// `swarm.behaviours` narrows what drawn Byzantine validators do; the default list, without
    /// amnesia, draws what the swarm drew before amnesia existed.
    @Test func byzantineBehavioursAreDrawnFromTheListed() throws {
        func behaviours(_ extra: String) throws -> [String] {
            try (UInt64(1)...40).flatMap { try drawn(seed: $0, extraRanges: extra).0.faults.byzantine.map(\.behaviour) }
        }
        let listed = try behaviours("\n  behaviours: [amnesia, censorship]\n")
        #expect(Set(listed) == ["amnesia", "censorship"])
        let byDefault = try behaviours("")
        #expect(byDefault.count == listed.count, "the list changes what is drawn, not how many")
        #expect(Set(byDefault) == ["equivocation", "invalid-signatures", "withhold-votes", "invalid-proposals",
                                   "censorship"])
        let written = try behaviours("\n  behaviours: [equivocation, invalid-signatures, withhold-votes, "
                                     + "invalid-proposals, censorship]\n")
        #expect(written == byDefault)
        let error = #expect(throws: ScenarioError.self) {
            try drawn(seed: 1, extraRanges: "\n  behaviours: [amnesia, forgetful]\n")
        }
        #expect(error?.description.contains("swarm.behaviours[1]") == true, "\(String(describing: error))")
    }

    func drawnSharded(seed: UInt64, shards: String = "[1, 3]") throws -> (Scenario, [String: String]) {
        let text = minimalScenario.replacingOccurrences(of: "10 s", with: "60 s") + Self.ranges + """

          shards: \(shards)
          committee: [4, 7]
          cross_shard: ["0 %", "20 %"]
          autoscaler: 50 %
        """
        let (result, values) = SwarmDraw.apply(to: try ScenarioLoader.parse(text, path: scenarioPath("swarm.yaml")), seed: seed)
        return (result, Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) }))
    }

    /// Every sharded draw is one BFT can keep: each region in exactly one shard, regional books,
    /// enough validators for every committee (and a spare committee when autoscaling), and no
    /// committee of the drawn size, however chosen, with 1/3 of its stake Byzantine.
    @Test func shardedDrawsFillTheirCommitteesAndKeepEveryCommitteeUnderAThirdByzantine() throws {
        var shardCounts: Set<Int> = []
        var autoscaled = 0
        for seed in UInt64(1)...200 {
            let (scenario, values) = try drawnSharded(seed: seed)
            guard let sharding = scenario.sharding else {
                #expect(values["sharding.shards"] == "none")
                shardCounts.insert(1)
                continue
            }
            shardCounts.insert(sharding.shards.count)
            #expect(sharding.shards.flatMap { $0 }.sorted() == Region.allCases.sorted(), "seed \(seed)")
            #expect(scenario.market.areas.count == Region.allCases.count)
            #expect((4...7).contains(sharding.committee))
            #expect((0...2_000).contains(sharding.crossShardShare.rawValue) && (0...2_000).contains(sharding.crossShardBidShare.rawValue))
            let spare = scenario.validators.count - sharding.shards.count * sharding.committee
            #expect(spare >= (sharding.autoscaler.enabled ? sharding.committee : 0), "seed \(seed)")
            if sharding.autoscaler.enabled { autoscaled += 1 }
            let stakes = (0..<scenario.validators.count).map { scenario.validators.stake(ofValidator: $0).rawValue }
            let byzantine = scenario.faults.byzantine.map { stakes[$0.node] }.sorted(by: >)
            let honestSmallest = stakes.sorted().prefix(sharding.committee - byzantine.count)
            let faulty = byzantine.reduce(0, +)
            #expect(3 * faulty < faulty + honestSmallest.reduce(0, +), "seed \(seed): a committee could hold 1/3 Byzantine")
            #expect(values["sharding.committee"] == "\(sharding.committee)")
        }
        #expect(shardCounts == [1, 2, 3])
        #expect(autoscaled > 20)
    }

    /// Shards are drawn from a stream of their own: a seed that draws one shard draws every other
    /// value as a swarm without shards does, so the unsharded seeds keep their runs.
    @Test func aSeedThatDrawsOneShardDrawsTheRestAsWithoutShards() throws {
        var unsharded = 0
        for seed in UInt64(1)...40 {
            let (scenario, values) = try drawnSharded(seed: seed)
            guard scenario.sharding == nil else { continue }
            unsharded += 1
            let (_, plain) = try drawn(seed: seed)
            #expect(values.filter { !$0.key.hasPrefix("sharding.") } == plain, "seed \(seed)")
        }
        #expect(unsharded > 5)
        let (kept, values) = try drawnSharded(seed: 1, shards: "[1, 1]")
        #expect(kept.sharding == nil && values["sharding.shards"] == nil)
    }

    /// A swarm over a scenario's own shards (no `shards` range to draw) is bound by them as a
    /// drawn sharding is: enough validators for every committee (and one standing by when
    /// autoscaling), and no committee with 1/3 of its stake Byzantine. It drew as few as four
    /// validators for two committees of four, a configuration the scenario check refuses.
    @Test func aSwarmOverShardsOfItsOwnFillsTheirCommittees() throws {
        let text = minimalScenario.replacingOccurrences(of: "10 s", with: "120 s") + Self.ranges + """

        market:
          areas: regional
        sharding:
          shards: [[bangkok, east], [north, northeast, south]]
          committee: 4
        """
        let scenario = try ScenarioLoader.parse(text.replacingOccurrences(of: "count: 3\n", with: "count: 8\n"),
                                                path: scenarioPath("swarm.yaml"))
        let autoscaling = try #require(scenario.sharding).autoscaler.enabled
        for seed in UInt64(1)...100 {
            let (drawn, _) = SwarmDraw.apply(to: scenario, seed: seed)
            let sharding = try #require(drawn.sharding)
            #expect(sharding.shards.count == 2 && sharding.committee == 4)
            #expect(drawn.validators.count >= 8 + (autoscaling ? 4 : 0), "seed \(seed): \(drawn.validators.count) validators")
            let stakes = (0..<drawn.validators.count).map { drawn.validators.stake(ofValidator: $0).rawValue }
            let byzantine = drawn.faults.byzantine.map { stakes[$0.node] }.sorted(by: >)
            #expect(byzantine.count <= 1, "seed \(seed)")
            let faulty = byzantine.reduce(0, +)
            let honestSmallest = stakes.sorted().prefix(4 - byzantine.count)
            #expect(3 * faulty < faulty + honestSmallest.reduce(0, +), "seed \(seed): a committee could hold 1/3 Byzantine")
        }
    }

    /// Timed faults end a liveness bound before the run does, as the scenario check asks of a
    /// file: in a 60 s run with the 30 s bound, by 30 s; a 40 s run has room for none.
    @Test func aShortRunsTimedFaultsEndALivenessBoundBeforeItsEnd() throws {
        var timed = 0
        for seed in UInt64(1)...100 {
            let (scenario, _) = try drawn(seed: seed)
            let ends = scenario.faults.crashes.map { $0.restart! } + scenario.faults.partitions.map(\.heal)
            timed += ends.count
            #expect(ends.allSatisfy { $0 + scenario.liveness.bound <= .zero + scenario.run.duration }, "seed \(seed)")
        }
        #expect(timed > 50)
        let short = try ScenarioLoader.parse(minimalScenario.replacingOccurrences(of: "10 s", with: "40 s") + Self.ranges
            .replacingOccurrences(of: "crashes: [0, 2]", with: "crashes: [1, 2]")
            .replacingOccurrences(of: "partitions: [0, 2]", with: "partitions: [1, 2]"), path: scenarioPath("swarm.yaml"))
        for seed in UInt64(1)...20 {
            let (scenario, _) = SwarmDraw.apply(to: short, seed: seed)
            #expect(scenario.faults.crashes.isEmpty && scenario.faults.partitions.isEmpty, "seed \(seed)")
        }
    }

    @Test func aDisabledSwarmChangesNothing() throws {
        let scenario = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"))
        let (result, values) = SwarmDraw.apply(to: scenario, seed: 3)
        #expect(values.isEmpty)
        #expect(result.validators.count == scenario.validators.count)
    }
}

@Suite struct LoadTraceTests {
    func traceFile(_ text: String) throws -> String {
        try ScratchFolder.file("trace.csv", containing: text).path
    }

    func scenario(trace path: String) -> String {
        minimalScenario + "\n  - { class: residential, count: 4, region: north }\nload:\n  controller: trace\n  trace: \(path)\n"
    }

    @Test func rowsAreReadInTimeOrderByIndexOrClassName() throws {
        let path = try traceFile("time_s,class,kind\n2.5,residential,order\n1,0,transfer\n2.5,1,transfer\n")
        let loaded = try ScenarioLoader.parse(scenario(trace: path), path: scenarioPath("t.yaml"))
        #expect(loaded.load.trace == [
            TraceRow(time: .zero + .seconds(1), entry: 0, transfer: true),
            TraceRow(time: .zero + .milliseconds(2_500), entry: 1, transfer: false),
            TraceRow(time: .zero + .milliseconds(2_500), entry: 1, transfer: true),
        ])
    }

    @Test func aBadRowNamesTheTraceFileLineAndColumn() throws {
        let path = try traceFile("time_s,class,kind\n1,0,transfer\n2,wind,order\n")
        let found = diagnostics(of: scenario(trace: path))
        let problem = try #require(found.first)
        #expect(problem.location.file == path)
        #expect(problem.location.line == 3 && problem.location.column == 3)
        #expect(problem.field == "load.trace")
        #expect(problem.message.contains("class 'wind'"))
        let kind = diagnostics(of: scenario(trace: try traceFile("time_s,class,kind\n1,0,swap\n")))
        #expect(kind.first?.location.column == 5 && kind.first?.message.contains("kind 'swap'") == true)
        let header = diagnostics(of: scenario(trace: try traceFile("t,c,k\n1,0,order\n")))
        #expect(header.first?.location.line == 1)
        let late = diagnostics(of: scenario(trace: try traceFile("time_s,class,kind\n1e300,0,order\n")))
        #expect(late.first?.location.line == 2 && late.first?.location.column == 1)
        #expect(late.first?.message.contains("time_s '1e300' is past the latest time a simulation can hold") == true,
                "a time SimDuration cannot hold is bad input, not a stopped run")
        let missing = diagnostics(of: scenario(trace: "/nonexistent/trace.csv"))
        #expect(missing.first?.message == "cannot read the trace file")
    }

    /// Participants are numbered across entries: the minimal scenario's 5 first, then these 4.
    @Test func detailColumnsFixTheParticipantAndAmounts() throws {
        let path = try traceFile("""
            time_s,class,kind,participant,quantity_wh,price_micro_per_kwh,recipient,amount_micro
            1,0,order,2,5000,3500000,,
            2,residential,transfer,7,,,0,125
            3,1,order,,,,,
            """)
        let loaded = try ScenarioLoader.parse(scenario(trace: path), path: scenarioPath("t.yaml"))
        #expect(loaded.load.trace == [
            TraceRow(time: .zero + .seconds(1), entry: 0, transfer: false, participant: 2, quantityWh: 5_000,
                     priceMicroPerKWh: 3_500_000),
            TraceRow(time: .zero + .seconds(2), entry: 1, transfer: true, participant: 7, recipient: 0, amountMicro: 125),
            TraceRow(time: .zero + .seconds(3), entry: 1, transfer: false),
        ])
        #expect(try LoadTrace.read(path: try traceFile(LoadTrace.text(of: loaded.load.trace)),
                                   entryKinds: ["solar", "residential"], entryCounts: [5, 4]) == loaded.load.trace)
    }

    @Test func aBadDetailNamesItsColumn() throws {
        let header = "time_s,class,kind,participant,recipient\n"
        let other = diagnostics(of: scenario(trace: try traceFile(header + "1,1,transfer,2,0\n")))
        #expect(other.first?.location.column == 14)
        #expect(other.first?.message.contains("participant '2' is not one of participants[1] (5...8)") == true)
        let wrongKind = diagnostics(of: scenario(trace: try traceFile(header + "1,0,order,1,3\n")))
        #expect(wrongKind.first?.message.contains("recipient '3' belongs to transfer rows") == true)
        let unknown = diagnostics(of: scenario(trace: try traceFile("time_s,class,kind,price\n1,0,order,3\n")))
        #expect(unknown.first?.location.line == 1 && unknown.first?.location.column == 19)
    }

    @Test func aBidRegionIsARegionNameOnOrderRows() throws {
        let header = "time_s,class,kind,bid_region\n"
        let loaded = try ScenarioLoader.parse(scenario(trace: try traceFile(header + "1,1,order,north\n2,1,order,\n")),
                                              path: scenarioPath("t.yaml"))
        #expect(loaded.load.trace.map(\.bidRegion) == [.north, nil])
        #expect(try LoadTrace.read(path: try traceFile(LoadTrace.text(of: loaded.load.trace)),
                                   entryKinds: ["solar", "residential"], entryCounts: [5, 4]) == loaded.load.trace)
        let unknown = diagnostics(of: scenario(trace: try traceFile(header + "1,1,order,mars\n")))
        #expect(unknown.first?.location.line == 2 && unknown.first?.location.column == 11)
        #expect(unknown.first?.message.contains("bid_region 'mars' is not a region (bangkok, north") == true)
        let transfer = diagnostics(of: scenario(trace: try traceFile(header + "1,1,transfer,north\n")))
        #expect(transfer.first?.message.contains("bid_region 'north' belongs to order rows") == true)
    }
}
