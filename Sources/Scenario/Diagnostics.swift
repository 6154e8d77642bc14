/// Where a scenario value came from: a file position, or a command-line override.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The scenario file, or `--set` for an override.
    public var file: String
    /// 1-based line (0 when unknown).
    public var line: Int
    /// 1-based column (0 when unknown).
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    /// The line and column of byte `offset` of the UTF-8 `bytes` of `file` (columns count
    /// characters).
    ///
    /// Complexity: O(offset).
    public init(ofByte offset: Int, in bytes: [UInt8], file: String) {
        precondition((0...bytes.count).contains(offset))
        let before = bytes[..<offset]
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        self.init(file: file, line: before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 },
                  column: String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1)
    }

    /// Where the value at `keys` is written in the JSON `text` of `file`: the line and column of
    /// its last key's quoted name, found by looking for each key after the one before (1:1 for
    /// no keys, the document); `nil` when a key is not found.
    ///
    /// Complexity: O(length of `text`).
    public static func ofJSONKeys(_ keys: [String], in text: String, file: String) -> SourceLocation? {
        var position = text.startIndex
        for key in keys {
            guard let found = text.range(of: "\"\(key)\"", range: position..<text.endIndex) else { return nil }
            position = found.lowerBound
        }
        return SourceLocation(ofByte: text.utf8.distance(from: text.startIndex, to: position), in: Array(text.utf8),
                              file: file)
    }
}

/// One problem in a scenario, located and naming the field.
public struct ScenarioDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// How bad a problem is.
    public enum Severity: String, Sendable {
        /// The scenario cannot be used.
        case error
        /// The scenario runs, but not as written: a value the run ignores.
        case warning
    }

    public var location: SourceLocation
    /// The dotted path of the field, e.g. `participants[1].tx_rate`.
    public var field: String
    public var message: String
    public var severity: Severity

    public init(location: SourceLocation, field: String, message: String, severity: Severity = .error) {
        self.location = location
        self.field = field
        self.message = message
        self.severity = severity
    }

    /// `file:line:column: error: field: message` (or `warning:`), the form editors and compilers use.
    public var description: String {
        "\(location): \(severity.rawValue): \(field.isEmpty ? "(document)" : field): \(message)"
    }
}

/// A scenario that cannot be used, with every problem found.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ScenarioDiagnostic]

    public init(_ diagnostics: [ScenarioDiagnostic]) {
        precondition(!diagnostics.isEmpty)
        precondition(diagnostics.allSatisfy { $0.severity == .error }, "a warning does not stop a scenario")
        self.diagnostics = diagnostics
    }

    public init(location: SourceLocation, field: String, message: String) {
        self.init([ScenarioDiagnostic(location: location, field: field, message: message)])
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// "Did you mean" support: the candidate closest to `word` by edit distance, if it is close, or
/// else the one candidate `word` is the start of.
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(word.lowercased(), candidate.lowercased())
        let limit = max(2, candidate.count / 3)
        guard distance <= limit else { continue }
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    if let best { return best.name }
    guard word.count >= 3 else { return nil }
    let extensions = candidates.filter { $0.lowercased().hasPrefix(word.lowercased()) }
    return extensions.count == 1 ? extensions[0] : nil
}

/// Levenshtein distance. Complexity: O(|a| × |b|).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
