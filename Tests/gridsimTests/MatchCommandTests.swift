import Foundation
import TestSupport
import Testing

@Suite struct MatchCommandTests {
    private func match(_ csv: String, rule: String? = nil) throws -> CLI.Output {
        let path = try CLI.scenarioFile(csv, name: "orders.csv")
        return try CLI.run(["match", path] + (rule.map { ["--rule", $0] } ?? []))
    }

    static let header = "seq,action,order_id,side,price_micro_per_kwh,quantity_wh\n"

    @Test func theSeedExample() throws {
        let result = try match(Self.header + "1,add,7,sell,3500000,1000000\n2,add,8,buy,4000000,500000\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "seq,buy_order_id,sell_order_id,price_micro_per_kwh,quantity_wh\n2,8,7,3500000,500000\n")
    }

    @Test func rulesSetThePrice() throws {
        let orders = Self.header + "1,add,1,sell,3500000,10\n2,add,2,buy,4000000,10\n"
        #expect(try match(orders, rule: "pay-as-bid").stdout.hasSuffix("2,2,1,4000000,10\n"))
        #expect(try match(orders, rule: "midpoint").stdout.hasSuffix("2,2,1,3750000,10\n"))
    }

    @Test func rowsRunInSeqOrderWithPriorityAndCancels() throws {
        let orders = Self.header + """
            5,add,3,buy,4000000,30
            1,add,1,sell,3600000,10
            2,add,2,sell,3500000,10
            3,cancel,1,,,
            4,add,4,sell,3500000,10

            """
        let result = try match(orders)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").dropFirst() == ["5,3,2,3500000,10", "5,3,4,3500000,10"])
    }

    @Test func badRowsNameTheirLineAndExitTwo() throws {
        let cases: [(String, String)] = [
            ("1,add,1,sideways,3500000,10\n", ":2: error: side"),
            ("1,add,1,sell,-5,10\n", ":2: error: price_micro_per_kwh"),
            ("1,add,1,sell,5,10\n1,add,2,sell,5,10\n", ":3: error: seq"),
            ("1,add,1,sell,5,10\n2,add,1,sell,5,10\n", ":3: error: order_id"),
            ("1,cancel,9,,,\n", ":2: error: order_id"),
            ("1,add,1,sell,5\n", ":2: error: row"),
        ]
        for (rows, expected) in cases {
            let result = try match(Self.header + rows)
            #expect(result.status == 2, "\(rows)")
            #expect(result.stderr.contains(expected), "\(rows) → \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let noHeader = try match("1,add,1,sell,5,10\n")
        #expect(noHeader.status == 2)
        #expect(noHeader.stderr.contains(":1: error: header"))
    }
}

@Suite struct GridExportCommandTests {
    @Test func writesAPandapowerNetwork() throws {
        let out = try ScratchFolder.make().appendingPathComponent("net.json").path
        let result = try CLI.run(["grid-export", "Scenarios/smoke.yaml", "--at", "12:00", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try CLI.json(out)
        #expect(json["_class"] as? String == "pandapowerNet")
        let object = try #require(json["_object"] as? [String: Any])
        #expect(object["f_hz"] as? Double == 50)
        #expect(Set(["bus", "line", "load", "trafo", "gen", "ext_grid", "sgen"]).isSubset(of: object.keys))
        #expect(try CLI.run(["grid-export", "Scenarios/smoke.yaml", "--at", "noon"]).status == 2)
    }
}
