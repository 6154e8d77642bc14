import ArgumentParser
import Dispatch
import Foundation
import Reporting
import Synchronization

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a scenario over many seeds (and parameter points), each in its own process.",
        discussion: """
        Writes DIR/runs.jsonl (one line per finished run, appended as runs finish, so an interrupted \
        sweep keeps them; run it again with the same --out to finish the rest) and DIR/summary.md \
        (failures first, each with its reproduce command). A failed run keeps its report under \
        DIR/runs/. Exits with the worst exit code of its runs (4, 5, 1, 2, then 0), or 2 without \
        running anything when DIR holds runs of another sweep (other seeds, --set, --grid or --mutation).
        """)

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: "Seeds to run: A...B (inclusive).")
    var seeds: String

    @Option(help: "Runs at a time (default: the number of cores).")
    var jobs: Int?

    @Option(name: .customLong("set"), help: "Override a scenario field for every run: key.path=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "A parameter to sweep: key.path=v1,v2,… (repeatable; every combination runs).")
    var grid: [String] = []

    @Option(help: "Run a deliberately broken protocol or cross-shard rule in every run (see `run --mutation`).")
    var mutation: String?

    @Option(help: "Run only slice i of N (0 ≤ i < N), e.g. a Kubernetes completion index; `gridsim merge` combines slices.")
    var shard: String?

    @Option(help: "Also write JUnit XML here.")
    var junit: String?

    @Flag(help: "No progress lines on standard error (a failed run is still named as it finishes).")
    var quiet = false

    @Option(help: "The sweep's folder.")
    var out: String

    func run() throws {
        guard let seedRange = SweepPlan.parseSeeds(seeds) else {
            printError("sweep: --seeds '\(seeds)' is not A...B (whole numbers, A ≤ B) or one seed")
            throw ExitStatus.badInput.exitCode
        }
        if let jobs = self.jobs, jobs < 1 {
            printError("sweep: --jobs \(jobs): at least one run at a time")
            throw ExitStatus.badInput.exitCode
        }
        var axes: [(key: String, values: [String])] = []
        for text in grid {
            guard let axis = SweepPlan.parseGrid(text) else {
                printError("sweep: --grid '\(text)' is not key.path=v1,v2,…")
                throw ExitStatus.badInput.exitCode
            }
            axes.append(axis)
        }
        let slice = try parseShard()
        let jobs = self.jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Validate once, with every grid value, before starting any process; each warning once.
        var warnings = try loadScenario(scenario, overrides: overrides, warn: false).warnings
        for axis in axes {
            for value in axis.values {
                let point = try loadScenario(scenario, overrides: overrides + ["\(axis.key)=\(value)"], warn: false)
                warnings += point.warnings.filter { !warnings.contains($0) }
            }
        }
        warnings.forEach { printError($0.description) }

        let scenario = SweepPlan.plainPath(self.scenario)
        let plan = SweepPlan(scenario: scenario, seeds: seedRange, grid: axes)
        guard !plan.exceedsMaximumRuns else {
            printError("sweep: --seeds \(self.seeds)\(axes.isEmpty ? "" : " over the --grid points") is more than \(SweepPlan.maximumRuns) runs; "
                       + "split it into sweeps of fewer seeds (`gridsim merge` joins their folders)")
            throw ExitStatus.badInput.exitCode
        }
        let mine = slice.map { plan.runs(slice: $0.index, of: $0.count) } ?? plan.runs
        let executor = SweepExecutor(executable: Self.ownExecutable, scenario: scenario, overrides: overrides,
                                     mutation: mutation, folder: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // A run is done when the folder holds its result: the same place in the sweep and the
        // same command (seed, overrides, grid point, mutation). A result of any other run means
        // the folder is another sweep's, whose results rewriting runs.jsonl would lose.
        let planned = Dictionary(uniqueKeysWithValues: mine.map { ($0.index, executor.repro(for: $0)) })
        let previous = try SweepReport.read(out)
        let foreign = previous.filter { planned[$0.index] != $0.repro }
        if let example = foreign.first {
            printError("sweep: \(out)/runs.jsonl holds \(foreign.count) runs that are not of this sweep, such as `\(example.repro)`; "
                       + "give another --out, or the command that made them to finish that sweep")
            throw ExitStatus.badInput.exitCode
        }
        let done = Set(previous.map(\.index))
        let todo = mine.filter { !done.contains($0.index) }
        if !done.isEmpty { printError("sweep: \(done.count) runs already in \(out)/runs.jsonl; running the other \(todo.count)") }

        let started = DispatchTime.now()
        let progress = SweepProgress(total: todo.count, quiet: quiet)
        let results = try executor.run(todo, jobs: jobs) { progress.record($0) }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9

        let all = SweepReport.ordered(previous + results)
        try SweepReport.write(all, to: out)
        if let junit { try ReportWriter.writeAtomically(Data(SweepReport.junit(all).utf8), to: junit) }
        print(SweepReport.summary(all), terminator: "")
        if !results.isEmpty {
            print(String(format: "%d runs in %.1f s with %d jobs: %.0f seeds per hour", results.count, elapsed, jobs,
                         Double(results.count) * 3600 / max(elapsed, 1e-9)))
        }
        let worst = all.map(\.exit).max { exitSeverity($0) < exitSeverity($1) } ?? 0
        if worst != 0 { throw ExitCode(worst) }
    }

    private func parseShard() throws -> (index: Int, count: Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] > 0, (0..<parts[1]).contains(parts[0]) else {
            printError("sweep: --shard '\(shard)' is not i/N with 0 ≤ i < N")
            throw ExitStatus.badInput.exitCode
        }
        return (parts[0], parts[1])
    }

    /// This process's own executable, to start the runs with.
    static var ownExecutable: URL {
        Bundle.main.executableURL ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }
}

