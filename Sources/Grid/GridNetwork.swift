import GridCore

/// The grid's static model, derived once from a ``GridTopology``: its elements (inter-regional
/// lines, then one feeder per zone) with capacities, the DC power-transfer distribution factors
/// (PTDF) of the regional network, and the background flows of the daily load curve.
///
/// Flow model (documented in the README): a DC approximation on the five regional hubs —
/// flows follow injections through the PTDF matrix computed from the lines' reactances, with
/// Bangkok/Central as the slack; each zone hangs off its hub on one feeder that carries the
/// zone's load. Trades are point-to-point transfers superposed on these background flows:
/// up the seller's feeder, across the regional network by the PTDF, down the buyer's feeder.
/// Shared immutable data, so it is a reference.
public final class GridNetwork: Sendable {
    /// An element that carries power: a line between two regions or a zone's feeder.
    public enum Element: Hashable, Sendable {
        case line(Int)
        case feeder(Region, Int)
    }

    public let topology: GridTopology
    public let calendar: SimCalendar
    /// Lines first, then feeders region by region.
    public let elements: [Element]
    public let capacityWatts: [Int64]
    /// `ptdf[line][region]`: the flow on `line` (from → to) per watt injected at `region` and
    /// withdrawn at the slack.
    public let ptdf: [[Double]]
    private let feederOffset: [Int]
    private let maxPathLengthKm: Double
    private let pathLengthKm: [[Double]]

    public init(topology: GridTopology, calendar: SimCalendar) {
        self.topology = topology
        self.calendar = calendar
        var elements = topology.lines.indices.map { Element.line($0) }
        var capacities = topology.lines.map { Int64($0.capacityMW * 1e6) }
        var offsets: [Int] = []
        for regionGrid in topology.regions {
            offsets.append(elements.count)
            for (zone, data) in regionGrid.zones.enumerated() {
                elements.append(.feeder(regionGrid.region, zone))
                capacities.append(Int64(data.feederCapacityMW * 1e6))
            }
        }
        self.elements = elements
        self.capacityWatts = capacities
        self.feederOffset = offsets
        self.ptdf = GridNetwork.distributionFactors(topology)
        let lengths = GridNetwork.shortestPaths(topology)
        self.pathLengthKm = lengths
        self.maxPathLengthKm = max(1, lengths.flatMap { $0 }.max() ?? 1)
    }

    /// The index of a zone's feeder in ``elements``, or `nil` for a zone that does not exist.
    public func feederIndex(_ location: GridLocation) -> Int? {
        guard Int(location.zone) < topology[location.region].zones.count else { return nil }
        return feederOffset[location.region.index] + Int(location.zone)
    }

    public func element(named index: Int) -> String {
        switch elements[index] {
        case .line(let line): topology.lines[line].name
        case .feeder(let region, let zone): "\(topology[region].zones[zone].name) feeder"
        }
    }

    /// Regional load at `time`, MW: the region's peak × the load curve at local time.
    public func regionalLoadMW(_ region: Region, at time: SimTime) -> Double {
        topology[region].peakLoadMW * topology.loadFactor(atHour: calendar.hourOfDay(at: time))
    }

    /// Background flow on every element at `time`, in watts (integers, so that every node
    /// computes exactly the same figure). Lines: PTDF × regional net exports scaled by the load
    /// curve; feeders: the zone's share of its region's load, into the zone.
    public func backgroundFlows(at time: SimTime) -> [Int64] {
        let factor = topology.loadFactor(atHour: calendar.hourOfDay(at: time))
        var flows = [Int64](repeating: 0, count: elements.count)
        for line in topology.lines.indices {
            var megawatts = 0.0
            for region in Region.allCases {
                megawatts += ptdf[line][region.index] * topology[region].netExportAtPeakMW * factor
            }
            flows[line] = Int64((megawatts * 1e6).rounded())
        }
        for regionGrid in topology.regions {
            let load = regionGrid.peakLoadMW * factor
            for (zone, data) in regionGrid.zones.enumerated() {
                flows[feederOffset[regionGrid.region.index] + zone] =
                    Int64((load * Double(data.loadShare.rawValue) / 10_000 * 1e6).rounded())
            }
        }
        return flows
    }

