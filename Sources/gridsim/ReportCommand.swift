import ArgumentParser
import Foundation
import Reporting

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render report.md and report.html again from a run folder's report.json.",
        discussion: "The CSV files need the run itself and are not rewritten.")

    @Argument(help: "A run folder (or its report.json).")
    var folder: String

    @Option(help: "Where to write report.md and report.html (default: the run folder).")
    var out: String?

    func run() throws {
        let (report, file) = try readReport(folder)
        let directory = out ?? (file as NSString).deletingLastPathComponent
        try ReportWriter.writePages(report, to: directory.isEmpty ? "." : directory)
        print("\(directory)/report.html")
    }
}
