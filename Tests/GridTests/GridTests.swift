import Foundation
import GridCore
import Grid
import Scenario
import TestSupport
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let thaiGridPath = packageRoot.appendingPathComponent("Scenarios/data/thai-grid.yaml").path

func thaiTopology() throws -> GridTopology { try GridDataLoader.load(path: thaiGridPath) }

/// 21:00 on the first day: the national peak, inside the seed's peak hours.
let peakTime = SimTime.zero + .hours(21)
/// 03:00: off-peak.
let nightTime = SimTime.zero + .hours(3)

func location(_ region: Region, _ zone: UInt16) -> GridLocation { GridLocation(region: region, zone: zone) }

func request(_ seller: GridLocation, _ buyer: GridLocation, kWh: Int64, at time: SimTime,
             window: SimDuration = .minutes(15)) -> GridTradeRequest {
    GridTradeRequest(seller: seller, buyer: buyer, energy: .kWh(kWh), deliveryStart: time, deliveryEnd: time + window,
                     decidedAt: time)
}

@Suite struct GridDataTests {
    @Test func thaiDataCarriesThePublishedFigures() throws {
        let topology = try thaiTopology()
        #expect(topology.nationalPeakMW == 36_699.9)
        #expect(topology.gridEmissionGramsPerKWh == 475)
        #expect(topology.transmissionLoss == BasisPoints(165))
        #expect(topology.nominalFrequencyHz == 50)
        #expect(topology[.bangkok].nominalVoltage == 230)
        #expect(topology.regions.filter { $0.region != .bangkok }.allSatisfy { $0.nominalVoltage == 220 })
        #expect(topology.voltageBand == BasisPoints(500))
        #expect(topology.solarCapacityFactor == 0.15...0.175)
        #expect(topology.loadProfile.firstIndex(of: topology.loadProfile.max()!) == 21, "the peak near 21:00")
        #expect(topology.regions.reduce(0) { $0 + $1.zones.count } >= 25, "tens of zones")
        #expect(abs(topology.regions.reduce(0) { $0 + $1.peakLoadMW } - 36_700) < 1)
    }

    @Test func inconsistentDataIsRejectedWithItsLocation() throws {
        let text = try String(contentsOfFile: thaiGridPath, encoding: .utf8)
            .replacingOccurrences(of: "{ name: Krabi, load_share: 12 % }", with: "{ name: Krabi, load_share: 22 % }")
        do {
            _ = try GridDataLoader.parse(text, path: "broken.yaml")
            Issue.record("shares adding to 110 % must be rejected")
        } catch let error as ScenarioError {
            #expect(error.diagnostics.first?.field == "regions.south.zones")
            #expect(error.diagnostics.first?.message.contains("110") == true)
            #expect((error.diagnostics.first?.location.line ?? 0) > 100)
        }
    }

    /// A list of a fixed length, longer than it should be, is bad input with its location: a 25th
    /// hourly load factor stopped the run on `GridTopology`'s precondition (found by fuzzing), and
    /// a third solar capacity factor was ignored.
    @Test func aListLongerThanItsFixedLengthIsRejectedWithItsLocation() throws {
        let text = try String(contentsOfFile: thaiGridPath, encoding: .utf8)
        let cases = [
            ("load_profile: [0.72,", "load_profile: [0.5, 0.72,", "load_profile", "needs exactly 24 item(s), found 25"),
            ("solar_capacity_factor: [ 15 %, 17.5 % ]", "solar_capacity_factor: [ 15 %, 17.5 %, 20 % ]",
             "system.solar_capacity_factor", "needs exactly 2 item(s), found 3"),
        ]
        for (written, longer, field, message) in cases {
            #expect(text.contains(written))
            let found = try #require(throws: ScenarioError.self) {
                try GridDataLoader.parse(text.replacingOccurrences(of: written, with: longer), path: "longer.yaml")
            }
            #expect(found.diagnostics.map(\.field) == [field])
            #expect(found.diagnostics.first?.message == message)
            #expect(found.diagnostics.first?.location.file == "longer.yaml")
        }
    }
}

