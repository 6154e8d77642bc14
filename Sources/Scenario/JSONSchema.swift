import Foundation
import GridCore
import Yams

/// The scenario format as a JSON Schema (draft 2020-12), generated from the same field table the
/// validator uses, so editors can complete and check scenario files.
public enum JSONSchemaExport {
    public static func scenario() -> [String: Any] {
        var schema = object(ScenarioSchema.root)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = "https://gridtokenx-sim/scenario.schema.json"
        schema["title"] = "GridTokenX Simulator scenario"
        return schema
    }

    /// Pretty, key-sorted JSON text.
    public static func text(_ schema: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: schema,
                                               options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    private static func object(_ fields: [Field]) -> [String: Any] {
        var properties: [String: Any] = [:]
        var required: [String] = []
        for field in fields {
            var property = type(field.type)
            property["description"] = field.doc
            switch field.requirement {
            case .required: required.append(field.name)
            case .optional: break
            case .defaultValue(let text): property["default"] = jsonValue(ofYAML: text)
            }
            properties[field.name] = property
        }
        var result: [String: Any] = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { result["required"] = required }
        return result
    }

    /// A default written in YAML as the JSON value an editor would insert.
    private static func jsonValue(ofYAML text: String) -> Any {
        func convert(_ node: Yams.Node) -> Any {
            switch node {
            case .scalar:
                if let integer = node.int { return integer }
                if let number = node.float { return number }
                if let flag = node.bool { return flag }
                return node.string ?? ""
            case .sequence(let items): return items.map(convert)
            case .mapping(let pairs):
                return Dictionary(uniqueKeysWithValues: pairs.map { ($0.key.string ?? "", convert($0.value)) })
            case .alias: return ""
            }
        }
        guard let node = try? Yams.compose(yaml: text) else { return text }
        return convert(node)
    }

    private static func type(_ type: FieldType) -> [String: Any] {
        switch type {
        case .integer(let range):
            return ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound]
        case .number(let range):
            return ["type": "number", "minimum": range.lowerBound, "maximum": range.upperBound]
        case .boolean:
            return ["type": "boolean"]
        case .string:
            return ["type": "string"]
        case .choice(let words):
            return ["enum": words]
        case .region:
            return ["enum": Region.allCases.map(\.rawValue)]
        case .quantity(let kind, _):
            let units = kind.unitList.replacingOccurrences(of: ", ", with: "|")
                .replacingOccurrences(of: "/", with: "\\/")
            return ["type": "string", "pattern": "^\\s*[-+]?[0-9_.eE+-]+\\s*(\(units.replacingOccurrences(of: ".", with: "\\.")))\\s*$",
                    "examples": [kind.example]]
        case .list(let element, let minCount, let maxCount):
            var array: [String: Any] = ["type": "array", "items": self.type(element), "minItems": minCount]
            if maxCount < .max { array["maxItems"] = maxCount }
            return array
        case .object(let fields) where fields.contains(where: { $0.name == "enabled" }):
            return ["anyOf": [["type": "boolean"], object(fields)]]
        case .object(let fields):
            return object(fields)
        case .regionPairMap(let value):
            let names = Region.allCases.map(\.rawValue).joined(separator: "|")
            return ["type": "object", "patternProperties": ["^(\(names))-(\(names))$": self.type(value)],
                    "additionalProperties": false]
        case .target:
            let metrics = TargetMetric.catalogue.map(\.name).joined(separator: "|").replacingOccurrences(of: ".", with: "\\.")
            return ["type": "string", "pattern": "^(\(metrics))\\s+(<|<=|>|>=)\\s+\\S.*$",
                    "examples": ["tps >= 1000", "finality.p99 < 15 s"]]
        case .regionPair:
            let names = Region.allCases.map(\.rawValue).joined(separator: "|")
            return ["type": "string", "pattern": "^(\(names))-(\(names))$"]
        case .timeWindow:
            return ["type": "string", "pattern": "^\\d{1,2}:\\d{2}(-\\d{1,2}:\\d{2})?$", "examples": ["18:00-22:00", "11:00"]]
        }
    }
}
