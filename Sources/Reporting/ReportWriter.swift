import Foundation
import Simulation

/// Writes a run's report folder. Files are written to temporary names and renamed into place,
/// so an interrupted write never leaves a partial report that looks complete.
public enum ReportWriter {
    /// Writes `report.json`, `report.md`, `report.html` and `timeseries.csv` into `directory`
    /// (created if needed), and `transactions.csv` if `transactionsCSV`; returns their paths.
    @discardableResult
    public static func write(_ report: Report, result: RunResult, to directory: String,
                             transactionsCSV: Bool = false) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(String, Data)] = [
            ("report.json", try report.json()),
            ("report.md", Data(MarkdownReport.render(report).utf8)),
            ("report.html", Data(HTMLReport.render(report).utf8)),
            ("timeseries.csv", Data(TimeSeries.csv(result).utf8)),
        ]
        if transactionsCSV { files.append(("transactions.csv", Data(TransactionsCSV.render(result).utf8))) }
        var paths: [String] = []
        for (name, data) in files {
            let path = (directory as NSString).appendingPathComponent(name)
            let temporary = path + ".partial"
            try data.write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
            paths.append(path)
        }
        return paths
    }
}
