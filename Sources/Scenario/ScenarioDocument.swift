import GridCore
import Yams

/// Edits of a scenario's YAML document, for tools that rewrite scenarios (`gridsim shrink`,
/// `gridsim draw`).
public enum ScenarioDocument {
    /// `document` with the mapping value at `path` set to `value` (mappings created as needed).
    public static func setting(_ path: ArraySlice<String>, to value: Yams.Node, in document: Yams.Node) -> Yams.Node {
        guard let key = path.first else { return value }
        var mapping = document.mapping ?? Yams.Node.Mapping([])
        mapping[key] = setting(path.dropFirst(), to: value, in: mapping[key] ?? .mapping(Yams.Node.Mapping([])))
        return .mapping(mapping)
    }

    /// `document` without the value at `path`; the same document when it has none.
    public static func removing(_ path: ArraySlice<String>, from document: Yams.Node) -> Yams.Node {
        guard let key = path.first, var mapping = document.mapping, let child = mapping[key] else { return document }
        mapping[key] = path.count == 1 ? nil : removing(path.dropFirst(), from: child)
        return .mapping(mapping)
    }

    /// A mapping of `pairs`, in their order.
    static func object(_ pairs: [(String, Yams.Node)]) -> Yams.Node {
        .mapping(Yams.Node.Mapping(pairs.map { (Yams.Node($0.0), $0.1) }))
    }

    /// A duration, exactly: whole nanoseconds.
    static func duration(_ duration: SimDuration) -> Yams.Node { Yams.Node("\(duration.nanoseconds) ns") }

    /// A point in simulated time as the duration since the start, exactly.
    static func time(_ time: SimTime) -> Yams.Node { Yams.Node("\(time.nanoseconds) ns") }

    /// Basis points as a percentage, exactly (the loader rounds to whole basis points).
    static func percent(_ share: BasisPoints) -> Yams.Node { Yams.Node("\(Double(share.rawValue) / 100) %") }

    /// Micro-tokens as tokens, exactly (the loader rounds to whole micro-tokens).
    static func tokens(_ amount: MicroTokens) -> Yams.Node { Yams.Node("\(Double(amount.rawValue) / 1e6) tokens") }

    /// A rate a second, exactly: Swift writes the shortest text that reads back as the same number.
    static func rate(_ perSecond: Double) -> Yams.Node { Yams.Node("\(perSecond) /s") }

    /// A list of `items`.
    static func list(_ items: [Yams.Node]) -> Yams.Node { Yams.Node(items) }

    static func integer(_ value: Int) -> Yams.Node { Yams.Node(String(value)) }

    static func regions(_ regions: [Region]) -> Yams.Node { list(regions.map { Yams.Node($0.rawValue) }) }
}
