import GridCore

/// The format of grid data files (`Scenarios/data/thai-grid.yaml`).
public enum GridDataSchema {
    static let system: [Field] = [
        Field("national_peak", .quantity(.power, 1...1e14), .required, "published national peak load"),
        Field("nominal_frequency", .quantity(.frequency, 1...1e6), .required, "nominal frequency"),
        Field("frequency_band", .quantity(.frequency, 1...1e5), .required, "frequency counts as stable within ± this"),
        Field("frequency_response_mw_per_hz", .number(1...1e9), .required, "MW of imbalance per Hz of deviation"),
        Field("voltage_band", .quantity(.percent, 1...5_000), .required, "voltage counts as stable within ± this share"),
        Field("voltage_sensitivity", .quantity(.percent, 0...5_000), .required,
              "voltage drop of a zone whose feeder runs at full capacity"),
        Field("grid_emission_factor", .quantity(.emission, 0...1e7), .required, "emissions of grid electricity"),
        Field("conventional_emission_factor", .quantity(.emission, 0...1e7), .required,
              "emissions of non-renewable energy traded peer to peer"),
        Field("transmission_loss", .quantity(.percent, 0...5_000), .required, "loss of a trade that crosses regions"),
        Field("feeder_loss", .quantity(.percent, 0...5_000), .required, "loss per feeder a trade crosses"),
        Field("local_loss", .quantity(.percent, 0...5_000), .required, "loss of a trade inside one zone"),
        Field("security_margin", .quantity(.percent, 0...9_000), .required, "headroom kept free on every element"),
        Field("peak_fee", .quantity(.percent, 0...10_000), .required, "grid fee on trades delivered in peak hours"),
        Field("peak_hours", .list(.timeWindow, minCount: 0), .required, "daily peak windows, local time"),
        Field("scheduling_horizon", .quantity(.duration, 1e9...1e15), .required, "how far ahead a delivery may be booked"),
        Field("solar_capacity_factor", .list(.quantity(.percent, 0...10_000), minCount: 2, maxCount: 2), .required,
              "annual solar capacity factor range [low, high]"),
        Field("feeder_headroom", .quantity(.percent, 0...100_000), .required,
              "feeder capacity above the zone's share of its region's peak"),
    ]

    static let zone: [Field] = [
        Field("name", .string, .required, "zone (feeder area) name"),
        Field("load_share", .quantity(.percent, 1...10_000), .required, "the zone's share of its region's load"),
    ]

    static let region: [Field] = [
        Field("utility", .choice(["MEA", "PEA"]), .required, "distribution utility"),
        Field("nominal_voltage", .quantity(.voltage, 1e3...1e9), .required, "low-voltage nominal"),
        Field("peak_load", .quantity(.power, 0...1e14), .required, "the region's load at the national peak"),
        Field("net_export_at_peak", .quantity(.power, -1e14...1e14), .required,
              "what the region exports at the national peak (negative: imports)"),
        Field("zones", .list(.object(zone), minCount: 1), .required, "zones inside the region"),
    ]

    static let line: [Field] = [
        Field("name", .string, .required, "corridor name"),
        Field("between", .regionPair, .required, "the two regions it joins"),
        Field("capacity", .quantity(.power, 1...1e14), .required, "thermal or stability limit"),
        Field("length", .quantity(.length, 1...1e8), .required, "route length"),
        Field("voltage", .quantity(.voltage, 1e3...1e10), .required, "line voltage"),
        Field("circuits", .integer(1...16), .defaultValue("1"), "parallel circuits"),
        Field("reactance_ohm_per_km", .number(0.001...10), .defaultValue("0.28"), "series reactance per circuit"),
        Field("resistance_ohm_per_km", .number(0...10), .defaultValue("0.02"), "series resistance per circuit"),
    ]

    static let authority: [Field] = [
        Field("code", .string, .required, "short name"),
        Field("role", .string, .required, "what it does"),
    ]

    /// The top level of a grid data file.
    public static let root: [Field] = [
        Field("name", .string, .required, "data set name"),
        Field("authorities", .list(.object(authority), minCount: 0), .defaultValue("[]"), "who runs the grid"),
        Field("system", .object(system), .required, "system-wide figures"),
        Field("load_profile", .list(.number(0...1.5), minCount: 24, maxCount: 24), .required, "24 hourly factors of the daily peak"),
        Field("regions", .object(Region.allCases.map {
            Field($0.rawValue, .object(region), .required, "\($0.displayName)")
        }), .required, "each of the five regions"),
        Field("lines", .list(.object(line), minCount: 1), .required, "inter-regional corridors"),
    ]
}
