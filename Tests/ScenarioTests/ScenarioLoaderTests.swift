import Foundation
import GridCore
import Scenario
import Testing

/// A path inside the repository's Scenarios folder, so that `grid.data` (default
/// `data/thai-grid.yaml`) resolves to the real data file.
func scenarioPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios").appendingPathComponent(name).path
}

let minimalScenario = """
name: tiny
run:
  duration: 10 s
validators:
  count: 3
participants:
  - class: solar
    count: 5
    region: bangkok
    tx_rate: 1 /s
"""

/// Parses `text`, expecting failure, and returns the diagnostics.
func diagnostics(of text: String, overrides: [String] = []) -> [ScenarioDiagnostic] {
    do {
        _ = try ScenarioLoader.parse(text, path: scenarioPath("test.yaml"), overrides: overrides)
        Issue.record("expected the scenario to be rejected")
        return []
    } catch let error as ScenarioError {
        return error.diagnostics
    } catch {
        Issue.record("unexpected error \(error)")
        return []
    }
}

@Suite struct ScenarioLoaderTests {
    @Test func minimalScenarioGetsTheDefaults() throws {
        let scenario = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"))
        #expect(scenario.name == "tiny")
        #expect(scenario.run.duration == .seconds(10))
        #expect(scenario.run.seed == 1)
        #expect(scenario.consensus.blockInterval == .milliseconds(9_800))
        #expect(scenario.consensus.maxBlockTransactions == 1_000)
        #expect(scenario.consensus.signatureScheme == .ed25519)
        #expect(scenario.validators.regions == Region.allCases)
        #expect(scenario.validators.stake == .tokens(1_000))
        #expect(scenario.network.jitter == BasisPoints(1_000))
        #expect(scenario.network.latencies == {
            var expected = RegionLatencies.thaiEstimate
            for region in Region.allCases { expected[region, region] = .milliseconds(2) }
            return expected
        }())
        #expect(scenario.participants.first?.transferRatePerSecond == 1)
        #expect(scenario.participants.first?.capacityWatts == 50_000, "solar default capacity")
        #expect(scenario.grid.topology.name == "thai-grid-2024")
        #expect(scenario.market.clearingRule == "pay-as-ask")
        #expect(scenario.market.slot == .minutes(15))
        #expect(scenario.targets.isEmpty)
        #expect(scenario.participantCount == 5)
    }

    @Test func badYAMLNamesTheLine() {
        let found = diagnostics(of: "name: x\nrun:\n  duration: [10 s\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4 || found.first?.location.line == 3)
        #expect(found.first?.message.contains("not valid YAML") == true)
    }

    @Test func missingFieldIsNamedWithItsLocation() {
        let text = minimalScenario.replacingOccurrences(of: "  count: 3\n", with: "  cores: 2\n")
        let found = diagnostics(of: text)
        #expect(found.map(\.field) == ["validators.count"])
        #expect(found.first?.location.line == 4, "at the key of the section that lacks it")
        #expect(found.first?.message.contains("missing required field") == true)
    }

    @Test func negativeRateIsOutOfRange() {
        let text = minimalScenario.replacingOccurrences(of: "tx_rate: 1 /s", with: "tx_rate: -2 /s")
        let found = diagnostics(of: text)
        #expect(found.map(\.field) == ["participants[0].tx_rate"])
        #expect(found.first?.location.line == 10)
        #expect(found.first?.location.column == 14)
        #expect(found.first?.message.contains("out of range") == true)
    }

    /// A range's bounds are written in the unit that says them shortest, not all in one unit
    /// (`1 ms to 1000 s`, once `1000 µs to 1000000000 µs`).
    @Test func aQuantityOutOfRangeNamesItsBoundsInReadableUnits() {
        let cases = [
            ("consensus:\n  timeout_propose: 0 s", "'0 s' is out of range (1 ms to 1000 s)"),
            ("market:\n  slot: 0 s", "'0 s' is out of range (1 s to 10000 s)"),
            ("grid:\n  load_noise: 60 %", "'60 %' is out of range (0 % to 50 %)"),
        ]
        for (appended, message) in cases {
            let found = diagnostics(of: minimalScenario + "\n" + appended + "\n")
            #expect(found.map(\.message) == [message], "\(appended)")
        }
    }

    /// With faults, a liveness bound no longer than a block interval and a round of timeouts
    /// fails a healthy chain, so it is refused where it is written. Found by fuzzing: with
    /// `consensus.block_interval=100 s` `crash-restart.yaml` broke `liveness`, and so did
    /// `consensus-partition.yaml` with `timeout_propose=100 s` and swarm seed 37 with
    /// `timeout_precommit=50 s`.
    @Test func aLivenessBoundNoLongerThanABlockAndATimedOutRoundIsRefusedWhenThereAreFaults() throws {
        let crash = "\nfaults:\n  crashes:\n    - { node: 1, at: 2 s, restart: 3 s }\n"
        let timeouts = "  timeout_propose: 1 s\n  timeout_prevote: 500 ms\n  timeout_precommit: 500 ms\n"
        let bound = diagnostics(of: minimalScenario + crash + "consensus:\n  block_interval: 5 s\n" + timeouts + "liveness:\n  bound: 7 s\n")
        #expect(bound.map(\.field) == ["liveness.bound"])
        #expect(bound.first?.location.line == 20)
        #expect(bound.first?.message == "the liveness check can fail a healthy chain: after the faults end, the next block can take a block interval and a round whose every step times out (5 s + 1 s + 500 ms + 500 ms = 7 s), not within the 7 s bound; make liveness.bound longer than that")
        let longRun = ["run.duration=120 s"]
        let interval = diagnostics(of: minimalScenario + crash, overrides: longRun + ["consensus.block_interval=40 s"])
        #expect(interval.map(\.field) == ["consensus.block_interval"], "the default bound (30 s) is not written")
        let precommit = diagnostics(of: minimalScenario + crash, overrides: longRun + ["consensus.timeout_precommit=50 s"])
        #expect(precommit.map(\.field) == ["consensus.timeout_precommit"])

        _ = try ScenarioLoader.parse(minimalScenario + "\nconsensus:\n  block_interval: 40 s\n", path: scenarioPath("test.yaml"))
        _ = try ScenarioLoader.parse(minimalScenario + crash + "consensus:\n  block_interval: 5 s\n" + timeouts
                                     + "liveness:\n  bound: 7.5 s\n", path: scenarioPath("test.yaml"), overrides: longRun)
    }

    @Test func unknownRegionSuggestsTheClosest() {
        let text = minimalScenario.replacingOccurrences(of: "region: bangkok", with: "region: bangkock")
        let found = diagnostics(of: text)
        #expect(found.map(\.field) == ["participants[0].region"])
        #expect(found.first?.message.contains("did you mean 'bangkok'") == true)
    }

    @Test func unknownKeySuggestsTheClosest() {
        let text = minimalScenario.replacingOccurrences(of: "  duration: 10 s", with: "  duration: 10 s\n  wramup: 1 s")
        let found = diagnostics(of: text)
        #expect(found.map(\.field) == ["run.wramup"])
        #expect(found.first?.message.contains("did you mean 'warmup'") == true)
        #expect(found.first?.location.line == 4)
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let text = minimalScenario
            .replacingOccurrences(of: "count: 3", with: "count: zero")
            .replacingOccurrences(of: "class: solar", with: "class: solr")
        let found = diagnostics(of: text)
        #expect(Set(found.map(\.field)) == ["validators.count", "participants[0].class"])
    }

    @Test func missingAndWrongUnitsAreErrors() {
        let missing = diagnostics(of: minimalScenario.replacingOccurrences(of: "duration: 10 s", with: "duration: 10"))
        #expect(missing.first?.message.contains("needs a unit") == true)
        let wrong = diagnostics(of: minimalScenario.replacingOccurrences(of: "duration: 10 s", with: "duration: 10 kWh"))
        #expect(wrong.first?.message.contains("not a unit of duration") == true)
    }

    @Test func warmupMustBeShorterThanTheRun() {
        let found = diagnostics(of: minimalScenario.replacingOccurrences(of: "  duration: 10 s", with: "  duration: 10 s\n  warmup: 12 s"))
        #expect(found.map(\.field) == ["run.warmup"])
    }

    @Test func overridesReplaceFieldsAndAreValidatedTheSameWay() throws {
        let scenario = try ScenarioLoader.parse(
            minimalScenario, path: scenarioPath("tiny.yaml"),
            overrides: ["run.duration=30 s", "participants[0].count=9", "consensus.max_block_txs=50",
                        "validators.regions=[east, south]", "network.latency.bangkok-north=20 ms"])
        #expect(scenario.run.duration == .seconds(30))
        #expect(scenario.participants[0].count == 9)
        #expect(scenario.consensus.maxBlockTransactions == 50)
        #expect(scenario.validators.regions == [.east, .south])
        #expect(scenario.network.latencies[.north, .bangkok] == .milliseconds(20))
        #expect(scenario.overrides.count == 5)

        let bad = diagnostics(of: minimalScenario, overrides: ["run.duration=-3 s"])
        #expect(bad.first?.location.file == "--set run.duration=-3 s")
        #expect(bad.first?.field == "run.duration")
        let unknown = diagnostics(of: minimalScenario, overrides: ["run.seeed=3"])
        #expect(unknown.first?.message.contains("did you mean 'seed'") == true)
        let noItem = diagnostics(of: minimalScenario, overrides: ["participants[4].count=1"])
        #expect(noItem.first?.message.contains("no item 4") == true)
    }

    /// A scenario kept outside `Scenarios/` finds no default grid data beside itself and runs on
    /// the Thai grid compiled into the tool, which is the file in `Scenarios/data/` byte for byte.
    /// A path written and missing is an error at its own line. The data's hash is kept either way.
    @Test func aScenarioWithoutGridDataBesideItRunsOnTheBuiltInGrid() throws {
        let file = try #require(FileManager.default.contents(atPath: scenarioPath("data/thai-grid.yaml")))
        #expect(GridDataLoader.builtInBytes == Array(file), "the built-in grid data is not Scenarios/data/thai-grid.yaml")

        let elsewhere = try ScenarioLoader.parse(minimalScenario, path: "/nonexistent/elsewhere/tiny.yaml")
        #expect(elsewhere.grid.dataSource == .builtIn)
        #expect(elsewhere.grid.dataSource.description == "built-in thai-grid.yaml")
        #expect(elsewhere.grid.dataHash == file.withUnsafeBytes { Blake2b.hash($0) })
        #expect(elsewhere.grid.topology.name == "thai-grid-2024")

        let beside = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"))
        #expect(beside.grid.dataSource == .file(scenarioPath("data/thai-grid.yaml")))
        #expect(beside.grid.dataHash == elsewhere.grid.dataHash)

        do {
            _ = try ScenarioLoader.parse(minimalScenario + "\ngrid:\n  data: my-grid.yaml\n", path: "/nonexistent/elsewhere/tiny.yaml")
            Issue.record("expected a missing grid data file that is written to be refused")
        } catch let error as ScenarioError {
            let written = try #require(error.diagnostics.first)
            #expect(error.diagnostics.count == 1)
            #expect(written.field == "grid.data")
            #expect(written.message == "cannot read the grid data file /nonexistent/elsewhere/my-grid.yaml")
            #expect(written.location.line == 12)
        }
    }

    @Test func marketAndStartTime() throws {
        let scenario = try ScenarioLoader.parse(
            minimalScenario + "\nmarket:\n  clearing_rule: midpoint\n  areas: national\n  pricing:\n    peak_hours: ['09:00-22:00']\n",
            path: scenarioPath("m.yaml"), overrides: ["run.start=18:30", "run.weekday=saturday"])
        #expect(scenario.market.clearingRule == "midpoint")
        #expect(scenario.market.areas == [Region.allCases])
        #expect(scenario.market.peakWindows.first?.startSecond == Int64(9 * 3_600))
        #expect(scenario.run.calendar.startSecondOfDay == 18 * 3_600 + 1_800)
        #expect(scenario.run.calendar.weekday(at: .zero) == 5)
        #expect(!scenario.run.calendar.isWeekday(at: .zero + .hours(10)), "Sunday 04:30")
        #expect(scenario.run.calendar.isWeekday(at: .zero + .hours(30)), "Monday 00:30")
        let bad = diagnostics(of: minimalScenario, overrides: ["run.start=25:00"])
        #expect(bad.first?.field == "run.start")
    }

    @Test func faultsAreReadAndChecked() throws {
        let faulty = minimalScenario.replacingOccurrences(of: "duration: 10 s", with: "duration: 60 s")
            + "\nfaults:\n  partitions:\n    - { regions: [[bangkok], [north, northeast]], start: 5 s, heal: 10 s, one_way: true }\n"
            + "  crashes:\n    - { node: 1, at: 3 s, restart: 6 s }\n  byzantine:\n    - { node: 2, behaviour: censorship }\n"
            + "liveness:\n  bound: 20 s\n"
        let scenario = try ScenarioLoader.parse(faulty, path: scenarioPath("f.yaml"),
                                                overrides: ["validators.count=7"])
        #expect(scenario.faults.partitions.first?.groups == [[0, 5], [1, 2, 6]], "validators in index order")
        #expect(scenario.faults.partitions.first?.oneWay == true)
        #expect(scenario.faults.crashes.first?.restart == .zero + .seconds(6))
        #expect(scenario.faults.end == .zero + .seconds(10))

        let outOfRange = diagnostics(of: faulty.replacingOccurrences(of: "node: 1, at", with: "node: 9, at"),
                                     overrides: ["validators.count=7"])
        #expect(outOfRange.first?.message.contains("validator 9 does not exist") == true)
        let tooMany = diagnostics(of: faulty, overrides: ["validators.count=3"])
        #expect(tooMany.contains { $0.message.contains("at least 1/3 of stake") })
        let tooShort = diagnostics(of: faulty, overrides: ["validators.count=7", "run.duration=25 s"])
        #expect(tooShort.contains { $0.message.contains("before the liveness check") })
        let backwards = diagnostics(of: faulty.replacingOccurrences(of: "restart: 6 s", with: "restart: 2 s"),
                                    overrides: ["validators.count=7"])
        #expect(backwards.first?.field == "faults.crashes[0].restart")
        let behaviour = diagnostics(of: faulty.replacingOccurrences(of: "censorship", with: "censor"),
                                    overrides: ["validators.count=7"])
        #expect(behaviour.first?.message.contains("did you mean 'censorship'") == true)
    }

    @Test func targetsParseWithUnits() throws {
        let text = minimalScenario + "\ntargets:\n  - tps >= 1000\n  - admission.p99 < 50 ms\n  - finality.p99 < 15 s\n"
        let scenario = try ScenarioLoader.parse(text, path: scenarioPath("t.yaml"))
        #expect(scenario.targets.map(\.metric) == ["tps", "admission.p99", "finality.p99"])
        #expect(scenario.targets[1].threshold == 50e6)
        #expect(scenario.targets[2].comparison == .lessThan)
        let bad = diagnostics(of: minimalScenario + "\ntargets:\n  - finalty.p99 < 15 s\n")
        #expect(bad.first?.message.contains("did you mean 'finality.p99'") == true)
        #expect(bad.first?.location.line == 12)
    }
}

