import ArgumentParser
import Foundation
import Reporting
import Scenario
import Simulation
import Yams

struct ShrinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Make a failing run small: remove faults, participants, transactions and time while the same invariant still breaks.",
        discussion: """
        Runs SCENARIO with --seed (and --mutation, --set); it must break an invariant. A swarm \
        scenario is taken as the plain scenario of the seed's draw (see `gridsim draw`). Then tries, \
        greedily and until nothing more can go: ending the run just after the failure, removing each \
        fault, turning off network loss, duplication and reordering, delivery shortfalls and corrupted \
        signatures, removing participant classes, halving their counts and rates and `load.tps`. Then it replaces the \
        random arrivals by the failing run's own, each with its participant, quantity, price and \
        bid region or recipient and amount, written as a load trace beside OUT, and removes \
        arrivals. A change is kept only if the run still breaks the same invariant. Writes the \
        smallest scenario found to --out; `gridsim run OUT --seed N` reproduces the failure on its own.
        """)

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: "The failing seed.")
    var seed: UInt64

    @Option(help: "A deliberately broken protocol or cross-shard rule the failure needs (see `run --mutation`).")
    var mutation: String?

    @Option(name: .customLong("set"), help: "Override a scenario field: key.path=value (repeatable).")
    var overrides: [String] = []

    @Option(name: .customLong("cost-profile"),
            help: "The cost profile the failing run charged (see `run --cost-profile`); the shrunk file names it.")
    var costProfile: String?

    @Option(help: "Where to write the shrunk scenario.")
    var out: String

    func run() throws {
        let broken = try RunCommand.parseMutation(mutation)
        let loaded = try loadScenario(scenario, overrides: overrides)
        let profile = try loadCostProfile(explicit: costProfile, scenario: loaded)
        // A swarm scenario shrinks as the plain scenario of its seed's draw.
        let document = try plainDocument(of: scenario, loaded: loaded, seed: seed, overrides: overrides)
        let trial = ShrinkTrial(path: scenario, seed: seed, mutation: broken, profile: profile)
        guard let original = trial.failure(of: document) else {
            printError("shrink: seed \(seed) of \(scenario) breaks no invariant; nothing to shrink")
            throw ExitStatus.badInput.exitCode
        }
        print("shrink: seed \(seed) breaks \(original.kind) \(original.invariant) at \(String(format: "%.1f", original.time.seconds)) s")
        var shrinker = Shrinker(trial: trial, target: original, document: document)
        shrinker.shrink()
        let folder = (out as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        let arrivalsName = ((out as NSString).lastPathComponent as NSString).deletingPathExtension + ".arrivals.csv"
        let arrivalsPath = URL(fileURLWithPath: (folder as NSString).appendingPathComponent(arrivalsName))
            .standardizedFileURL.path
        let arrivals = shrinker.makeArrivalsExplicit(csvPath: arrivalsPath)
        let before = try trial.describe(document)
        let after = try trial.describe(shrinker.document)
        var shrunk = relocatingPaths(of: shrinker.document, loaded: loaded, to: out, costProfile: costProfile)
        shrunk = ScenarioDocument.setting(["run", "seed"], to: Yams.Node(String(seed)), in: shrunk)
        if arrivals != nil { shrunk = ScenarioDocument.setting(["load", "trace"], to: Yams.Node(arrivalsName), in: shrunk) }
        let workload = arrivals.map { "the load replays \($0.left) of the failing run's \($0.of) arrivals, with their participants, quantities, prices and amounts, from \(arrivalsName)" }
            ?? "the failure needs the random arrival process, which stays"
        let header = """
        # Shrunk by `\(invocation)`:
        # \(original.kind) invariant `\(original.invariant)` still breaks.
        # Before: \(before)
        # After:  \(after); \(workload)
        # Reproduce: gridsim run \(out) --seed \(seed)\(mutation.map { " --mutation \($0)" } ?? "")

        """
        try ReportWriter.writeAtomically(Data((header + (try Yams.serialize(node: shrunk, allowUnicode: true))).utf8), to: out)
        print("shrink: \(shrinker.kept) of \(shrinker.tried) changes kept")
        print("before: \(before)")
        print("after:  \(after)")
        print("workload: \(workload)")
        print("wrote \(out)")
    }

    /// This command as given, for the shrunk file's header: its `--set`s are applied in the file,
    /// but they are part of how the failure was found.
    private var invocation: String {
        commandLine(commandWords("shrink", scenario: scenario, seed: seed, overrides: overrides, costProfile: costProfile,
                                 mutation: mutation) + ["--out", out])
    }
}

