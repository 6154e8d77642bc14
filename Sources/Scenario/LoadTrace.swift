import Foundation
import GridCore

/// One row of a load trace: at `time`, a participant of the scenario's `participants[entry]`
/// submits an order or a transfer. The optional details fix what the workload would otherwise
/// draw from the seed; each one left `nil` is drawn.
public struct TraceRow: Sendable, Equatable {
    public var time: SimTime
    /// Index into the `participants` list as written in the scenario file.
    public var entry: Int
    public var transfer: Bool
    /// Who submits: the participant's number, counting every participant of the scenario from 0 in
    /// file order (an entry's `count` participants are numbered one after another).
    public var participant: Int?
    /// Orders: the quantity offered or wanted.
    public var quantityWh: Int64?
    /// Orders: the limit price.
    public var priceMicroPerKWh: Int64?
    /// Transfers: the payee, numbered as `participant`.
    public var recipient: Int?
    /// Transfers: the amount paid.
    public var amountMicro: Int64?
    /// Buy orders under `sharding.cross_shard_bids`: the region whose book the order goes to, as
    /// a cross-shard bid; the buyer's own region places it at home.
    public var bidRegion: Region?

    public init(time: SimTime, entry: Int, transfer: Bool, participant: Int? = nil, quantityWh: Int64? = nil,
                priceMicroPerKWh: Int64? = nil, recipient: Int? = nil, amountMicro: Int64? = nil,
                bidRegion: Region? = nil) {
        self.time = time
        self.entry = entry
        self.transfer = transfer
        self.participant = participant
        self.quantityWh = quantityWh
        self.priceMicroPerKWh = priceMicroPerKWh
        self.recipient = recipient
        self.amountMicro = amountMicro
        self.bidRegion = bidRegion
    }
}

/// Reads and writes load traces: CSV with the header `time_s,class,kind`, optionally followed by
/// any of the detail columns `participant`, `quantity_wh`, `price_micro_per_kwh`, `bid_region`
/// (orders), `recipient` and `amount_micro` (transfers); one arrival per row, an empty cell
/// meaning "draw it".
public enum LoadTrace {
    /// The detail columns a trace may add after `time_s,class,kind`, in the order `write` uses.
    public static let detailColumns = ["participant", "quantity_wh", "price_micro_per_kwh", "recipient", "amount_micro",
                                       "bid_region"]

    /// A row's `time_s` must be below this: `SimDuration(seconds:)` holds times under 9e9 s
    /// (about 285 years). Rows between the run's end and this are read, and the run ignores them.
    static let latestSeconds = 9e9

