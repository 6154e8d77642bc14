import Foundation

/// The physical or economic dimension of a quantity field, with the units it accepts.
/// Values are stored in the smallest integer unit the simulation uses.
public enum QuantityKind: String, Sendable, CaseIterable {
    /// Stored in nanoseconds. Units: ns, us, µs, ms, s, min, h, d.
    case duration
    /// Stored as events per second (a sampling parameter, so floating point). Units: /s, /min, /h,
    /// /d (also written tx/s, orders/d, ...).
    case rate
    /// Stored in basis points. Unit: %.
    case percent
    /// Stored in Wh. Units: Wh, kWh, MWh, GWh.
    case energy
    /// Stored in W. Units: W, kW, MW, GW.
    case power
    /// Stored in micro-tokens per kWh. Unit: tokens/kWh.
    case price
    /// Stored in micro-tokens. Unit: tokens.
    case tokens
    /// Stored in bytes. Units: B, KB, MB, GB (powers of 1,000), KiB, MiB, GiB (powers of 1,024).
    case bytes
    /// Stored in grams. Units: g, kg, t.
    case mass
    /// Stored in millihertz. Units: mHz, Hz.
    case frequency
    /// Stored in millivolts. Units: V, kV.
    case voltage
    /// Stored in metres. Units: m, km.
    case length
    /// Stored in milligrams per kWh. Units: g/kWh, kg/kWh.
    case emission
    /// Stored in bytes per second. Units: B/s, KB/s, MB/s, GB/s, Mbit/s, Gbit/s.
    case bandwidth

    /// Units accepted, with their factor to the stored unit.
    var units: [(String, Double)] {
        switch self {
        case .duration:
            [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("min", 60e9), ("h", 3_600e9),
             ("d", 86_400e9)]
        case .rate: [("/s", 1), ("/min", 1.0 / 60), ("/h", 1.0 / 3_600), ("/d", 1.0 / 86_400)]
        case .percent: [("%", 100)]
        case .energy: [("Wh", 1), ("kWh", 1e3), ("MWh", 1e6), ("GWh", 1e9)]
        case .power: [("W", 1), ("kW", 1e3), ("MW", 1e6), ("GW", 1e9)]
        case .price: [("tokens/kWh", 1e6), ("token/kWh", 1e6)]
        case .tokens: [("tokens", 1e6), ("token", 1e6)]
        case .bytes: [("B", 1), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("KiB", 1_024), ("MiB", 1_048_576),
                      ("GiB", 1_073_741_824)]
        case .mass: [("g", 1), ("kg", 1e3), ("t", 1e6)]
        case .frequency: [("mHz", 1), ("Hz", 1e3)]
        case .voltage: [("V", 1e3), ("kV", 1e6)]
        case .length: [("m", 1), ("km", 1e3)]
        case .emission: [("g/kWh", 1e3), ("kg/kWh", 1e6)]
        case .bandwidth: [("B/s", 1), ("KB/s", 1e3), ("MB/s", 1e6), ("GB/s", 1e9), ("Mbit/s", 125e3), ("Gbit/s", 125e6)]
        }
    }

    /// An example, for messages and documentation.
    public var example: String {
        switch self {
        case .duration: "45 ms"
        case .rate: "2.5 /s"
        case .percent: "80 %"
        case .energy: "1000 kWh"
        case .power: "500 MW"
        case .price: "3.5 tokens/kWh"
        case .tokens: "1000 tokens"
        case .bytes: "2.5 GB"
        case .mass: "12.3 t"
        case .frequency: "50 Hz"
        case .voltage: "230 V"
        case .length: "350 km"
        case .emission: "475 g/kWh"
        case .bandwidth: "100 Mbit/s"
        }
    }

    /// The units, for messages and documentation.
    public var unitList: String { units.map(\.0).joined(separator: ", ") }

    /// Whether the stored value is an integer (everything but rates).
    var isIntegral: Bool { self != .rate }

    /// Parses "number unit" (the space is optional). Returns the stored value or an explanation.
    public func parse(_ text: String) -> Result<Double, QuantityError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // No unit starts with "e" or "E", so an exponent can be scanned greedily.
        let numberCharacters = Set("0123456789.+-_eE")
        let numberEnd = trimmed.firstIndex { !numberCharacters.contains($0) } ?? trimmed.endIndex
        let numberText = trimmed[..<numberEnd].replacingOccurrences(of: "_", with: "")
        var unitText = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        guard let number = Double(numberText), number.isFinite else {
            return .failure(.notANumber(text: text, example: example))
        }
        guard !unitText.isEmpty else {
            return .failure(.missingUnit(number: String(numberText), dimension: self))
        }
        if self == .rate, !unitText.hasPrefix("/"), let slash = unitText.firstIndex(of: "/") {
            // "tx/s", "orders/s", "per second" style prefixes name the thing counted.
            unitText = String(unitText[slash...]).replacingOccurrences(of: " ", with: "")
        }
        guard let factor = units.first(where: { $0.0 == unitText })?.1 else {
            return .failure(.wrongUnit(unit: unitText, dimension: self))
        }
        let value = number * factor
        guard abs(value) < 9.2e18 else { return .failure(.outOfRange(text: text)) }
        return .success(isIntegral ? value.rounded() : value)
    }
}

/// Why a quantity did not parse.
public enum QuantityError: Error, Equatable, Sendable, CustomStringConvertible {
    case notANumber(text: String, example: String)
    case missingUnit(number: String, dimension: QuantityKind)
    case wrongUnit(unit: String, dimension: QuantityKind)
    case outOfRange(text: String)

    public var description: String {
        switch self {
        case .notANumber(let text, let example):
            "'\(text)' is not a number with a unit (e.g. '\(example)')"
        case .missingUnit(let number, let dimension):
            "'\(number)' needs a unit (\(dimension.rawValue): \(dimension.unitList)), e.g. '\(dimension.example)'"
        case .wrongUnit(let unit, let dimension):
            "'\(unit)' is not a unit of \(dimension.rawValue); use one of \(dimension.unitList)"
        case .outOfRange(let text):
            "'\(text)' is too large"
        }
    }
}
