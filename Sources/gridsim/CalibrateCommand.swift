import ArgumentParser
import Consensus
import Foundation
import GridCore
import Ledger
import Market
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
        let folder = (out as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
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
            Transaction(signedBy: keyPair, region: .bangkok,
                        kind: .transfer(inputs: [OutPoint(transaction: Blake2b.hash([1]), index: UInt32(index))],
                                        outputs: [TxOutput(owner: other.publicKey, asset: .payment, amount: 1_000)]),
                        fee: MicroTokens(1_000), validUntil: .zero + .hours(1), nonce: UInt64(index), scheme: .ed25519)
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
        let apply = measureTransactionApply()
        let operations = SyntheticWorkloads.orderStream(count: max(iterations, 10_000) * 10, seed: 1)
        let book = nanosPerOperation(operations: 1) { _ in
            var book = OrderBook(replicated: true)
            SyntheticWorkloads.run(operations, on: &book)
        } / Int64(operations.count)
        let message = measureMessageOverhead()
        let host = ProcessInfo.processInfo
        return CostProfile(
            name: name,
            measuredOn: "\(host.hostName), \(host.activeProcessorCount) cores, gridsim calibrate \(ISO8601DateFormatter().string(from: Date()))",
            signNanos: sign, verifyNanos: verify, hashNanos: hash, merkleLeafNanos: merkleLeaf,
            transactionApplyNanos: apply, bookOperationNanos: max(1, book), messageNanos: message)
    }

    /// Validating and applying a transfer to the chain state, signatures excluded: blocks of
    /// 1,000 transfers applied strictly and committed.
    private func measureTransactionApply() -> Int64 {
        let (genesis, blocks) = SyntheticWorkloads.transferBlocks(accounts: 1_000, blocks: 5, size: 1_000, seed: 1,
                                                                 scheme: .modelled)
        let verifier = SignatureVerifier(scheme: .modelled)
        return nanosPerOperation(operations: 1) { _ in
            var state = genesis
            SyntheticWorkloads.applyAndCommit(blocks, to: &state, verifier: verifier)
        } / Int64(blocks.count * blocks[0].count)
    }

    /// The per-message cost of a node: delivering a transaction it already holds (dispatch and
    /// lookups, no signature check or validation).
    private func measureMessageOverhead() -> Int64 {
        let count = min(iterations, 1_000)
        let (genesis, blocks) = SyntheticWorkloads.transferBlocks(accounts: count, blocks: 1, size: count, seed: 2,
                                                                 scheme: .modelled)
        let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 2, name: "calibrate/validator"))
        let validators = ValidatorSet([Validator(id: NodeID(0), publicKey: keyPair.publicKey, stake: 1, region: .bangkok)])
        let node = ValidatorNode(
            id: NodeID(0), validators: validators, keyPair: keyPair,
            configuration: NodeConfiguration(consensus: ConsensusParameters(blockInterval: .seconds(1),
                                                                            signatureScheme: .modelled)),
            verifier: SignatureVerifier(scheme: .modelled), genesis: genesis)
        var effects: [NodeEffect] = []
        var work = WorkMeter()
        for transaction in blocks[0] {
            node.handle(.message(from: NodeID(0), .transaction(transaction)), now: .zero, work: &work, effects: &effects)
        }
        precondition(node.mempoolCount == count, "the synthetic transfers are admitted")
        return nanosPerOperation(operations: count) { operations in
            for index in 0..<operations {
                effects.removeAll(keepingCapacity: true)
                node.handle(.message(from: NodeID(0), .transaction(blocks[0][index])), now: .zero, work: &work,
                            effects: &effects)
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
