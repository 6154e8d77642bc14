import ArgumentParser
import CMimalloc
import Foundation
import GridCore
import Reporting
import Scenario
import Simulation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a scenario and write its report.")

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: "Master seed; replaces the scenario's run.seed.")
    var seed: UInt64?

    @Option(help: "Report folder (default: Reports/<scenario>-seed<N>).")
    var out: String?

    @Option(name: .customLong("set"), help: "Override a scenario field: key.path=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "A cost profile written by `gridsim calibrate` (default: the scenario's, else the built-in reference).")
    var costProfile: String?

    @Option(help: "Run a deliberately broken protocol or cross-shard rule to test the checkers: \(Mutation.allCases.map(\.name).joined(separator: ", ")).")
    var mutation: String?

    @Flag(help: "Print only the report path.")
    var quiet = false

    @Option(help: "Write a trace here: one line per delivery, vote, proposal, commit, fault and checker verdict (see `replay`, `diverge`).")
    var trace: String?

    @Option(name: .customLong("trace-node"), help: "Trace only this node (repeatable).")
    var traceNodes: [Int] = []

    @Option(name: .customLong("trace-kind"), help: "Trace only these kinds, comma-separated: \(TraceKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var traceKinds: String?

    @Option(name: .customLong("trace-heights"), help: "Trace only heights A...B.")
    var traceHeights: String?

    @Flag(help: "Also write transactions.csv: one row per transaction, for pandas.")
    var transactionsCsv = false

    @Option(help: "Bucket of the report's time series, e.g. '10 s' or '15 min' (default: chosen to keep 1,500 buckets at most).")
    var bucket: String?

    @Flag(name: .shortAndLong, help: "Print every value derived from the seed before the run.")
    var verbose = false

    func run() throws {
        let bucketSeconds = try bucket.map(parseBucket)
        let loaded = try loadScenario(scenario, overrides: overrides)
        let profile = try loadCostProfile(explicit: costProfile, scenario: loaded)
        let seed = self.seed ?? loaded.run.seed
        let (scenario, swarm) = SwarmDraw.apply(to: loaded, seed: seed)
        if let problem = scenario.genesisMemoryProblem(physicalMemoryBytes: ProcessInfo.processInfo.physicalMemory) {
            printError(problem.description)
            throw ExitStatus.badInput.exitCode
        }
        if verbose {
            printError("seed \(seed): scenario \(scenario.name), derived streams seeded from (\(seed), name)")
            for (name, value) in swarm { printError("swarm \(name) = \(value)") }
        }
        let broken = try Self.parseMutation(mutation)
        let filter = try traceFilter()
        let clock = ContinuousClock()
        let started = clock.now
        let simulator = Simulator(scenario: scenario, seed: seed, costProfile: profile, mutation: broken)
        let writer = try trace.map {
            try TraceWriter(path: $0, header: TraceHeader(scenario: self.scenario, seed: seed, overrides: overrides,
                                                          mutation: mutation, costProfile: costProfile),
                            filter: filter)
        }
        if let writer { simulator.tracer = { writer.record($0) } }
        let meter = isatty(STDERR_FILENO) == 1 && !quiet ? ProgressLine(total: scenario.run.duration) : nil
        let result = simulator.run(progress: meter.map { meter in { meter.update(simulated: $0, events: $1) } })
        meter?.finish()
        try writer?.finish(digest: result.digest.hex, events: result.events)
        let wall = started.duration(to: clock.now)
        let wallSeconds = wall.inSeconds
        let harness = HarnessFigures(
            events: result.events, wallSeconds: wallSeconds, simulatedSeconds: result.endTime.seconds,
            peakRssBytes: peakResidentBytes(), signatureChecksComputed: result.signatureChecksComputed,
            signatureCacheHits: result.signatureCacheHits, signatureChecksAhead: result.signatureChecksAhead,
            executionStepsComputed: result.executionStepsComputed, executionStepsReused: result.executionStepsReused,
            admissionChecksReused: result.admissionChecksReused, allocator: Allocator.description)
        let writing = clock.now
        let report = Report(result: result, harness: harness, swarm: swarm, bucketSeconds: bucketSeconds)
        let directory = out ?? "Reports/\(sanitized(scenario.name))-seed\(seed)"
        try ReportWriter.write(report, result: result, to: directory, transactionsCSV: transactionsCsv)
        let written = writing.duration(to: clock.now)
        if quiet {
            print(directory)
        } else {
            print(RunSummary.render(report, directory: directory))
            print("reports written in \(String(format: "%.2f", written.inSeconds)) s")
        }
        if let violation = result.violations.first {
            printError("invariant broken: \(violation)")
            printError("reproduce: \(reproduceCommand(seed: seed))")
            printError("shrink: \(shrinkCommand(seed: seed, scenarioName: scenario.name))")
            throw (violation.kind == .safety ? ExitStatus.safety : ExitStatus.liveness).exitCode
        }
    }

    static func parseMutation(_ name: String?) throws -> Mutation? {
        guard let name else { return nil }
        guard let known = Mutation(name: name) else {
            printError("run: unknown --mutation '\(name)'; known: \(Mutation.allCases.map(\.name).joined(separator: ", "))")
            throw ExitStatus.badInput.exitCode
        }
        return known
    }

    /// The digest of a run, as `run` would compute it (for `replay`).
    static func digest(of header: TraceHeader) throws -> String {
        let loaded = try loadScenario(header.scenario, overrides: header.overrides)
        let profile = try loadCostProfile(explicit: header.costProfile, scenario: loaded)
        let (scenario, _) = SwarmDraw.apply(to: loaded, seed: header.seed)
        let simulator = Simulator(scenario: scenario, seed: header.seed, costProfile: profile,
                                  mutation: try parseMutation(header.mutation))
        return simulator.run().digest.hex
    }

    private func traceFilter() throws -> TraceWriter.Filter {
        var filter = TraceWriter.Filter(nodes: Set(traceNodes))
        for name in (traceKinds ?? "").split(separator: ",") {
            guard let kind = TraceKind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                printError("run: --trace-kind '\(name)' is not one of \(TraceKind.allCases.map(\.rawValue).joined(separator: ", "))")
                throw ExitStatus.badInput.exitCode
            }
            filter.kinds.insert(kind)
        }
        if let traceHeights {
            guard let range = SweepPlan.parseSeeds(traceHeights) else {
                printError("run: --trace-heights '\(traceHeights)' is not A...B")
                throw ExitStatus.badInput.exitCode
            }
            filter.heights = range
        }
        return filter
    }

    private func parseBucket(_ text: String) throws -> Double {
        guard case .success(let nanos) = QuantityKind.duration.parse(text), nanos > 0 else {
            printError("run: --bucket '\(text)' is not a positive duration such as '10 s' or '15 min'")
            throw ExitStatus.badInput.exitCode
        }
        return nanos / 1e9
    }

    private func reproduceCommand(seed: UInt64) -> String {
        command("run", seed: seed)
    }

    /// The `gridsim shrink` command that makes this failing run small.
    private func shrinkCommand(seed: UInt64, scenarioName: String) -> String {
        command("shrink", seed: seed) + " --out " + shellQuoted("\(sanitized(scenarioName))-seed\(seed).shrunk.yaml")
    }

    private func command(_ name: String, seed: UInt64) -> String {
        commandLine(commandWords(name, scenario: scenario, seed: seed, overrides: overrides, costProfile: costProfile,
                                 mutation: mutation))
    }
}

/// Loads and validates a scenario, printing every located problem and exiting 2 on bad input.
/// Warnings (values the run ignores) go to standard error too, unless `warn` is false, and do
/// not stop it.
func loadScenario(_ path: String, overrides: [String], warn: Bool = true) throws -> Scenario {
    do {
        let scenario = try ScenarioLoader.load(path: path, overrides: overrides)
        if warn { scenario.warnings.forEach { printError($0.description) } }
        return scenario
    } catch let error as ScenarioError {
        printError(error.description)
        throw ExitStatus.badInput.exitCode
    }
}

/// The cost profile to charge: `--cost-profile`, else the scenario's `cost_profile` (relative to the
/// scenario file), else the built-in reference.
func loadCostProfile(explicit: String?, scenario: Scenario) throws -> CostProfile {
    let path: String
    if let explicit {
        path = explicit
    } else if let relative = scenario.costProfilePath {
        path = relative.hasPrefix("/") ? relative
            : ((scenario.sourcePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(relative)
    } else {
        return .reference
    }
    do {
        return try CostProfile.load(path: path)
    } catch let error as ScenarioError {
        printError(error.description)
        throw ExitStatus.badInput.exitCode
    }
}

/// The allocator serving this process: mimalloc, linked ahead of the C library, unless the
/// system's malloc still answers (a linker that put the C library first).
enum Allocator {
    /// The lead of the prefaulting thread in MiB, or `nil` when it is off or did not start.
    nonisolated(unsafe) private(set) static var prefaultLeadMegabytes: Int?
    /// Whether mimalloc serves malloc, asked before the prefaulting arena exists (see
    /// `cmimalloc_serves_malloc`): which malloc a process links does not change while it runs.
    nonisolated(unsafe) private(set) static var mimallocServesMalloc = false

    /// Sets mimalloc up for a simulation. Called once, first thing in `main`.
    /// - Large OS pages, unless `MIMALLOC_LARGE_OS_PAGES` says otherwise (the 600 s modelled
    ///   stress run took 55.7 s with them against 62.0 s without).
    /// - A thread that faults fresh memory in ahead of the allocator, `GRIDSIM_PREFAULT_MB` ahead
    ///   (default 256; 0 turns it off; the thread works a 32 MiB segment at a time, so a lead
    ///   is at least one), so that the simulation's thread does not wait for the
    ///   kernel to zero its pages (the same run: 51.8 and 54.5 s without, 47.1 and 47.4 s
    ///   with, interleaved, for 0.82 GiB more peak memory).
    ///
    /// No outcome depends on addresses, so digests are the same either way. Exits 2 when
    /// `GRIDSIM_PREFAULT_MB` is neither 0 nor a whole number of at least one segment.
    static func prepare() {
        mimallocServesMalloc = cmimalloc_serves_malloc() != 0
        cmimalloc_prefer_large_os_pages()
        var leadMegabytes = cmimalloc_default_prefault_lead_bytes >> 20
        if let setting = ProcessInfo.processInfo.environment["GRIDSIM_PREFAULT_MB"] {
            let segmentMegabytes = cmimalloc_segment_bytes >> 20
            guard let value = Int(setting), value == 0 || (segmentMegabytes...(1 << 20)).contains(value) else {
                printError("error: GRIDSIM_PREFAULT_MB: expected a whole number of MiB, 0 (prefaulting off) or from "
                           + "\(segmentMegabytes) (one segment of mimalloc's), got '\(setting)'")
                exit(ExitStatus.badInput.rawValue)
            }
            leadMegabytes = value
        }
        if leadMegabytes > 0, cmimalloc_start_prefaulting(leadMegabytes << 20) != 0 {
            prefaultLeadMegabytes = leadMegabytes
        }
    }

    static var description: String {
        let version = mi_version()
        let name = "mimalloc \(version / 100).\(version / 10 % 10).\(version % 10)"
        guard mimallocServesMalloc else { return "system malloc (\(name) linked but not serving)" }
        var parts = [name]
        if mi_option_is_enabled(mi_option_large_os_pages) { parts.append("large OS pages") }
        if let lead = prefaultLeadMegabytes { parts.append("prefaulted \(lead) MiB ahead") }
        return parts.joined(separator: ", ")
    }
}

/// The process's peak resident set size in bytes.
func peakResidentBytes() -> Int64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int64(usage.ru_maxrss) * 1_024
}

/// A name safe for a folder.
func sanitized(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
}

/// `gridsim NAME SCENARIO --seed N` with the options that decide the run: the `--set`s, the cost
/// profile and the mutation.
func commandWords(_ name: String, scenario: String, seed: UInt64, overrides: [String], costProfile: String?,
                  mutation: String?) -> [String] {
    var words = ["gridsim", name, scenario, "--seed", String(seed)]
    for override in overrides { words += ["--set", override] }
    if let costProfile { words += ["--cost-profile", costProfile] }
    if let mutation { words += ["--mutation", mutation] }
    return words
}

/// `words` as one shell command line, each quoted when it needs it.
func commandLine(_ words: [String]) -> String {
    words.map(shellQuoted).joined(separator: " ")
}

/// `word` quoted for a POSIX shell when it needs quoting.
func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+".contains($0) }
    return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
