/// The grid a scenario runs on, as plain data (read from `Scenarios/data/*.yaml` by the Scenario
/// module, used by the Grid module). Powers are in MW, shares in basis points.
public struct GridTopology: Hashable, Sendable {
    /// A zone (feeder area) inside a region, connected to the region's hub by one feeder.
    public struct Zone: Hashable, Sendable {
        public var name: String
        /// The zone's share of its region's load.
        public var loadShare: BasisPoints
        /// The feeder's capacity between the region's hub and the zone.
        public var feederCapacityMW: Double

        public init(name: String, loadShare: BasisPoints, feederCapacityMW: Double) {
            self.name = name
            self.loadShare = loadShare
            self.feederCapacityMW = feederCapacityMW
        }
    }

    /// One region: its utility, peak load, net export at peak and zones.
    public struct RegionGrid: Hashable, Sendable {
        public var region: Region
        /// Low-voltage nominal, V (MEA 230, PEA 220).
        public var nominalVoltage: Double
        /// The region's load at the national peak, MW.
        public var peakLoadMW: Double
        /// What the region exports to the others at the national peak, MW (negative: imports).
        public var netExportAtPeakMW: Double
        public var zones: [Zone]

        public init(region: Region, nominalVoltage: Double, peakLoadMW: Double, netExportAtPeakMW: Double,
                    zones: [Zone]) {
            self.region = region
            self.nominalVoltage = nominalVoltage
            self.peakLoadMW = peakLoadMW
            self.netExportAtPeakMW = netExportAtPeakMW
            self.zones = zones
        }
    }

    /// An inter-regional transmission corridor.
    public struct Line: Hashable, Sendable {
        public var name: String
        public var from: Region
        public var to: Region
        public var capacityMW: Double
        public var lengthKm: Double
        public var voltageKV: Double
        /// Series reactance per circuit, Ω/km.
        public var reactanceOhmPerKm: Double
        public var resistanceOhmPerKm: Double
        public var circuits: Int

        public init(name: String, from: Region, to: Region, capacityMW: Double, lengthKm: Double, voltageKV: Double,
                    reactanceOhmPerKm: Double, resistanceOhmPerKm: Double, circuits: Int) {
            self.name = name
            self.from = from
            self.to = to
            self.capacityMW = capacityMW
            self.lengthKm = lengthKm
            self.voltageKV = voltageKV
            self.reactanceOhmPerKm = reactanceOhmPerKm
            self.resistanceOhmPerKm = resistanceOhmPerKm
            self.circuits = circuits
        }
    }

    public var name: String
    /// By `Region.index`.
    public var regions: [RegionGrid]
    public var lines: [Line]
    /// The daily load curve: 24 hourly factors of the daily peak (hour 0 = 00:00–01:00 local).
    public var loadProfile: [Double]
    public var nominalFrequencyHz: Double
    /// Frequency is "in band" within ± this of nominal.
    public var frequencyBandHz: Double
    /// Frequency response: MW of imbalance per Hz of deviation (droop).
    public var frequencyResponseMWPerHz: Double
    /// Voltage is "in band" within ± this share of nominal.
    public var voltageBand: BasisPoints
    /// Voltage drop of a zone whose feeder runs at full capacity (linearised).
    public var voltageSensitivity: BasisPoints
    /// kgCO2e per kWh of grid electricity × 1,000 (g/kWh).
    public var gridEmissionGramsPerKWh: Double
    /// g/kWh of non-renewable energy traded peer to peer.
    public var conventionalEmissionGramsPerKWh: Double
    public var transmissionLoss: BasisPoints
    public var feederLoss: BasisPoints
    public var localLoss: BasisPoints
    /// Headroom kept free on every element for security (N-1 margin).
    public var securityMargin: BasisPoints
    /// The grid operators' fee on trades delivered in peak hours (the "conditional" verdict).
    public var peakFee: BasisPoints
    public var peakWindows: [DailyWindow]
    /// How far ahead a delivery may be scheduled.
    public var schedulingHorizon: SimDuration
    /// Annual solar capacity factor range (DEDE, Global Solar Atlas): the solar model's target.
    public var solarCapacityFactor: ClosedRange<Double>
    /// The published national peak, MW, for checking the regional split.
    public var nationalPeakMW: Double

    public init(name: String, regions: [RegionGrid], lines: [Line], loadProfile: [Double], nominalFrequencyHz: Double,
                frequencyBandHz: Double, frequencyResponseMWPerHz: Double, voltageBand: BasisPoints,
                voltageSensitivity: BasisPoints, gridEmissionGramsPerKWh: Double,
                conventionalEmissionGramsPerKWh: Double, transmissionLoss: BasisPoints, feederLoss: BasisPoints,
                localLoss: BasisPoints, securityMargin: BasisPoints, peakFee: BasisPoints, peakWindows: [DailyWindow],
                schedulingHorizon: SimDuration, solarCapacityFactor: ClosedRange<Double>, nationalPeakMW: Double) {
        precondition(regions.map(\.region) == Region.allCases, "one entry per region, in region order")
        precondition(loadProfile.count == 24, "24 hourly load factors")
        self.name = name
        self.regions = regions
        self.lines = lines
        self.loadProfile = loadProfile
        self.nominalFrequencyHz = nominalFrequencyHz
        self.frequencyBandHz = frequencyBandHz
        self.frequencyResponseMWPerHz = frequencyResponseMWPerHz
        self.voltageBand = voltageBand
        self.voltageSensitivity = voltageSensitivity
        self.gridEmissionGramsPerKWh = gridEmissionGramsPerKWh
        self.conventionalEmissionGramsPerKWh = conventionalEmissionGramsPerKWh
        self.transmissionLoss = transmissionLoss
        self.feederLoss = feederLoss
        self.localLoss = localLoss
        self.securityMargin = securityMargin
        self.peakFee = peakFee
        self.peakWindows = peakWindows
        self.schedulingHorizon = schedulingHorizon
        self.solarCapacityFactor = solarCapacityFactor
        self.nationalPeakMW = nationalPeakMW
    }

    public subscript(region: Region) -> RegionGrid { regions[region.index] }

    /// The load factor (share of the daily peak) at local hour `hour`, linearly interpolated
    /// between the hourly points (each point is the middle of its hour).
    public func loadFactor(atHour hour: Double) -> Double {
        let position = hour - 0.5
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        let a = loadProfile[(lower + 24) % 24], b = loadProfile[(lower + 1 + 24) % 24]
        return a + (b - a) * fraction
    }
}