@Suite struct GridNetworkTests {
    @Test func distributionFactorsConservePowerAtEveryHub() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        let lines = network.topology.lines
        for injected in Region.allCases where injected != .bangkok {
            for hub in Region.allCases {
                var outflow = 0.0
                for (index, line) in lines.enumerated() {
                    if line.from == hub { outflow += network.ptdf[index][injected.index] }
                    if line.to == hub { outflow -= network.ptdf[index][injected.index] }
                }
                let expected = hub == injected ? 1.0 : hub == .bangkok ? -1.0 : 0.0
                #expect(abs(outflow - expected) < 1e-9, "KCL at \(hub) for an injection at \(injected)")
            }
        }
    }

    @Test func backgroundFlowsFitTheLinesAtThePeak() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        let flows = network.backgroundFlows(at: peakTime)
        for index in network.elements.indices {
            #expect(abs(flows[index]) < network.capacityWatts[index], "\(network.element(named: index))")
        }
        #expect(flows.prefix(network.topology.lines.count).contains { abs($0) > 1_000_000_000 }, "GW-scale transfers")
    }

    @Test func lossesFollowThePathRule() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        #expect(network.lossShare(from: location(.bangkok, 1), to: location(.bangkok, 1)) == BasisPoints(50))
        #expect(network.lossShare(from: location(.bangkok, 1), to: location(.bangkok, 2)) == BasisPoints(200))
        #expect(network.lossShare(from: location(.east, 0), to: location(.bangkok, 2)) == BasisPoints(365))
        let state = GridState(network: network, slotLength: .minutes(15))
        let assessment = state.assess(request(location(.east, 0), location(.bangkok, 2), kWh: 1_000, at: nightTime))
        #expect(assessment.loss == EnergyWh(36_500), "3.65 % of 1,000 kWh")
    }
}

@Suite struct TradeValidationTests {
    @Test func aCongestedLineRejectsATradeAnIdleOneApproves() throws {
        var topology = try thaiTopology()
        let idle = GridState(network: GridNetwork(topology: topology, calendar: SimCalendar()), slotLength: .minutes(15))
        let trade = request(location(.east, 0), location(.bangkok, 0), kWh: 20_000, at: nightTime)
        #expect(idle.assess(trade).verdict == .approved)
        // Shrink Central–East to just above its background flow at 03:00 (about 3 GW).
        let centralEast = topology.lines.firstIndex { $0.name == "Central-East" }!
        let network = GridNetwork(topology: topology, calendar: SimCalendar())
        let background = Double(abs(network.backgroundFlows(at: nightTime + .minutes(7))[centralEast])) / 1e6
        topology.lines[centralEast].capacityMW = background / 0.9 + 10
        let congested = GridState(network: GridNetwork(topology: topology, calendar: SimCalendar()),
                                  slotLength: .minutes(15))
        #expect(congested.assess(trade).verdict == .rejected(.congestion))
        let reverse = request(location(.bangkok, 0), location(.east, 0), kWh: 20_000, at: nightTime)
        #expect(congested.assess(reverse).verdict == .approved, "a counterflow relieves the line")
    }

    @Test func bookingsUseUpCapacityAndReleasesReturnIt() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        var state = GridState(network: network, slotLength: .minutes(15))
        // A Krabi feeder (12 % of 3.6 GW × 1.25 ≈ 540 MW) at 03:00 carries ~240 MW; each 15-minute
        // 25 MWh trade adds 100 MW.
        let seller = location(.bangkok, 0), buyer = location(.south, 4)
        var keys: [Digest32] = []
        var booked = 0
        while booked < 20 {
            let trade = request(seller, buyer, kWh: 25_000, at: nightTime)
            guard state.assess(trade).verdict == .approved else { break }
            let key = Blake2b.hash([UInt8(booked)])
            state.reserve(trade, key: key)
            keys.append(key)
            booked += 1
        }
        #expect(booked >= 1 && booked < 20, "the feeder fills up")
        let next = request(seller, buyer, kWh: 25_000, at: nightTime)
        #expect(state.assess(next).verdict == .rejected(.congestion))
        let commitment = state.commitment
        state.release(key: keys.removeLast())
        #expect(state.commitment != commitment)
        #expect(state.assess(next).verdict == .approved)
        let laterSlot = request(seller, buyer, kWh: 25_000, at: nightTime + .minutes(30))
        #expect(state.assess(laterSlot).verdict == .approved, "bookings are per slot")
    }

    @Test func peakHoursMakeATradeConditionalWithThePremium() throws {
        let state = GridState(network: GridNetwork(topology: try thaiTopology(), calendar: SimCalendar()),
                              slotLength: .minutes(15))
        let seller = location(.north, 0), buyer = location(.north, 1)
        #expect(state.assess(request(seller, buyer, kWh: 100, at: peakTime)).verdict
                == .conditional(premium: BasisPoints(500)))
        #expect(state.assess(request(seller, buyer, kWh: 100, at: nightTime)).verdict == .approved)
        let straddling = request(seller, buyer, kWh: 100, at: SimTime.zero + .hours(17) + .minutes(50),
                                 window: .minutes(15))
        #expect(state.assess(straddling).premium == BasisPoints(500), "a window reaching into 18:00 is peak")
    }

    @Test func locationAndDeliveryTimeRules() throws {
        let state = GridState(network: GridNetwork(topology: try thaiTopology(), calendar: SimCalendar()),
                              slotLength: .minutes(15))
        #expect(state.assess(request(location(.east, 40), location(.east, 0), kWh: 1, at: nightTime)).verdict
                == .rejected(.incompatibleLocation))
        var past = request(location(.east, 1), location(.east, 0), kWh: 1, at: nightTime)
        past.decidedAt = past.deliveryEnd
        #expect(state.assess(past).verdict == .rejected(.deliveryTime))
        var distant = request(location(.east, 1), location(.east, 0), kWh: 1, at: nightTime + .hours(72))
        distant.decidedAt = nightTime
        #expect(state.assess(distant).verdict == .rejected(.deliveryTime))
    }
}

