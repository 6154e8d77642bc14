import Foundation
import GridCore
import Scenario
import Simulation
import TestSupport
import Testing

func scenarioPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios").appendingPathComponent(name).path
}

/// A load trace file holding `text`, in a new folder of its own (removed when the tests exit).
func traceFile(_ text: String) throws -> URL {
    try ScratchFolder.file("trace.csv", containing: text)
}

let smallScenario = """
name: small
run:
  duration: 40 s
  warmup: 1 s
  start: "12:00"
validators:
  count: 4
  regions: [bangkok, north, east, south]
consensus:
  block_interval: 1 s
market:
  areas: national
  slot: 5 s
  mint_interval: 5 s
  delivery_slots: 3
  order_lifetime: 20 s
  settlement_delay: 1 s
grid:
  sample_interval: 5 s
participants:
  - { class: solar, count: 10, region: bangkok, capacity: 5 MW, order_rate: 0.2 /s }
  - { class: residential, count: 20, region: northeast, demand: 2 MWh, order_rate: 0.3 /s, tx_rate: 0.3 /s }
workload:
  invalid_share: 5 %
"""

func runSmall(seed: UInt64 = 1, overrides: [String] = [], profile: CostProfile = .reference,
              verifyingAhead: Bool = Simulator.verifiesAheadByDefault, sharingExecution: Bool = true) throws -> RunResult {
    let scenario = try ScenarioLoader.parse(smallScenario, path: scenarioPath("small.yaml"), overrides: overrides)
    return Simulator(scenario: scenario, seed: seed, costProfile: profile, verifyingAhead: verifyingAhead,
                     sharingExecution: sharingExecution).run()
}

@Suite struct SimulatorTests {
    @Test func everyTransactionEndsInExactlyOneOutcome() throws {
        let result = try runSmall()
        var accepted = 0, rejected = 0, pending = 0
        for index in 0..<result.transactions.count {
            switch result.transactions.outcome(at: index) {
            case .accepted: accepted += 1
            case .rejected:
                rejected += 1
            case .pending: pending += 1
            }
        }
        #expect(result.transactions.count == accepted + rejected + pending)
        #expect(accepted > 300)
        #expect(rejected > 0, "5 % of transactions carry a corrupted signature")
        #expect(result.violations.isEmpty)
        #expect(result.blocks.count >= 38)
        #expect(result.market.trades > 20, "the agents trade")
        #expect(result.market.settlements > 5, "and settle")
        #expect(result.blocks.map(\.height) == Array(1...UInt64(result.blocks.count)))
        #expect(result.blocks.reduce(0) { $0 + $1.transactionCount } == accepted)
    }

    @Test func sameSeedSameDigestOtherSeedOtherDigest() throws {
        let first = try runSmall(seed: 7)
        let second = try runSmall(seed: 7)
        let other = try runSmall(seed: 8)
        #expect(first.digest == second.digest)
        #expect(first.events == second.events)
        #expect(first.digest != other.digest)
    }

    @Test func verifyingAheadOnAHelperThreadChangesNothing() throws {
        let alone = try runSmall(seed: 5, verifyingAhead: false)
        let helped = try runSmall(seed: 5, verifyingAhead: true)
        #expect(alone.signatureChecksAhead == 0)
        // Thousands of signatures are announced before they are checked; the helper thread
        // answers some of them in time even when it shares one core with the simulation.
        #expect(helped.signatureChecksAhead > 0)
        #expect(helped.digest == alone.digest)
        #expect(helped.events == alone.events)
        #expect(helped.signatureChecksComputed == alone.signatureChecksComputed)
    }

    @Test func sharingBlockExecutionChangesNothing() throws {
        let alone = try runSmall(seed: 5, sharingExecution: false)
        let shared = try runSmall(seed: 5, sharingExecution: true)
        #expect(alone.executionStepsReused == 0)
        // Four replicas: each block is applied and committed by one and taken by the others.
        #expect(shared.executionStepsReused > 2 * shared.executionStepsComputed)
        #expect(shared.digest == alone.digest)
        #expect(shared.events == alone.events)
        #expect(shared.nodeBusyNanos == alone.nodeBusyNanos, "every replica is charged the work it did not repeat")
    }

