import Foundation
import Scenario
import Testing
import Yams

/// A seeded generator for the mutations (SplitMix64): the same cases in every run.
struct MutationRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0)
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((mixed ^ (mixed >> 31)) % UInt64(bound))
    }
}

/// Random edits of a YAML document: a value replaced by an awkward one, a key or item removed, an
/// item repeated, a value wrapped in a list.
struct DocumentMutator {
    /// Values that are wrong, extreme or at the edge for most fields.
    static let awkwardValues = ["0", "-1", "1", "1e300", "1e-12", "9223372036854775807", "0.5", "\"\"", "x", "[]", "{}",
                                "true", "0 s", "1 ns", "1e12 h", "0 %", "250 %", "1e-12 /s", "1e9 /s", "0 MW", "1e12 GW",
                                "[0, 0]", "[5, 1]", "[[bangkok], [bangkok]]", "\"24:00\"", "~"]

    var random: MutationRandom

    /// `document` with one to three edits.
    mutating func mutate(_ document: Yams.Node) throws -> Yams.Node {
        var result = document
        for _ in 0...random.next(below: 3) {
            let paths = Self.paths(in: result).dropFirst()  // not the document itself
            guard !paths.isEmpty else { break }
            result = try edit(result, at: paths[paths.startIndex + random.next(below: paths.count)][...]) ?? result
        }
        return result
    }

    /// Every value's place: a list of mapping keys and sequence indexes.
    static func paths(in node: Yams.Node, under path: [Yams.Node] = []) -> [[Yams.Node]] {
        switch node {
        case .mapping(let mapping):
            return [path] + mapping.flatMap { paths(in: $0.value, under: path + [$0.key]) }
        case .sequence(let sequence):
            return [path] + sequence.enumerated().flatMap { paths(in: $0.element, under: path + [Yams.Node(String($0.offset))]) }
        default:
            return [path]
        }
    }

    /// `node` with the value at `path` edited; `nil` when the edit removes `node` itself.
    private mutating func edit(_ node: Yams.Node, at path: ArraySlice<Yams.Node>) throws -> Yams.Node? {
        guard let step = path.first else {
            switch random.next(below: 4) {
            case 0: return nil
            case 1: return .sequence(Yams.Node.Sequence([node]))
            default:
                let value = Self.awkwardValues[random.next(below: Self.awkwardValues.count)]
                return try Yams.compose(yaml: value) ?? Yams.Node("")
            }
        }
        switch node {
        case .mapping(let mapping):
            var pairs = mapping.map { ($0.key, $0.value) }
            guard let index = pairs.firstIndex(where: { $0.0 == step }) else { return node }
            if let edited = try edit(pairs[index].1, at: path.dropFirst()) {
                pairs[index].1 = edited
            } else {
                pairs.remove(at: index)
            }
            return .mapping(Yams.Node.Mapping(pairs))
        case .sequence(let sequence):
            var items = Array(sequence)
            guard let index = step.int, items.indices.contains(index) else { return node }
            if path.count == 1, random.next(below: 4) == 0 {
                items.append(items[index])
            } else if let edited = try edit(items[index], at: path.dropFirst()) {
                items[index] = edited
            } else {
                items.remove(at: index)
            }
            return .sequence(Yams.Node.Sequence(items))
        default:
            return node
        }
    }
}

/// Bad input gets a located error, never a crash: seeded random edits of every library scenario
/// and of the grid data file either load or are refused with a `ScenarioError` whose every
/// problem names a field and says what is wrong. (A 25th hourly load factor in the grid data
/// stopped the tool on a precondition until 2026-12-07; a fuzzer run outside the tests found it.)
@Suite struct ScenarioMutationTests {
    static let mutationsPerFile = 150

    /// Parses `count` edits of the file at `path` with `parse`; every refusal must be a
    /// `ScenarioError` whose problems name a field and a line. Returns how many were refused.
    private func editsRefused(of path: String, seed: UInt64, count: Int, parse: (String) throws -> Void) throws -> Int {
        let original = try #require(try Yams.compose(yaml: try String(contentsOfFile: path, encoding: .utf8)))
        var mutator = DocumentMutator(random: MutationRandom(seed: seed))
        var refused = 0
        for _ in 0..<count {
            let text = try Yams.serialize(node: try mutator.mutate(original))
            do {
                try parse(text)
            } catch let error as ScenarioError {
                refused += 1
                for problem in error.diagnostics {
                    #expect(!problem.message.isEmpty && !problem.field.isEmpty, "\(problem)\n\(text)")
                    #expect(problem.location.line > 0 || problem.message.contains("cannot read"), "\(problem)\n\(text)")
                }
            }
        }
        return refused
    }

    @Test(arguments: libraryScenarios)
    func anEditedScenarioLoadsOrIsRefusedWithLocatedProblems(name: String) throws {
        let path = scenarioPath(name)
        let refused = try editsRefused(of: path, seed: UInt64(name.utf8.count), count: Self.mutationsPerFile) {
            _ = try ScenarioLoader.parse($0, path: path)
        }
        #expect(refused > Self.mutationsPerFile / 4, "more than a quarter of the awkward edits are refused: \(refused)")
    }

    @Test func anEditedGridDataFileLoadsOrIsRefusedWithLocatedProblems() throws {
        let path = scenarioPath("data/thai-grid.yaml")
        let refused = try editsRefused(of: path, seed: 24, count: 4 * Self.mutationsPerFile) {
            _ = try GridDataLoader.parse($0, path: path)
        }
        #expect(refused > Self.mutationsPerFile, "more than a quarter of the awkward edits are refused: \(refused)")
    }
}