@Suite struct PhysicalGridTests {
    private func sample(_ surplusMW: Double) throws -> GridSample {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        var grid = PhysicalGrid(network: network, loadNoise: nil, loadNoiseSigma: 0)
        var activity = ZoneActivity(zones: network.zoneCount)
        activity.generationWatts[3] = 50e6 + surplusMW * 1e6
        activity.forecastWatts[3] = 50e6
        return grid.sample(at: nightTime, activity: activity, bookedFlows: Array(repeating: 0, count: network.elements.count))
    }

    @Test func frequencyIsNominalWhenBalancedAndMovesWithTheImbalance() throws {
        #expect(try sample(0).frequencyHz == 50)
        let surplus = try sample(88)
        let deficit = try sample(-88)
        #expect(abs(surplus.frequencyHz - 50.01) < 1e-9, "88 MW over 8,800 MW/Hz is +10 mHz")
        #expect(deficit.frequencyHz < 50)
        #expect(surplus.frequencyInBand && deficit.frequencyInBand)
        #expect(try !sample(8_800).frequencyInBand, "1 Hz off is out of band")
    }

    @Test func voltagesSagWithLoadAndStayInBandAtNight() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        var grid = PhysicalGrid(network: network, loadNoise: nil, loadNoiseSigma: 0)
        let zeros = Array(repeating: Int64(0), count: network.elements.count)
        let night = grid.sample(at: nightTime, activity: ZoneActivity(zones: network.zoneCount), bookedFlows: zeros)
        let peak = grid.sample(at: peakTime, activity: ZoneActivity(zones: network.zoneCount), bookedFlows: zeros)
        #expect(night.voltagesInBand && peak.voltagesInBand)
        #expect(peak.voltagePU.reduce(0, +) < night.voltagePU.reduce(0, +))
        #expect(CongestionLevel(loading: 0.3) == .low && CongestionLevel(loading: 0.6) == .medium
                && CongestionLevel(loading: 0.85) == .high)
    }

    @Test func loadNoiseIsSeededAndMovesFrequency() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        func frequencies(seed: UInt64) -> [Double] {
            var grid = PhysicalGrid(network: network, loadNoise: RandomStream(masterSeed: seed, name: "grid/load-noise"))
            return (0..<20).map {
                grid.sample(at: nightTime + .minutes(Int64($0)), activity: ZoneActivity(zones: network.zoneCount),
                            bookedFlows: Array(repeating: 0, count: network.elements.count)).frequencyHz
            }
        }
        #expect(frequencies(seed: 1) == frequencies(seed: 1))
        #expect(frequencies(seed: 1) != frequencies(seed: 2))
        #expect(frequencies(seed: 1).contains { $0 != 50 })
    }
}

@Suite struct ImpactTests {
    @Test func theSeedsDashboardIsConsistent() throws {
        var impact = GridImpact(topology: try thaiTopology())
        impact.recordTrade(energy: EnergyWh(84_759_000), renewable: true)
        impact.recordTrade(energy: EnergyWh(160_919_000), renewable: false)
        #expect(impact.renewableShare == BasisPoints(3_450), "34.5 % renewable")
        #expect(abs(impact.carbonIntensityGramsPerKWh - 425) < 0.5, "425 gCO2/kWh")
        #expect(abs(impact.carbonSavedKg - 12_300) < 100, "12.3 t CO2 saved")
    }
}

@Suite struct PandapowerExportTests {
    @Test func exportLoadsInPandapowerAndThePowerFlowConverges() throws {
        let network = GridNetwork(topology: try thaiTopology(), calendar: SimCalendar())
        var generation = Array(repeating: 0.0, count: network.zoneCount)
        generation[0] = 40e6
        let json = PandapowerExport.json(network: network, at: peakTime, participantGenerationWatts: generation)
        let file = try ScratchFolder.file("thai-grid.json", containing: json)
        let process = Process()
        process.executableURL = packageRoot.appendingPathComponent("scripts/pandapower-check.sh")
        process.arguments = [file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any],
                                   "pandapower printed: \(String(decoding: data, as: UTF8.self))")
        #expect(process.terminationStatus == 0)
        #expect(summary["loaded"] as? Bool == true)
        #expect(summary["converged"] as? Bool == true)
        #expect(summary["buses"] as? Int == 5 + network.zoneCount)
        let minimum = try #require(summary["vm_pu_min"] as? Double)
        #expect(minimum > 0.9, "voltages stay plausible")
    }
}
