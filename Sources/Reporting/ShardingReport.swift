import GridCore
import Sharding
import Simulation

extension Report {
    /// How far the chain got, as both pages open their consensus figures: the height, or for a
    /// sharded run, whose chains each count their own heights (and start again at a reshard),
    /// the blocks of all of them.
    public var chainProgress: String {
        autoscaler == nil ? "Height \(consensus.height)" : "\(consensus.blocks) blocks over all shards"
    }

    /// One monitor window of one shard, for the per-shard time series.
    public struct ShardWindowRow: Codable, Sendable {
        public var timeSeconds: Double
        public var offeredTps: Double
        public var finalizedTps: Double
        public var admissionP99Ms: Double?
        public var finalityP99Ms: Double?
        public var mempoolDepth: Int
        public var cpuBp: Int64
        public var memoryBytes: Int64
    }

    /// A split or merge the autoscaler made, with throughput and latency over equal windows
    /// before and after it.
    public struct AutoscalerEventRow: Codable, Sendable {
        public var timeSeconds: Double
        /// split, merge or reseat.
        public var action: String
        /// Split: the shard split and the new one; merge: the survivor and the shard merged in;
        /// reseat: the shard whose committee changed.
        public var shards: [Int]
        public var regions: [String]
        public var reason: String
        public var handoverHeights: [UInt64]
        public var rerouted: Int
        public var movedOrders: Int
        public var movedTrades: Int
        public var validatorsReassigned: Int
        /// Finalized transactions per second over all shards, and the worst shard's finality
        /// p99, over the monitor windows in `windowSeconds` before and after the change.
        public var tpsBefore: Double
        public var tpsAfter: Double
        public var finalityP99BeforeMs: Double?
        public var finalityP99AfterMs: Double?
        public var windowSeconds: Double
    }

    /// The autoscaler's changes.
    public struct Autoscaler: Codable, Sendable {
        public var enabled: Bool
        public var events: [AutoscalerEventRow]
        /// Splits that were due but found no standby validators for a committee.
        public var splitsWithoutValidators: Int
        /// Splits that were due but could not relieve the shard, its load coming from one region
        /// (0 in reports written before the count existed).
        public var splitsWithoutRelief: Int
        /// Splits that were due while the run already had `max_shards` shards (0 in reports
        /// written before the count existed).
        public var splitsAtMaxShards: Int

        init(enabled: Bool, events: [AutoscalerEventRow], heldBack: HeldBackSplits) {
            self.enabled = enabled
            self.events = events
            splitsWithoutValidators = heldBack.withoutValidators
            splitsWithoutRelief = heldBack.withoutRelief
            splitsAtMaxShards = heldBack.atMaxShards
        }

