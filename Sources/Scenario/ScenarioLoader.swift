import Foundation
import GridCore
import Yams

/// Reads, overrides and validates scenario files.
public enum ScenarioLoader {
    /// Loads the scenario at `path`, applies `overrides` (`key.path=value`), and validates
    /// everything. Throws a ``ScenarioError`` listing every problem, each located.
    public static func load(path: String, overrides: [String] = []) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "",
                                message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "",
                                message: "the file is not UTF-8 text")
        }
        let hash = data.withUnsafeBytes { Blake2b.hash($0) }
        return try parse(text, path: path, sourceHash: hash, overrides: overrides)
    }

    /// Validates scenario text (named `path` in messages).
    public static func parse(_ text: String, path: String, sourceHash: Digest32? = nil,
                             overrides: [String] = []) throws -> Scenario {
        var document = try compose(text, file: path)
        var diagnostics: [ScenarioDiagnostic] = []
        var overridden: [(path: String, text: String)] = []
        for override in overrides {
            switch Override.parse(override) {
            case .failure(let error):
                diagnostics.append(ScenarioDiagnostic(
                    location: SourceLocation(file: "--set \(override)", line: 0, column: 0), field: "",
                    message: error.message))
            case .success(let parsed):
                do {
                    document = try parsed.apply(to: document, schema: ScenarioSchema.root)
                    overridden.append((parsed.fieldPath, override))
                } catch let error as OverrideError {
                    diagnostics.append(ScenarioDiagnostic(
                        location: SourceLocation(file: "--set \(override)", line: 0, column: 0),
                        field: parsed.fieldPath, message: error.message))
                }
            }
        }
        var validator = SchemaValidator(file: path)
        let tree = validator.validateObject(document, fields: ScenarioSchema.root, path: "",
                                            at: SourceLocation(file: path, line: 1, column: 1))
        diagnostics += validator.diagnostics.map { relocate($0, overridden) }
        guard diagnostics.isEmpty else { throw ScenarioError(diagnostics) }
        let gridNode = tree["grid"]
        let (dataSource, data) = try gridData(named: gridNode["data"], relativeTo: path, overridden: overridden)
        let grid = GridSettings(dataSource: dataSource, dataHash: data.hash, topology: data.topology,
                                sampleInterval: gridNode["sample_interval"].duration,
                                loadNoise: gridNode["load_noise"].basisPoints)
        var crossChecks: [ScenarioDiagnostic] = []
        var scenario = Scenario(tree: tree, sourcePath: path,
                                sourceHash: sourceHash ?? Blake2b.hash(Array(text.utf8)),
                                overrides: overrides, grid: grid, diagnostics: &crossChecks)
        guard crossChecks.isEmpty else { throw ScenarioError(crossChecks.map { relocate($0, overridden) }) }
        scenario.warnings = scenario.warnings.map { relocate($0, overridden) }
        if scenario.load.controller == .trace, let tracePath = scenario.load.tracePath {
            let entries = tree["participants"].list
            let counts = entries.indices.map { entry in
                scenario.participants.filter { $0.entry == entry }.reduce(0) { $0 + $1.count }
            }
            scenario.load.trace = try LoadTrace.read(path: tracePath, entryKinds: entries.map { $0["class"].string },
                                                     entryCounts: counts)
        }
        return scenario
    }

    /// The grid data file `node` (`grid.data`) names, read relative to the scenario at `path`.
    /// When the field is not written and the default file is not beside the scenario, the copy
    /// compiled into the tool stands for it, so a scenario can be written anywhere.
    private static func gridData(named node: ScenarioNode, relativeTo path: String,
                                 overridden: [(path: String, text: String)]) throws -> (GridDataSource, GridData) {
        let dataPath = resolve(node.string, relativeTo: path)
        do {
            return (.file(dataPath), try GridDataLoader.read(path: dataPath))
        } catch let error as ScenarioError {
            guard error.diagnostics.count == 1, error.diagnostics[0].message == GridDataLoader.unreadableMessage else {
                throw ScenarioError(error.diagnostics.map { relocate($0, overridden) })
            }
            guard node.isWritten else { return (.builtIn, GridDataLoader.builtIn) }
            throw ScenarioError([relocate(ScenarioDiagnostic(location: node.location, field: "grid.data",
                                                             message: "cannot read the grid data file \(dataPath)"),
                                          overridden)])
        }
    }

    /// `relative` resolved against the folder of the scenario file `scenarioPath`.
    public static func resolve(_ relative: String, relativeTo scenarioPath: String) -> String {
        guard !relative.hasPrefix("/") else { return relative }
        return ((scenarioPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(relative)
    }

    /// The YAML document of scenario text (named `path` in messages) with `overrides` applied,
    /// not yet validated: for tools that rewrite scenarios (`gridsim shrink`).
    public static func document(_ text: String, path: String, overrides: [String] = []) throws -> Yams.Node {
        var document = try compose(text, file: path) ?? Yams.Node([(Yams.Node, Yams.Node)]())
        for override in overrides {
            let location = SourceLocation(file: "--set \(override)", line: 0, column: 0)
            switch Override.parse(override) {
            case .failure(let error):
                throw ScenarioError(location: location, field: "", message: error.message)
            case .success(let parsed):
                do {
                    document = try parsed.apply(to: document, schema: ScenarioSchema.root)
                } catch let error as OverrideError {
                    throw ScenarioError(location: location, field: parsed.fieldPath, message: error.message)
                }
            }
        }
        return document
    }

    private static func compose(_ text: String, file: String) throws -> Yams.Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ScenarioError(location: yamlErrorLocation(error, file: file), field: "",
                                message: "not valid YAML: \(yamlProblem(error))")
        }
    }

    /// Points a diagnostic about an overridden field at the `--set` that produced it.
    private static func relocate(_ diagnostic: ScenarioDiagnostic,
                                 _ overridden: [(path: String, text: String)]) -> ScenarioDiagnostic {
        guard let match = overridden.last(where: { diagnostic.field == $0.path || diagnostic.field.hasPrefix($0.path + ".") || diagnostic.field.hasPrefix($0.path + "[") }) else {
            return diagnostic
        }
        var moved = diagnostic
        moved.location = SourceLocation(file: "--set \(match.text)", line: 0, column: 0)
        return moved
    }

    private static func yamlErrorLocation(_ error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(_, let context):
            return SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
        default:
            return SourceLocation(file: file, line: 0, column: 0)
        }
    }

    private static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            return problem + (context.map { " (\($0.text))" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated key(s) " + duplicates.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
