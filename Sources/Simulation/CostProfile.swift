import Foundation
import GridCore

/// What each costly operation costs in simulated CPU time, measured on a real host by
/// `gridsim calibrate`. A node handling an input is busy for the sum of its work's costs, so a
/// busy node queues work and simulated throughput reflects the real code's speed.
public struct CostProfile: Codable, Hashable, Sendable {
    /// A name for reports.
    public var name: String
    /// Where and how it was measured.
    public var measuredOn: String
    public var signNanos: Int64
    public var verifyNanos: Int64
    /// BLAKE2b-256 of a 200-byte transaction.
    public var hashNanos: Int64
    /// One leaf of a Merkle root (its share of a 1,000-leaf root).
    public var merkleLeafNanos: Int64
    /// Validating and applying one transaction to the ledger, signature excluded.
    public var transactionApplyNanos: Int64
    /// One order-book operation: an insert, a cancel, or a candidate examined while matching.
    public var bookOperationNanos: Int64
    /// Fixed overhead of handling one message (decode, dispatch).
    public var messageNanos: Int64

    enum CodingKeys: String, CodingKey {
        case name
        case measuredOn = "measured_on"
        case signNanos = "sign_ns"
        case verifyNanos = "verify_ns"
        case hashNanos = "hash_ns"
        case merkleLeafNanos = "merkle_leaf_ns"
        case transactionApplyNanos = "transaction_apply_ns"
        case bookOperationNanos = "book_operation_ns"
        case messageNanos = "message_ns"
    }

    public init(name: String, measuredOn: String, signNanos: Int64, verifyNanos: Int64, hashNanos: Int64,
                merkleLeafNanos: Int64, transactionApplyNanos: Int64, bookOperationNanos: Int64, messageNanos: Int64) {
        self.name = name
        self.measuredOn = measuredOn
        self.signNanos = signNanos
        self.verifyNanos = verifyNanos
        self.hashNanos = hashNanos
        self.merkleLeafNanos = merkleLeafNanos
        self.transactionApplyNanos = transactionApplyNanos
        self.bookOperationNanos = bookOperationNanos
        self.messageNanos = messageNanos
    }

    /// The simulated CPU time of `work`.
    @inlinable
    public func cost(of work: WorkMeter) -> SimDuration {
        var total = Int64(work.signaturesMade) * signNanos
        total += Int64(work.signaturesChecked) * verifyNanos
        total += Int64(work.hashes) * hashNanos
        total += Int64(work.merkleLeaves) * merkleLeafNanos
        total += Int64(work.transactionsApplied) * transactionApplyNanos
        total += Int64(work.bookOperations) * bookOperationNanos
        total += Int64(work.messages) * messageNanos
        return SimDuration(nanoseconds: total)
    }

    /// The profile measured on the reference machine (2-core x86_64, Swift 6.3.1, libsodium
    /// 1.0.18, release build) with `gridsim calibrate` on 2026-11-26 (median of three runs).
    public static let reference = CostProfile(
        name: "reference", measuredOn: "2-core x86_64 Xeon (AVX2) Debian 12, libsodium 1.0.18, gridsim calibrate 2026-11-26",
        signNanos: 19_000, verifyNanos: 56_000, hashNanos: 355, merkleLeafNanos: 405,
        transactionApplyNanos: 3_051, bookOperationNanos: 466, messageNanos: 102)

    /// Reads a profile written by `gridsim calibrate`.
    public static func load(path: String) throws -> CostProfile {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(CostProfile.self, from: data)
    }

    /// The profile as pretty JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
