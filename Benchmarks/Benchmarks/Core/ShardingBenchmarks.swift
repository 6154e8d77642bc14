import Benchmark
import CSodium
import Foundation
import GridCore
import Scenario
import Simulation

/// Issue 8: the sharding stress test — `Scenarios/shard-stress.yaml`, 3,000 tx/s offered over
/// four shards for 600 simulated seconds — with real ed25519 signatures and with signatures
/// modelled, as real-time factors (simulated ÷ wall seconds) and transactions per wall second;
/// beside them, in the same run, raw libsodium signing plus one verification per transaction:
/// the ceiling real signatures put on one core. The runs are served by mimalloc, as `gridsim`'s are.
func shardingBenchmarks() {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios/shard-stress.yaml").path
    let realTimeFactor = BenchmarkMetric.custom("real-time factor ×100", polarity: .prefersLarger, useScalingFactor: false)
    let transactionsPerSecond = BenchmarkMetric.custom("transactions per wall second", polarity: .prefersLarger,
                                                       useScalingFactor: false)
    for scheme in ["ed25519", "modelled"] {
        guard let scenario = try? ScenarioLoader.load(path: path, overrides: ["consensus.signatures=\(scheme)"]) else {
            fatalError("shard-stress.yaml does not load")
        }
        Benchmark("Sharding stress: 3,000 tx/s over 4 shards, 600 simulated s, signatures \(scheme)",
                  configuration: .init(metrics: [.wallClock, realTimeFactor, transactionsPerSecond], warmupIterations: 0,
                                       scalingFactor: .one, maxDuration: .seconds(900), maxIterations: 1)) { benchmark in
            let clock = ContinuousClock()
            let start = clock.now
            let result = Simulator(scenario: scenario, seed: 1, costProfile: .reference).run()
            let elapsed = clock.now - start
            precondition(result.violations.isEmpty, "the stress run broke an invariant: \(result.violations)")
            let wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            benchmark.measurement(realTimeFactor, Int(scenario.run.duration.seconds / wallSeconds * 100))
            benchmark.measurement(transactionsPerSecond, Int(Double(result.transactions.count) / wallSeconds))
        }
    }

    let (publicKey, secretKey): ([UInt8], [UInt8]) = {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, RandomStream(masterSeed: 8, name: "bench/stress").nextBytes32().bytes)
        return (publicKey, secretKey)
    }()
    Benchmark("Reference: raw libsodium sign + one verify (per transaction)",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        var signature = [UInt8](repeating: 0, count: 64)
        var message = [UInt8](repeating: 0, count: 32)
        for index in benchmark.scaledIterations {
            message[0] = UInt8(truncatingIfNeeded: index)
            _ = crypto_sign_detached(&signature, nil, message, 32, secretKey)
            blackHole(crypto_sign_verify_detached(signature, message, 32, publicKey))
        }
    }
}
