import Foundation
import TestSupport
import Testing
import Yams

/// The scenario files of the library, by name.
let libraryScenarioNames: [String] = {
    let folder = CLI.packageRoot.appendingPathComponent("Scenarios")
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()
}()

/// A checker for the part of JSON Schema that `gridsim schema` emits: type, enum, pattern,
/// minimum/maximum, properties, required, additionalProperties, patternProperties, items,
/// minItems and anyOf. Returns a message per problem, each with the path of the value.
enum SchemaCheck {
    static func problems(_ value: Any, _ schema: [String: Any], path: String = "$") -> [String] {
        if let options = schema["anyOf"] as? [[String: Any]] {
            return options.contains { problems(value, $0, path: path).isEmpty } ? [] : ["\(path): matches no alternative"]
        }
        var found: [String] = []
        if let type = schema["type"] as? String, !has(value, type: type) {
            return ["\(path): expected \(type), found \(value)"]
        }
        if let allowed = schema["enum"] as? [String], !allowed.contains(value as? String ?? "") {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
           text.range(of: pattern, options: .regularExpression) == nil {
            found.append("\(path): '\(text)' does not match \(pattern)")
        }
        if let number = (value as? NSNumber)?.doubleValue {
            if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, number < minimum { found.append("\(path): below minimum") }
            if let maximum = (schema["maximum"] as? NSNumber)?.doubleValue, number > maximum { found.append("\(path): above maximum") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            let patterns = schema["patternProperties"] as? [String: [String: Any]] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                found.append("\(path).\(name): required")
            }
            for (key, child) in object {
                if let property = properties[key] {
                    found += problems(child, property, path: "\(path).\(key)")
                } else if let (_, property) = patterns.first(where: { key.range(of: $0.key, options: .regularExpression) != nil }) {
                    found += problems(child, property, path: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path).\(key): not allowed")
                }
            }
        }
        if let array = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, array.count < minimum { found.append("\(path): too few items") }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() { found += problems(item, items, path: "\(path)[\(index)]") }
            }
        }
        return found
    }

    private static func has(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": value is Bool
        case "integer": value is Int
        case "number": value is Int || value is Double
        default: false
        }
    }
}

