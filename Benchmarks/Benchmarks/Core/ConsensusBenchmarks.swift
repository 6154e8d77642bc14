import Benchmark
import Foundation
import GridCore
import Scenario
import Simulation

/// Issue 5: one height of consensus with 50 validators (wall time, messages and simulated time
/// per height), and how many seeds per second the 7-validator, 60-simulated-second
/// equivocation scenario runs on one core.
func consensusBenchmarks() {
    let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")
    let heights = 10
    let fiftyValidators = """
        name: fifty-validators
        run: { duration: \(heights) s, start: "12:00" }
        validators: { count: 50 }
        consensus: { block_interval: 1 s, timeout_propose: 1 s, timeout_prevote: 500 ms, timeout_precommit: 500 ms }
        participants:
          - { class: residential, count: 1, region: bangkok }
        """
    guard let fifty = try? ScenarioLoader.parse(fiftyValidators, path: scenarios.appendingPathComponent("bench.yaml").path),
          let equivocation = try? ScenarioLoader.load(path: scenarios.appendingPathComponent("byzantine-equivocation.yaml").path)
    else { fatalError("benchmark scenarios do not load") }

    let messagesPerHeight = BenchmarkMetric.custom("messages per height", polarity: .prefersSmaller, useScalingFactor: false)
    let finalityMicros = BenchmarkMetric.custom("simulated finality per height (µs)", polarity: .prefersSmaller,
                                                useScalingFactor: false)
    Benchmark("Consensus: one height with 50 validators (per height)",
              configuration: .init(metrics: [.wallClock, messagesPerHeight, finalityMicros], scalingFactor: .one,
                                   maxIterations: 20)) { benchmark in
        for _ in benchmark.scaledIterations {
            benchmark.startMeasurement()
            let result = Simulator(scenario: fifty, seed: 1, costProfile: .reference).run()
            benchmark.stopMeasurement()
            precondition(result.blocks.count >= heights - 1 && result.violations.isEmpty)
            let finality = result.blocks.map { ($0.committedAt - $0.proposedAt).nanoseconds / 1_000 }
            benchmark.measurement(messagesPerHeight, Int(result.events) / result.blocks.count)
            benchmark.measurement(finalityMicros, Int(finality.reduce(0, +)) / finality.count)
        }
    }

    Benchmark("Fault scenario: 7 validators, 60 simulated s, equivocation (seeds per second)",
              configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .one, maxIterations: 30)) { benchmark in
        for seed in benchmark.scaledIterations {
            blackHole(Simulator(scenario: equivocation, seed: UInt64(seed + 1), costProfile: .reference).run().digest)
        }
    }
}
