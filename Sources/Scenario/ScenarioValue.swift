import GridCore

/// A validated scenario value with where it came from.
public struct ScenarioNode: Sendable {
    public var value: ScenarioValue
    public var location: SourceLocation
    /// The dotted field path, e.g. `participants[0].tx_rate`.
    public var path: String
    /// Whether the schema filled this value in for a field the scenario left out.
    public var isDefault = false

    public init(value: ScenarioValue, location: SourceLocation, path: String) {
        self.value = value
        self.location = location
        self.path = path
    }

    /// The child field `key` of an object; an absent node when the object has no such value.
    public subscript(key: String) -> ScenarioNode {
        if case .object(let fields) = value, let child = fields.first(where: { $0.key == key }) {
            return child.node
        }
        return ScenarioNode(value: .absent, location: location, path: path.isEmpty ? key : "\(path).\(key)")
    }

    public var isAbsent: Bool {
        if case .absent = value { return true }
        return false
    }

    /// Whether the scenario gave this value itself: neither absent nor a schema default.
    public var isWritten: Bool { !isAbsent && !isDefault }

    // Typed accessors. The schema guarantees the type, so a mismatch is a programming error.

    public var integer: Int64 {
        guard case .integer(let value) = value else { preconditionFailure("\(path) is not an integer") }
        return value
    }

    public var int: Int { Int(integer) }

    public var number: Double {
        switch value {
        case .number(let value), .quantity(let value): return value
        case .integer(let value): return Double(value)
        default: preconditionFailure("\(path) is not a number")
        }
    }

    /// A quantity's value in its stored integer unit.
    public var storedInteger: Int64 {
        guard case .quantity(let value) = value else { preconditionFailure("\(path) is not a quantity") }
        return Int64(value)
    }

    public var duration: SimDuration { SimDuration(nanoseconds: storedInteger) }
    public var basisPoints: BasisPoints { BasisPoints(storedInteger) }
    public var energy: EnergyWh { EnergyWh(storedInteger) }
    public var price: MicroTokensPerKWh { MicroTokensPerKWh(storedInteger) }
    public var tokens: MicroTokens { MicroTokens(storedInteger) }

    public var bool: Bool {
        guard case .boolean(let value) = value else { preconditionFailure("\(path) is not a boolean") }
        return value
    }

    public var string: String {
        guard case .string(let value) = value else { preconditionFailure("\(path) is not a string") }
        return value
    }

    public var region: Region {
        guard case .region(let value) = value else { preconditionFailure("\(path) is not a region") }
        return value
    }

    public var list: [ScenarioNode] {
        if case .absent = value { return [] }
        guard case .list(let items) = value else { preconditionFailure("\(path) is not a list") }
        return items
    }

    /// The entries of an object or region-pair map, in file order.
    public var entries: [(key: String, node: ScenarioNode)] {
        if case .absent = value { return [] }
        guard case .object(let fields) = value else { preconditionFailure("\(path) is not a mapping") }
        return fields
    }

    public var regionPair: RegionPair {
        guard case .regionPair(let value) = value else { preconditionFailure("\(path) is not a region pair") }
        return value
    }

    /// A daily window of local time, every day of the week.
    public var dailyWindow: DailyWindow {
        guard case .timeWindow(let start, let end) = value else { preconditionFailure("\(path) is not a time window") }
        return DailyWindow(startHour: start, endHour: end, includesWeekends: true)
    }

    public var target: TargetSpec {
        guard case .target(let value) = value else { preconditionFailure("\(path) is not a target") }
        return value
    }
}

/// The value part of a ``ScenarioNode``.
public indirect enum ScenarioValue: Sendable {
    case absent
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    case string(String)
    case region(Region)
    /// A quantity in its dimension's stored unit.
    case quantity(Double)
    case list([ScenarioNode])
    /// Fields in file order (then defaults in schema order).
    case object([(key: String, node: ScenarioNode)])
    case target(TargetSpec)
    case regionPair(RegionPair)
    /// Start and end hour of a daily window.
    case timeWindow(startHour: Double, endHour: Double)
}
