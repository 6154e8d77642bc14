import GridCore

/// The type of a scenario field: what YAML it accepts and how it is stored.
public indirect enum FieldType: Sendable {
    /// A whole number within the range.
    case integer(ClosedRange<Int64>)
    /// A plain number within the range (no unit).
    case number(ClosedRange<Double>)
    case boolean
    case string
    /// One of the listed words.
    case choice([String])
    /// A region name: bangkok, north, northeast, east, south.
    case region
    /// A number with a unit of the dimension; the range is in stored units.
    case quantity(QuantityKind, ClosedRange<Double>)
    /// A sequence of values of one type, with at least `minCount` and at most `maxCount` items.
    case list(FieldType, minCount: Int, maxCount: Int = .max)
    /// A mapping with these fields; any other key is an error.
    case object([Field])
    /// A mapping whose keys are region pairs such as `bangkok-north`.
    case regionPairMap(FieldType)
    /// A target expression: `metric op value [unit]`.
    case target
    /// Two regions joined by '-', e.g. `bangkok-north`.
    case regionPair
    /// A daily window of local time, `HH:MM-HH:MM`.
    case timeWindow

    /// A short human description, for messages and documentation.
    public var summary: String {
        switch self {
        case .integer(let range): "integer in \(range.lowerBound)...\(range.upperBound)"
        case .number(let range): "number in \(range.lowerBound)...\(range.upperBound)"
        case .boolean: "true or false"
        case .string: "text"
        case .choice(let words): "one of " + words.joined(separator: ", ")
        case .region: "region (" + Region.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .quantity(let dimension, _): "\(dimension.rawValue) with a unit (\(dimension.unitList))"
        case .list(let element, _, _): "list of \(element.summary)"
        case .object: "mapping"
        case .regionPairMap(let value): "mapping from region pairs (e.g. bangkok-north) to \(value.summary)"
        case .target: "target 'metric op value' (e.g. 'finality.p99 < 15 s')"
        case .regionPair: "region pair (e.g. bangkok-north)"
        case .timeWindow: "time window 'HH:MM-HH:MM' (e.g. '18:00-22:00')"
        }
    }
}

/// Whether a field must be given, may be left out, or has a default.
public enum Requirement: Sendable {
    case required
    case optional
    /// The default, written as it would be in a scenario file (e.g. "9.8 s").
    case defaultValue(String)
}

/// One field of the scenario schema.
public struct Field: Sendable {
    public var name: String
    public var type: FieldType
    public var requirement: Requirement
    /// What the field means, for documentation and JSON Schema.
    public var doc: String

    public init(_ name: String, _ type: FieldType, _ requirement: Requirement, _ doc: String) {
        self.name = name
        self.type = type
        self.requirement = requirement
        self.doc = doc
    }
}