        /// Reads reports written before splits without relief or at `max_shards` were counted
        /// as having none.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            enabled = try container.decode(Bool.self, forKey: .enabled)
            events = try container.decode([AutoscalerEventRow].self, forKey: .events)
            splitsWithoutValidators = try container.decode(Int.self, forKey: .splitsWithoutValidators)
            splitsWithoutRelief = try container.decodeIfPresent(Int.self, forKey: .splitsWithoutRelief) ?? 0
            splitsAtMaxShards = try container.decodeIfPresent(Int.self, forKey: .splitsAtMaxShards) ?? 0
        }
    }

    /// Cross-shard transfers: how every lock ended (`locked` = delivered + refunded +
    /// awaiting_credit + awaiting_settlement) and how long the two remote steps took.
    public struct CrossShard: Codable, Sendable {
        public var locked: Int
        public var delivered: Int
        public var refunded: Int
        public var awaitingCredit: Int
        public var awaitingSettlement: Int
        public var resends: Int
        /// Locks that carried a buy order into another shard's book (cross-shard bids), the
        /// trades between a buyer and a seller in different shards and their energy, and the
        /// locks by which participants sent home what they were paid in another shard (a bid's
        /// proceeds, or a payment that a split left in the payer's new shard); all locks are
        /// among `locked`. `bids_refunded`: bids whose credit came too late, refunded at home.
        public var bids: Int
        public var bidsRefunded: Int
        public var trades: Int
        public var tradedWh: Int64
        public var sentHome: Int
        /// What participants held at the end in shards other than their own, not sent home yet.
        public var heldAbroadWh: Int64
        public var heldAbroadMicro: Int64
        /// Lock submitted → credit final in the destination (credited transfers).
        public var credit: LatencySummary
        /// Lock submitted → settlement final in the sender's shard.
        public var settlement: LatencySummary
    }

    /// The `cross_shard` section; `nil` unless the run was sharded with cross-shard transfers or
    /// bids, or locked something anyway (outputs sent home after a split).
    static func crossShardSection(_ result: RunResult) -> CrossShard? {
        let statistics = result.sharding.crossShard
        guard let settings = result.scenario.sharding, settings.crossShardShare.rawValue > 0
            || settings.crossShardBidShare.rawValue > 0 || statistics.locked > 0 else { return nil }
        return CrossShard(locked: statistics.locked, delivered: statistics.delivered, refunded: statistics.refunded,
                          awaitingCredit: statistics.awaitingCredit, awaitingSettlement: statistics.awaitingSettlement,
                          resends: statistics.resends, bids: statistics.bids, bidsRefunded: statistics.bidsRefunded,
                          trades: statistics.trades,
                          tradedWh: statistics.tradedWh, sentHome: statistics.sentHome,
                          heldAbroadWh: statistics.heldAbroad.energy, heldAbroadMicro: statistics.heldAbroad.payment,
                          credit: LatencySummary(nanoseconds: statistics.creditNanos),
                          settlement: LatencySummary(nanoseconds: statistics.settlementNanos))
    }

    /// The cross-shard transfers as a sentence; empty without them.
    static func crossShardLines(_ report: Report) -> [String] {
        guard let transfers = report.crossShard else { return [] }
        return ["Cross-shard transfers: \(transfers.locked) locked = \(transfers.delivered) delivered + \(transfers.refunded) refunded "
                + "+ \(transfers.awaitingCredit) awaiting credit + \(transfers.awaitingSettlement) awaiting settlement; "
                + "\(transfers.resends) relays sent again. Credit final p50 \(Self.milliseconds(transfers.credit.p50Ms)), "
                + "p99 \(Self.milliseconds(transfers.credit.p99Ms)) after the lock's submission; settled p99 "
                + "\(Self.milliseconds(transfers.settlement.p99Ms))."]
            + (transfers.bids == 0 && transfers.sentHome == 0 ? [] : [
                "Cross-shard bids: \(transfers.bids) locked into another shard's book (\(transfers.bidsRefunded) refunded, "
                + "too late); \(transfers.trades) trades "
                + "between shards (\(String(format: "%.1f", Double(transfers.tradedWh) / 1_000)) kWh); "
                + "\(transfers.sentHome) locks sent home what participants were paid in another shard, "
                + "\(String(format: "%.1f", Double(transfers.heldAbroadWh) / 1_000)) kWh and "
                + "\(String(format: "%.2f", Double(transfers.heldAbroadMicro) / 1_000_000)) tokens still held abroad at the end."])
    }

    /// The `shards` section of a sharded run: one entry per shard that ever existed. Its
    /// transactions finalized per bucket of `series` come from its chains' blocks.
    static func shardRows(_ result: RunResult, series: Series) -> [Shard] {
        let sharding = result.sharding
        let warmupEnd = SimTime.zero + result.scenario.run.warmup
        return sharding.shards.map { summary in
            let seconds = summary.activeSeconds(warmupEnd: warmupEnd, runEnd: result.endTime)
            let windows = sharding.loads.filter { $0.shard == summary.shard }
            let committee = result.scenario.sharding?.committee ?? result.scenario.validators.count
            var finalizedPerBucket = Array(repeating: 0, count: series.startSeconds.count)
            for block in result.blocks where block.shard == summary.shard.rawValue {
                let bucket = min(finalizedPerBucket.count - 1, Int(block.committedAt.seconds / series.bucketSeconds))
                finalizedPerBucket[bucket] += block.transactionCount
            }
            return Shard(
                id: summary.shard.rawValue, regions: summary.regions.map(\.rawValue), validators: committee,
                tps: seconds > 0 ? Double(summary.committedTransactions) / seconds : 0,
                finalized: summary.committedTransactions,
                admission: LatencySummary(nanoseconds: summary.admissionNanos),
                finality: LatencySummary(nanoseconds: summary.finalityNanos), finalizedPerBucket: finalizedPerBucket,
                cpuUtilisationBp: summary.cpuPeakBasisPoints, memoryPeakBytes: summary.memoryPeakBytes,
                createdSeconds: summary.createdAt.seconds, removedSeconds: summary.removedAt?.seconds,
                blocks: summary.blocks, mempoolPeak: summary.mempoolPeak,
                load: windows.map { window in
                    ShardWindowRow(timeSeconds: window.time.seconds, offeredTps: window.offeredPerSecond,
                                   finalizedTps: window.committedPerSecond,
                                   admissionP99Ms: window.admissionP99Nanos.map { Double($0) / 1e6 },
                                   finalityP99Ms: window.finalityP99Nanos.map { Double($0) / 1e6 },
                                   mempoolDepth: window.mempoolDepth, cpuBp: window.cpuBasisPoints,
                                   memoryBytes: window.memoryBytes)
                })
        }
    }

    /// The `autoscaler` section; `nil` for a run without sharding.
    static func autoscalerSection(_ result: RunResult) -> Autoscaler? {
        guard let settings = result.scenario.sharding else { return nil }
        let sharding = result.sharding
        let span = SimDuration(nanoseconds: max(settings.autoscaler.interval.nanoseconds * 4, 20_000_000_000))
        func windows(from start: SimTime, to end: SimTime) -> (tps: Double, p99: Double?) {
            let loads = sharding.loads.filter { $0.time > start && $0.time <= end }
            let times = Set(loads.map(\.time)).count
            guard times > 0 else { return (0, nil) }
            let committed = loads.reduce(0) { $0 + $1.committedTransactions }
            let seconds = Double(times) * settings.autoscaler.interval.seconds
            return (Double(committed) / seconds, loads.compactMap(\.finalityP99Nanos).max().map { Double($0) / 1e6 })
        }
        let events = sharding.events.map { event in
            let before = windows(from: event.time - span, to: event.time)
            let after = windows(from: event.time + span, to: event.time + span + span)
            return AutoscalerEventRow(
                timeSeconds: event.time.seconds, action: event.action.rawValue, shards: event.shards.map(\.rawValue),
                regions: event.regions.map(\.rawValue), reason: event.reason, handoverHeights: event.handoverHeights,
                rerouted: event.rerouted, movedOrders: event.movedOrders, movedTrades: event.movedTrades,
                validatorsReassigned: event.validatorsReassigned, tpsBefore: before.tps, tpsAfter: after.tps,
                finalityP99BeforeMs: before.p99, finalityP99AfterMs: after.p99, windowSeconds: span.seconds)
        }
        return Autoscaler(enabled: settings.autoscaler.enabled, events: events, heldBack: sharding.heldBackSplits)
    }

    /// The autoscaler's changes as sentences, for report.md and report.html; empty for a run
    /// without sharding.
    static func autoscalerLines(_ report: Report) -> [String] {
        let shards = report.shards
        guard let autoscaler = report.autoscaler else { return [] }
        var heldBack: [String] = []
        if autoscaler.splitsWithoutValidators > 0 {
            heldBack.append("The autoscaler held back \(autoscaler.splitsWithoutValidators) split\(autoscaler.splitsWithoutValidators == 1 ? "" : "s") (one a monitor window) "
                + "for want of validators: fewer than a committee were up, honest and serving no shard (add validators or make `sharding.committee` smaller).")
        }
        if autoscaler.splitsWithoutRelief > 0 {
            heldBack.append("\(autoscaler.splitsWithoutRelief) time\(autoscaler.splitsWithoutRelief == 1 ? "" : "s") (one a shard and monitor window) a shard was due a split "
                + "that could not relieve it: 90 % or more of its load came from one region, and a region is never split between shards.")
        }
        if autoscaler.splitsAtMaxShards > 0 {
            heldBack.append("\(autoscaler.splitsAtMaxShards) time\(autoscaler.splitsAtMaxShards == 1 ? "" : "s") (one a shard and monitor window) a shard was due a split "
                + "while the run already had `sharding.autoscaler.max_shards` shards.")
        }
        guard !autoscaler.events.isEmpty else {
            return ["Autoscaler: no splits or merges (\(shards.count) shard\(shards.count == 1 ? "" : "s") throughout)."] + heldBack
        }
        return autoscaler.events.map { event in
            let shards = event.shards.map(String.init).joined(separator: " and ")
            let what = event.regions.isEmpty ? "of shard \(shards)" : "of shards \(shards) (\(event.regions.joined(separator: ", ")) moved)"
            return "\(MarkdownReport.format(event.timeSeconds)) s — **\(event.action)** \(what): \(event.reason). Handover at height "
                + "\(event.handoverHeights.map(String.init).joined(separator: " and ")); \(event.rerouted) waiting transactions routed again, "
                + "\(event.movedOrders) open orders and \(event.movedTrades) trades moved, \(event.validatorsReassigned) validators reassigned. "
                + "All shards: \(MarkdownReport.format(event.tpsBefore)) tx/s and worst finality p99 \(Self.milliseconds(event.finalityP99BeforeMs)) "
                + "in the \(MarkdownReport.format(event.windowSeconds)) s before; \(MarkdownReport.format(event.tpsAfter)) tx/s and "
                + "\(Self.milliseconds(event.finalityP99AfterMs)) in the \(MarkdownReport.format(event.windowSeconds)) s starting "
                + "\(MarkdownReport.format(event.windowSeconds)) s after."
        } + heldBack
    }

    private static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value >= 1_000 ? "\(MarkdownReport.format(value / 1_000)) s" : "\(MarkdownReport.format(value)) ms"
    }
}
