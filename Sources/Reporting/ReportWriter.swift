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
        var files = [("report.json", try report.json())] + pages(report)
        files.append(("timeseries.csv", Data(TimeSeries.csv(result).utf8)))
        if transactionsCSV { files.append(("transactions.csv", Data(TransactionsCSV.render(result).utf8))) }
        return try write(files, to: directory)
    }

    /// Writes the pages rendered from `report` alone, `report.md` and `report.html`, into
    /// `directory` (created if needed); returns their paths.
    @discardableResult
    public static func writePages(_ report: Report, to directory: String) throws -> [String] {
        try write(pages(report), to: directory)
    }

    /// Writes `data` to `path` through a temporary name, so a reader never sees half a file.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".partial"
        try data.write(to: URL(fileURLWithPath: temporary))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    private static func pages(_ report: Report) -> [(String, Data)] {
        [("report.md", Data(MarkdownReport.render(report).utf8)), ("report.html", Data(HTMLReport.render(report).utf8))]
    }

    private static func write(_ files: [(String, Data)], to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try files.map { name, data in
            let path = (directory as NSString).appendingPathComponent(name)
            try writeAtomically(data, to: path)
            return path
        }
    }
}
