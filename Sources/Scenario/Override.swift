import Foundation
import Yams

/// A `--set key.path=value` command-line override. The path uses dots between fields and
/// `[i]` or `.i` for list items (`participants[0].count=5`); the value is YAML
/// (`validators.regions=[bangkok, east]`). It replaces the value in the document before
/// validation, so it is checked exactly like the file.
struct Override {
    enum Step {
        case key(String)
        case index(Int)
    }

    var steps: [Step]
    var valueText: String

    /// The path as the schema validator names it, e.g. `participants[0].count`.
    var fieldPath: String {
        var text = ""
        for step in steps {
            switch step {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    static func parse(_ text: String) -> Result<Override, OverrideError> {
        guard let equals = text.firstIndex(of: "=") else {
            return .failure(OverrideError(message: "an override is key.path=value, e.g. run.duration=30s"))
        }
        let pathText = text[..<equals].trimmingCharacters(in: .whitespaces)
        let valueText = String(text[text.index(after: equals)...])
        var steps: [Step] = []
        for segment in pathText.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(segment)
            guard !rest.isEmpty else { return .failure(OverrideError(message: "empty field name in '\(pathText)'")) }
            if let bracket = rest.firstIndex(of: "[") {
                let key = rest[..<bracket]
                if !key.isEmpty { steps.append(.key(String(key))) }
                rest = rest[bracket...]
                while rest.hasPrefix("[") {
                    guard let close = rest.firstIndex(of: "]"),
                          let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0 else {
                        return .failure(OverrideError(message: "bad list index in '\(pathText)'"))
                    }
                    steps.append(.index(index))
                    rest = rest[rest.index(after: close)...]
                }
                guard rest.isEmpty else { return .failure(OverrideError(message: "bad field path '\(pathText)'")) }
            } else if let index = Int(rest) {
                steps.append(.index(index))
            } else {
                steps.append(.key(String(rest)))
            }
        }
        guard case .key? = steps.first else { return .failure(OverrideError(message: "an override path starts with a field name")) }
        return .success(Override(steps: steps, valueText: valueText))
    }

    /// The document with this override applied.
    func apply(to document: Yams.Node?, schema: [Field]) throws -> Yams.Node {
        let value: Yams.Node
        do {
            value = try Yams.compose(yaml: valueText) ?? Yams.Node("")
        } catch {
            throw OverrideError(message: "the value '\(valueText)' is not valid YAML")
        }
        return try replace(in: document ?? Yams.Node([(Yams.Node, Yams.Node)]()), steps: steps[...], with: value,
                           type: .object(schema))
    }

    private func replace(in node: Yams.Node, steps: ArraySlice<Step>, with value: Yams.Node,
                         type: FieldType) throws -> Yams.Node {
        guard let step = steps.first else { return value }
        switch (step, type) {
        case (.key(let key), .object(let fields)):
            guard let field = fields.first(where: { $0.name == key }) else {
                let suggestion = closestMatch(to: key, among: fields.map(\.name))
                throw OverrideError(message: "unknown field '\(key)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
            }
            var mapping = node.mapping ?? Yams.Node.Mapping([])
            let child = mapping[key] ?? Yams.Node([(Yams.Node, Yams.Node)]())
            mapping[key] = try replace(in: child, steps: steps.dropFirst(), with: value, type: field.type)
            return .mapping(mapping)
        case (.key(let key), .regionPairMap(let valueType)):
            var mapping = node.mapping ?? Yams.Node.Mapping([])
            let child = mapping[key] ?? Yams.Node("")
            mapping[key] = try replace(in: child, steps: steps.dropFirst(), with: value, type: valueType)
            return .mapping(mapping)
        case (.index(let index), .list(let element, _, _)):
            guard var sequence = node.sequence, index < sequence.count else {
                throw OverrideError(message: "list has no item \(index)")
            }
            let item = sequence[index]
            let replaced = try replace(in: item, steps: steps.dropFirst(), with: value, type: element)
            sequence.replaceSubrange(index..<(index + 1), with: [replaced])
            return .sequence(sequence)
        case (.index, _):
            throw OverrideError(message: "not a list: cannot take item \(fieldPath)")
        case (.key(let key), _):
            throw OverrideError(message: "'\(key)' is inside a value that has no fields")
        }
    }
}

struct OverrideError: Error {
    var message: String
}