    /// The rows of the trace at `path`, in time order. `class` is an index into the scenario's
    /// `participants` list or the name of a class in it (the first entry of that class);
    /// `kind` is `order` or `transfer`. `entryCounts[i]` is how many participants entry `i` has,
    /// which numbers the participants for the `participant` and `recipient` columns. A bad row is
    /// an error naming the file, line, column and the field `load.trace`.
    ///
    /// Complexity: O(n log n) in the rows.
    public static func read(path: String, entryKinds: [String], entryCounts: [Int]) throws -> [TraceRow] {
        precondition(entryKinds.count == entryCounts.count, "one count per participants entry")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "load.trace",
                                message: "cannot read the trace file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        func fail(_ line: Int, _ column: Int, _ message: String) -> ScenarioError {
            ScenarioError(location: SourceLocation(file: path, line: line, column: column), field: "load.trace",
                          message: message)
        }
        let header = lines.first.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } } ?? []
        guard header.prefix(3) == ["time_s", "class", "kind"] else {
            throw fail(1, 1, "the header must start with time_s,class,kind")
        }
        for (index, name) in header.enumerated().dropFirst(3)
        where !detailColumns.contains(name) || header[3..<index].contains(name) {
            let column = header[..<index].reduce(1) { $0 + $1.count + 1 }
            throw fail(1, column, "column '\(name)' is unknown or repeated (optional columns: \(detailColumns.joined(separator: ", ")))")
        }
        let entryStarts = entryCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let participantCount = entryStarts.last!
        var rows: [TraceRow] = []
        for (offset, line) in lines.enumerated().dropFirst()
        where !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let lineNumber = offset + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard cells.count == header.count else {
                throw fail(lineNumber, 1, "expected \(header.count) cells (\(header.joined(separator: ","))), found \(cells.count)")
            }
            let columns = cells.indices.map { index in cells[..<index].reduce(1) { $0 + $1.count + 1 } }
            guard let seconds = Double(cells[0]), seconds.isFinite, seconds >= 0 else {
                throw fail(lineNumber, 1, "time_s '\(cells[0])' is not a time in seconds ≥ 0")
            }
            guard seconds < LoadTrace.latestSeconds else {
                throw fail(lineNumber, 1, "time_s '\(cells[0])' is past the latest time a simulation can hold (\(Int(LoadTrace.latestSeconds)) s)")
            }
            guard let entry = Int(cells[1]).flatMap({ (0..<entryKinds.count).contains($0) ? $0 : nil })
                    ?? entryKinds.firstIndex(of: cells[1]) else {
                throw fail(lineNumber, columns[1], "class '\(cells[1])' is neither a participants index (0...\(entryKinds.count - 1)) nor a class the scenario has (\(entryKinds.joined(separator: ", ")))")
            }
            guard cells[2] == "order" || cells[2] == "transfer" else {
                throw fail(lineNumber, columns[2], "kind '\(cells[2])' is neither order nor transfer")
            }
            var row = TraceRow(time: .zero + SimDuration(seconds: seconds), entry: entry, transfer: cells[2] == "transfer")
            for index in cells.indices.dropFirst(3) where !cells[index].isEmpty {
                let name = header[index]
                func failCell(_ message: String) -> ScenarioError {
                    fail(lineNumber, columns[index], "\(name) '\(cells[index])' \(message)")
                }
                let forTransfers = name == "recipient" || name == "amount_micro"
                guard name == "participant" || forTransfers == row.transfer else {
                    throw failCell("belongs to \(forTransfers ? "transfer" : "order") rows, and this row is \(cells[2] == "order" ? "an order" : "a transfer")")
                }
                if name == "bid_region" {
                    guard let region = Region(rawValue: cells[index]) else {
                        throw failCell("is not a region (\(Region.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    row.bidRegion = region
                    continue
                }
                guard let number = Int64(cells[index]) else { throw failCell("is not a whole number") }
                switch name {
                case "participant":
                    guard (Int64(entryStarts[entry])..<Int64(entryStarts[entry + 1])).contains(number) else {
                        throw failCell("is not one of participants[\(entry)] (\(entryStarts[entry])...\(entryStarts[entry + 1] - 1))")
                    }
                    row.participant = Int(number)
                case "recipient":
                    guard (0..<Int64(participantCount)).contains(number) else {
                        throw failCell("is not a participant (0...\(participantCount - 1))")
                    }
                    row.recipient = Int(number)
                case "quantity_wh":
                    guard number >= 0 else { throw failCell("is negative") }
                    row.quantityWh = number
                case "price_micro_per_kwh":
                    guard number > 0 else { throw failCell("is not positive") }
                    row.priceMicroPerKWh = number
                default:
                    guard number > 0 else { throw failCell("is not positive") }
                    row.amountMicro = number
                }
            }
            rows.append(row)
        }
        return rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// `rows` as trace text with every detail column, times to the nanosecond, so that `read`
    /// gives the same rows back.
    public static func text(of rows: [TraceRow]) -> String {
        var text = (["time_s", "class", "kind"] + detailColumns).joined(separator: ",") + "\n"
        for row in rows {
            let nanos = row.time.nanoseconds
            let details = [row.participant.map(Int64.init), row.quantityWh, row.priceMicroPerKWh,
                           row.recipient.map(Int64.init), row.amountMicro].map { $0.map(String.init) ?? "" }
                + [row.bidRegion?.rawValue ?? ""]
            let time = "\(nanos / 1_000_000_000)." + String(String(nanos % 1_000_000_000 + 1_000_000_000).dropFirst())
            text += ([time, String(row.entry), row.transfer ? "transfer" : "order"] + details).joined(separator: ",") + "\n"
        }
        return text
    }
}
