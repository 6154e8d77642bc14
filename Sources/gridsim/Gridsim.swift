import ArgumentParser
import Foundation

/// The command-line tool. Exit codes, kept by every command: 0 ok, 1 anything else, 2 bad input
/// (unreadable or invalid scenario or arguments), 3 a regression (`compare`), 4 a safety
/// invariant broken, 5 a liveness invariant broken.
struct Gridsim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridsim",
        abstract: "Deterministic simulation and benchmarking harness for the GridTokenX energy-trading blockchain.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ValidateCommand.self, SchemaCommand.self, MatchCommand.self, GridExportCommand.self,
                      CalibrateCommand.self, CompareCommand.self, SweepCommand.self, MergeCommand.self,
                      ReplayCommand.self, DivergeCommand.self, ShrinkCommand.self, DrawCommand.self, ReportCommand.self])

    /// Parses and runs, mapping argument errors to exit code 2 ("bad input") instead of
    /// swift-argument-parser's 64.
    static func mainWithProjectExitCodes() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.badInput.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// The project's exit codes.
enum ExitStatus: Int32 {
    case ok = 0
    case failure = 1
    case badInput = 2
    case regression = 3
    case safety = 4
    case liveness = 5

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