/// Runs a candidate scenario document and reports its first broken invariant.
struct ShrinkTrial {
    var path: String
    var seed: UInt64
    var mutation: Mutation?
    var profile: CostProfile

    func scenario(_ document: Yams.Node) throws -> Scenario {
        // Parsed under the original path, so the grid data file resolves the same way.
        try ScenarioLoader.parse(try Yams.serialize(node: document), path: path)
    }

    func failure(of document: Yams.Node) -> InvariantViolation? {
        guard let scenario = try? scenario(document) else { return nil }
        return Simulator(scenario: scenario, seed: seed, costProfile: profile, mutation: mutation).run().violations.first
    }

    /// Simulated time, faults, participants and transactions of a document's run.
    func describe(_ document: Yams.Node) throws -> String {
        let scenario = try scenario(document)
        let result = Simulator(scenario: scenario, seed: seed, costProfile: profile, mutation: mutation).run()
        let faults = Shrinker.faultLists.reduce(0) { $0 + (document["faults"]?[$1]?.sequence?.count ?? 0) }
        return "\(String(format: "%.0f", scenario.run.duration.seconds)) s simulated, \(faults) faults, \(scenario.validators.count) validators, \(scenario.participantCount) participants, \(result.transactions.count) transactions"
    }
}

/// Greedy shrinking of a scenario document against one failure.
struct Shrinker {
    static let faultLists = ["byzantine", "crashes", "partitions", "pauses", "clogs", "clock_skews"]
    /// Seeded random effects and the value that turns each off: network loss, duplication and
    /// reordering, delivery shortfalls at settlement, corrupted signatures.
    static let randomEffects: [([String], String)] = [
        (["network", "loss"], "0 %"), (["network", "duplication"], "0 %"), (["network", "reordering"], "0 ms"),
        (["market", "shortfall_probability"], "0 %"), (["workload", "invalid_share"], "0 %"),
    ]

    var trial: ShrinkTrial
    var target: InvariantViolation
    var document: Yams.Node
    private(set) var tried = 0
    private(set) var kept = 0

    init(trial: ShrinkTrial, target: InvariantViolation, document: Yams.Node) {
        self.trial = trial
        self.target = target
        self.document = document
    }

    /// Passes of every reduction until one pass changes nothing.
    mutating func shrink() {
        var changed = true
        var passes = 0
        while changed, passes < 4 {
            changed = false
            passes += 1
            changed = shortenRun() || changed
            for list in Self.faultLists { changed = removeItems(["faults", list]) || changed }
            for (path, none) in Self.randomEffects where node(at: path)?.string != none {
                changed = attempt(ScenarioDocument.setting(path[...], to: Yams.Node(none), in: document)) || changed
            }
            changed = removeItems(["participants"]) || changed
            changed = halveParticipants() || changed
            changed = halveLoadRate() || changed
        }
    }

    /// Keeps `candidate` if the same invariant still breaks there.
    private mutating func attempt(_ candidate: Yams.Node) -> Bool {
        guard candidate != document else { return false }
        guard let failure = stillFails(candidate) else { return false }
        document = candidate
        target = failure
        kept += 1
        return true
    }

    /// The failure of `candidate` if it is the same invariant as the target's.
    private mutating func stillFails(_ candidate: Yams.Node) -> InvariantViolation? {
        tried += 1
        guard let failure = trial.failure(of: candidate), failure.kind == target.kind,
              failure.invariant == target.invariant else { return nil }
        return failure
    }

