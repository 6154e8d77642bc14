import Foundation
import GridCore

/// One row of a load trace: at `time`, a participant of the scenario's `participants[entry]`
/// submits an order or a transfer.
public struct TraceRow: Sendable, Equatable {
    public var time: SimTime
    /// Index into the `participants` list as written in the scenario file.
    public var entry: Int
    public var transfer: Bool

    public init(time: SimTime, entry: Int, transfer: Bool) {
        self.time = time
        self.entry = entry
        self.transfer = transfer
    }
}

/// Reads load traces: CSV with the header `time_s,class,kind`, one arrival per row.
public enum LoadTrace {
    /// The rows of the trace at `path`, in time order. `class` is an index into the scenario's
    /// `participants` list or the name of a class in it (the first entry of that class);
    /// `kind` is `order` or `transfer`. A bad row is an error naming the file, line, column and
    /// the field `load.trace`.
    ///
    /// Complexity: O(n log n) in the rows.
    public static func read(path: String, entryKinds: [String]) throws -> [TraceRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "load.trace",
                                message: "cannot read the trace file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        func fail(_ line: Int, _ column: Int, _ message: String) -> ScenarioError {
            ScenarioError(location: SourceLocation(file: path, line: line, column: column), field: "load.trace",
                          message: message)
        }
        let header = lines.first.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
        guard header == ["time_s", "class", "kind"] else { throw fail(1, 1, "the header must be time_s,class,kind") }
        var rows: [TraceRow] = []
        for (offset, line) in lines.enumerated().dropFirst()
        where !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let lineNumber = offset + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard cells.count == 3 else { throw fail(lineNumber, 1, "expected 3 cells (time_s,class,kind), found \(cells.count)") }
            let classColumn = cells[0].count + 2
            let kindColumn = classColumn + cells[1].count + 1
            guard let seconds = Double(cells[0]), seconds.isFinite, seconds >= 0 else {
                throw fail(lineNumber, 1, "time_s '\(cells[0])' is not a time in seconds ≥ 0")
            }
            guard let entry = Int(cells[1]).flatMap({ (0..<entryKinds.count).contains($0) ? $0 : nil })
                    ?? entryKinds.firstIndex(of: cells[1]) else {
                throw fail(lineNumber, classColumn, "class '\(cells[1])' is neither a participants index (0...\(entryKinds.count - 1)) nor a class the scenario has (\(entryKinds.joined(separator: ", ")))")
            }
            guard cells[2] == "order" || cells[2] == "transfer" else {
                throw fail(lineNumber, kindColumn, "kind '\(cells[2])' is neither order nor transfer")
            }
            rows.append(TraceRow(time: .zero + SimDuration(seconds: seconds), entry: entry, transfer: cells[2] == "transfer"))
        }
        return rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }
}
