import GridCore

/// The simulated network: one-way latency from the region matrix, with seeded uniform jitter
/// of up to ±`jitter`, and FIFO delivery on each node-to-node link (a later message on a link is
/// never delivered before an earlier one, as over TCP).
struct Network {
    let latencies: RegionLatencies
    let jitter: BasisPoints
    let nodeRegions: [Region]
    private let random: RandomStream
    /// Latest scheduled arrival per (from, to) link, for FIFO order.
    private var lastArrival: [Int64]

    init(latencies: RegionLatencies, jitter: BasisPoints, nodeRegions: [Region], random: RandomStream) {
        self.latencies = latencies
        self.jitter = jitter
        self.nodeRegions = nodeRegions
        self.random = random
        self.lastArrival = Array(repeating: 0, count: nodeRegions.count * nodeRegions.count)
    }

    /// When a message sent by `from` at `sentAt` reaches `to`.
    mutating func arrival(from: NodeID, to: NodeID, sentAt: SimTime) -> SimTime {
        var time = sentAt + jittered(latencies[nodeRegions[from.index], nodeRegions[to.index]])
        let link = from.index * nodeRegions.count + to.index
        if time.nanoseconds <= lastArrival[link] {
            time = SimTime(nanoseconds: lastArrival[link] + 1)
        }
        lastArrival[link] = time.nanoseconds
        return time
    }

    /// When a client in `region` reaches node `to` with a message sent at `sentAt`.
    func clientArrival(from region: Region, to: NodeID, sentAt: SimTime) -> SimTime {
        sentAt + jittered(latencies[region, nodeRegions[to.index]])
    }

    private func jittered(_ base: SimDuration) -> SimDuration {
        guard jitter.rawValue > 0, base.nanoseconds > 0 else { return base }
        let share = random.uniform(-jitter.fraction, jitter.fraction)
        return SimDuration(nanoseconds: max(1, base.nanoseconds + Int64((Double(base.nanoseconds) * share).rounded())))
    }
}