/// Runs sweep runs as child processes, `jobs` at a time, appending each result to
/// `runs.jsonl` as soon as it finishes.
struct SweepExecutor: Sendable {
    var executable: URL
    var scenario: String
    var overrides: [String]
    var mutation: String?
    var folder: String

    /// Runs `runs`, calling `finished` with each result as it is written (one call at a time).
    func run(_ runs: [SweepRun], jobs: Int, finished: @escaping @Sendable (SweepResult) -> Void = { _ in }) throws -> [SweepResult] {
        let journalPath = (folder as NSString).appendingPathComponent("runs.jsonl")
        if !FileManager.default.fileExists(atPath: journalPath) {
            _ = FileManager.default.createFile(atPath: journalPath, contents: nil)
        }
        let journal = try FileHandle(forWritingTo: URL(fileURLWithPath: journalPath))
        try journal.seekToEnd()
        let state = Mutex((next: 0, results: [SweepResult]()))
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(1, runs.count)) {
            DispatchQueue.global().async(group: group) {
                while true {
                    let claimed = state.withLock { state -> Int? in
                        guard state.next < runs.count else { return nil }
                        defer { state.next += 1 }
                        return state.next
                    }
                    guard let claimed else { return }
                    let result = execute(runs[claimed])
                    state.withLock { state in
                        state.results.append(result)
                        journal.write(Data((result.line + "\n").utf8))
                        finished(result)
                    }
                }
            }
        }
        group.wait()
        try journal.close()
        return state.withLock { $0.results }
    }

    private func arguments(for run: SweepRun) -> [String] {
        var words = [scenario, "--seed", String(run.seed)]
        for override in overrides { words += ["--set", override] }
        for parameter in run.parameters { words += ["--set", "\(parameter.key)=\(parameter.value)"] }
        if let mutation { words += ["--mutation", mutation] }
        return words
    }

    private func execute(_ run: SweepRun) -> SweepResult {
        let directory = (folder as NSString).appendingPathComponent("runs/\(run.index)-seed\(run.seed)")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run"] + arguments(for: run) + ["--out", directory, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        let errors = (directory as NSString).appendingPathExtension("stderr")!
        try? FileManager.default.createDirectory(atPath: (folder as NSString).appendingPathComponent("runs"),
                                                 withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errors)
        let started = DispatchTime.now()
        var status: Int32 = 1
        do {
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            try? "cannot start \(executable.path): \(error)\n".write(toFile: errors, atomically: false, encoding: .utf8)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let reportPath = (directory as NSString).appendingPathComponent("report.json")
        let report = (try? Data(contentsOf: URL(fileURLWithPath: reportPath)))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        if status == 0 {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: errors)
        }
        return SweepResult(scenario: scenario, run: run, exit: status, report: report, wallSeconds: wall,
                           repro: repro(for: run))
    }

    /// The command that runs `run` on its own, as the summary prints it: what tells one run's
    /// result from another's.
    func repro(for run: SweepRun) -> String {
        commandLine(["gridsim", "run"] + arguments(for: run))
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the folders of sweep slices into one runs.jsonl and summary, as one whole sweep writes.")

    @Argument(help: "Sweep folders (slices) to combine.")
    var folders: [String]

    @Option(help: "Also write JUnit XML here.")
    var junit: String?

    @Option(help: "Folder for the merged runs.jsonl and summary.md.")
    var out: String

    func run() throws {
        var results: [SweepResult] = []
        for folder in folders {
            let path = (folder as NSString).appendingPathComponent("runs.jsonl")
            guard FileManager.default.fileExists(atPath: path) else {
                printError("\(path):0:0: error: merge: no runs.jsonl in \(folder)")
                throw ExitStatus.badInput.exitCode
            }
            results += try SweepReport.read(folder)
        }
        let scenarios = Set(results.map(\.scenario))
        guard scenarios.count <= 1 else {
            printError("merge: the folders are sweeps of different scenarios: \(scenarios.sorted().joined(separator: ", "))")
            throw ExitStatus.badInput.exitCode
        }
        // Slices of one sweep hold different places; the same place twice must be the same run.
        var commands: [Int: String] = [:]
        for result in results {
            if let other = commands.updateValue(result.repro, forKey: result.index), other != result.repro {
                printError("merge: the folders are different sweeps: run \(result.index) is `\(other)` in one and "
                           + "`\(result.repro)` in another")
                throw ExitStatus.badInput.exitCode
            }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let merged = SweepReport.ordered(results)
        try SweepReport.write(merged, to: out)
        if let junit { try ReportWriter.writeAtomically(Data(SweepReport.junit(merged).utf8), to: junit) }
        print(SweepReport.summary(merged), terminator: "")
        let worst = merged.map(\.exit).max { exitSeverity($0) < exitSeverity($1) } ?? 0
        if worst != 0 { throw ExitCode(worst) }
    }
}

/// What a sweep has done so far, on standard error: a failed run as soon as it finishes, and
/// (unless quiet) the runs done with the failures so far and the wall time left — on a
/// terminal one line redrawn after every run, elsewhere a line at every tenth of the runs, so
/// a sweep's log shows it is alive. Wall-clock figures only; nothing here enters a run.
final class SweepProgress: Sendable {
    private let total: Int
    private let quiet: Bool
    /// Redraws one line on a terminal rather than printing a line at every tenth.
    private let redraws: Bool
    private let started = ContinuousClock.now
    private let state = Mutex((done: 0, failed: 0))

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet
        redraws = !quiet && isatty(STDERR_FILENO) == 1
    }

    func record(_ result: SweepResult) {
        // Under the lock, so lines from runs ending together do not interleave.
        state.withLock { state in
            state.done += 1
            if result.exit != 0 {
                state.failed += 1
                printError((redraws ? "\r\u{1B}[K" : "")
                           + "sweep: seed \(result.seed)\(result.parameters.isEmpty ? "" : " at point \(result.point)") exited \(result.exit)"
                           + "\(result.invariant.map { " (\($0))" } ?? ""): \(result.repro)")
            }
            let step = max(1, total / 10)
            guard !quiet, redraws || state.done % step == 0 || state.done == total else { return }
            let seconds = started.duration(to: .now).inSeconds
            let left = seconds / Double(state.done) * Double(total - state.done)
            let line = String(format: "sweep: %d of %d runs, %d failed, %.0f s so far, about %.0f s left",
                              state.done, total, state.failed, seconds, left)
            if redraws {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (state.done == total ? "\n" : "")).utf8))
            } else {
                printError(line)
            }
        }
    }
}