@Suite struct UnitTests {
    @Test(arguments: [
        ("45 ms", QuantityKind.duration, 45e6), ("9.8 s", .duration, 9.8e9), ("2 min", .duration, 120e9),
        ("24 h", .duration, 86_400e9), ("80 %", .percent, 8_000), ("1000 kWh", .energy, 1e6),
        ("3.5 tokens/kWh", .price, 3.5e6), ("2.5 GB", .bytes, 2.5e9), ("1 KiB", .bytes, 1_024),
        ("500 MW", .power, 5e8), ("12.3 t", .mass, 12.3e6), ("3000 tx/s", .rate, 3_000), ("6 /min", .rate, 0.1),
        ("1_000 tokens", .tokens, 1e9), ("1e3 ms", .duration, 1e9),
    ])
    func parsesUnits(text: String, dimension: QuantityKind, stored: Double) throws {
        let value = try dimension.parse(text).get()
        #expect(abs(value - stored) < 1e-9 * max(1, abs(stored)))
    }

    /// Every unit of every dimension, with its factor to the stored unit written out here rather
    /// than read from the table under test. A unit added without a line here fails.
    @Test func everyUnitOfEveryDimension() throws {
        let expected: [QuantityKind: [String: Double]] = [
            .duration: ["ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "min": 6e10, "h": 3.6e12, "d": 8.64e13],
            .rate: ["/s": 1, "/min": 1.0 / 60, "/h": 1.0 / 3_600, "/d": 1.0 / 86_400],
            .percent: ["%": 100],
            .energy: ["Wh": 1, "kWh": 1e3, "MWh": 1e6, "GWh": 1e9],
            .power: ["W": 1, "kW": 1e3, "MW": 1e6, "GW": 1e9],
            .price: ["tokens/kWh": 1e6, "token/kWh": 1e6],
            .tokens: ["tokens": 1e6, "token": 1e6],
            .bytes: ["B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1_024, "MiB": 1_048_576, "GiB": 1_073_741_824],
            .mass: ["g": 1, "kg": 1e3, "t": 1e6],
            .frequency: ["mHz": 1, "Hz": 1e3],
            .voltage: ["V": 1e3, "kV": 1e6],
            .length: ["m": 1, "km": 1e3],
            .emission: ["g/kWh": 1e3, "kg/kWh": 1e6],
            .bandwidth: ["B/s": 1, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "Mbit/s": 1.25e5, "Gbit/s": 1.25e8],
        ]
        for dimension in QuantityKind.allCases {
            let units = try #require(expected[dimension], "\(dimension) has no expected units")
            #expect(Set(dimension.unitList.components(separatedBy: ", ")) == Set(units.keys), "\(dimension)")
            for (unit, factor) in units {
                let value = try dimension.parse("2.5 \(unit)").get()
                let stored = dimension == .rate ? 2.5 * factor : (2.5 * factor).rounded()
                #expect(abs(value - stored) <= 1e-12 * max(1, abs(stored)), "2.5 \(unit) = \(value), expected \(stored)")
                #expect(try dimension.parse("2.5\(unit)").get() == value, "the space is optional")
            }
        }
        #expect(try QuantityKind.rate.parse("3000 tx/s").get() == 3_000)
        #expect(try QuantityKind.rate.parse("6 orders/min").get() == 0.1)
    }

    @Test func rejectsMissingAndWrongUnits() {
        #expect(throws: QuantityError.self) { try QuantityKind.duration.parse("10").get() }
        #expect(throws: QuantityError.self) { try QuantityKind.energy.parse("10 ms").get() }
        #expect(throws: QuantityError.self) { try QuantityKind.percent.parse("ten %").get() }
    }

    @Test func participantCountAddsEveryClass() throws {
        let text = minimalScenario + "\n  - { class: residential, count: 7, region: north, tx_rate: 1 /s }\n"
        #expect(try ScenarioLoader.parse(text, path: scenarioPath("tiny.yaml")).participantCount == 12)
    }

    @Test func loadTPSScalesEveryRateByOneFactor() throws {
        let text = minimalScenario + """

          - { class: industrial, count: 10, region: north, order_rate: 2 /s, tx_rate: 0.5 /s }
        load:
          tps: 100
        """
        let scenario = try ScenarioLoader.parse(text, path: scenarioPath("tiny.yaml"))
        // Offered before: 5 × 1 + 10 × (2 + 0.5) = 30 a second; the factor is 100 / 30.
        let classes = scenario.participants
        #expect(abs(classes[0].transferRatePerSecond - 10.0 / 3) < 1e-9)
        #expect(abs(classes[1].orderRatePerSecond - 20.0 / 3) < 1e-9)
        #expect(abs(classes[1].transferRatePerSecond - 5.0 / 3) < 1e-9)
        let offered = classes.reduce(0.0) { $0 + Double($1.count) * ($1.orderRatePerSecond + $1.transferRatePerSecond) }
        #expect(abs(offered - 100) < 1e-9)

        let overridden = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"), overrides: ["load.tps=3000"])
        #expect(overridden.participants[0].transferRatePerSecond == 600)

        let closedLoop = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                                  overrides: ["load.tps=10", "load.controller=closed-loop"])
        #expect(closedLoop.warnings.map(\.field) == ["load.tps"])
        #expect(closedLoop.participants[0].transferRatePerSecond == 1, "a controller that ignores `tps` leaves the rates")
        let idle = diagnostics(of: minimalScenario.replacingOccurrences(of: "tx_rate: 1 /s", with: "tx_rate: 0 /s"),
                               overrides: ["load.tps=10"])
        #expect(idle.first?.message.contains("every one of them is 0") == true)
    }

    /// `outstanding`, `backoff` and `think_time` drive only the closed loop, `trace` only the trace controller,
    /// `schedule` and `daily_profiles` only the poisson and fixed rates: written for another
    /// controller, each is a warning naming its line and field, and the scenario still loads (a
    /// recorded trace is replayed by overriding the controller alone). Defaults never warn.
    /// A genesis of more than 10 million coins warns of the memory it takes, before the run:
    /// 300,000 households of 400 coins were killed by the kernel for want of memory with no word.
    /// A household's coins are its balance split, so a balance of 3 micro-tokens makes 3.
    /// Consensus counts stake in 64-bit micro-tokens, so the validators may hold at most 10¹²
    /// tokens in all: more is refused at the stake's line, for the validators written and for the
    /// most a swarm draw can give. 1e12 tokens each once stopped a run with an arithmetic overflow.
    @Test func moreStakeThanConsensusCanCountIsRefusedAtItsField() throws {
        let written = diagnostics(of: minimalScenario.replacingOccurrences(of: "  count: 3\n", with: "  count: 3\n  stake: 5e11 tokens\n"))
        #expect(written.map(\.field) == ["validators.stake"])
        #expect(written.first?.location.line == 6)
        #expect(written.first?.message == "the 3 validators' stakes add up to more than 1000000000000 tokens; consensus counts "
                + "stake in 64-bit micro-tokens, so validators may hold at most 1000000000000 tokens in all")
        #expect(diagnostics(of: minimalScenario, overrides: ["validators.stakes=[1e12 tokens, 1 tokens, 1 tokens]"])
            .map(\.field) == ["validators.stakes"])
        #expect(try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                         overrides: ["validators.stake=3.3e11 tokens"]).validators.stake.tokens == 3.3e11)
        let swarm = diagnostics(of: minimalScenario, overrides: ["swarm.enabled=true", "swarm.validators=[4, 100]",
                                                                 "swarm.stake_skew=[1, 10]", "validators.stake=1e9 tokens"])
        #expect(swarm.map(\.field) == ["validators.stake"])
        #expect(swarm.first?.message.hasPrefix("a swarm draw can give up to 100 validators up to 10 times this stake, 1e+12 tokens") == true,
                "\(swarm)")
    }

    @Test func aGenesisTooLargeForMemoryIsAWarningAndPastTheMachinesAnError() throws {
        let large = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                             overrides: ["participants[0].count=2000000", "participants[0].coins=6"])
        #expect(large.participants[0].genesisCoins == 6)
        let warning = try #require(large.warnings.first)
        #expect(large.warnings.count == 1 && warning.severity == .warning && warning.field == "participants")
        #expect(warning.location.line == 7, "the list's first entry")
        #expect(warning.message.hasPrefix("the genesis holds 12000000 coins") && warning.message.contains("(4 GB in all)"))
        let few = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                           overrides: ["participants[0].count=2000000", "participants[0].coins=6",
                                                       "participants[0].balance=0.000003 tokens"])
        #expect(few.participants[0].genesisCoins == 3 && few.warnings.isEmpty)

        // Past the machine's memory the run refuses to start (`gridsim run`): 12 M coins take
        // 4.2 GB, which 4 GB cannot hold and 5 GB can.
        #expect(large.genesisCoinCount == 12_000_000)
        #expect(large.genesisMemoryProblem(physicalMemoryBytes: 5_000_000_000) == nil)
        let refusal = try #require(large.genesisMemoryProblem(physicalMemoryBytes: 4_000_000_000))
        #expect(refusal.severity == .error && refusal.field == "participants" && refusal.location.line == 7)
        #expect(refusal.message == "the genesis holds 12000000 coins (count × coins over every class), about 4.2 GB at "
                + "350 bytes each, more than this machine's 4.0 GB: fewer coins or participants")
    }

    @Test func aLoadFieldAnotherControllerIgnoresIsAWarningWithItsLine() throws {
        let text = minimalScenario + """

        load:
          controller: poisson
          outstanding: 50
          backoff: 2 s
          think_time: 5 s
          trace: arrivals.csv
        """
        let openLoop = try ScenarioLoader.parse(text, path: scenarioPath("tiny.yaml"))
        #expect(openLoop.warnings.map(\.field) == ["load.outstanding", "load.backoff", "load.think_time", "load.trace"])
        #expect(openLoop.warnings.allSatisfy { $0.severity == .warning })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let outstandingLine = try #require(lines.firstIndex { $0.contains("outstanding: 50") }) + 1
        #expect(openLoop.warnings.first?.location.line == outstandingLine)
        #expect(openLoop.warnings.first?.description.hasSuffix(
            ": warning: load.outstanding: the poisson controller ignores it (it is for the closed-loop controller)") == true)

        let shaped = minimalScenario + """

        load:
          daily_profiles: false
          schedule:
            - { at: 5 s, factor: 2 }
        """
        #expect(try ScenarioLoader.parse(shaped, path: scenarioPath("tiny.yaml")).warnings.isEmpty)
        let replayed = try ScenarioLoader.parse(shaped, path: scenarioPath("tiny.yaml"),
                                                overrides: ["load.controller=closed-loop", "load.backoff=0 s"])
        #expect(replayed.warnings.map(\.field) == ["load.schedule", "load.daily_profiles"])
        #expect(replayed.warnings.last?.message == "the closed-loop controller ignores it (it is for the poisson and fixed controllers)")
        #expect(replayed.load.backoff == .zero)

        let overridden = try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                                  overrides: ["load.controller=fixed", "load.backoff=0 s"])
        #expect(overridden.warnings.map(\.location.file) == ["--set load.backoff=0 s"])
        #expect(try ScenarioLoader.parse(minimalScenario, path: scenarioPath("tiny.yaml"),
                                         overrides: ["load.controller=closed-loop"]).warnings.isEmpty)
    }

    /// Every rule of the `sharding` section, each named with its field: regions in no shard or
    /// in two, committees larger than the validators, a national market, governance proposals
    /// and a `max_shards` below the shards at the start.
    @Test func shardingProblemsAreNamedWithTheirFields() {
        let sharded = minimalScenario.replacingOccurrences(of: "count: 3", with: "count: 4") + """

        market:
          areas: regional
        sharding:
          shards: [[bangkok], [north, south]]
          committee: 2
        """
        let regionless = diagnostics(of: sharded)
        #expect(regionless.map(\.field) == ["sharding.shards", "sharding.shards"])
        #expect(regionless.map(\.message) == ["northeast is in no shard (every region needs exactly one)",
                                              "east is in no shard (every region needs exactly one)"])

        let complete = sharded.replacingOccurrences(of: "[north, south]]", with: "[north, south, northeast, east, bangkok]]")
        let twice = diagnostics(of: complete)
        #expect(twice.map(\.message) == ["bangkok is in shard 1 and again in shard 2 (every region needs exactly one)"])
        #expect(twice.map(\.field) == ["sharding.shards[1][4]"], "the repeated entry")

        let valid = sharded.replacingOccurrences(of: "[north, south]]", with: "[north, south, northeast, east]]")
        #expect((try? ScenarioLoader.parse(valid, path: scenarioPath("test.yaml"))) != nil)
        let repeated = diagnostics(of: valid.replacingOccurrences(of: "[[bangkok]", with: "[[bangkok, bangkok]"))
        #expect(repeated.map(\.message) == ["bangkok is listed twice in shard 1 (every region needs exactly one shard)"])
        #expect(repeated.map(\.field) == ["sharding.shards[0][1]"])

        let crowded = diagnostics(of: valid, overrides: ["sharding.committee=3"])
        #expect(crowded.map(\.field) == ["sharding.committee"])
        #expect(crowded.first?.message.contains("need 6, but `validators.count` is 4") == true)

        let national = diagnostics(of: valid, overrides: ["market.areas=national"])
        #expect(national.map(\.field) == ["sharding"])
        #expect(national.first?.message.contains("regional market areas") == true)

        let governed = diagnostics(of: valid + """

        governance:
          proposals:
            - { at: 5 s, parameter: max_block_txs, value: 400, proposer: 0 }
        """)
        #expect(governed.map(\.field) == ["sharding"])
        #expect(governed.first?.message.contains("governance proposals are not supported with sharding yet") == true)

        let capped = diagnostics(of: valid, overrides: ["sharding.autoscaler.max_shards=1"])
        #expect(capped.map(\.field) == ["sharding.autoscaler.max_shards"])
    }

    @Test func suggestions() {
        #expect(closestMatch(to: "duraton", among: ["duration", "seed"]) == "duration")
        #expect(closestMatch(to: "zzz", among: ["duration", "seed"]) == nil)
    }
}
