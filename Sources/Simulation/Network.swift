import GridCore
import Scenario

/// The simulated network between validators.
///
/// One-way latency comes from the region matrix with seeded uniform jitter of up to ±`jitter`.
/// Each message may be lost or duplicated (seeded draws); with `reordering` above zero it gets up
/// to that much extra random delay and links stop being FIFO (otherwise a later message on a link
/// never arrives before an earlier one, as over TCP). With a bandwidth, a link sends one message
/// at a time: serialisation takes bytes ÷ bandwidth and later messages queue behind it.
/// Partitions (symmetric, one-way, or by region) drop messages sent across them while they
/// last; a clogged node or link holds the messages sent through it until the clog clears.
/// (A class: the simulator asks it something for every message.)
final class Network {
    let latencies: RegionLatencies
    let jitter: BasisPoints
    let nodeRegions: [Region]
    let settings: NetworkSettings
    let partitions: [PartitionFault]
    let clogs: [ClogFault]
    private let delays: RandomStream
    private let faults: RandomStream
    private let gossip: RandomStream
    /// Latest scheduled arrival per (from, to) link, for FIFO order.
    private var lastArrival: [Int64]
    /// When each link finishes sending what it already has, for bandwidth.
    private var linkBusyUntil: [Int64]
    /// Messages lost to loss or partitions, and duplicated.
    private(set) var dropped = 0
    private(set) var duplicated = 0

    init(settings: NetworkSettings, nodeRegions: [Region], faults schedule: FaultSchedule, seed: UInt64) {
        latencies = settings.latencies
        jitter = settings.jitter
        self.nodeRegions = nodeRegions
        self.settings = settings
        partitions = schedule.partitions
        clogs = schedule.clogs
        delays = RandomStream(masterSeed: seed, name: "network/jitter")
        faults = RandomStream(masterSeed: seed, name: "network/faults")
        gossip = RandomStream(masterSeed: seed, name: "network/gossip")
        let links = nodeRegions.count * nodeRegions.count
        lastArrival = Array(repeating: 0, count: links)
        linkBusyUntil = Array(repeating: 0, count: links)
    }

    /// When a message of `bytes` sent by `from` at `sentAt` reaches `to`: no time when it is lost,
    /// two when it is duplicated.
    func arrivals(from: NodeID, to: NodeID, sentAt: SimTime, bytes: Int) -> Arrivals {
        if isCut(from: from, to: to, at: sentAt) || (settings.loss.rawValue > 0 && faults.bernoulli(settings.loss.fraction)) {
            dropped += 1
            return Arrivals()
        }
        let link = from.index * nodeRegions.count + to.index
        var departure = sentAt.nanoseconds
        if settings.bandwidthBytesPerSecond > 0 {
            let start = max(departure, linkBusyUntil[link])
            departure = start + Int64(bytes) * 1_000_000_000 / settings.bandwidthBytesPerSecond
            linkBusyUntil[link] = departure
        }
        var time = SimTime(nanoseconds: departure) + jittered(latencies[nodeRegions[from.index], nodeRegions[to.index]])
        if settings.reordering > .zero {
            time += SimDuration(nanoseconds: Int64(delays.uniform() * Double(settings.reordering.nanoseconds)))
        } else {
            if time.nanoseconds <= lastArrival[link] { time = SimTime(nanoseconds: lastArrival[link] + 1) }
            lastArrival[link] = time.nanoseconds
        }
        if let release = clogRelease(from: from, to: to, at: sentAt) { time = max(time, release) }
        guard settings.duplication.rawValue > 0, faults.bernoulli(settings.duplication.fraction) else {
            return Arrivals(time)
        }
        duplicated += 1
        return Arrivals(time, time + jittered(latencies[nodeRegions[from.index], nodeRegions[to.index]]))
    }

    /// When a client in `region` reaches node `to` with a message sent at `sentAt`.
    func clientArrival(from region: Region, to: NodeID, sentAt: SimTime) -> SimTime {
        sentAt + jittered(latencies[region, nodeRegions[to.index]])
    }

    /// Of a validator's `peers`, those to pass a transaction on to: `fanout` of them drawn
    /// without replacement (never the peer it came from), or all. Without a fanout the validator
    /// a client submitted to sends it to every peer itself, so a transaction received from a
    /// peer goes no further: relaying it would only deliver duplicates.
    func gossipTargets(peers: [NodeID], relayedFrom sender: NodeID?) -> [NodeID] {
        let reachesAll = settings.gossipFanout == 0 || settings.gossipFanout >= peers.count
        if reachesAll { return sender == nil ? peers : [] }
        var candidates = peers.filter { $0 != sender }
        guard settings.gossipFanout < candidates.count else { return candidates }
        var chosen: [NodeID] = []
        for _ in 0..<settings.gossipFanout {
            chosen.append(candidates.remove(at: gossip.uniformInt(below: candidates.count)))
        }
        return chosen
    }

    /// Whether a partition separates `from` and `to` at `time`.
    func isCut(from: NodeID, to: NodeID, at time: SimTime) -> Bool {
        for partition in partitions where partition.start <= time && time < partition.heal {
            guard let source = partition.groups.firstIndex(where: { $0.contains(from.index) }),
                  let target = partition.groups.firstIndex(where: { $0.contains(to.index) }),
                  source != target else { continue }
            if !partition.oneWay || source == 0 { return true }
        }
        return false
    }

    /// When a message sent at `time` through a clogged node or link flows again.
    private func clogRelease(from: NodeID, to: NodeID, at time: SimTime) -> SimTime? {
        var release: SimTime?
        for clog in clogs where clog.start <= time && time < clog.end {
            let matches = clog.nodes.count == 1
                ? clog.nodes[0] == from.index || clog.nodes[0] == to.index
                : Set(clog.nodes) == Set([from.index, to.index])
            if matches { release = max(release ?? clog.end, clog.end) }
        }
        return release
    }

    private func jittered(_ base: SimDuration) -> SimDuration {
        guard jitter.rawValue > 0, base.nanoseconds > 0 else { return base }
        let share = delays.uniform(-jitter.fraction, jitter.fraction)
        return SimDuration(nanoseconds: max(1, base.nanoseconds + Int64((Double(base.nanoseconds) * share).rounded())))
    }
}

/// When one message arrives: never (lost), once, or twice (duplicated). Held inline: the
/// simulator asks for every message it sends.
struct Arrivals: Sequence, IteratorProtocol {
    private var first: SimTime?
    private var second: SimTime?

    init(_ first: SimTime? = nil, _ second: SimTime? = nil) {
        self.first = first
        self.second = second
    }

    mutating func next() -> SimTime? {
        defer { (first, second) = (second, nil) }
        return first
    }
}
