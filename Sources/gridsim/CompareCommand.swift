import ArgumentParser
import Foundation
import Reporting

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two reports; exit 3 when a metric regresses past the threshold.")

    @Argument(help: "The baseline: a report.json or a report folder.")
    var baseline: String

    @Argument(help: "The candidate: a report.json or a report folder.")
    var candidate: String

    @Option(help: "Relative change that counts as a regression, e.g. '10 %' (default) or '0.05'.")
    var threshold = "10 %"

    @Flag(help: "Also compare the harness's wall-clock speed (events/s), which is noisy.")
    var harness = false

    func run() throws {
        let fraction = try parseThreshold()
        let comparison = ReportComparison(baseline: try readReport(baseline).report, candidate: try readReport(candidate).report,
                                          threshold: fraction, includeHarness: harness)
        print(comparison.render())
        if !comparison.regressions.isEmpty { throw ExitStatus.regression.exitCode }
    }

    private func parseThreshold() throws -> Double {
        let text = threshold.trimmingCharacters(in: .whitespaces)
        let percent = text.hasSuffix("%")
        let number = Double(percent ? text.dropLast().trimmingCharacters(in: .whitespaces) : text)
        guard let number, number >= 0 else {
            printError("compare: --threshold '\(threshold)' is not a share such as '10 %' or '0.1'")
            throw ExitStatus.badInput.exitCode
        }
        return percent ? number / 100 : number
    }
}