    @Test func latenciesRespectCausality() throws {
        let result = try runSmall()
        let tracker = result.transactions
        for index in 0..<tracker.count where tracker.finalizedNanos[index] >= 0 {
            #expect(tracker.admittedNanos[index] > tracker.submittedNanos[index])
            #expect(tracker.includedNanos[index] >= tracker.admittedNanos[index])
            #expect(tracker.finalizedNanos[index] > tracker.includedNanos[index])
        }
    }

    @Test func aSlowCPUQueuesWorkAndRaisesAdmissionLatency() throws {
        var slow = CostProfile.reference
        slow.verifyNanos = 30_000_000  // 30 ms per signature check: the entry nodes saturate
        let fast = try runSmall()
        let loaded = try runSmall(profile: slow)
        let fastAdmission = fast.transactions.latencies(of: .admission).sorted()
        let slowAdmission = loaded.transactions.latencies(of: .admission).sorted()
        #expect(fastAdmission[fastAdmission.count / 2] < 20_000_000)
        #expect(slowAdmission[slowAdmission.count / 2] > 30_000_000)
        #expect(loaded.nodeBusyNanos.reduce(0, +) > 10 * fast.nodeBusyNanos.reduce(0, +))
    }

    /// A profile that cannot be used is bad input naming the file, line and field: a negative
    /// cost ran time backwards and a huge one overflowed the clock (found by fuzzing), a missing
    /// or mistyped one was a raw decoding error at line 0, and a fraction or 1e30 was "not a cost
    /// profile" at line 1.
    @Test func aCostProfileThatCannotBeUsedNamesItsFileLineAndField() throws {
        let written = String(decoding: try CostProfile.reference.encoded(), as: UTF8.self)
        #expect(try CostProfile.load(path: try ScratchFolder.file("p.json", containing: written).path) == .reference)
        let cases = [
            ("\"verify_ns\" : 56000", "\"verify_ns\" : -5", "verify_ns", "-5 ns is out of range (0 to 1 s)"),
            ("\"message_ns\" : 102", "\"message_ns\" : 9223372036854775807", "message_ns",
             "9223372036854775807 ns is out of range (0 to 1 s)"),
            ("\"sign_ns\" : 19000", "\"sign_ns\" : \"fast\"", "sign_ns", "expected a whole number of nanoseconds"),
            // Numbers Foundation's decoder cannot hold, which it calls invalid JSON without a path.
            ("\"hash_ns\" : 355", "\"hash_ns\" : 1e30", "hash_ns", "expected a whole number of nanoseconds"),
            ("\"message_ns\" : 102", "\"message_ns\" : 102.5", "message_ns", "expected a whole number of nanoseconds"),
            ("\"verify_ns\" : 56000", "\"verify_ns\" : 99999999999999999999", "verify_ns",
             "expected a whole number of nanoseconds"),
            ("\"verify_ns\" : 56000", "\"verify_ns\" : 56000,,", "cost_profile", "not a cost profile in JSON"),
            ("  \"hash_ns\" : 355,\n", "", "cost_profile", "`hash_ns` is missing (a profile names every cost; `gridsim calibrate` writes one)"),
        ]
        for (original, changed, field, message) in cases {
            #expect(written.contains(original), "\(written)")
            let path = try ScratchFolder.file("p.json", containing: written.replacingOccurrences(of: original, with: changed)).path
            let error = try #require(throws: ScenarioError.self) { try CostProfile.load(path: path) }
            let diagnostic = try #require(error.diagnostics.first)
            #expect(diagnostic.field == field && diagnostic.message == message, "\(diagnostic)")
            #expect(diagnostic.location.file == path)
            let line = written.split(separator: "\n").firstIndex { $0.contains(field) }.map { $0 + 1 } ?? 1
            #expect(diagnostic.location.line == line)
        }
    }

    @Test func modelledSignaturesGiveTheSameShapeOfRun() throws {
        let real = try runSmall()
        let modelled = try runSmall(overrides: ["consensus.signatures=modelled"])
        #expect(real.transactions.count == modelled.transactions.count, "the workload does not depend on the scheme")
        #expect(modelled.blocks.count == real.blocks.count)
        #expect(modelled.violations.isEmpty)
    }
}
