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
        var isDirectory: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue
        let json = isFolder ? (folder as NSString).appendingPathComponent("report.json") : folder
        let report: Report
        do {
            report = try Report.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        } catch {
            printError("\(json):0:0: error: report: cannot read a report.json: \(error)")
            throw ExitStatus.badInput.exitCode
        }
        let directory = out ?? (isFolder ? folder : (json as NSString).deletingLastPathComponent)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in [("report.md", MarkdownReport.render(report)), ("report.html", HTMLReport.render(report))] {
            try writeAtomically(text, to: (directory as NSString).appendingPathComponent(name))
        }
        print("\(directory)/report.html")
    }
}
