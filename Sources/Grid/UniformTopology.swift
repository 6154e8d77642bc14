import GridCore

extension GridTopology {
    /// A plain five-region grid with one zone each and ample capacity, for workloads that do not
    /// exercise the grid (calibration, benchmarks of the ledger).
    public static let uniform = GridTopology(
        name: "uniform",
        regions: Region.allCases.map {
            RegionGrid(region: $0, nominalVoltage: 220, peakLoadMW: 1_000, netExportAtPeakMW: 0,
                       zones: [Zone(name: "\($0.rawValue)-0", loadShare: .whole, feederCapacityMW: 10_000)])
        },
        lines: [
            Line(name: "bangkok-north", from: .bangkok, to: .north, capacityMW: 10_000, lengthKm: 100, voltageKV: 500,
                 reactanceOhmPerKm: 0.28, resistanceOhmPerKm: 0.02, circuits: 1),
            Line(name: "bangkok-northeast", from: .bangkok, to: .northeast, capacityMW: 10_000, lengthKm: 100,
                 voltageKV: 500, reactanceOhmPerKm: 0.28, resistanceOhmPerKm: 0.02, circuits: 1),
            Line(name: "bangkok-east", from: .bangkok, to: .east, capacityMW: 10_000, lengthKm: 100, voltageKV: 500,
                 reactanceOhmPerKm: 0.28, resistanceOhmPerKm: 0.02, circuits: 1),
            Line(name: "bangkok-south", from: .bangkok, to: .south, capacityMW: 10_000, lengthKm: 100, voltageKV: 500,
                 reactanceOhmPerKm: 0.28, resistanceOhmPerKm: 0.02, circuits: 1),
        ],
        loadProfile: Array(repeating: 1, count: 24), nominalFrequencyHz: 50, frequencyBandHz: 0.5,
        frequencyResponseMWPerHz: 1_000, voltageBand: BasisPoints(500), voltageSensitivity: BasisPoints(600),
        gridEmissionGramsPerKWh: 475, conventionalEmissionGramsPerKWh: 649, transmissionLoss: BasisPoints(165),
        feederLoss: BasisPoints(100), localLoss: BasisPoints(50), securityMargin: BasisPoints(1_000),
        peakFee: BasisPoints(500), peakWindows: [], schedulingHorizon: .hours(48), solarCapacityFactor: 0.15...0.175,
        nationalPeakMW: 5_000)
}
