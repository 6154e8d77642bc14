import Benchmark
import CMimalloc
import CSodium
import GridCore
import HeapModule
import Node
import Simulation

/// Foundation benchmarks (issue 2). Each measured figure has a reference measured in the same
/// run, so the README can quote ratios that survive a noisy machine:
/// - event kernel vs a bare `Heap<UInt64>` of the same size (10,000 pending);
/// - ed25519 sign and verify through GridCore vs raw libsodium calls;
/// - BLAKE2b of a 200-byte transaction; Merkle root of 1,000 transactions.
let benchmarks: @Sendable () -> Void = {
    // mimalloc as `gridsim` sets it up by default: on large OS pages (unless
    // MIMALLOC_LARGE_OS_PAGES says otherwise), with a thread faulting memory in ahead of it.
    // Whether it serves malloc is asked first, as the shim says.
    precondition(cmimalloc_serves_malloc() != 0, "the benchmarks must run on gridsim's allocator, mimalloc")
    cmimalloc_prefer_large_os_pages()
    precondition(cmimalloc_start_prefaulting(cmimalloc_default_prefault_lead_bytes) != 0, "the prefaulting thread did not start")
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 1_000)
    foundationBenchmarks()
    marketBenchmarks()
    replicatedBookBenchmark()
    gridBenchmarks()
    consensusBenchmarks()
    shardingBenchmarks()
}

func foundationBenchmarks() {
    let pending = 10_000

    Benchmark("Event kernel: schedule + next, 10k pending",
              configuration: .init(scalingFactor: .mega)) { benchmark in
        var loop = EventLoop(capacity: pending + 1)
        let stream = RandomStream(masterSeed: 1, name: "bench/kernel")
        let gaps = (0..<4_096).map { _ in Int64(stream.uniformInt(below: 1_000_000)) + 1 }
        for index in 0..<pending {
            loop.schedule(.nodeReady(node: NodeID(index % 64)), at: SimTime(nanoseconds: gaps[index % gaps.count]))
        }
        let limit = RunLimit(endTime: .distantFuture)
        var gapIndex = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            guard let event = loop.next(within: limit) else { break }
            gapIndex = (gapIndex + 1) & 4_095
            loop.schedule(event, at: loop.now + SimDuration(nanoseconds: gaps[gapIndex]))
        }
        benchmark.stopMeasurement()
        blackHole(loop.processedEvents)
    }

    Benchmark("Reference: bare Heap<UInt64> push + pop, 10k pending",
              configuration: .init(scalingFactor: .mega)) { benchmark in
        var heap = Heap<UInt64>()
        let stream = RandomStream(masterSeed: 1, name: "bench/kernel")
        let gaps = (0..<4_096).map { _ in UInt64(stream.uniformInt(below: 1_000_000)) + 1 }
        for index in 0..<pending { heap.insert(gaps[index % gaps.count]) }
        var gapIndex = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let now = heap.removeMin()
            gapIndex = (gapIndex + 1) & 4_095
            heap.insert(now + gaps[gapIndex])
        }
        benchmark.stopMeasurement()
        blackHole(heap.count)
    }

    let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "bench/keys"))
    let messages = (0..<1_024).map { Blake2b.hash([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
    let signatures = messages.map { keyPair.sign($0) }
    let publicKeyBytes = keyPair.publicKey.bytes.bytes
    let secretKeyBytes: [UInt8] = {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 64)
        let seed = RandomStream(masterSeed: 1, name: "bench/keys").nextBytes32().bytes
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        precondition(publicKey == publicKeyBytes, "the raw key pair is the same key pair")
        return secretKey
    }()
    let messageBytes = messages.map(\.bytes)
    let signatureBytes = signatures.map(\.bytes.bytes)

    Benchmark("ed25519 sign: GridCore KeyPair.sign",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(keyPair.sign(messages[index & 1_023]))
        }
    }

    Benchmark("ed25519 sign: raw crypto_sign_detached",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        var signature = [UInt8](repeating: 0, count: 64)
        for index in benchmark.scaledIterations {
            _ = crypto_sign_detached(&signature, nil, messageBytes[index & 1_023], 32, secretKeyBytes)
            blackHole(signature)
        }
    }

    Benchmark("ed25519 verify: GridCore Ed25519.verify",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            precondition(Ed25519.verify(signatures[index & 1_023], of: messages[index & 1_023], by: keyPair.publicKey))
        }
    }

    Benchmark("ed25519 verify: raw crypto_sign_verify_detached",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            precondition(crypto_sign_verify_detached(
                signatureBytes[index & 1_023], messageBytes[index & 1_023], 32, publicKeyBytes) == 0)
        }
    }

    Benchmark("ed25519 verify: SignatureVerifier cache hit",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        // 64 claims in the table's 8,192 slot pairs: no pair overflows, so every check is a hit
        // (1,024 claims would push a few out of full pairs and time real verifications too).
        let verifier = SignatureVerifier()
        for index in 0..<64 { _ = verifier.verify(signatures[index], of: messages[index], by: keyPair.publicKey) }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            precondition(verifier.verify(signatures[index & 63], of: messages[index & 63], by: keyPair.publicKey))
        }
        precondition(verifier.computedVerifications == 64, "every timed check was a cache hit")
    }

    let transactionBytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    Benchmark("BLAKE2b-256 of a 200-byte transaction",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Blake2b.hash(transactionBytes))
        }
    }

    let leaves = (0..<1_000).map { Blake2b.hash([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8), 7]) }
    Benchmark("Merkle root of 1,000 transactions") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(MerkleTree.root(of: leaves))
        }
    }
}