    /// Replaces the load's random arrival process by the failing run's own arrivals, written as a
    /// load trace to `csvPath` with each arrival's participant, quantity, price and bid region
    /// (orders) or recipient and amount (transfers), so the workload draws nothing, and drops the
    /// load fields the trace controller does not use (each would be a warning); then removes
    /// arrivals in ever smaller chunks while the same invariant still breaks. Returns how many arrivals are
    /// left of how many, or `nil` (and changes nothing) if the failure needs the random arrival
    /// process.
    mutating func makeArrivalsExplicit(csvPath: String, trialLimit: Int = 400) -> (left: Int, of: Int)? {
        guard let scenario = try? trial.scenario(document) else { return nil }
        let simulator = Simulator(scenario: scenario, seed: trial.seed, costProfile: trial.profile,
                                  mutation: trial.mutation)
        var recorded: [TraceRow] = []
        simulator.arrivalObserver = { recorded.append($0) }
        _ = simulator.run()
        var rows = recorded.filter { $0.time <= target.time }
        let original = rows.count
        var candidate = ScenarioDocument.setting(["load", "controller"], to: Yams.Node("trace"), in: document)
        candidate = ScenarioDocument.setting(["load", "trace"], to: Yams.Node(csvPath), in: candidate)
        for (field, controllers) in LoadSettings.fieldUsers where !controllers.contains(.trace) {
            candidate = ScenarioDocument.removing(["load", field], from: candidate)
        }
        Self.write(rows, to: csvPath)
        guard let failure = stillFails(candidate) else {
            try? FileManager.default.removeItem(atPath: csvPath)
            return nil
        }
        document = candidate
        target = failure
        kept += 1
        var chunk = max(1, rows.count / 2)
        while !rows.isEmpty, tried < trialLimit {
            var start = 0
            while start < rows.count, tried < trialLimit {
                let fewer = Array(rows[..<start] + rows[min(rows.count, start + chunk)...])
                Self.write(fewer, to: csvPath)
                if let failure = stillFails(document) {
                    rows = fewer
                    target = failure
                    kept += 1
                } else {
                    start += chunk
                }
            }
            if chunk == 1 { break }
            chunk = max(1, chunk / 2)
        }
        Self.write(rows, to: csvPath)
        return (rows.count, original)
    }

    private static func write(_ rows: [TraceRow], to path: String) {
        try? LoadTrace.text(of: rows).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Ends the run a second after the failure (and the warm-up within it).
    private mutating func shortenRun() -> Bool {
        let seconds = Int(target.time.seconds.rounded(.up)) + 1
        guard let current = try? trial.scenario(document), Double(seconds) < current.run.duration.seconds else { return false }
        var candidate = ScenarioDocument.setting(["run", "duration"], to: Yams.Node("\(seconds) s"), in: document)
        if current.run.warmup.seconds >= Double(seconds) {
            candidate = ScenarioDocument.setting(["run", "warmup"], to: Yams.Node("0 s"), in: candidate)
        }
        return attempt(candidate)
    }

    /// Tries removing each item of the list at `path`, last first.
    private mutating func removeItems(_ path: [String]) -> Bool {
        var changed = false
        var index = (node(at: path)?.sequence?.count ?? 0) - 1
        while index >= 0 {
            if var items = node(at: path)?.sequence, index < items.count {
                items.remove(at: index)
                changed = attempt(ScenarioDocument.setting(path[...], to: .sequence(items), in: document)) || changed
            }
            index -= 1
        }
        return changed
    }

    /// Halves each participant class's count and rates while the failure holds.
    private mutating func halveParticipants() -> Bool {
        var changed = false
        for index in 0..<(document["participants"]?.sequence?.count ?? 0) {
            guard var entry = document["participants"]?.sequence?[index].mapping else { continue }
            if let count = entry["count"]?.int, count > 1 {
                entry["count"] = Yams.Node(String(count / 2))
            } else {
                var halved = false
                for rate in ["order_rate", "tx_rate"] {
                    guard let text = entry[rate]?.string, let number = Double(text.split(separator: " ")[0]),
                          number > 1e-3 else { continue }
                    entry[rate] = Yams.Node("\(number / 2) " + text.split(separator: " ").dropFirst().joined(separator: " "))
                    halved = true
                }
                guard halved else { continue }
            }
            guard var list = document["participants"]?.sequence else { continue }
            list[index] = .mapping(entry)
            changed = attempt(ScenarioDocument.setting(["participants"], to: .sequence(list), in: document)) || changed
        }
        return changed
    }

    /// Halves `load.tps` while the failure holds: the rate every class is scaled to, which halving
    /// a class's count or rates cannot lower.
    private mutating func halveLoadRate() -> Bool {
        var changed = false
        while let tpsNode = node(at: ["load", "tps"]), let tps = tpsNode.float ?? tpsNode.int.map(Double.init), tps > 1e-3,
              attempt(ScenarioDocument.setting(["load", "tps"], to: Yams.Node(String(tps / 2)), in: document)) {
            changed = true
        }
        return changed
    }

    private func node(at path: [String]) -> Yams.Node? {
        path.reduce(Optional(document)) { $0?[$1] }
    }
}
