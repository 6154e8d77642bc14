import Foundation
import TestSupport
import Testing

/// Opens report folders in headless Chromium (`scripts/report-check.sh`).
func checkInBrowser(_ directories: [String]) throws -> CLI.Output {
    try CLI.execute(URL(fileURLWithPath: "/bin/bash"), ["scripts/report-check.sh"] + directories)
}

@Suite struct ReportCommandTests {
    @Test func runWritesTheHTMLPageTheCSVFilesAndTheChosenBuckets() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--transactions-csv", "--bucket", "5 s"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("report.html"))
        for file in ["report.json", "report.md", "report.html", "timeseries.csv", "transactions.csv"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let report = try CLI.json(out + "/report.json")
        let series = try #require(report["series"] as? [String: Any])
        #expect((series["bucket_seconds"] as? NSNumber)?.doubleValue == 5)
        #expect((series["tps"] as? [Any])?.count == 12)
        let submitted = try #require((report["transactions"] as? [String: Any])?["submitted"] as? Int)
        let rows = try String(contentsOfFile: out + "/transactions.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count == submitted + 1)
    }

    @Test func reportRendersTheSamePagesAgainFromReportJSON() throws {
        let out = try ScratchFolder.make().path
        #expect(try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--quiet"]).status == 0)
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let again = try ScratchFolder.make().path
        let result = try CLI.run(["report", out, "--out", again])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: again + "/report.md", encoding: .utf8) == markdown)
        #expect(try String(contentsOfFile: again + "/report.html", encoding: .utf8) == html)
        let missing = try CLI.run(["report", again + "/missing"])
        #expect(missing.status == 2 && missing.stderr.contains("missing:0:0: error: report: no such file"), "\(missing.stderr)")
        var object = try CLI.json(out + "/report.json")
        var transactions = try #require(object["transactions"] as? [String: Any])
        transactions["accepted"] = nil
        object["transactions"] = transactions
        let broken = again + "/broken.json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: broken))
        let unreadable = try CLI.run(["report", broken])
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("broken.json:1:"), "one line, at the object that lacks the field")
        #expect(unreadable.stderr.contains(": error: report: not a report.json: `transactions.accepted` is missing"),
                "the field a report lacks is named: \(unreadable.stderr)")
        // A mistyped value is named as report.json spells it, at its line.
        transactions["accepted"] = 1
        var byKind = try #require(transactions["by_kind"] as? [String: Any])
        var transfers = try #require(byKind["transfer"] as? [String: Any])
        transfers["submitted"] = "many"
        byKind["transfer"] = transfers
        transactions["by_kind"] = byKind
        object["transactions"] = transactions
        let mistyped = again + "/mistyped.json"
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
                          as: UTF8.self)
        try text.write(toFile: mistyped, atomically: true, encoding: .utf8)
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("\"many\"") }) + 1
        let wrong = try CLI.run(["report", mistyped])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("mistyped.json:\(line):"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("`transactions.by_kind.transfer.submitted`: Expected to decode Int"), "\(wrong.stderr)")
        // Foundation's decoder calls a number its field cannot hold, and text that is not JSON,
        // invalid JSON without a path; both are placed, the number with its field.
        for (value, written) in [(1e30, "1e+30"), (2.5, "2.5")] {
            transfers["submitted"] = value
            byKind["transfer"] = transfers
            transactions["by_kind"] = byKind
            object["transactions"] = transactions
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
                              as: UTF8.self)
            let misfit = again + "/misfit.json"
            try text.write(toFile: misfit, atomically: true, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let line = try #require(lines.firstIndex { $0.contains("\"submitted\" : \(written)") }) + 1
            let column = lines[line - 1].distance(from: lines[line - 1].startIndex,
                                                  to: lines[line - 1].firstIndex(of: ":")!) + 3
            let refused = try CLI.run(["report", misfit])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("misfit.json:\(line):\(column): error: report: not a report.json: "
                                            + "`transactions.by_kind.transfer.submitted`: \(written) does not fit its field"),
                    "\(refused.stderr)")
        }
        let notJSON = again + "/not-json.json"
        try text.replacingOccurrences(of: "\"many\"", with: "many").write(toFile: notJSON, atomically: true, encoding: .utf8)
        let garbled = try CLI.run(["report", notJSON])
        #expect(garbled.status == 2)
        #expect(garbled.stderr.contains("not-json.json:\(line):"), "\(garbled.stderr)")
        #expect(garbled.stderr.contains(": error: report: not a report.json: not JSON: "), "\(garbled.stderr)")
    }

    @Test func aBadBucketIsBadInputAndWritesNothing() throws {
        let out = try ScratchFolder.make().appendingPathComponent("never").path
        let result = try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--bucket", "five"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--bucket"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func theCapacityCheckCatchesTheSeedsOwnTargets() throws {
        let out = try ScratchFolder.make().path
        let result = try CLI.run(["run", "Scenarios/seed-targets.yaml", "--set", "run.duration=3 s", "--set", "run.warmup=1 s", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("out of reach by construction"))
        let report = try CLI.json(out + "/report.json")
        let targets = try #require(report["targets"] as? [[String: Any]])
        let tps = try #require(targets.first { $0["metric"] as? String == "tps" })
        #expect(tps["met"] as? Bool == false)
        #expect(tps["reachable"] as? Bool == false)
        let reason = try #require(tps["reason"] as? String)
        #expect(reason.contains("1 shard × 1,000 tx/block ÷ 9.80 s = 102 tx/s"))
        let capacity = try #require(report["capacity"] as? [String: Any])
        #expect(abs(((capacity["tps_max"] as? NSNumber)?.doubleValue ?? 0) - 1_000 / 9.8) < 1e-9)
        let admission = try #require(targets.first { $0["metric"] as? String == "admission.p99" })
        #expect(admission["reachable"] as? Bool == true)
    }

    @Test func compareFlagsAnInjectedRegressionAndPassesAnIdenticalPair() throws {
        let out = try ScratchFolder.make().path
        #expect(try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--quiet"]).status == 0)
        let identical = try CLI.run(["compare", out, out + "/report.json"])
        #expect(identical.status == 0, "\(identical.stdout)\(identical.stderr)")
        #expect(identical.stdout.contains("no regression past 10 %"))

        var report = try CLI.json(out + "/report.json")
        var throughput = try #require(report["throughput"] as? [String: Any])
        throughput["tps"] = ((throughput["tps"] as? NSNumber)?.doubleValue ?? 0) * 0.8
        report["throughput"] = throughput
        let worse = try ScratchFolder.make().appendingPathComponent("report.json")
        try JSONSerialization.data(withJSONObject: report).write(to: worse)
        let regressed = try CLI.run(["compare", out, worse.path])
        #expect(regressed.status == 3)
        #expect(regressed.stdout.contains("throughput.tps"))
        #expect(regressed.stdout.contains("REGRESSED"))
        #expect(regressed.stdout.contains("-20.0 %"))
        #expect(try CLI.run(["compare", out, worse.path, "--threshold", "25 %"]).status == 0)
        #expect(try CLI.run(["compare", out, "/nonexistent/report.json"]).status == 2)
    }

    @Test func theSmokeReportOpensInHeadlessChromiumWithDataInEveryChart() throws {
        let out = try ScratchFolder.make().path
        #expect(try CLI.run(["run", "Scenarios/smoke.yaml", "--out", out, "--quiet"]).status == 0)
        let check = try checkInBrowser([out])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("7 charts with data"))
        let screenshot = try FileManager.default.attributesOfItem(atPath: out + "/report.png")
        #expect((screenshot[.size] as? Int ?? 0) > 10_000)
    }

    @Test func theBrowserCheckRejectsAPageWithConsoleErrorsOrEmptyCharts() throws {
        let directory = try ScratchFolder.make()
        try """
        <!DOCTYPE html><html><body><script>console.error("broken")</script>
        <svg class="chart" id="tps" data-points="0"></svg></body></html>
        """.write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        let check = try checkInBrowser([directory.path])
        #expect(check.status == 1)
        #expect(check.stderr.contains("console messages"))
        #expect(check.stderr.contains("chart tps has no data"))
    }
}
