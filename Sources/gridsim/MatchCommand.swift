import ArgumentParser
import Foundation
import Ledger
import Market

struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match orders from a CSV file with the nodes' order book; write the fills as CSV.",
        discussion: """
            Input columns (with a header): seq,action,order_id,side,price_micro_per_kwh,quantity_wh — action is \
            add or cancel, side is buy or sell (ignored for cancel). Rows are processed in seq order; location, \
            capacity and delivery windows do not apply. Output (with a header): \
            seq,buy_order_id,sell_order_id,price_micro_per_kwh,quantity_wh — one row per fill, seq being the input \
            row that caused it. A bad row exits with code 2 and names its line.
            """)

    @Argument(help: "The orders (CSV).")
    var orders: String

    @Option(help: "Clearing rule: pay-as-ask (the seller's price), pay-as-bid or midpoint.")
    var rule: String = "pay-as-ask"

    func run() throws {
        guard let clearing = ClearingRule(rawValue: rule), clearing != .uniformPriceCall else {
            printError("match: --rule must be pay-as-ask, pay-as-bid or midpoint (got '\(rule)')")
            throw ExitStatus.badInput.exitCode
        }
        let rows: [OrderRow]
        do {
            rows = try OrderRow.parse(file: orders)
        } catch let error as OrderFileError {
            printError(error.description)
            throw ExitStatus.badInput.exitCode
        }
        var matcher = StandaloneMatcher(rule: clearing)
        var output = "seq,buy_order_id,sell_order_id,price_micro_per_kwh,quantity_wh\n"
        for row in rows {
            switch row.action {
            case .add(let side, let price, let quantity):
                matcher.add(number: row.orderID, side: side, price: price, quantity: quantity) { fill in
                    output += "\(row.seq),\(fill.buyOrder),\(fill.sellOrder),\(fill.price),\(fill.quantity)\n"
                }
            case .cancel:
                matcher.cancel(row.orderID)
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

/// A bad line of an orders file.
struct OrderFileError: Error, CustomStringConvertible {
    var file: String
    var line: Int
    var field: String
    var message: String

    var description: String { "\(file):\(line): error: \(field): \(message)" }
}

/// One row of an orders file.
struct OrderRow {
    enum Action {
        case add(OrderSide, price: Int64, quantity: Int64)
        case cancel
    }

    static let header = ["seq", "action", "order_id", "side", "price_micro_per_kwh", "quantity_wh"]

    var seq: Int64
    var orderID: UInt64
    var action: Action
    var line: Int

    /// Reads and checks every row, returned in `seq` order.
    static func parse(file: String) throws -> [OrderRow] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw OrderFileError(file: file, line: 0, field: "", message: "cannot read the file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard let first = lines.first, first.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) == header else {
            throw OrderFileError(file: file, line: 1, field: "header", message: "expected '\(header.joined(separator: ","))'")
        }
        var rows: [OrderRow] = []
        var seenSeq: [Int64: Int] = [:]
        var added: Set<UInt64> = []
        for (offset, text) in lines.enumerated().dropFirst() where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let line = offset + 1
            func fail(_ field: String, _ message: String) -> OrderFileError {
                OrderFileError(file: file, line: line, field: field, message: message)
            }
            let cells = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else { throw fail("row", "expected \(header.count) columns, found \(cells.count)") }
            guard let seq = Int64(cells[0]) else { throw fail("seq", "'\(cells[0])' is not an integer") }
            if let earlier = seenSeq[seq] { throw fail("seq", "\(seq) already used on line \(earlier)") }
            seenSeq[seq] = line
            guard let orderID = UInt64(cells[2]) else { throw fail("order_id", "'\(cells[2])' is not a non-negative integer") }
            switch cells[1] {
            case "add":
                let side: OrderSide
                switch cells[3] {
                case "buy": side = .buy
                case "sell": side = .sell
                default: throw fail("side", "'\(cells[3])' is not buy or sell")
                }
                guard let price = Int64(cells[4]), price > 0 else { throw fail("price_micro_per_kwh", "'\(cells[4])' is not a positive integer") }
                guard let quantity = Int64(cells[5]), quantity > 0 else { throw fail("quantity_wh", "'\(cells[5])' is not a positive integer") }
                guard added.insert(orderID).inserted else { throw fail("order_id", "order \(orderID) was already added") }
                rows.append(OrderRow(seq: seq, orderID: orderID, action: .add(side, price: price, quantity: quantity), line: line))
            case "cancel":
                rows.append(OrderRow(seq: seq, orderID: orderID, action: .cancel, line: line))
            default:
                throw fail("action", "'\(cells[1])' is not add or cancel")
            }
        }
        rows.sort { $0.seq < $1.seq }
        var known: Set<UInt64> = []
        for row in rows {
            switch row.action {
            case .add: known.insert(row.orderID)
            case .cancel where !known.contains(row.orderID):
                throw OrderFileError(file: file, line: row.line, field: "order_id",
                                     message: "cancels order \(row.orderID), which no earlier row adds")
            case .cancel: break
            }
        }
        return rows
    }
}
