import ArgumentParser
import Scenario

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a scenario file; every problem is printed as file:line:column: error: field: message.")

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(name: .customLong("set"), help: "Override a scenario field: key.path=value (repeatable).")
    var overrides: [String] = []

    func run() throws {
        let loaded = try loadScenario(scenario, overrides: overrides)
        print("\(scenario): ok (\(loaded.name): \(loaded.validators.count) validators, "
            + "\(loaded.participantCount) participants, \(loaded.run.duration) simulated; grid data \(loaded.grid.dataSource))")
    }
}
