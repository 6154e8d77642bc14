import Foundation
import GridCore
import Yams

/// Checks a YAML document against the scenario schema and builds the located value tree,
/// collecting every problem rather than stopping at the first.
struct SchemaValidator {
    let file: String
    private(set) var diagnostics: [ScenarioDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(of node: Yams.Node?, fallback: SourceLocation) -> SourceLocation {
        guard let mark = node?.mark else { return fallback }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func report(_ location: SourceLocation, _ path: String, _ message: String) {
        diagnostics.append(ScenarioDiagnostic(location: location, field: path, message: message))
    }

    /// Validates the fields of an object. A missing field is reported at `fallback`: the key
    /// that holds the object, or the list item that is the object.
    mutating func validateObject(_ node: Yams.Node?, fields: [Field], path: String,
                                 at fallback: SourceLocation) -> ScenarioNode {
        let here = location(of: node, fallback: fallback)
        var pairs: [(Yams.Node, Yams.Node)] = []
        switch node {
        case .none:
            break
        case .mapping(let mapping)?:
            pairs = Array(mapping)
        case .scalar? where node?.null != nil:
            break
        case .scalar? where node?.bool != nil && fields.contains(where: { $0.name == "enabled" }):
            // A section with an `enabled` switch may be written as just the switch: `swarm: true`.
            pairs = [(Yams.Node("enabled"), node!)]
        default:
            report(here, path, "expected a mapping of fields (\(fields.map(\.name).joined(separator: ", ")))")
            return ScenarioNode(value: .absent, location: here, path: path)
        }
        var entries: [(key: String, node: ScenarioNode)] = []
        var seen: [String: SourceLocation] = [:]
        for (keyNode, valueNode) in pairs {
            let keyLocation = location(of: keyNode, fallback: here)
            guard let key = keyNode.string else {
                report(keyLocation, path, "field names must be text")
                continue
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if let first = seen[key] {
                report(keyLocation, childPath, "given twice (first at line \(first.line))")
                continue
            }
            seen[key] = keyLocation
            guard let field = fields.first(where: { $0.name == key }) else {
                let suggestion = closestMatch(to: key, among: fields.map(\.name))
                report(keyLocation, childPath, "unknown field"
                    + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                    + " (known: \(fields.map(\.name).joined(separator: ", ")))")
                continue
            }
            entries.append((key, validate(valueNode, type: field.type, path: childPath, at: keyLocation)))
        }
        for field in fields where seen[field.name] == nil {
            let childPath = path.isEmpty ? field.name : "\(path).\(field.name)"
            switch field.requirement {
            case .required:
                report(fallback, childPath, "missing required field (\(field.type.summary))")
            case .optional:
                if case .object(let nested) = field.type {
                    entries.append((field.name, validateObject(nil, fields: nested, path: childPath, at: here)))
                }
            case .defaultValue(let text):
                entries.append((field.name, defaultNode(text, field: field, path: childPath, at: here)))
            }
        }
        return ScenarioNode(value: .object(entries), location: here, path: path)
    }

    private mutating func defaultNode(_ text: String, field: Field, path: String,
                                      at location: SourceLocation) -> ScenarioNode {
        let parsed = (try? Yams.compose(yaml: text)) ?? nil
        var inner = SchemaValidator(file: "(default of \(path))")
        let node = inner.validate(parsed, type: field.type, path: path, at: location)
        precondition(inner.diagnostics.isEmpty, "schema default of \(path) is invalid: \(inner.diagnostics)")
        var defaulted = ScenarioNode(value: node.value, location: location, path: path)
        defaulted.isDefault = true
        return defaulted
    }

    /// Validates one value against its type.
    mutating func validate(_ node: Yams.Node?, type: FieldType, path: String,
                           at fallback: SourceLocation) -> ScenarioNode {
        let here = location(of: node, fallback: fallback)
        func fail(_ message: String) -> ScenarioNode {
            report(here, path, message)
            return ScenarioNode(value: .absent, location: here, path: path)
        }
        func make(_ value: ScenarioValue) -> ScenarioNode {
            ScenarioNode(value: value, location: here, path: path)
        }
        switch type {
        case .object(let fields):
            return validateObject(node, fields: fields, path: path, at: fallback)
        case .list(let element, let minCount, let maxCount):
            var sequence: [Yams.Node] = []
            switch node {
            case .sequence(let items)?:
                sequence = Array(items)
            case .scalar? where node?.null != nil:
                break
            default:
                return fail("expected a list of \(element.summary)")
            }
            var items: [ScenarioNode] = []
            for (index, item) in sequence.enumerated() {
                items.append(validate(item, type: element, path: "\(path)[\(index)]",
                                      at: location(of: item, fallback: here)))
            }
            if items.count < minCount || items.count > maxCount {
                let wanted = minCount == maxCount ? "exactly \(minCount)" : items.count < minCount ? "at least \(minCount)" : "at most \(maxCount)"
                return fail("needs \(wanted) item(s), found \(items.count)")
            }
            return make(.list(items))
        case .regionPairMap(let valueType):
            guard case .mapping(let mapping)? = node else { return fail("expected a mapping like 'bangkok-north: 12 ms'") }
            var entries: [(key: String, node: ScenarioNode)] = []
            for (keyNode, valueNode) in mapping {
                let keyLocation = location(of: keyNode, fallback: here)
                let key = keyNode.string ?? ""
                let childPath = "\(path).\(key)"
                guard RegionPair(key) != nil else {
                    report(keyLocation, childPath, "not a region pair; write two of "
                        + Region.allCases.map(\.rawValue).joined(separator: ", ") + " joined by '-', e.g. 'bangkok-north'")
                    continue
                }
                entries.append((key, validate(valueNode, type: valueType, path: childPath, at: keyLocation)))
            }
            return make(.object(entries))
        default:
            guard case .scalar(let scalar)? = node else {
                return fail(node == nil ? "missing value (\(type.summary))" : "expected \(type.summary), found a \(node!.kindName)")
            }
            switch scalarValue(scalar, node: node!, type: type) {
            case .success(let value): return make(value)
            case .failure(let problem): return fail(problem.message)
            }
        }
    }

    private func scalarValue(_ scalar: Yams.Node.Scalar, node: Yams.Node,
                             type: FieldType) -> Result<ScenarioValue, Problem> {
        let text = scalar.string
        func fail(_ message: String) -> Result<ScenarioValue, Problem> { .failure(Problem(message: message)) }
        func make(_ value: ScenarioValue) -> Result<ScenarioValue, Problem> { .success(value) }
        switch type {
        case .integer(let range):
            guard let value = node.int.map(Int64.init) ?? Int64(text.replacingOccurrences(of: "_", with: "")) else {
                return fail("expected a whole number, found '\(text)'")
            }
            guard range.contains(value) else { return fail("\(value) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return make(.integer(value))
        case .number(let range):
            guard let value = node.float ?? node.int.map(Double.init), value.isFinite else {
                return fail("expected a number, found '\(text)'")
            }
            guard range.contains(value) else { return fail("\(value) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return make(.number(value))
        case .boolean:
            guard let value = node.bool else { return fail("expected true or false, found '\(text)'") }
            return make(.boolean(value))
        case .string:
            return make(.string(text))
        case .choice(let words):
            guard words.contains(text) else {
                return fail("'\(text)' is not one of \(words.joined(separator: ", "))"
                    + (closestMatch(to: text, among: words).map { "; did you mean '\($0)'?" } ?? ""))
            }
            return make(.string(text))
        case .region:
            guard let region = Region(rawValue: text) else {
                let names = Region.allCases.map(\.rawValue)
                return fail("unknown region '\(text)'"
                    + (closestMatch(to: text, among: names).map { "; did you mean '\($0)'?" } ?? "")
                    + " (regions: \(names.joined(separator: ", ")))")
            }
            return make(.region(region))
        case .quantity(let dimension, let range):
            switch dimension.parse(text) {
            case .failure(let error):
                return fail(error.description)
            case .success(let value):
                guard range.contains(value) else {
                    return fail("'\(text)' is out of range (\(describe(range.lowerBound, dimension)) to \(describe(range.upperBound, dimension)))")
                }
                return make(.quantity(value))
            }
        case .target:
            switch TargetSpec.parse(text) {
            case .success(let target): return make(.target(target))
            case .failure(let error): return fail(error.description)
            }
        case .regionPair:
            guard let pair = RegionPair(text), pair.first != pair.second else {
                return fail("'\(text)' is not a pair of two different regions joined by '-' (regions: "
                    + Region.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return make(.regionPair(pair))
        case .timeWindow where !text.contains("-"):
            guard let start = parseClock(text), start < 24 else {
                return fail("'\(text)' is not a time of day 'HH:MM' (e.g. '06:30')")
            }
            return make(.timeWindow(startHour: start, endHour: 24))
        case .timeWindow:
            guard let (start, end) = parseTimeWindow(text) else {
                return fail("'\(text)' is not a time window 'HH:MM-HH:MM' with start before end (e.g. '18:00-22:00')")
            }
            return make(.timeWindow(startHour: start, endHour: end))
        case .object, .list, .regionPairMap:
            preconditionFailure("containers are handled by validate")
        }
    }

    /// A range bound in the unit that writes it shortest: the one giving the smallest number of at
    /// least 1 with no more than three decimals (`1 ms`, `1000000 s`, `2.5 GB`), else the first
    /// unit above nanoseconds (`0 µs`).
    private func describe(_ stored: Double, _ dimension: QuantityKind) -> String {
        guard stored.isFinite, abs(stored) < 1e18 else { return stored < 0 ? "-∞" : "∞" }
        let written = dimension.units.filter { $0.0 != "us" }.map { (unit: $0.0, scaled: stored / $0.1) }
        let exact = written.filter { abs($0.scaled) >= 1 && ($0.scaled * 1_000).rounded() == $0.scaled * 1_000 }
        let (unit, scaled) = exact.min { abs($0.scaled) < abs($1.scaled) } ?? written.first { $0.unit != "ns" } ?? written[0]
        let text = scaled == scaled.rounded() && abs(scaled) < 1e15 ? String(Int64(scaled)) : String(scaled)
        return "\(text) \(unit)"
    }
}

/// `HH:MM-HH:MM` as fractional hours, start before end (24:00 allowed as an end).
func parseTimeWindow(_ text: String) -> (Double, Double)? {
    let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 2, let start = parseClock(parts[0]), let end = parseClock(parts[1]), start < end else {
        return nil
    }
    return (start, end)
}

/// `HH:MM` as fractional hours, 00:00 to 24:00.
func parseClock(_ clock: String) -> Double? {
    let fields = clock.trimmingCharacters(in: .whitespaces).split(separator: ":")
    guard fields.count == 2, let hour = Int(fields[0]), let minute = Int(fields[1]),
          (0...24).contains(hour), (0..<60).contains(minute), hour < 24 || minute == 0 else { return nil }
    return Double(hour) + Double(minute) / 60
}

/// A message about one scalar value.
struct Problem: Error {
    var message: String
}

extension Yams.Node {
    var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        }
    }
}

/// An unordered pair of regions written `a-b`.
public struct RegionPair: Hashable, Sendable {
    public var first: Region
    public var second: Region

    public init?(_ text: String) {
        let parts = text.split(separator: "-").map(String.init)
        guard parts.count == 2, let a = Region(rawValue: parts[0]), let b = Region(rawValue: parts[1]) else {
            return nil
        }
        first = min(a, b)
        second = max(a, b)
    }
}