    /// The flows (element, watts) a transfer of `watts` from `seller` to `buyer` adds.
    public func transferFlows(from seller: GridLocation, to buyer: GridLocation, watts: Int64) -> [(Int, Int64)] {
        guard seller != buyer, let sellerFeeder = feederIndex(seller), let buyerFeeder = feederIndex(buyer) else {
            return []
        }
        var flows: [(Int, Int64)] = [(sellerFeeder, -watts), (buyerFeeder, watts)]
        if seller.region != buyer.region {
            for line in topology.lines.indices {
                let share = ptdf[line][seller.region.index] - ptdf[line][buyer.region.index]
                let flow = Int64((share * Double(watts)).rounded())
                if flow != 0 { flows.append((line, flow)) }
            }
        }
        return flows
    }

    /// The loss a trade between two locations suffers: `local_loss` inside one zone, one
    /// `feeder_loss` per feeder crossed, plus `transmission_loss` when it crosses regions.
    public func lossShare(from seller: GridLocation, to buyer: GridLocation) -> BasisPoints {
        if seller == buyer { return topology.localLoss }
        var share = topology.feederLoss + topology.feederLoss
        if seller.region != buyer.region { share += topology.transmissionLoss }
        return share
    }

    /// Grid distance normalised to 0...1: 0 inside a zone, the electrical path length (km) over
    /// the longest shortest path of the network otherwise, with a floor for distinct zones.
    public func distance(from a: GridLocation, to b: GridLocation) -> Double {
        if a == b { return 0 }
        if a.region == b.region { return 0.05 }
        return min(1, max(0.05, pathLengthKm[a.region.index][b.region.index] / maxPathLengthKm))
    }

    /// Whether `time` is in one of the grid's peak windows.
    public func isPeak(_ time: SimTime) -> Bool {
        topology.peakWindows.contains { $0.contains(time, calendar: calendar) }
    }

    // MARK: Derivation

    private static func distributionFactors(_ topology: GridTopology) -> [[Double]] {
        let n = Region.allCases.count
        var susceptance = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        let lineSusceptance = topology.lines.map { line in
            Double(line.circuits) / (line.reactanceOhmPerKm * line.lengthKm)
        }
        for (index, line) in topology.lines.enumerated() {
            let (i, j) = (line.from.index, line.to.index)
            susceptance[i][i] += lineSusceptance[index]
            susceptance[j][j] += lineSusceptance[index]
            susceptance[i][j] -= lineSusceptance[index]
            susceptance[j][i] -= lineSusceptance[index]
        }
        // Remove the slack (Bangkok/Central, index 0) and invert the reduced matrix.
        let reduced = (1..<n).map { row in (1..<n).map { susceptance[row][$0] } }
        let inverse = invert(reduced)
        var ptdf = [[Double]](repeating: [Double](repeating: 0, count: n), count: topology.lines.count)
        for region in 1..<n {
            var angles = [Double](repeating: 0, count: n)
            for bus in 1..<n { angles[bus] = inverse[bus - 1][region - 1] }
            for (index, line) in topology.lines.enumerated() {
                ptdf[index][region] = lineSusceptance[index] * (angles[line.from.index] - angles[line.to.index])
            }
        }
        return ptdf
    }

    /// Gauss–Jordan inversion with partial pivoting; the reduced susceptance matrix of a
    /// connected network is non-singular.
    private static func invert(_ matrix: [[Double]]) -> [[Double]] {
        let n = matrix.count
        var a = matrix
        var inverse = (0..<n).map { row in (0..<n).map { $0 == row ? 1.0 : 0.0 } }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            precondition(abs(a[pivot][column]) > 1e-12, "the regional network is not connected")
            a.swapAt(column, pivot)
            inverse.swapAt(column, pivot)
            let scale = a[column][column]
            for k in 0..<n {
                a[column][k] /= scale
                inverse[column][k] /= scale
            }
            for row in 0..<n where row != column {
                let factor = a[row][column]
                guard factor != 0 else { continue }
                for k in 0..<n {
                    a[row][k] -= factor * a[column][k]
                    inverse[row][k] -= factor * inverse[column][k]
                }
            }
        }
        return inverse
    }

    /// Shortest route lengths between regions over the lines (Floyd–Warshall on 5 nodes).
    private static func shortestPaths(_ topology: GridTopology) -> [[Double]] {
        let n = Region.allCases.count
        var distance = (0..<n).map { row in (0..<n).map { $0 == row ? 0.0 : Double.infinity } }
        for line in topology.lines {
            let (i, j) = (line.from.index, line.to.index)
            distance[i][j] = min(distance[i][j], line.lengthKm)
            distance[j][i] = distance[i][j]
        }
        for k in 0..<n {
            for i in 0..<n {
                for j in 0..<n where distance[i][k] + distance[k][j] < distance[i][j] {
                    distance[i][j] = distance[i][k] + distance[k][j]
                }
            }
        }
        return distance
    }
}
