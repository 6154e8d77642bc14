import GridCore

/// The run digest: BLAKE2b-256 over a canonical log of the committed chain (height, hash,
/// commit time, size) followed by every transaction's outcome in submission order (id, outcome,
/// finality height and time). Same binary + scenario + seed ⇒ same digest, in any process.
enum RunDigest {
    static func compute(blocks: [CommittedBlock], transactions: TransactionTracker) -> Digest32 {
        let hasher = Blake2bHasher()
        var encoder = CanonicalEncoder(capacity: 4_096)
        encoder.append("gridtokenx-sim run digest v1")
        encoder.append(UInt64(blocks.count))
        for block in blocks {
            encoder.append(block.height)
            encoder.append(block.hash)
            encoder.append(block.committedAt)
            encoder.append(UInt32(block.transactionCount))
            flushIfLarge(&encoder, into: hasher)
        }
        encoder.append(UInt64(transactions.count))
        for index in 0..<transactions.count {
            encoder.append(transactions.ids[index])
            switch transactions.outcome(at: index) {
            case .accepted:
                encoder.append(UInt8(0))
                encoder.append(transactions.finalizedHeights[index])
                encoder.append(transactions.finalizedNanos[index])
            case .rejected(let reason):
                encoder.append(UInt8(1))
                encoder.append(reason.rawValue)
            case .pending:
                encoder.append(UInt8(2))
            }
            flushIfLarge(&encoder, into: hasher)
        }
        hasher.update(encoder.bytes)
        return hasher.finalize()
    }

    private static func flushIfLarge(_ encoder: inout CanonicalEncoder, into hasher: Blake2bHasher) {
        guard encoder.bytes.count >= 4_096 else { return }
        hasher.update(encoder.bytes)
        encoder = CanonicalEncoder(capacity: 4_096)
    }
}
