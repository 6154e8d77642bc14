import Foundation
import Reporting

/// One run of a sweep: a seed at one parameter point.
struct SweepRun: Sendable {
    /// Position in the whole (unsliced) sweep: points in `--grid` order, seeds ascending.
    var index: Int
    var point: Int
    var seed: UInt64
    /// `key=value` overrides of this point, in `--grid` order.
    var parameters: [(key: String, value: String)]
}

/// What a sweep runs: every seed at every point of the parameter grid, optionally one slice.
struct SweepPlan {
    var scenario: String
    var seeds: ClosedRange<UInt64>
    var grid: [(key: String, values: [String])]

    /// The most runs a sweep lists: each is a line of `runs.jsonl` and a process, and the plan
    /// holds them all in memory (a range of every 64-bit seed ran the machine out of memory).
    static let maximumRuns = 10_000_000

    /// Whether the sweep has more than `maximumRuns` runs (counted without overflow).
    var exceedsMaximumRuns: Bool {
        guard seeds.upperBound - seeds.lowerBound < UInt64(Self.maximumRuns) else { return true }
        var count = seeds.count
        for axis in grid {
            count *= max(1, axis.values.count)
            if count > Self.maximumRuns { return true }  // count ≤ 10⁷ before each product, an axis far under 10¹¹ values
        }
        return false
    }

    /// Every run of the whole sweep. O(points × seeds).
    var runs: [SweepRun] {
        var points: [[(key: String, value: String)]] = [[]]
        for (key, values) in grid {
            points = points.flatMap { point in values.map { point + [(key, $0)] } }
        }
        var runs: [SweepRun] = []
        for (pointIndex, point) in points.enumerated() {
            for seed in seeds {
                runs.append(SweepRun(index: runs.count, point: pointIndex, seed: seed, parameters: point))
            }
        }
        return runs
    }

    /// The runs of slice `slice` of `count` (0-based, as a Kubernetes completion index): every
    /// run whose index is `slice` modulo `count`, so slices are balanced and disjoint.
    func runs(slice: Int, of count: Int) -> [SweepRun] {
        precondition(count > 0 && (0..<count).contains(slice), "a slice is 0 ≤ i < N")
        return runs.filter { $0.index % count == slice }
    }

    /// `path` without `.` components or repeated slashes, so that `./Scenarios/x.yaml` and
    /// `Scenarios//x.yaml` name the same sweep as `Scenarios/x.yaml` (runs are matched by their
    /// command).
    static func plainPath(_ path: String) -> String {
        let joined = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Parses `A...B` (or `A..B`, or a single seed).
    static func parseSeeds(_ text: String) -> ClosedRange<UInt64>? {
        let parts = text.replacingOccurrences(of: "...", with: "..").components(separatedBy: "..")
        guard let first = UInt64(parts[0]) else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? first...first : nil }
        guard let last = UInt64(parts[1]), last >= first else { return nil }
        return first...last
    }

    /// Parses `key=v1,v2,…`.
    static func parseGrid(_ text: String) -> (key: String, values: [String])? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<equals])
        let values = text[text.index(after: equals)...].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !key.isEmpty, !values.isEmpty, !values.contains(where: \.isEmpty) else { return nil }
        return (key, values)
    }
}

/// The outcome of one run, one line of `runs.jsonl`.
struct SweepResult: Sendable {
    var scenario: String
    var index: Int
    var point: Int
    var seed: UInt64
    var parameters: [(key: String, value: String)]
    var exit: Int32
    var digest: String?
    var invariant: String?
    var tps: Double?
    var finalityP99Ms: Double?
    var events: Int?
    var wallSeconds: Double
    var repro: String

    /// The `gridsim shrink` command for a run that broke an invariant: the reproduce command's
    /// arguments and a file to write; `nil` for a run that broke none.
    var shrinkCommand: String? {
        let run = "gridsim run "
        guard exit == ExitStatus.safety.rawValue || exit == ExitStatus.liveness.rawValue, repro.hasPrefix(run) else { return nil }
        let name = parameters.isEmpty ? "seed-\(seed)" : "seed-\(seed)-point-\(point)"
        return "gridsim shrink " + repro.dropFirst(run.count) + " --out shrunk/\(name).yaml"
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "scenario": scenario, "index": index, "point": point, "seed": seed,
            "parameters": Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0.value) }),
            "parameter_order": parameters.map(\.key),
            "exit": exit, "wall_seconds": (wallSeconds * 1000).rounded() / 1000, "repro": repro,
        ]
        object["digest"] = digest
        object["invariant"] = invariant
        object["tps"] = tps
        object["finality_p99_ms"] = finalityP99Ms
        object["events"] = events
        return object
    }

    /// One JSON line, keys sorted.
    var line: String {
        let data = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    init(scenario: String, run: SweepRun, exit: Int32, report: [String: Any]?, wallSeconds: Double, repro: String) {
        self.scenario = scenario
        index = run.index
        point = run.point
        seed = run.seed
        parameters = run.parameters
        self.exit = exit
        self.wallSeconds = wallSeconds
        self.repro = repro
        let manifest = report?["manifest"] as? [String: Any]
        digest = manifest?["digest"] as? String
        invariant = ((report?["violations"] as? [[String: Any]])?.first).map {
            "\($0["kind"] as? String ?? "?") \($0["invariant"] as? String ?? "?")"
        }
        tps = ((report?["throughput"] as? [String: Any])?["tps"] as? NSNumber)?.doubleValue
        finalityP99Ms = (((report?["latency"] as? [String: Any])?["finality"] as? [String: Any])?["p99_ms"] as? NSNumber)?
            .doubleValue
        events = ((report?["harness"] as? [String: Any])?["events"] as? NSNumber)?.intValue
    }

    /// Reads a line written by `line`.
    init?(line: String) {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let scenario = object["scenario"] as? String, let index = object["index"] as? Int,
              let point = object["point"] as? Int, let seed = (object["seed"] as? NSNumber)?.uint64Value,
              let exit = (object["exit"] as? NSNumber)?.int32Value, let repro = object["repro"] as? String
        else { return nil }
        let values = object["parameters"] as? [String: String] ?? [:]
        let order = object["parameter_order"] as? [String] ?? values.keys.sorted()
        self.scenario = scenario
        self.index = index
        self.point = point
        self.seed = seed
        parameters = order.map { ($0, values[$0] ?? "") }
        self.exit = exit
        digest = object["digest"] as? String
        invariant = object["invariant"] as? String
        tps = (object["tps"] as? NSNumber)?.doubleValue
        finalityP99Ms = (object["finality_p99_ms"] as? NSNumber)?.doubleValue
        events = (object["events"] as? NSNumber)?.intValue
        wallSeconds = (object["wall_seconds"] as? NSNumber)?.doubleValue ?? 0
        self.repro = repro
    }
}

