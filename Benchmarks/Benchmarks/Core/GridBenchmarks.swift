import Benchmark
import Foundation
import Grid
import GridCore
import Scenario

/// Issue 4: one step of the physical grid model for the national topology (5 regions, 30 zones):
/// load noise, flows, frequency, voltages.
func gridBenchmarks() {
    let dataPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios/data/thai-grid.yaml").path
    guard let topology = try? GridDataLoader.load(path: dataPath) else { fatalError("cannot load \(dataPath)") }
    let network = GridNetwork(topology: topology, calendar: SimCalendar())
    let booked = [Int64](repeating: 0, count: network.elements.count)
    var activity = ZoneActivity(zones: network.zoneCount)
    for zone in 0..<network.zoneCount {
        activity.generationWatts[zone] = Double(zone) * 1e6
        activity.forecastWatts[zone] = Double(zone) * 1.1e6
    }
    Benchmark("Grid: one physical step, national topology (30 zones)",
              configuration: .init(scalingFactor: .kilo)) { benchmark in
        var grid = PhysicalGrid(network: network, loadNoise: RandomStream(masterSeed: 1, name: "bench/grid"))
        for step in benchmark.scaledIterations {
            blackHole(grid.sample(at: .zero + .seconds(Int64(step)), activity: activity, bookedFlows: booked))
        }
    }
}
