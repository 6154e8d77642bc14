import Foundation
import GridCore

/// Writes the grid and a state snapshot in pandapower's JSON network format (pandapower 3.x,
/// format 3.3.0), so `pandapower.from_json(path)` loads it and `pandapower.runpp(net)` runs an
/// AC power flow on it.
///
/// The network: a 500 kV hub bus per region joined by the corridors (r, x per km and circuits
/// from the data, 12 nF/km charging, current limit from the capacity); a 115 kV bus per zone
/// behind a 500/115 kV transformer sized at 1.2 × its feeder; each zone's load at the snapshot
/// (power factor 0.95) and the participants' generation as static generators; the regional
/// conventional generation (load + net export − participants' generation) as voltage-controlled
/// generators; Bangkok/Central's hub is the slack.
public enum PandapowerExport {
    public static func json(network: GridNetwork, at time: SimTime, participantGenerationWatts: [Double]) -> String {
        let topology = network.topology
        var buses: [[Any?]] = []
        for regionGrid in topology.regions {
            buses.append(["\(regionGrid.region.displayName) 500 kV", 500.0, "b", regionGrid.region.rawValue, true, nil])
        }
        var zoneBus: [Int] = []
        for regionGrid in topology.regions {
            for zone in regionGrid.zones {
                zoneBus.append(buses.count)
                buses.append([zone.name, 115.0, "b", regionGrid.region.rawValue, true, nil])
            }
        }
        let factor = topology.loadFactor(atHour: network.calendar.hourOfDay(at: time))
        var loads: [[Any?]] = [], sgens: [[Any?]] = [], trafos: [[Any?]] = [], gens: [[Any?]] = []
        var zone = 0
        for regionGrid in topology.regions {
            let regionLoad = regionGrid.peakLoadMW * factor
            var participants = 0.0
            for data in regionGrid.zones {
                let load = regionLoad * Double(data.loadShare.rawValue) / 10_000
                let generation = participantGenerationWatts[zone] / 1e6
                participants += generation
                loads.append(["\(data.name) load", zoneBus[zone], load, load * 0.3287, 0.0, 0.0, 0.0, 0.0, nil, 1.0, true, "wye"])
                if generation > 0 {
                    sgens.append(["\(data.name) participants", zoneBus[zone], generation, 0.0, nil, nil, nil, 1.0, false,
                                  nil, false, nil, true, nil, true])
                }
                trafos.append(["\(data.name) 500/115 kV", nil, regionGrid.region.index, zoneBus[zone],
                               max(10, data.feederCapacityMW * 1.2), 500.0, 115.0, 12.0, 0.3, 0.0, 0.0, 0.0,
                               nil, nil, nil, nil, nil, nil, nil, nil, nil, false, 1, 1.0, true, false])
                zone += 1
            }
            if regionGrid.region != .bangkok {
                let conventional = max(0, regionLoad + regionGrid.netExportAtPeakMW * factor - participants)
                gens.append(["\(regionGrid.region.displayName) conventional", regionGrid.region.index, conventional, 1.0,
                             nil, nil, nil, 1.0, false, true, nil, false, nil, true, 0.0, nil])
            }
        }
        let lines: [[Any?]] = topology.lines.map { line in
            let perCircuitKA = line.capacityMW / (3.0.squareRoot() * line.voltageKV) / Double(line.circuits)
            return [line.name, nil, line.from.index, line.to.index, line.lengthKm, line.resistanceOhmPerKm,
                    line.reactanceOhmPerKm, 12.0, 0.0, perCircuitKA, 1.0, line.circuits, "ol", true, nil]
        }
        let object: [String: Any] = [
            "bus": frame(["name", "vn_kv", "type", "zone", "in_service", "geo"], buses,
                         ["object", "float64", "object", "object", "bool", "object"]),
            "ext_grid": frame(["name", "bus", "vm_pu", "va_degree", "slack_weight", "in_service", "controllable"],
                              [["Bangkok/Central slack", Region.bangkok.index, 1.0, 0.0, 1.0, true, false]],
                              ["object", "uint32", "float64", "float64", "float64", "bool", "bool"]),
            "load": frame(["name", "bus", "p_mw", "q_mvar", "const_z_p_percent", "const_i_p_percent", "const_z_q_percent",
                           "const_i_q_percent", "sn_mva", "scaling", "in_service", "type"], loads,
                          ["object", "uint32", "float64", "float64", "float64", "float64", "float64", "float64",
                           "float64", "float64", "bool", "object"]),
            "sgen": frame(["name", "bus", "p_mw", "q_mvar", "min_q_mvar", "max_q_mvar", "sn_mva", "scaling", "controllable",
                           "id_q_capability_characteristic", "reactive_capability_curve", "curve_style", "in_service",
                           "type", "current_source"], sgens,
                          ["object", "int64", "float64", "float64", "float64", "float64", "float64", "float64", "bool",
                           "Int64", "bool", "object", "bool", "object", "bool"]),
            "gen": frame(["name", "bus", "p_mw", "vm_pu", "sn_mva", "min_q_mvar", "max_q_mvar", "scaling", "slack",
                          "controllable", "id_q_capability_characteristic", "reactive_capability_curve", "curve_style",
                          "in_service", "slack_weight", "type"], gens,
                         ["object", "uint32", "float64", "float64", "float64", "float64", "float64", "float64", "bool",
                          "bool", "Int64", "bool", "object", "bool", "float64", "object"]),
            "line": frame(["name", "std_type", "from_bus", "to_bus", "length_km", "r_ohm_per_km", "x_ohm_per_km",
                           "c_nf_per_km", "g_us_per_km", "max_i_ka", "df", "parallel", "type", "in_service", "geo"], lines,
                          ["object", "object", "uint32", "uint32", "float64", "float64", "float64", "float64", "float64",
                           "float64", "float64", "uint32", "object", "bool", "object"]),
            "trafo": frame(["name", "std_type", "hv_bus", "lv_bus", "sn_mva", "vn_hv_kv", "vn_lv_kv", "vk_percent",
                            "vkr_percent", "pfe_kw", "i0_percent", "shift_degree", "tap_side", "tap_neutral", "tap_min",
                            "tap_max", "tap_step_percent", "tap_step_degree", "tap_pos", "tap_changer_type",
                            "id_characteristic_table", "tap_dependency_table", "parallel", "df", "in_service", "oltc"],
                           trafos,
                           ["object", "object", "uint32", "uint32", "float64", "float64", "float64", "float64", "float64",
                            "float64", "float64", "float64", "object", "float64", "float64", "float64", "float64",
                            "float64", "float64", "object", "Int64", "bool", "uint32", "float64", "bool", "bool"]),
            "version": "3.5.6", "format_version": "3.3.0", "name": "\(topology.name) at \(time)",
            "f_hz": topology.nominalFrequencyHz, "sn_mva": 1.0,
        ]
        let root: [String: Any] = ["_module": "pandapower.auxiliary", "_class": "pandapowerNet", "_object": object]
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A pandas DataFrame in pandapower's "split" encoding.
    private static func frame(_ columns: [String], _ rows: [[Any?]], _ dtypes: [String]) -> [String: Any] {
        precondition(columns.count == dtypes.count && rows.allSatisfy { $0.count == columns.count })
        let body: [String: Any] = [
            "columns": columns, "index": Array(rows.indices),
            "data": rows.map { $0.map { $0 ?? NSNull() } },
        ]
        let encoded = try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return [
            "_module": "pandas.core.frame", "_class": "DataFrame", "_object": String(decoding: encoded, as: UTF8.self),
            "orient": "split", "dtype": Dictionary(uniqueKeysWithValues: zip(columns, dtypes)),
            "is_multiindex": false, "is_multicolumn": false,
        ]
    }
}
