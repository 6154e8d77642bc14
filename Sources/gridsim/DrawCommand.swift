import ArgumentParser
import Foundation
import Reporting
import Scenario
import Yams

struct DrawCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw",
        abstract: "Write the configuration a swarm scenario draws for a seed as a plain scenario file.",
        discussion: """
        A swarm seed that fails a sweep names its configuration only as drawn values. This writes \
        them into the scenario itself — validators and their stakes, Byzantine validators, crashes, \
        partitions, message loss, every participant's rates and the shards — with swarm mode off and \
        the seed as `run.seed`, so that `gridsim run OUT` gives the swarm run's digest, and the file \
        can be edited, shared and shrunk like any other. (`gridsim shrink` does the same by itself.)
        """)

    @Argument(help: "The swarm scenario file (YAML).")
    var scenario: String

    @Option(help: "The seed whose draw to write (default: the scenario's run.seed).")
    var seed: UInt64?

    @Option(name: .customLong("set"), help: "Override a scenario field: key.path=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "Where to write the plain scenario.")
    var out: String

    func run() throws {
        let loaded = try loadScenario(scenario, overrides: overrides)
        guard loaded.swarm.enabled else {
            printError("draw: \(scenario) draws nothing: swarm mode is off (swarm.enabled)")
            throw ExitStatus.badInput.exitCode
        }
        let seed = self.seed ?? loaded.run.seed
        let plain = relocatingPaths(of: try plainDocument(of: scenario, loaded: loaded, seed: seed, overrides: overrides),
                                    loaded: loaded, to: out)
        let command = commandLine(commandWords("draw", scenario: scenario, seed: seed, overrides: overrides, costProfile: nil,
                                               mutation: nil))
        let header = """
        # Drawn by `\(command)`: the swarm run of seed \(seed), as a plain scenario.
        # `gridsim run \(out)` gives that run's digest.

        """
        let folder = (out as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        try ReportWriter.writeAtomically(Data((header + (try Yams.serialize(node: plain, allowUnicode: true))).utf8), to: out)
        print("wrote \(out)")
    }
}

/// The document of the scenario at `path` with `overrides` applied; for a swarm scenario, the
/// configuration `seed` draws written in, swarm mode off (see `SwarmDraw.plainDocument`). File
/// paths in it stay relative to `path`.
func plainDocument(of path: String, loaded: Scenario, seed: UInt64, overrides: [String]) throws -> Yams.Node {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        printError("\(path):0:0: error: cannot read the scenario")
        throw ExitStatus.badInput.exitCode
    }
    let document = try ScenarioLoader.document(text, path: path, overrides: overrides)
    guard loaded.swarm.enabled else { return document }
    return SwarmDraw.plainDocument(document, drawn: SwarmDraw.apply(to: loaded, seed: seed).0, seed: seed)
}

/// `document` (of the scenario `loaded`) with the files it names — grid data, cost profile, load
/// trace — named relative to `out`, where it is to be written. A `costProfile` given on the
/// command line (relative to the working folder) takes the place of the scenario's.
func relocatingPaths(of document: Yams.Node, loaded: Scenario, to out: String, costProfile: String? = nil) -> Yams.Node {
    var files: [([String], String)] = loaded.grid.dataSource.path.map { [(["grid", "data"], $0)] } ?? []
    if let profile = costProfile ?? loaded.costProfilePath.map({ ScenarioLoader.resolve($0, relativeTo: loaded.sourcePath) }) {
        files.append((["cost_profile"], profile))
    }
    if let trace = loaded.load.tracePath { files.append((["load", "trace"], trace)) }
    return files.reduce(document) { document, file in
        ScenarioDocument.setting(file.0[...], to: Yams.Node(relativePath(to: file.1, from: out)), in: document)
    }
}

/// `file` as seen from the folder of `origin` (both made absolute).
func relativePath(to file: String, from origin: String) -> String {
    let target = URL(fileURLWithPath: file).standardizedFileURL.pathComponents
    let base = URL(fileURLWithPath: origin).standardizedFileURL.deletingLastPathComponent().pathComponents
    let common = zip(target, base).prefix { $0 == $1 }.count
    return (Array(repeating: "..", count: base.count - common) + target.dropFirst(common)).joined(separator: "/")
}
