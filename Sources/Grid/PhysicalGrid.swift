import GridCore

/// How loaded an element is.
public enum CongestionLevel: String, Sendable, CaseIterable, Comparable {
    /// Below 50 % of capacity.
    case low
    /// 50 % to 80 %.
    case medium
    /// 80 % and above.
    case high

    public init(loading: Double) {
        self = loading < 0.5 ? .low : loading < 0.8 ? .medium : .high
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What the participants did on the grid during a sample: renewable generation per zone, as
/// metered and as forecast (the schedule conventional dispatch followed), in watts, indexed by
/// ``GridNetwork/zoneIndex(_:)``.
public struct ZoneActivity: Sendable {
    public var generationWatts: [Double]
    public var forecastWatts: [Double]

    public init(zones: Int) {
        generationWatts = Array(repeating: 0, count: zones)
        forecastWatts = Array(repeating: 0, count: zones)
    }
}

/// The physical grid at one instant.
public struct GridSample: Sendable {
    public var time: SimTime
    public var frequencyHz: Double
    /// |flow| / capacity per element (lines, then feeders).
    public var loading: [Double]
    /// Per-unit voltage per zone.
    public var voltagePU: [Double]
    public var frequencyInBand: Bool
    public var voltagesInBand: Bool
    /// The imbalance behind the frequency: generation minus load against the schedule, MW.
    public var imbalanceMW: Double

    public var isStable: Bool { frequencyInBand && voltagesInBand }
}

/// The grid's physical state over simulated time (not replicated: it is what the meters would
/// show). Regional load follows the daily curve with a forecast error (an AR(1) Gaussian share,
/// drawn from a named stream); participants' renewable generation adds to it. Conventional
/// dispatch follows the forecast, so the instantaneous imbalance is (generation − forecast) −
/// (load − forecast), and frequency deviates by the droop model: Δf = imbalance ÷ frequency
/// response. Line and feeder flows are the DC background flows plus booked trades plus the
/// participants' generation; a zone's voltage drops linearly with its feeder's loading.
public struct PhysicalGrid {
    public let network: GridNetwork
    private let noise: RandomStream?
    private let noiseSigma: Double
    private let noiseCorrelation: Double
    private var noiseState: [Double]

    /// `loadNoiseSigma` is the standard deviation of the load forecast error as a share of load;
    /// zero (or no stream) makes the load follow the forecast exactly.
    public init(network: GridNetwork, loadNoise: RandomStream?, loadNoiseSigma: Double = 0.01,
                noiseCorrelation: Double = 0.9) {
        precondition(loadNoiseSigma >= 0 && (0..<1).contains(noiseCorrelation))
        self.network = network
        self.noise = loadNoise
        self.noiseSigma = loadNoiseSigma
        self.noiseCorrelation = noiseCorrelation
        self.noiseState = Array(repeating: 0, count: Region.allCases.count)
    }

    /// Samples the grid at `time` given the participants' activity and the booked trade flows
    /// (watts per element, as ``GridState/bookedFlows(at:)`` gives them).
    ///
    /// Complexity: O(lines × regions + zones).
    public mutating func sample(at time: SimTime, activity: ZoneActivity, bookedFlows: [Int64]) -> GridSample {
        let topology = network.topology
        if let noise, noiseSigma > 0 {
            let innovation = noiseSigma * (1 - noiseCorrelation * noiseCorrelation).squareRoot()
            for region in noiseState.indices {
                noiseState[region] = noiseCorrelation * noiseState[region] + noise.gaussian(mean: 0, sigma: innovation)
            }
        }
        var injectionMW = [Double](repeating: 0, count: Region.allCases.count)
        var imbalance = 0.0
        var flows = network.backgroundFlows(at: time).map(Double.init)
        for regionGrid in topology.regions {
            let r = regionGrid.region.index
            let forecastLoad = network.regionalLoadMW(regionGrid.region, at: time)
            let actualLoad = forecastLoad * (1 + noiseState[r])
            imbalance -= actualLoad - forecastLoad
            for zone in regionGrid.zones.indices {
                let index = network.zoneIndex(GridLocation(region: regionGrid.region, zone: UInt16(zone)))
                let generation = activity.generationWatts[index] / 1e6
                imbalance += generation - activity.forecastWatts[index] / 1e6
                injectionMW[r] += generation
                let feeder = network.feederIndex(GridLocation(region: regionGrid.region, zone: UInt16(zone)))!
                let zoneLoad = actualLoad * Double(regionGrid.zones[zone].loadShare.rawValue) / 10_000
                flows[feeder] = (zoneLoad - generation) * 1e6
            }
        }
        for line in topology.lines.indices {
            var extra = 0.0
            for region in Region.allCases { extra += network.ptdf[line][region.index] * injectionMW[region.index] }
            flows[line] += extra * 1e6
        }
        for element in flows.indices { flows[element] += Double(bookedFlows[element]) }
        let loading = flows.indices.map { abs(flows[$0]) / Double(network.capacityWatts[$0]) }
        let frequency = topology.nominalFrequencyHz + imbalance / topology.frequencyResponseMWPerHz
        let sensitivity = Double(topology.voltageSensitivity.rawValue) / 10_000
        let band = Double(topology.voltageBand.rawValue) / 10_000
        var voltages: [Double] = []
        for regionGrid in topology.regions {
            for zone in regionGrid.zones.indices {
                let feeder = network.feederIndex(GridLocation(region: regionGrid.region, zone: UInt16(zone)))!
                voltages.append(1 - sensitivity * flows[feeder] / Double(network.capacityWatts[feeder]))
            }
        }
        return GridSample(
            time: time, frequencyHz: frequency, loading: loading, voltagePU: voltages,
            frequencyInBand: abs(frequency - topology.nominalFrequencyHz) <= topology.frequencyBandHz,
            voltagesInBand: voltages.allSatisfy { abs($0 - 1) <= band }, imbalanceMW: imbalance)
    }
}

extension GridNetwork {
    /// Zones, all regions together.
    public var zoneCount: Int { elements.count - topology.lines.count }

    /// A zone's index among all zones (its feeder's index less the lines).
    public func zoneIndex(_ location: GridLocation) -> Int {
        guard let feeder = feederIndex(location) else { preconditionFailure("no zone \(location)") }
        return feeder - topology.lines.count
    }
}

/// The grid's impact figures over a run: renewable share, carbon intensity and carbon saved
/// of the energy traded peer to peer, and how much of the time the grid was stable.
///
/// Carbon intensity of traded energy = conventional share × the conventional factor; carbon
/// saved = traded energy × (grid factor − that intensity) — what buying it saved against
/// buying grid electricity. With the seed's figures (34.5 % renewable, 245,678 kWh) this gives
/// its 425 g/kWh and 12.3 t.
public struct GridImpact: Sendable {
    public private(set) var renewableWh: Int64 = 0
    public private(set) var conventionalWh: Int64 = 0
    public private(set) var samples = 0
    public private(set) var stableSamples = 0
    public private(set) var frequencyMinHz = Double.infinity
    public private(set) var frequencyMaxHz = -Double.infinity
    private let gridGramsPerKWh: Double
    private let conventionalGramsPerKWh: Double

    public init(topology: GridTopology) {
        gridGramsPerKWh = topology.gridEmissionGramsPerKWh
        conventionalGramsPerKWh = topology.conventionalEmissionGramsPerKWh
    }

    public mutating func recordTrade(energy: EnergyWh, renewable: Bool) {
        if renewable { renewableWh += energy.rawValue } else { conventionalWh += energy.rawValue }
    }

    public mutating func record(_ sample: GridSample) {
        samples += 1
        if sample.isStable { stableSamples += 1 }
        frequencyMinHz = min(frequencyMinHz, sample.frequencyHz)
        frequencyMaxHz = max(frequencyMaxHz, sample.frequencyHz)
    }

    public var tradedWh: Int64 { renewableWh + conventionalWh }

    public var renewableShare: BasisPoints { BasisPoints.ratio(renewableWh, of: tradedWh) }

    public var carbonIntensityGramsPerKWh: Double {
        tradedWh == 0 ? 0 : Double(conventionalWh) / Double(tradedWh) * conventionalGramsPerKWh
    }

    public var carbonSavedKg: Double {
        Double(tradedWh) / 1_000 * gridGramsPerKWh / 1_000 - Double(conventionalWh) / 1_000 * conventionalGramsPerKWh / 1_000
    }

    public var stability: BasisPoints { BasisPoints.ratio(Int64(stableSamples), of: Int64(samples)) }
}
