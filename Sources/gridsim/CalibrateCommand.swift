import ArgumentParser
import Consensus
import Foundation
import GridCore
import Ledger
import Node
import Simulation

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Time the real operations on this host and write a CPU cost profile for the simulator.")

    @Option(help: "Where to write the profile (JSON).")
    var out: String = "cost-profile.json"

    @Option(help: "Name recorded in the profile and in reports that use it.")
    var name: String = "calibrated"

    @Option(help: "Operations timed per batch (the median of 5 batches is kept).")
    var iterations: Int = 2_000

    func run() throws {
        guard iterations > 0 else {
            printError("calibrate: --iterations must be positive")
            throw ExitStatus.badInput.exitCode
        }
        let profile = Calibration(iterations: iterations).measure(name: name)
        try profile.encoded().write(to: URL(fileURLWithPath: out))
        print(String(decoding: try profile.encoded(), as: UTF8.self))
        print("wrote \(out)")
    }
}

/// Times each operation of the cost model with the wall clock (allowed here: the command line is
/// outside the determinism contract) and keeps the median of five batches.
struct Calibration {
    let iterations: Int

    func measure(name: String) -> CostProfile {
        let keys = RandomStream(masterSeed: 1, name: "calibrate/keys")
        let keyPair = KeyPair(drawingFrom: keys)
        let other = KeyPair(drawingFrom: keys)
        let transactions = (0..<iterations).map { index in
            Transaction(body: TransactionBody(sender: keyPair.publicKey, recipient: other.publicKey,
                                              amount: MicroTokens(1_000 + Int64(index)), nonce: UInt64(index),
                                              region: .bangkok),
                        signedBy: keyPair, scheme: .ed25519)
        }
        let digests = transactions.map(\.id)
        let payload = [UInt8](repeating: 0xab, count: 200)

        let sign = nanosPerOperation { count in
            for index in 0..<count { blackHole(keyPair.sign(digests[index % iterations])) }
        }
        let verify = nanosPerOperation { count in
            for index in 0..<count {
                precondition(Ed25519.verify(transactions[index % iterations].signature, of: digests[index % iterations],
                                            by: keyPair.publicKey))
            }
        }
        let hash = nanosPerOperation { count in
            for _ in 0..<count { blackHole(Blake2b.hash(payload)) }
        }
        let leaves = Array(digests.prefix(1_000))
        let merkleRoot = nanosPerOperation(operations: max(1, iterations / 100)) { count in
            for _ in 0..<count { blackHole(MerkleTree.root(of: leaves)) }
        }
        let merkleLeaf = max(1, merkleRoot / Int64(leaves.count))
        let apply = nanosPerOperation { count in
            var mempool = Mempool()
            for index in 0..<count {
                mempool.insert(transactions[index % iterations])
                mempool.markCommitted(digests[index % iterations])
            }
        }
        let message = measureMessageOverhead(keyPair: keyPair, transactions: transactions)
        let host = ProcessInfo.processInfo
        return CostProfile(
            name: name,
            measuredOn: "\(host.hostName), \(host.activeProcessorCount) cores, gridsim calibrate \(ISO8601DateFormatter().string(from: Date()))",
            signNanos: sign, verifyNanos: verify, hashNanos: hash, merkleLeafNanos: merkleLeaf,
            transactionApplyNanos: apply, messageNanos: message)
    }

    /// The per-message cost of a node: delivering a transaction it already holds (dispatch and
    /// lookups, no signature check).
    private func measureMessageOverhead(keyPair: KeyPair, transactions: [Transaction]) -> Int64 {
        let validators = ValidatorSet([Validator(id: NodeID(0), publicKey: keyPair.publicKey, stake: 1, region: .bangkok)])
        let node = ValidatorNode(
            id: NodeID(0), validators: validators, keyPair: keyPair,
            configuration: NodeConfiguration(blockInterval: .seconds(1), maxBlockTransactions: 1_000,
                                             signatureScheme: .ed25519),
            verifier: SignatureVerifier())
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        for transaction in transactions {
            node.handle(.message(from: NodeID(0), .transaction(transaction)), now: .zero, work: &work, effects: &effects)
        }
        return nanosPerOperation { count in
            for index in 0..<count {
                effects.removeAll(keepingCapacity: true)
                node.handle(.message(from: NodeID(0), .transaction(transactions[index % iterations])), now: .zero,
                            work: &work, effects: &effects)
            }
        }
    }

    /// Runs `batch(n)` — which performs n operations — five times and returns the median
    /// nanoseconds per operation.
    private func nanosPerOperation(operations: Int? = nil, _ batch: (Int) -> Void) -> Int64 {
        let count = operations ?? iterations
        let clock = ContinuousClock()
        var perOperation: [Int64] = []
        for _ in 0..<5 {
            let start = clock.now
            batch(count)
            let elapsed = start.duration(to: clock.now)
            let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            perOperation.append(max(1, nanos / Int64(count)))
        }
        return perOperation.sorted()[2]
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
