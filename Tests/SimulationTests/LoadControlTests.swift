import Foundation
import GridCore
import Scenario
import Simulation
import Testing

/// Fifty households sending payments (10 a second in all) to each other on four validators,
/// with enough coins that no arrival goes unfunded; `load` is the scenario's load section.
func loadTestScenario(duration: String = "300 s", start: String = "12:00", rate: String = "0.2 /s",
                  load: String) -> String {
    """
    name: load
    run:
      duration: \(duration)
      start: "\(start)"
    validators:
      count: 4
      regions: [bangkok, north, east, south]
    consensus:
      block_interval: 1 s
    participants:
      - { class: residential, count: 50, region: bangkok, tx_rate: \(rate), coins: 400 }
      - { class: operator, count: 1, region: bangkok }
    load:
    \(load.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    """
}

func runLoad(_ text: String, seed: UInt64 = 1) throws -> RunResult {
    let scenario = try ScenarioLoader.parse(text, path: scenarioPath("load.yaml"))
    return Simulator(scenario: scenario, seed: seed, costProfile: .reference).run()
}

/// Submission times of the run's transfers, in seconds, in order.
func transferTimes(_ result: RunResult) -> [Double] {
    let tracker = result.transactions
    return (0..<tracker.count).filter { tracker.kinds[$0] == "transfer" }
        .map { Double(tracker.submittedNanos[$0]) / 1e9 }.sorted()
}

func count(_ times: [Double], in range: Range<Double>) -> Int { times.filter(range.contains).count }

@Suite struct LoadControlTests {
    @Test func poissonArrivalsHaveTheRateAndThePoissonDispersion() throws {
        let result = try runLoad(loadTestScenario(load: "controller: poisson\ndaily_profiles: false"))
        let times = transferTimes(result)
        #expect(result.load.unfundedTransfers == 0)
        #expect(result.load.offeredTransfers == times.count)
        // 10 a second for 300 s: 3,000 expected, standard deviation 55.
        #expect(abs(times.count - 3_000) < 220, "\(times.count)")
        let windows = (0..<30).map { count(times, in: Double($0) * 10..<Double($0 + 1) * 10) }
        let mean = Double(windows.reduce(0, +)) / 30
        let variance = windows.map { pow(Double($0) - mean, 2) }.reduce(0, +) / 29
        #expect(variance / mean > 0.5 && variance / mean < 1.6, "index of dispersion \(variance / mean)")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let gapMean = gaps.reduce(0, +) / Double(gaps.count)
        let gapSD = sqrt(gaps.map { pow($0 - gapMean, 2) }.reduce(0, +) / Double(gaps.count - 1))
        #expect(abs(gapSD / gapMean - 1) < 0.1, "exponential gaps have a coefficient of variation of 1")
    }

    @Test func fixedArrivalsAreEvenlySpaced() throws {
        let times = transferTimes(try runLoad(loadTestScenario(load: "controller: fixed\ndaily_profiles: false")))
        #expect(abs(times.count - 3_000) <= 1)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - 0.1) < 1e-6 }, "\(gaps.min()!)...\(gaps.max()!)")
    }

    /// A rate so small that its next gap is past any time the simulation holds (found by fuzzing
    /// `order_rate`) offers nothing; the gap used to be turned into a duration first, and stopped
    /// the run on `SimDuration`'s range precondition.
    @Test(arguments: ["poisson", "fixed"])
    func aRateTooSmallForTheRunOffersNothing(controller: String) throws {
        let result = try runLoad(loadTestScenario(rate: "0.000000000001 /s", load: "controller: \(controller)\ndaily_profiles: false"))
        #expect(result.stopReason == .timeLimit)
        #expect(result.load.offeredTransfers == 0 && transferTimes(result).isEmpty)
    }

    @Test func aStepMultipliesTheRateFromItsTime() throws {
        let times = transferTimes(try runLoad(loadTestScenario(
            load: "controller: fixed\ndaily_profiles: false\nschedule:\n  - { at: 150 s, factor: 3 }")))
        #expect(abs(count(times, in: 0..<150) - 1_500) <= 1)
        #expect(abs(count(times, in: 150..<300) - 4_500) <= 2)
    }

    @Test func aRampReachesItsFactorLinearly() throws {
        let times = transferTimes(try runLoad(loadTestScenario(
            load: "controller: fixed\ndaily_profiles: false\nschedule:\n  - { at: 0 s, factor: 3, ramp: 300 s }")))
        // Rate 10 × (1 + 2t/300): 2,250 in the first half, 3,750 in the second.
        #expect(abs(Double(count(times, in: 0..<150)) / 2_250 - 1) < 0.01)
        #expect(abs(Double(count(times, in: 150..<300)) / 3_750 - 1) < 0.01)
    }

