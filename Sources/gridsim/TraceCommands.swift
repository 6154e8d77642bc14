import ArgumentParser
import Foundation
import Simulation

/// Writes `run --trace`: a header naming the run, the lines that pass the filters, and an end
/// line with the digest, so `replay` can re-run it and `diverge` can compare two traces.
final class TraceWriter {
    struct Filter {
        var nodes: Set<Int> = []
        var kinds: Set<TraceKind> = []
        var heights: ClosedRange<UInt64>?

        func admits(_ line: TraceLine) -> Bool {
            (nodes.isEmpty || nodes.contains(line.node)) && (kinds.isEmpty || kinds.contains(line.kind))
                && (heights.map { $0.contains(line.height) } ?? true)
        }
    }

    static let magic = "# gridsim trace v1"
    private let handle: FileHandle
    private let filter: Filter
    private var buffer = Data()

    /// Starts a trace at `path` of the run `header` names.
    init(path: String, header: TraceHeader, filter: Filter) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        self.filter = filter
        buffer.append(Data((header.line + "\n").utf8))
    }

    func record(_ line: TraceLine) {
        guard filter.admits(line) else { return }
        buffer.append(Data((line.text + "\n").utf8))
        if buffer.count >= 1 << 16 { flush() }
    }

    func finish(digest: String, events: UInt64) throws {
        buffer.append(Data("# end digest=\(digest) events=\(events)\n".utf8))
        flush()
        try handle.close()
    }

    private func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The run a trace came from, as its first line records it.
struct TraceHeader: Codable {
    var scenario: String
    var seed: UInt64
    var overrides: [String]
    var mutation: String?
    var costProfile: String?

    var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return TraceWriter.magic + " " + String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    static func parse(_ line: Substring) -> TraceHeader? {
        guard line.hasPrefix(TraceWriter.magic + " ") else { return nil }
        return try? JSONDecoder().decode(TraceHeader.self, from: Data(line.dropFirst(TraceWriter.magic.count + 1).utf8))
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a trace's scenario, seed, overrides and mutation, and confirm the same digest.")

    @Argument(help: "A trace written by `gridsim run --trace`.")
    var trace: String

    func run() throws {
        guard let text = try? String(contentsOfFile: trace, encoding: .utf8) else {
            printError("\(trace):0:0: error: trace: cannot read the file")
            throw ExitStatus.badInput.exitCode
        }
        let lines = text.split(separator: "\n")
        guard let first = lines.first, let header = TraceHeader.parse(first) else {
            printError("\(trace):1:1: error: trace: not a gridsim trace (the first line must start '\(TraceWriter.magic)')")
            throw ExitStatus.badInput.exitCode
        }
        guard let end = lines.last, end.hasPrefix("# end digest="),
              let recorded = end.split(separator: " ").first(where: { $0.hasPrefix("digest=") })?.dropFirst(7) else {
            printError("\(trace):\(lines.count):1: error: trace: no end line with the digest (was the run interrupted?)")
            throw ExitStatus.badInput.exitCode
        }
        let digest = try RunCommand.digest(of: header)
        if digest == String(recorded) {
            print("replay: same digest \(digest) (scenario \(header.scenario), seed \(header.seed))")
        } else {
            print("replay: DIFFERENT digest: the trace recorded \(recorded), this run gives \(digest)")
            print("  (another binary, scenario file or platform; `gridsim run \(header.scenario) --seed \(header.seed) --trace FILE` and `gridsim diverge` show where)")
            throw ExitStatus.failure.exitCode
        }
    }
}

struct DivergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diverge",
        abstract: "Show the first event where two traces differ (exit 1 if they do).")

    @Argument(help: "The first trace.")
    var first: String

    @Argument(help: "The second trace.")
    var second: String

    @Option(help: "Lines of common history to show before the divergence.")
    var context = 3

    func run() throws {
        let a = try read(first), b = try read(second)
        // The header may name the scenario by another path; compare from the first event.
        let count = max(a.count, b.count)
        for index in 1..<max(count, 1) {
            let left = index < a.count ? String(a[index]) : nil
            let right = index < b.count ? String(b[index]) : nil
            guard left != right else { continue }
            print("traces diverge at line \(index + 1):")
            for line in a[max(1, index - context)..<min(index, a.count)] { print("  \(line)") }
            print("- \(first): \(left ?? "(trace ends)")")
            print("+ \(second): \(right ?? "(trace ends)")")
            throw ExitStatus.failure.exitCode
        }
        print("traces agree: \(max(0, count - 1)) lines after the header")
    }

    private func read(_ path: String) throws -> [Substring] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            printError("\(path):0:0: error: trace: cannot read the file")
            throw ExitStatus.badInput.exitCode
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        guard let first = lines.first, TraceHeader.parse(first) != nil else {
            printError("\(path):1:1: error: trace: not a gridsim trace")
            throw ExitStatus.badInput.exitCode
        }
        return Array(lines)
    }
}