/// How bad an exit code is, for a sweep's own exit: safety worst, then liveness, crash, bad input.
func exitSeverity(_ code: Int32) -> Int {
    switch code {
    case 0: 0
    case 2: 1
    case 4: 4
    case 5: 3
    default: 2
    }
}

/// The summary and the files of a set of sweep results (a whole sweep, or merged slices). The
/// summary depends only on the results, so merged slices give the same summary as one sweep.
enum SweepReport {
    /// Results in sweep order, one per run index (the last line for an index wins).
    static func ordered(_ results: [SweepResult]) -> [SweepResult] {
        var byIndex: [Int: SweepResult] = [:]
        for result in results { byIndex[result.index] = result }
        return byIndex.keys.sorted().map { byIndex[$0]! }
    }

    static func summary(_ results: [SweepResult]) -> String {
        let failures = results.filter { $0.exit != 0 }
        let scenario = results.first?.scenario ?? "?"
        let seeds = Set(results.map(\.seed)).count
        let points = Set(results.map(\.point)).count
        var lines = ["# Sweep of \(scenario)", "",
                     "\(results.count) runs: \(seeds) seeds × \(points) parameter point\(points == 1 ? "" : "s"); \(failures.count) failed."]
        if !failures.isEmpty {
            lines += ["", "## Failures", ""]
            for failure in failures.sorted(by: { (exitSeverity($0.exit), -$0.index) > (exitSeverity($1.exit), -$1.index) }) {
                let parameters = failure.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                lines.append("- seed \(failure.seed)\(parameters.isEmpty ? "" : " (\(parameters))"): exit \(failure.exit)\(failure.invariant.map { ", \($0)" } ?? "")")
                lines.append("  reproduce: `\(failure.repro)`")
                if let shrink = failure.shrinkCommand { lines.append("  shrink: `\(shrink)`") }
            }
        }
        lines += ["", "## Exit codes", "", "| exit | runs |", "|---:|---:|"]
        for code in Set(results.map(\.exit)).sorted() {
            lines.append("| \(code) | \(results.filter { $0.exit == code }.count) |")
        }
        let tps = results.compactMap(\.tps)
        if !tps.isEmpty {
            lines += ["", String(format: "Throughput over the runs: mean %.3f tx/s, min %.3f, max %.3f.",
                                 tps.reduce(0, +) / Double(tps.count), tps.min()!, tps.max()!)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func junit(_ results: [SweepResult]) -> String {
        let failures = results.filter { $0.exit != 0 }.count
        let scenario = escape(results.first?.scenario ?? "sweep")
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuite name=\"gridsim sweep \(scenario)\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", results.reduce(0) { $0 + $1.wallSeconds }))\">"]
        for result in results {
            let parameters = result.parameters.map { " \($0.key)=\($0.value)" }.joined()
            xml.append("  <testcase classname=\"\(scenario)\" name=\"seed \(result.seed)\(escape(parameters))\" time=\"\(String(format: "%.3f", result.wallSeconds))\">")
            if result.exit != 0 {
                xml.append("    <failure message=\"exit \(result.exit)\(escape(result.invariant.map { ": \($0)" } ?? ""))\">\(escape(result.repro))</failure>")
            }
            xml.append("  </testcase>")
        }
        xml.append("</testsuite>")
        return xml.joined(separator: "\n") + "\n"
    }

    /// Writes `runs.jsonl` (sweep order) and `summary.md` into `directory`.
    static func write(_ results: [SweepResult], to directory: String) throws {
        let ordered = ordered(results)
        let lines = ordered.map(\.line).joined(separator: "\n") + (ordered.isEmpty ? "" : "\n")
        try ReportWriter.writeAtomically(Data(lines.utf8), to: (directory as NSString).appendingPathComponent("runs.jsonl"))
        try ReportWriter.writeAtomically(Data(summary(ordered).utf8),
                                         to: (directory as NSString).appendingPathComponent("summary.md"))
    }

    /// Reads the results in `directory/runs.jsonl` (none if it does not exist).
    static func read(_ directory: String) throws -> [SweepResult] {
        let path = (directory as NSString).appendingPathComponent("runs.jsonl")
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { SweepResult(line: String($0)) }
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
