import Foundation
import GridCore

/// Swarm mode (after TigerBeetle's VOPR swarm testing): the configuration is drawn from the seed
/// within the scenario's `swarm` ranges — validator count, stake skew, regions, Byzantine
/// validators, crashes, partitions, message loss and load — so that a sweep over seeds explores
/// configurations as well as schedules. Draws come from their own named stream, so the run's
/// other streams are unchanged.
public enum SwarmDraw {
    /// The scenario with its drawn configuration, and every value drawn (name → value as text).
    public static func apply(to scenario: Scenario, seed: UInt64) -> (Scenario, [(name: String, value: String)]) {
        let ranges = scenario.swarm
        guard ranges.enabled else { return (scenario, []) }
        let random = RandomStream(masterSeed: seed, name: "swarm")
        func draw(_ range: ClosedRange<Int>) -> Int { range.lowerBound + random.uniformInt(below: range.count) }
        func draw(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound == range.upperBound ? range.lowerBound : random.uniform(range.lowerBound, range.upperBound)
        }
        var drawn: [(name: String, value: String)] = []
        var result = scenario

        let count = draw(ranges.validators)
        let regionCount = draw(ranges.regions)
        var regions = Region.allCases
        while regions.count > regionCount { regions.remove(at: random.uniformInt(below: regions.count)) }
        let skew = draw(ranges.stakeSkew)
        let base = scenario.validators.stake.rawValue
        let stakes = (0..<count).map { index -> MicroTokens in
            let share = count == 1 ? 1 : 1 + (skew - 1) * Double(index) / Double(count - 1)
            return MicroTokens(Int64((Double(base) * share).rounded()))
        }
        result.validators.count = count
        result.validators.regions = regions
        result.validators.stakes = stakes
        drawn.append(("validators.count", "\(count)"))
        drawn.append(("validators.regions", regions.map(\.rawValue).joined(separator: ",")))
        drawn.append(("validators.stake_skew", String(format: "%.2f", skew)))

        // Byzantine validators: the largest-stake first is avoided; keep their stake under 1/3.
        let total = stakes.reduce(Int64(0)) { $0 + $1.rawValue }
        var byzantine: [ByzantineFault] = []
        var faultyStake: Int64 = 0
        let behaviours = ["equivocation", "invalid-signatures", "withhold-votes", "invalid-proposals", "censorship"]
        for _ in 0..<draw(ranges.byzantine) {
            let candidates = (0..<count).filter { node in !byzantine.contains { $0.node == node } }
            guard let node = candidates.isEmpty ? nil : candidates[random.uniformInt(below: candidates.count)],
                  3 * (faultyStake + stakes[node].rawValue) < total else { break }
            faultyStake += stakes[node].rawValue
            byzantine.append(ByzantineFault(node: node, behaviour: behaviours[random.uniformInt(below: behaviours.count)]))
        }
        result.faults.byzantine = byzantine
        drawn.append(("faults.byzantine", byzantine.map { "node \($0.node) \($0.behaviour)" }.joined(separator: "; ")))

        // Timed faults fall in the first half of the run, so the liveness check fits after them.
        let window = max(1, scenario.run.duration.nanoseconds / 2)
        func time() -> SimTime { SimTime(nanoseconds: Int64(random.uniform() * Double(window))) }
        result.faults.crashes = (0..<draw(ranges.crashes)).map { _ in
            let at = time()
            return CrashFault(node: random.uniformInt(below: count), at: at,
                              restart: at + SimDuration(seconds: random.uniform(1, 10)))
        }
        drawn.append(("faults.crashes", result.faults.crashes.map { "node \($0.node) at \(seconds($0.at)), restart \(seconds($0.restart!))" }.joined(separator: "; ")))
        result.faults.partitions = (0..<draw(ranges.partitions)).compactMap { _ in
            guard count > 1 else { return nil }
            let split = 1 + random.uniformInt(below: count - 1)
            let start = time()
            return PartitionFault(start: start, heal: start + SimDuration(seconds: random.uniform(2, 15)),
                                  groups: [Array(0..<split), Array(split..<count)], oneWay: random.bernoulli(0.3))
        }
        drawn.append(("faults.partitions", result.faults.partitions.map {
            "\($0.groups[0].map(String.init).joined(separator: ","))|\($0.groups[1].map(String.init).joined(separator: ",")) from \(seconds($0.start)) to \(seconds($0.heal))\($0.oneWay ? " one-way" : "")"
        }.joined(separator: "; ")))
        let loss = ranges.loss.lowerBound + Int64(random.uniformInt(below: Int(ranges.loss.upperBound - ranges.loss.lowerBound) + 1))
        result.network.loss = BasisPoints(loss)
        drawn.append(("network.loss", "\(Double(loss) / 100) %"))
        let load = draw(ranges.load)
        for index in result.participants.indices {
            result.participants[index].orderRatePerSecond *= load
            result.participants[index].transferRatePerSecond *= load
        }
        drawn.append(("load.factor", String(format: "%.2f", load)))
        result.dropFaultsBeyondValidators()
        return (result, drawn)
    }
}

private func seconds(_ time: SimTime) -> String { String(format: "%.2f s", time.seconds) }

extension Scenario {
    /// Drops faults that name validators a swarm draw removed.
    mutating func dropFaultsBeyondValidators() {
        faults.clockSkews.removeAll { $0.node >= validators.count }
        faults.pauses.removeAll { $0.node >= validators.count }
        faults.clogs.removeAll { $0.nodes.contains { $0 >= validators.count } }
    }
}
