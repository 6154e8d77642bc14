import Foundation

/// A comparison in a target.
public enum TargetComparison: String, Sendable, CaseIterable {
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="

    /// Whether `measured` satisfies the comparison against `threshold`.
    public func holds(_ measured: Double, _ threshold: Double) -> Bool {
        switch self {
        case .lessThan: measured < threshold
        case .lessOrEqual: measured <= threshold
        case .greaterThan: measured > threshold
        case .greaterOrEqual: measured >= threshold
        }
    }
}

/// A metric a target can name, and the dimension of its values.
public struct TargetMetric: Sendable {
    public var name: String
    /// `nil` for plain counts and ratios without a unit.
    public var dimension: QuantityKind?
    public var doc: String

    /// Every metric targets may name.
    public static let catalogue: [TargetMetric] = {
        var metrics = [
            TargetMetric(name: "tps", dimension: nil,
                         doc: "finalized transactions per simulated second after warm-up"),
        ]
        let stages = [("admission", "mempool"), ("inclusion", "proposed block"), ("finality", "commit"),
                      ("match", "the order's first trade committed"), ("settlement", "the order's first settlement committed")]
        for (stage, end) in stages {
            for statistic in ["p50", "p90", "p99", "p999", "max"] {
                metrics.append(TargetMetric(name: "\(stage).\(statistic)", dimension: .duration,
                                            doc: "\(statistic) of \(stage) latency (submit to \(end))"))
            }
        }
        metrics.append(TargetMetric(name: "rejected_share", dimension: .percent,
                                    doc: "share of submitted transactions rejected"))
        return metrics
    }()

    public static func named(_ name: String) -> TargetMetric? {
        catalogue.first { $0.name == name }
    }
}

/// A parsed target such as `finality.p99 < 15 s`.
public struct TargetSpec: Sendable, CustomStringConvertible {
    public var metric: String
    public var comparison: TargetComparison
    /// The threshold in the metric's stored unit (nanoseconds for latencies, basis points for
    /// shares, a plain number otherwise).
    public var threshold: Double
    /// As written.
    public var text: String

    public var description: String { text }

    /// Parses `metric op value [unit]`, or explains what is wrong.
    public static func parse(_ text: String) -> Result<TargetSpec, TargetParseError> {
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3 else { return .failure(.shape(text)) }
        guard let metric = TargetMetric.named(parts[0]) else {
            return .failure(.unknownMetric(parts[0], suggestion: closestMatch(
                to: parts[0], among: TargetMetric.catalogue.map(\.name))))
        }
        guard let comparison = TargetComparison(rawValue: parts[1]) else {
            return .failure(.comparison(parts[1]))
        }
        let threshold: Double
        if let dimension = metric.dimension {
            switch dimension.parse(parts[2]) {
            case .success(let value): threshold = value
            case .failure(let error): return .failure(.value(error.description))
            }
        } else {
            let valueText = parts[2].split(separator: " ").first.map(String.init) ?? parts[2]
            let rest = parts[2].dropFirst(valueText.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(valueText.replacingOccurrences(of: "_", with: "")),
                  rest.isEmpty || rest == "tx/s" || rest == "/s" else {
                return .failure(.value("'\(parts[2])' is not a number"))
            }
            threshold = value
        }
        return .success(TargetSpec(metric: metric.name, comparison: comparison, threshold: threshold, text: text))
    }
}

/// Why a target did not parse.
public enum TargetParseError: Error, Sendable, CustomStringConvertible {
    case shape(String)
    case unknownMetric(String, suggestion: String?)
    case comparison(String)
    case value(String)

    public var description: String {
        switch self {
        case .shape(let text):
            "'\(text)' is not 'metric op value', e.g. 'finality.p99 < 15 s'"
        case .unknownMetric(let name, let suggestion):
            "unknown metric '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case .comparison(let op):
            "'\(op)' is not a comparison; use one of " + TargetComparison.allCases.map(\.rawValue).joined(separator: " ")
        case .value(let message):
            message
        }
    }
}
