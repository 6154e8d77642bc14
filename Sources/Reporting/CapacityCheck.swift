import Foundation
import GridCore
import Scenario
import Simulation

/// What a configuration can reach at best, whatever the load and the seed: the ceiling on
/// throughput and the floors under latency. A target beyond these is out of reach by
/// construction, and the report says so with the arithmetic.
public struct CapacityCheck: Codable, Sendable {
    /// Consensus instances finalizing blocks side by side (one chain: 1).
    public var shards: Int
    public var maxBlockTxs: Int
    public var blockIntervalSeconds: Double
    /// shards × max_block_txs ÷ block_interval.
    public var tpsMax: Double
    public var tpsArithmetic: String
    /// Client to its entry validator, one signature check.
    public var admissionMinMs: Double
    public var admissionArithmetic: String
    /// Admission, then one voting round: proposal, prevotes and precommits each reaching more
    /// than 2/3 of stake from the best-placed proposer, with the quorum's signature checks.
    public var finalityMinMs: Double
    public var finalityArithmetic: String

    /// The check of `scenario` under `profile`.
    public init(scenario: Scenario, profile: CostProfile) {
        // Each shard finalizes at most max_block_txs per block interval; the autoscaler can add
        // shards up to max_shards, one region each at most, while standby validators last.
        let sharding = scenario.sharding
        let reach = sharding.flatMap {
            $0.autoscaler.enabled ? Self.autoscalerReach($0, validators: scenario.validators.count) : nil
        }
        shards = reach?.shards ?? sharding?.shards.count ?? 1
        maxBlockTxs = scenario.consensus.maxBlockTransactions
        blockIntervalSeconds = scenario.consensus.blockInterval.seconds
        tpsMax = Double(shards * maxBlockTxs) / blockIntervalSeconds
        let perShard = "\(Self.grouped(maxBlockTxs)) tx/block ÷ \(Self.decimal(blockIntervalSeconds)) s"
        if let sharding, let reach {
            let why = reach.shards > sharding.shards.count
                ? "the most the autoscaler can reach: \(reach.limit); \(sharding.shards.count) at the start"
                : "the autoscaler can add none: \(reach.limit)"
            tpsArithmetic = "\(shards) shards (\(why)) × \(perShard) each = \(Self.decimal(tpsMax)) tx/s"
        } else {
            tpsArithmetic = "\(shards) shard\(shards == 1 ? "" : "s") × \(perShard)\(shards == 1 ? "" : " each") = \(Self.decimal(tpsMax)) tx/s"
        }

        let latencies = scenario.network.latencies
        let validatorRegions = (0..<scenario.validators.count).map(scenario.validators.region(ofValidator:))
        let participantRegions = scenario.participants.map(\.region)
        let clientNanos = participantRegions.compactMap { region in
            latencies.nearest(to: region, among: validatorRegions).map { latencies[region, $0].nanoseconds }
        }.min() ?? 0
        let verifyMs = Double(profile.verifyNanos) / 1e6
        admissionMinMs = Double(clientNanos) / 1e6 + verifyMs
        admissionArithmetic = "client to entry validator \(Self.decimal(Double(clientNanos) / 1e6)) ms + one signature check \(Self.decimal(verifyMs)) ms = \(Self.decimal(admissionMinMs)) ms"

        let stakes = (0..<scenario.validators.count).map { scenario.validators.stake(ofValidator: $0).rawValue }
        let quorumNanos = Self.quorumDelayNanos(regions: validatorRegions, stakes: stakes, latencies: latencies)
        let quorumVotes = stakes.count * 2 / 3 + 1
        let checksMs = Double(quorumVotes) * verifyMs / Double(max(1, scenario.validators.cores))
        let roundMs = 3 * (Double(quorumNanos) / 1e6 + checksMs)
        finalityMinMs = admissionMinMs + roundMs
        finalityArithmetic = "admission \(Self.decimal(admissionMinMs)) ms + 3 phases × (quorum reached in \(Self.decimal(Double(quorumNanos) / 1e6)) ms + \(quorumVotes) signature checks on \(scenario.validators.cores) cores \(Self.decimal(checksMs)) ms) = \(Self.decimal(finalityMinMs)) ms"
    }

    /// The most shards `sharding`'s autoscaler can run at once, and the limit that sets it: the
    /// least of `max_shards`, one region a shard, and the committees the validators can seat
    /// (never fewer than at the start).
    static func autoscalerReach(_ sharding: ShardingSettings, validators: Int) -> (shards: Int, limit: String) {
        let start = sharding.shards.count
        let seated = validators / sharding.committee
        let limits = [
            (sharding.autoscaler.maxShards, "`max_shards` \(sharding.autoscaler.maxShards)"),
            (Region.allCases.count, "one region a shard, \(Region.allCases.count) regions"),
            (seated, "\(validators) validators seat \(seated) committees of \(sharding.committee)"),
        ]
        let binding = limits.min { $0.0 < $1.0 }!
        return (max(start, binding.0), binding.1)
    }

    /// The bound on `metric` (`tps` or a latency statistic, in the target's display unit), if
    /// the configuration fixes one; with the arithmetic.
    public func bound(of metric: String) -> (value: Double, arithmetic: String, isCeiling: Bool)? {
        if metric == "tps" { return (tpsMax, tpsArithmetic, true) }
        let stage = metric.split(separator: ".").first.map(String.init)
        switch stage {
        case "admission": return (admissionMinMs, admissionArithmetic, false)
        case "inclusion": return (admissionMinMs, "at least admission: " + admissionArithmetic, false)
        case "finality": return (finalityMinMs, finalityArithmetic, false)
        default: return nil
        }
    }

    /// The smallest one-way delay within which some validator's message reaches validators with
    /// more than 2/3 of the stake (itself at no delay).
    ///
    /// Complexity: O(n² log n) for n validators.
    static func quorumDelayNanos(regions: [Region], stakes: [Int64], latencies: RegionLatencies) -> Int64 {
        let total = stakes.reduce(0, +)
        guard total > 0 else { return 0 }
        var best = Int64.max
        for origin in regions.indices {
            let reach = regions.indices.map { peer in
                (delay: peer == origin ? 0 : latencies[regions[origin], regions[peer]].nanoseconds, stake: stakes[peer])
            }.sorted { $0.delay < $1.delay }
            var gathered: Int64 = 0
            for peer in reach {
                gathered += peer.stake
                if gathered * 3 > total * 2 {
                    best = min(best, peer.delay)
                    break
                }
            }
        }
        return best == .max ? 0 : best
    }

    static func decimal(_ value: Double) -> String {
        value >= 1000 ? grouped(Int(value.rounded())) : value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }
}
