import ArgumentParser
import Scenario

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print a JSON Schema of the scenario format, for editors that complete and check YAML.")

    func run() throws {
        print(JSONSchemaExport.text(JSONSchemaExport.scenario()))
    }
}
