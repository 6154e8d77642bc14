import Foundation
import GridCore
import Scenario

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

    enum CodingKeys: String, CodingKey, CaseIterable {
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

    /// The costs a profile may give one operation: none is negative (time would run backwards)
    /// and none above a second (a count of them would overflow a run's clock).
    public static let costRangeNanos: ClosedRange<Int64> = 0...1_000_000_000

    /// Reads a profile written by `gridsim calibrate`. A profile that cannot be used is a
    /// `ScenarioError` naming the file, the line and the field: not JSON, a missing cost, a cost
    /// that is not a whole number of nanoseconds or outside `costRangeNanos`.
    public static func load(path: String) throws -> CostProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "cost_profile",
                                message: "cannot read the cost profile")
        }
        let text = String(decoding: data, as: UTF8.self)
        func problem(_ key: String?, _ message: String) -> ScenarioError {
            // At its key, or line 1 when there is none or it is not written.
            ScenarioError(location: SourceLocation.ofJSONKeys(key.map { [$0] } ?? [], in: text, file: path)
                            ?? SourceLocation(file: path, line: 1, column: 1),
                          field: key ?? "cost_profile", message: message)
        }
        let profile: CostProfile
        do {
            profile = try JSONDecoder().decode(CostProfile.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw problem(nil, "`\(key.stringValue)` is missing (a profile names every cost; `gridsim calibrate` writes one)")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context) {
            // Foundation's decoder calls a number it cannot hold (1e30, 1.5) invalid JSON, with no path.
            guard let key = context.codingPath.first?.stringValue ?? firstCostNotWritten(asWholeNanosIn: text) else {
                throw problem(nil, "not a cost profile in JSON")
            }
            throw problem(key, key.hasSuffix("_ns") ? "expected a whole number of nanoseconds" : "expected text")
        } catch {
            throw problem(nil, "not a cost profile in JSON")
        }
        for (key, nanos) in profile.costs where !costRangeNanos.contains(nanos) {
            throw problem(key, "\(nanos) ns is out of range (0 to 1 s)")
        }
        return profile
    }

    /// Each cost with its key, in the order the type declares them.
    private var costs: [(key: String, nanos: Int64)] {
        [(CodingKeys.signNanos.rawValue, signNanos), (CodingKeys.verifyNanos.rawValue, verifyNanos),
         (CodingKeys.hashNanos.rawValue, hashNanos), (CodingKeys.merkleLeafNanos.rawValue, merkleLeafNanos),
         (CodingKeys.transactionApplyNanos.rawValue, transactionApplyNanos),
         (CodingKeys.bookOperationNanos.rawValue, bookOperationNanos), (CodingKeys.messageNanos.rawValue, messageNanos)]
    }

    /// The first cost key in `text` whose value is a number written other than as a 64-bit
    /// integer (a fraction, an exponent, too many digits), if any.
    private static func firstCostNotWritten(asWholeNanosIn text: String) -> String? {
        let keys = CodingKeys.allCases.map(\.rawValue).filter { $0.hasSuffix("_ns") }
        for line in text.split(separator: "\n") {
            guard let key = keys.first(where: { line.contains("\"\($0)\"") }),
                  let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].prefix { $0 != "," && $0 != "}" }
                .trimmingCharacters(in: .whitespaces)
            if value.first.map({ $0 == "-" || $0.isNumber }) == true, Int64(value) == nil { return key }
        }
        return nil
    }

    /// The profile as pretty JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