    @Test func householdsFollowTheEveningPeakOfTheirDailyCurve() throws {
        let evening = transferTimes(try runLoad(loadTestScenario(duration: "600 s", start: "20:00", rate: "0.1 /s",
                                                             load: "controller: fixed")))
        let night = transferTimes(try runLoad(loadTestScenario(duration: "600 s", start: "03:00", rate: "0.1 /s",
                                                           load: "controller: fixed")))
        // The residential curve is 2.1 at 20:00 and 0.35 at 03:00 (mean 0.96875 over the day).
        let expectedEvening: Double = 5 * 600 * 2.1 / 0.96875
        #expect(abs(Double(evening.count) / expectedEvening - 1) < 0.01, "\(evening.count)")
        #expect(abs(Double(evening.count) / Double(night.count) - 6) < 0.1)
    }

    @Test func theClosedLoopKeepsItsOutstandingTransactionsInFlight() throws {
        let result = try runLoad(loadTestScenario(duration: "120 s", load: "controller: closed-loop\noutstanding: 5"))
        let tracker = result.transactions
        var changes: [(Int64, Int)] = []
        for index in 0..<tracker.count where tracker.kinds[index] == "transfer" {
            changes.append((tracker.submittedNanos[index], 1))
            if case .accepted = tracker.outcome(at: index) { changes.append((tracker.finalizedNanos[index], -1)) }
        }
        var inFlight = 0, most = 0
        for (_, change) in changes.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            inFlight += change
            most = max(most, inFlight)
        }
        #expect(most == 5)
        #expect(tracker.count > 100, "each finalization starts the next transaction")
        #expect(result.transactions.count - tracker.finalizedNanos.filter { $0 >= 0 }.count <= 5)
    }

    /// A place in the closed loop whose transaction a full mempool refused stays empty for
    /// `load.backoff` before the next one starts, so each of the 20 places is refused at most
    /// once a second; with no backoff the clients hammer the validators many times as often.
    @Test func aClosedLoopClientBacksOffAfterAFullMempoolRefusedIt() throws {
        func refusals(backoff: String) throws -> (refused: Int, accepted: Int, pending: Int, count: Int) {
            let text = loadTestScenario(duration: "20 s", load: "controller: closed-loop\noutstanding: 20\nbackoff: \(backoff)")
                .replacingOccurrences(of: "block_interval: 1 s", with: "block_interval: 1 s\n  mempool_limit: 3")
            let tracker = try runLoad(text).transactions
            let outcomes = (0..<tracker.count).map(tracker.outcome(at:))
            return (outcomes.filter { $0 == .rejected(.mempoolFull) }.count, outcomes.filter { $0 == .accepted }.count,
                    outcomes.filter { $0 == .pending }.count, tracker.count)
        }
        let backingOff = try refusals(backoff: "1 s")
        let hammering = try refusals(backoff: "0 s")
        #expect(backingOff.refused > 0)
        #expect(backingOff.refused <= 20 * 21, "\(backingOff.refused) refusals")
        #expect(hammering.refused > 10 * backingOff.refused, "\(hammering.refused) against \(backingOff.refused)")
        #expect(backingOff.accepted + backingOff.refused + backingOff.pending == backingOff.count,
                "a full mempool is the only reason a transaction is refused here")
        #expect(backingOff.accepted >= hammering.accepted * 9 / 10, "backing off costs the chain no throughput")
    }

    /// Clients that think for a mean of Z between a response and their next transaction: N of
    /// them finish N ÷ (R + Z) transactions a second, R their mean response time (the
    /// interactive response time law), so the think time the run kept can be read back from
    /// its throughput and latency. Without thinking the same clients go about twice as fast.
    @Test func closedLoopClientsThinkBetweenAResponseAndTheirNextTransaction() throws {
        func run(thinkTime: String) throws -> (throughput: Double, responseSeconds: Double, transfers: Int) {
            let result = try runLoad(loadTestScenario(
                duration: "600 s", load: "controller: closed-loop\noutstanding: 20\nthink_time: \(thinkTime)"))
            let tracker = result.transactions
            #expect(result.load.unfundedTransfers == 0)
            let finished = (0..<tracker.count).filter { tracker.kinds[$0] == "transfer" && tracker.finalizedNanos[$0] >= 0 }
            let responses = finished.map { Double(tracker.finalizedNanos[$0] - tracker.submittedNanos[$0]) / 1e9 }
            return (Double(finished.count) / 600, responses.reduce(0, +) / Double(responses.count), finished.count)
        }
        let thinking = try run(thinkTime: "2 s")
        let keptThinkSeconds = 20 / thinking.throughput - thinking.responseSeconds
        #expect(abs(keptThinkSeconds - 2) < 0.15, "\(keptThinkSeconds) s of think time kept, \(thinking)")
        let eager = try run(thinkTime: "0 s")
        #expect(abs(20 / eager.throughput - eager.responseSeconds) < 0.1, "no think time: \(eager)")
        #expect(eager.throughput > 1.5 * thinking.throughput, "\(eager) against \(thinking)")
    }

    /// A client whose think time runs past the run's end sends nothing more: with a mean far
    /// beyond the run, the first transactions are about all there are.
    @Test func aClientThinkingPastTheEndSendsNothingMore() throws {
        let result = try runLoad(loadTestScenario(
            duration: "60 s", load: "controller: closed-loop\noutstanding: 5\nthink_time: 1000 s"))
        let transfers = transferTimes(result)
        #expect(transfers.count >= 5 && transfers.count < 10, "\(transfers.count) transfers")
        #expect(transfers.prefix(5).allSatisfy { $0 == 0 })
    }

    @Test func aTraceIsReplayedRowByRow() throws {
        let trace = try traceFile(
            "time_s,class,kind\n1.5,residential,transfer\n4,0,transfer\n4,0,transfer\n9.25,residential,transfer\n400,0,transfer\n")
        let result = try runLoad(loadTestScenario(duration: "20 s", load: "controller: trace\ntrace: \(trace.path)"))
        #expect(transferTimes(result) == [1.5, 4, 4, 9.25], "rows after the run's end are not replayed")
        #expect(result.transactions.participantClasses.allSatisfy { $0 == 0 })
    }

    /// A closed loop whose clients think is recorded and replayed like any other load: the trace
    /// holds the arrivals its completions and think times made, and replaying it draws no think
    /// time, so the run is the same (what `gridsim shrink` relies on to cut such a run).
    @Test func aClosedLoopWithThinkTimeReplaysFromItsTrace() throws {
        let text = loadTestScenario(duration: "60 s", load: "controller: closed-loop\noutstanding: 10\nthink_time: 1 s")
        let recorder = Simulator(scenario: try ScenarioLoader.parse(text, path: scenarioPath("load.yaml")), seed: 3,
                                 costProfile: .reference)
        var rows: [TraceRow] = []
        recorder.arrivalObserver = { rows.append($0) }
        let recorded = recorder.run()
        #expect(rows.count > 200)
        let trace = try traceFile(LoadTrace.text(of: rows))
        let replayed = try ScenarioLoader.parse(text, path: scenarioPath("load.yaml"),
                                                overrides: ["load.controller=trace", "load.trace=\(trace.path)"])
        #expect(Simulator(scenario: replayed, seed: 3, costProfile: .reference).run().digest == recorded.digest)
    }

    /// A run's arrivals recorded with their participants, quantities, prices, recipients and
    /// amounts, replayed as a trace, give the very same run: the workload draws nothing.
    @Test func anExplicitTraceOfARunsArrivalsReproducesItsDigest() throws {
        let original = try ScenarioLoader.parse(smallScenario, path: scenarioPath("small.yaml"))
        let recorder = Simulator(scenario: original, seed: 5, costProfile: .reference)
        var rows: [TraceRow] = []
        recorder.arrivalObserver = { rows.append($0) }
        let recorded = recorder.run()
        #expect(rows.contains { !$0.transfer } && rows.contains(where: \.transfer))
        #expect(rows.allSatisfy { $0.participant != nil })
        #expect(rows.filter { !$0.transfer }.allSatisfy { $0.quantityWh != nil })
        #expect(rows.filter(\.transfer).allSatisfy { $0.recipient != nil && $0.amountMicro != nil })
        #expect(recorded.market.trades > 0)

        let trace = try traceFile(LoadTrace.text(of: rows))
        let replayed = try ScenarioLoader.parse(smallScenario + "\nload:\n  controller: trace\n  trace: \(trace.path)\n",
                                                path: scenarioPath("small.yaml"))
        #expect(replayed.load.trace == rows, "the text round-trips to the nanosecond")
        let result = Simulator(scenario: replayed, seed: 5, costProfile: .reference).run()
        #expect(result.digest == recorded.digest)
        #expect(result.load.offeredOrders == recorded.load.offeredOrders)

        // Raise every limit price by one micro-token: the trace, not the seed, decides them.
        let changed = rows.map { row in
            var row = row
            row.priceMicroPerKWh = row.priceMicroPerKWh.map { $0 + 1 }
            return row
        }
        let changedTrace = try traceFile(LoadTrace.text(of: changed))
        let other = try ScenarioLoader.parse(smallScenario + "\nload:\n  controller: trace\n  trace: \(changedTrace.path)\n",
                                             path: scenarioPath("small.yaml"))
        #expect(Simulator(scenario: other, seed: 5, costProfile: .reference).run().digest != recorded.digest)
    }
}
