import Benchmark
import GridCore
import Ledger
import Market
import Node
import Simulation

/// Issue 3: order-book operations on a realistic mix (80 % limit orders around the spread, 20 %
/// cancels) and ledger application of 1,000-transaction blocks, signatures excluded.
func marketBenchmarks() {
    let operations = SyntheticWorkloads.orderStream(count: 200_000, seed: 1)
    Benchmark("Order book: insert with matching + cancel, realistic mix (per operation)",
              configuration: .init(scalingFactor: .one, maxIterations: 50)) { benchmark in
        for _ in benchmark.scaledIterations {
            var matcher = StandaloneMatcher(rule: .payAsAsk)
            benchmark.startMeasurement()
            blackHole(SyntheticWorkloads.run(operations, on: &matcher))
            benchmark.stopMeasurement()
        }
    }

    let (genesis, blocks) = SyntheticWorkloads.transferBlocks(accounts: 1_000, blocks: 10, size: 1_000, seed: 1,
                                                             scheme: .modelled)
    let verifier = SignatureVerifier(scheme: .modelled)
    Benchmark("Ledger: apply + commit ten 1,000-transfer blocks (signatures excluded)",
              configuration: .init(scalingFactor: .one, maxIterations: 50)) { benchmark in
        for _ in benchmark.scaledIterations {
            var state = genesis
            benchmark.startMeasurement()
            SyntheticWorkloads.applyAndCommit(blocks, to: &state, verifier: verifier)
            benchmark.stopMeasurement()
            blackHole(state.stateRoot)
        }
    }
}

/// The same order stream on a replicated book: what every validator pays on top of matching for
/// rollback (the journal) and the state root (a BLAKE2b per resting-order change).
func replicatedBookBenchmark() {
    let operations = SyntheticWorkloads.orderStream(count: 200_000, seed: 1)
    Benchmark("Order book, replicated (journal + commitment), same mix (per operation)",
              configuration: .init(scalingFactor: .one, maxIterations: 50)) { benchmark in
        for _ in benchmark.scaledIterations {
            var book = OrderBook(replicated: true)
            benchmark.startMeasurement()
            blackHole(SyntheticWorkloads.run(operations, on: &book))
            benchmark.stopMeasurement()
            blackHole(book.commitment)
        }
    }
}