@Suite struct SchemaCommandTests {
    func schema() throws -> [String: Any] {
        let result = try CLI.run(["schema"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func theSchemaDescribesEveryTopLevelSection() throws {
        let schema = try schema()
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let properties = try #require(schema["properties"] as? [String: Any])
        for section in ["run", "network", "validators", "consensus", "participants", "market", "grid", "faults",
                        "load", "swarm", "targets"] {
            #expect(properties[section] != nil, "\(section)")
        }
        #expect(Set(schema["required"] as? [String] ?? []) == ["name", "run", "validators", "participants"])
    }

    @Test func everyLibraryScenarioConformsToTheSchema() throws {
        let schema = try schema()
        for name in libraryScenarioNames {
            let text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Scenarios/\(name)"), encoding: .utf8)
            let document = try #require(try Yams.load(yaml: text))
            #expect(SchemaCheck.problems(document, schema).isEmpty, "\(name): \(SchemaCheck.problems(document, schema))")
        }
    }

    @Test func theSchemaCatchesWhatValidateCatches() throws {
        let schema = try schema()
        let misspelt = try #require(try Yams.load(yaml: "name: x\nrun: {duration: 10 s}\nvalidators: {count: 3}\nparticipants: [{class: solar, count: 1, region: bangkok, tx_rat: 1 /s}]\n"))
        #expect(SchemaCheck.problems(misspelt, schema) == ["$.participants[0].tx_rat: not allowed"])
        let unitless = try #require(try Yams.load(yaml: "name: x\nrun: {duration: 10}\nvalidators: {count: 3}\nparticipants: [{class: solar, count: 1, region: bangkok}]\n"))
        #expect(SchemaCheck.problems(unitless, schema).first?.hasPrefix("$.run.duration") == true)
        let region = try #require(try Yams.load(yaml: "name: x\nrun: {duration: 10 s}\nvalidators: {count: 3}\nparticipants: [{class: solar, count: 1, region: chiang-mai}]\n"))
        #expect(SchemaCheck.problems(region, schema).first?.hasPrefix("$.participants[0].region") == true)
    }
}

@Suite struct LibraryDeterminismTests {
    /// Overrides that keep each library scenario to a few seconds of wall time.
    static let shortened: [String: [String]] = [
        "thai-national-day.yaml": ["run.duration=20 min", "run.start=11:00"],
        "bangkok-peak-hour.yaml": ["run.duration=10 min"],
        "seed-targets.yaml": ["run.duration=20 s"],
        "shard-stress.yaml": ["run.duration=20 s"],
    ]

    /// Two processes, the same seed: the same digest, and traces that `gridsim diverge` finds
    /// identical event for event (the determinism self-check).
    @Test(arguments: libraryScenarioNames)
    func theSameSeedGivesTheSameDigestAndTraceInTwoProcesses(name: String) throws {
        func run() throws -> (digest: String, trace: String) {
            let out = try ScratchFolder.make().path
            var arguments = ["run", "Scenarios/\(name)", "--seed", "3", "--out", out, "--quiet",
                             "--trace", out + "/run.trace", "--trace-kind", "proposal,commit,fault,verdict"]
            for override in Self.shortened[name] ?? [] { arguments += ["--set", override] }
            let result = try CLI.run(arguments)
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let manifest = try #require(try CLI.json(out + "/report.json")["manifest"] as? [String: Any])
            return (try #require(manifest["digest"] as? String), out + "/run.trace")
        }
        let first = try run(), second = try run()
        #expect(first.digest == second.digest)
        let diverge = try CLI.run(["diverge", first.trace, second.trace])
        #expect(diverge.status == 0, "\(name): \(diverge.stdout)")
        #expect(diverge.stdout.contains("traces agree"))
    }
}

@Suite struct RunOutputTests {
    @Test func aRunShowsProgressOnATerminalAndStaysQuietOtherwise() throws {
        let out = try ScratchFolder.make().path
        let command = "\(CLI.binary.path) run Scenarios/smoke.yaml --set 'run.duration=600 s' --out \(out)"
        // script(1) runs the command on a pseudo-terminal and copies what it shows to our pipe.
        let terminal = Process()
        terminal.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        terminal.arguments = ["-qefc", command, "/dev/null"]
        terminal.currentDirectoryURL = CLI.packageRoot
        let pipe = Pipe()
        terminal.standardOutput = pipe
        terminal.standardInput = FileHandle.nullDevice
        try terminal.run()
        let shown = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        terminal.waitUntilExit()
        #expect(terminal.terminationStatus == 0)
        let progress = try #require(shown.split(separator: "\r").first { $0.contains("ETA") }, "\(shown)")
        #expect(progress.contains("/ 0:10:00 simulated"))
        #expect(progress.contains("M events/s"))
        #expect(shown.contains("\u{1B}[K"), "the progress line is cleared before the summary")

        let piped = try CLI.run(["run", "Scenarios/smoke.yaml", "--set", "run.duration=600 s", "--out", out])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("ETA") && !piped.stdout.contains("ETA"))
        #expect(!piped.stderr.contains("\r"))
    }

    @Test func verboseSwarmRunsPrintAndRecordEveryDrawnValue() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/swarm.yaml", "--seed", "4", "-v", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stderr.split(separator: "\n").filter { $0.hasPrefix("swarm ") }
        let manifest = try #require(try CLI.json(out + "/report.json")["manifest"] as? [String: Any])
        let swarm = try #require(manifest["swarm"] as? [String: String])
        // Seed 4 draws three shards with the autoscaler: 8 values and 5 of sharding.
        #expect(printed.count == swarm.count && swarm.count == 13)
        #expect(swarm["sharding.autoscaler"]?.hasPrefix("every ") == true)
        for (field, value) in swarm { #expect(printed.contains("swarm \(field) = \(value)"[...])) }
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(markdown.contains("| `validators.count` | \(swarm["validators.count"]!) |"))
    }
}

@Suite struct NationalDayCalibrationTests {
    /// The seed's dashboard for a day of the national population, and the full day's report:
    /// every figure within 10 %; its HTML page opens in headless Chromium with data in every chart.
    @Test func theDayLandsWithinTenPercentOfTheSeedsDashboard() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/thai-national-day.yaml", "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try CLI.json(out + "/report.json")
        let market = try #require(report["market"] as? [String: Any])
        let grid = try #require(report["grid"] as? [String: Any])
        func number(_ object: [String: Any], _ key: String) throws -> Double {
            try #require((object[key] as? NSNumber)?.doubleValue, "\(key)")
        }
        let figures: [(String, Double, Double)] = [
            ("kWh traded", try number(market, "energy_wh") / 1e3, 245_678),
            ("tokens", try number(market, "value_micro") / 1e6, 876_543),
            ("average price", try number(market, "average_price_micro_per_kwh") / 1e6, 3.57),
            ("renewable %", try number(market, "renewable_share_bp") / 100, 34.5),
            ("t CO2 saved", try number(grid, "carbon_saved_kg") / 1e3, 12.3),
        ]
        for (name, measured, seed) in figures {
            #expect(abs(measured / seed - 1) <= 0.10, "\(name): \(measured) against the seed's \(seed)")
        }
        let check = try checkInBrowser([out])
        #expect(check.status == 0, "the national report opens in Chromium: \(check.stdout)\(check.stderr)")
    }
}
