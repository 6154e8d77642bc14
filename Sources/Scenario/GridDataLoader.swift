import Foundation
import GridCore
import Yams

/// A grid data file read: its topology and the BLAKE2b-256 of its bytes.
public struct GridData: Sendable {
    public var topology: GridTopology
    public var hash: Digest32
}

/// Reads grid data files into a ``GridTopology``, with the same located errors as scenarios.
public enum GridDataLoader {
    /// Reads and validates the grid data file at `path`.
    public static func load(path: String) throws -> GridTopology {
        try read(path: path).topology
    }

    /// Reads and validates the grid data file at `path`, and hashes its bytes.
    public static func read(path: String) throws -> GridData {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "",
                                message: unreadableMessage)
        }
        return GridData(topology: try parse(text, path: path), hash: data.withUnsafeBytes { Blake2b.hash($0) })
    }

    /// The message of a grid data file that cannot be read.
    static let unreadableMessage = "cannot read the grid data file"

    /// The bytes of `Scenarios/data/thai-grid.yaml` as they were when the tool was built.
    public static var builtInBytes: [UInt8] { PackageResources.thai_grid_yaml }

    /// The Thai grid compiled into the tool: what a scenario with no grid data beside it runs on.
    public static let builtIn: GridData = {
        do {
            return GridData(topology: try parse(String(decoding: builtInBytes, as: UTF8.self),
                                                path: GridDataSource.builtIn.description),
                            hash: Blake2b.hash(builtInBytes))
        } catch {
            preconditionFailure("the built-in grid data does not load: \(error)")
        }
    }()

    public static func parse(_ text: String, path: String) throws -> GridTopology {
        let document: Yams.Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw ScenarioError(location: SourceLocation(file: path, line: 0, column: 0), field: "",
                                message: "not valid YAML: \(error)")
        }
        var validator = SchemaValidator(file: path)
        let tree = validator.validateObject(document, fields: GridDataSchema.root, path: "",
                                            at: SourceLocation(file: path, line: 1, column: 1))
        guard validator.diagnostics.isEmpty else { throw ScenarioError(validator.diagnostics) }
        var problems: [ScenarioDiagnostic] = []
        func problem(_ node: ScenarioNode, _ message: String) {
            problems.append(ScenarioDiagnostic(location: node.location, field: node.path, message: message))
        }
        let system = tree["system"]
        let headroom = 1 + Double(system["feeder_headroom"].storedInteger) / 10_000
        var regions: [GridTopology.RegionGrid] = []
        for region in Region.allCases {
            let node = tree["regions"][region.rawValue]
            if node["utility"].string.lowercased() != region.utility.rawValue {
                problem(node["utility"], "\(region.displayName) is served by \(region.utility.rawValue.uppercased())")
            }
            let peakMW = node["peak_load"].number / 1e6
            let zones = node["zones"].list.map { zone in
                GridTopology.Zone(name: zone["name"].string, loadShare: zone["load_share"].basisPoints,
                                  feederCapacityMW: peakMW * Double(zone["load_share"].storedInteger) / 10_000 * headroom)
            }
            let shareSum = zones.reduce(Int64(0)) { $0 + $1.loadShare.rawValue }
            if shareSum != 10_000 {
                problem(node["zones"], "zone load shares add up to \(Double(shareSum) / 100) %, not 100 %")
            }
            regions.append(GridTopology.RegionGrid(
                region: region, nominalVoltage: node["nominal_voltage"].number / 1e3, peakLoadMW: peakMW,
                netExportAtPeakMW: node["net_export_at_peak"].number / 1e6, zones: zones))
        }
        let exportSum = regions.reduce(0) { $0 + $1.netExportAtPeakMW }
        if abs(exportSum) > 1 {
            problem(tree["regions"], "net exports add up to \(exportSum) MW; generation and load must balance (0 MW)")
        }
        let nationalPeak = system["national_peak"].number / 1e6
        let regionalPeak = regions.reduce(0) { $0 + $1.peakLoadMW }
        if abs(regionalPeak - nationalPeak) > 0.05 * nationalPeak {
            problem(tree["regions"], "regional peaks add up to \(regionalPeak) MW, more than 5 % from the national peak \(nationalPeak) MW")
        }
        var lines: [GridTopology.Line] = []
        for node in tree["lines"].list {
            let pair = node["between"].regionPair
            lines.append(GridTopology.Line(
                name: node["name"].string, from: pair.first, to: pair.second, capacityMW: node["capacity"].number / 1e6,
                lengthKm: node["length"].number / 1e3, voltageKV: node["voltage"].number / 1e6,
                reactanceOhmPerKm: node["reactance_ohm_per_km"].number,
                resistanceOhmPerKm: node["resistance_ohm_per_km"].number, circuits: node["circuits"].int))
        }
        if !isConnected(lines) { problem(tree["lines"], "the lines do not connect all five regions") }
        let solar = system["solar_capacity_factor"].list.map { Double($0.storedInteger) / 10_000 }
        if solar[0] > solar[1] { problem(system["solar_capacity_factor"], "the range's low end is above its high end") }
        guard problems.isEmpty else { throw ScenarioError(problems) }
        return GridTopology(
            name: tree["name"].string, regions: regions, lines: lines,
            loadProfile: tree["load_profile"].list.map(\.number),
            nominalFrequencyHz: system["nominal_frequency"].number / 1e3,
            frequencyBandHz: system["frequency_band"].number / 1e3,
            frequencyResponseMWPerHz: system["frequency_response_mw_per_hz"].number,
            voltageBand: system["voltage_band"].basisPoints, voltageSensitivity: system["voltage_sensitivity"].basisPoints,
            gridEmissionGramsPerKWh: system["grid_emission_factor"].number / 1e3,
            conventionalEmissionGramsPerKWh: system["conventional_emission_factor"].number / 1e3,
            transmissionLoss: system["transmission_loss"].basisPoints, feederLoss: system["feeder_loss"].basisPoints,
            localLoss: system["local_loss"].basisPoints, securityMargin: system["security_margin"].basisPoints,
            peakFee: system["peak_fee"].basisPoints, peakWindows: system["peak_hours"].list.map(\.dailyWindow),
            schedulingHorizon: system["scheduling_horizon"].duration, solarCapacityFactor: solar[0]...solar[1],
            nationalPeakMW: nationalPeak)
    }

    private static func isConnected(_ lines: [GridTopology.Line]) -> Bool {
        var reached: Set<Region> = [.bangkok]
        var changed = true
        while changed {
            changed = false
            for line in lines where reached.contains(line.from) != reached.contains(line.to) {
                reached.insert(line.from)
                reached.insert(line.to)
                changed = true
            }
        }
        return reached.count == Region.allCases.count
    }
}
