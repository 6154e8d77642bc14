import ArgumentParser
import Foundation
import Grid
import GridCore
import Ledger
import Scenario
import Simulation

struct GridExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid-export",
        abstract: "Write a scenario's grid and a state snapshot as a pandapower JSON network.",
        discussion: """
            The snapshot holds every zone's load at the chosen local time and the scenario's producers at their \
            expected output then. Load it with pandapower.from_json(FILE) and run pandapower.runpp(net).
            """)

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: "Local time of the snapshot, HH:MM (default: the national peak, 21:00).")
    var at: String = "21:00"

    @Option(help: "Where to write the JSON.")
    var out: String = "grid.pandapower.json"

    @Option(name: .customLong("set"), help: "Override a scenario field: key.path=value (repeatable).")
    var overrides: [String] = []

    func run() throws {
        let loaded = try loadScenario(scenario, overrides: overrides)
        let parts = at.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
              (0..<60).contains(minute) else {
            printError("grid-export: --at must be HH:MM (got '\(at)')")
            throw ExitStatus.badInput.exitCode
        }
        let time = SimTime.zero + .hours(Int64(hour)) + .minutes(Int64(minute))
        let network = GridNetwork(topology: loaded.grid.topology,
                                  calendar: SimCalendar(startWeekday: loaded.run.calendar.startWeekday))
        let generation = expectedGeneration(loaded, network: network, at: time)
        let json = PandapowerExport.json(network: network, at: time, participantGenerationWatts: generation)
        try json.write(toFile: out, atomically: true, encoding: .utf8)
        print("wrote \(out): \(Region.allCases.count + network.zoneCount) buses, \(loaded.grid.topology.lines.count) lines, snapshot at \(at)")
    }

    /// The scenario's producers at their expected output at `time`, spread over their region's
    /// zones round-robin as the simulator places them.
    private func expectedGeneration(_ scenario: Scenario, network: GridNetwork, at time: SimTime) -> [Double] {
        var generation = [Double](repeating: 0, count: network.zoneCount)
        var cursor = [Int](repeating: 0, count: Region.allCases.count)
        let hour = network.calendar.hourOfDay(at: time)
        for participants in scenario.participants {
            let zones = scenario.grid.topology[participants.region].zones.count
            for _ in 0..<participants.count {
                let zone = UInt16(cursor[participants.region.index] % zones)
                cursor[participants.region.index] += 1
                guard participants.role == .producer else { continue }
                let source: EnergySource = participants.kind == "solar" ? .solar : participants.kind == "wind" ? .wind : .hydro
                generation[network.zoneIndex(GridLocation(region: participants.region, zone: zone))]
                    += participants.capacityWatts * GenerationModel.forecast(source, hour: hour)
            }
        }
        return generation
    }
}

