import Foundation
import Reporting
import Scenario

/// The report at `path` (a `report.json`, or a run folder holding one), and the file read;
/// exits 2 with the file named when it cannot be read.
func readReport(_ path: String) throws -> (report: Report, file: String) {
    var isDirectory: ObjCBool = false
    let isFolder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    let file = isFolder ? (path as NSString).appendingPathComponent("report.json") : path
    guard let data = FileManager.default.contents(atPath: file) else {
        printError("\(file):0:0: error: report: no such file, or it cannot be read")
        throw ExitStatus.badInput.exitCode
    }
    do {
        return (try Report.decode(data), file)
    } catch {
        if isUnplacedDataError(error), let (location, problem) = placeUnplacedDataError(in: data, file: file) {
            printError("\(location): error: report: not a report.json: \(problem)")
            throw ExitStatus.badInput.exitCode
        }
        let (problem, path) = describe(error)
        let keys = path.filter { $0.intValue == nil }.map { snakeCase($0.stringValue) }
        let location = SourceLocation.ofJSONKeys(keys, in: String(decoding: data, as: UTF8.self), file: file)
            ?? SourceLocation(file: file, line: 0, column: 0)
        printError("\(location): error: report: not a report.json: \(problem)")
        throw ExitStatus.badInput.exitCode
    }
}

/// Whether `error` is the one Foundation's decoder gives, without a coding path, both for text
/// that is not JSON and for a number its field cannot hold (1e30 or 2.5 where a count belongs).
private func isUnplacedDataError(_ error: any Error) -> Bool {
    guard case .dataCorrupted(let context)? = error as? DecodingError else { return false }
    return context.codingPath.isEmpty
}

/// Where the report `data` goes wrong when the decoder could not say: the character
/// `JSONSerialization` stops at if it is not JSON; otherwise the first number that does not
/// fit its field, found by ``firstMisfitNumber(in:stillFails:)``. `nil` if neither is found.
private func placeUnplacedDataError(in data: Data, file: String) -> (SourceLocation, String)? {
    let bytes = Array(data)
    do {
        _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
        let said = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        guard let offset = said.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .punctuationCharacters)) }),
              offset <= bytes.count else { return nil }
        return (SourceLocation(ofByte: offset, in: bytes, file: file), "not JSON: \(said)")
    }
    let misfit = firstMisfitNumber(in: bytes) { changed in
        do { _ = try Report.decode(Data(changed)) } catch { return isUnplacedDataError(error) }
        return false
    }
    guard let misfit else { return nil }
    let number = String(decoding: bytes[misfit.bytes], as: UTF8.self)
    return (SourceLocation(ofByte: misfit.bytes.lowerBound, in: bytes, file: file),
            "`\(misfit.path)`: \(number) does not fit its field (a fraction, an exponent, a sign or more than 64 bits "
            + "where a whole number belongs)")
}

/// A number in a JSON text: its bytes, and the path to it as the report's errors spell one
/// (`shards.[0].tps`).
private struct JSONNumber {
    var bytes: Range<Int>
    var path: String
}

/// The first number in the JSON `bytes` without which `stillFails` no longer fails: of the
/// numbers a whole-number field may refuse (with a fraction, an exponent, a sign, or 19 digits
/// or more), the first whose replacement by `0`, with every such number after it, lets the
/// text through. Found by bisection, as `stillFails` holds while any refused number is left.
///
/// Complexity: O(n + d log n), for n bytes and d the cost of one call of `stillFails`.
private func firstMisfitNumber(in bytes: [UInt8], stillFails: ([UInt8]) -> Bool) -> JSONNumber? {
    let suspects = jsonNumbers(in: bytes).filter { number in
        let token = bytes[number.bytes]
        return token.contains(where: { "-+.eE".utf8.contains($0) }) || token.count >= 19
    }
    // The text with the suspects from `first` on written as 0.
    func neutralized(from first: Int) -> [UInt8] {
        var changed = bytes
        for suspect in suspects[first...].reversed() { changed.replaceSubrange(suspect.bytes, with: [UInt8(ascii: "0")]) }
        return changed
    }
    guard !suspects.isEmpty, !stillFails(neutralized(from: 0)) else { return nil }
    var low = 1, high = suspects.count
    while low < high {
        let middle = (low + high) / 2
        if stillFails(neutralized(from: middle)) { high = middle } else { low = middle + 1 }
    }
    return suspects[low - 1]
}

/// Every number in the JSON `bytes` (which `JSONSerialization` read), in order, with its path.
///
/// Complexity: O(n × d) for n bytes nested at most d deep.
private func jsonNumbers(in bytes: [UInt8]) -> [JSONNumber] {
    /// An open object (the member being read, and whether a name comes next) or array (the
    /// element's index).
    enum Container {
        case object(key: String, expectingKey: Bool)
        case array(index: Int)
    }
    var open: [Container] = []
    var numbers: [JSONNumber] = []
    var index = 0
    func path() -> String {
        open.map { container in
            switch container {
            case .object(let key, _): key
            case .array(let index): "[\(index)]"
            }
        }.joined(separator: ".")
    }
    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""):
            let start = index + 1
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            if case .object(_, true)? = open.last {
                open[open.count - 1] = .object(key: String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self),
                                               expectingKey: false)
            }
            index += 1
        case UInt8(ascii: "{"):
            open.append(.object(key: "", expectingKey: true))
            index += 1
        case UInt8(ascii: "["):
            open.append(.array(index: 0))
            index += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            _ = open.popLast()
            index += 1
        case UInt8(ascii: ","):
            switch open.last {
            case .object(let key, _)?: open[open.count - 1] = .object(key: key, expectingKey: true)
            case .array(let element)?: open[open.count - 1] = .array(index: element + 1)
            case nil: break
            }
            index += 1
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            while index < bytes.count, "-+.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
            numbers.append(JSONNumber(bytes: start..<index, path: path()))
        default:
            index += 1
        }
    }
    return numbers
}

/// A decoding error as the field it concerns, as `report.json` spells it, and what is wrong
/// there; with the coding path of the value (for a missing key, of the object that lacks it).
private func describe(_ error: any Error) -> (problem: String, path: [any CodingKey]) {
    func field(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the document" : "`" + path.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".") + "`"
    }
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?:
        return ("\(field(context.codingPath + [key])) is missing", context.codingPath)
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
        return ("\(field(context.codingPath)): \(context.debugDescription)", context.codingPath)
    case .dataCorrupted(let context)? where context.codingPath.isEmpty:
        // Foundation's decoder also calls a number it cannot hold (1e30 where a count belongs) invalid JSON;
        // `placeUnplacedDataError` finds which, and this is said only when it cannot.
        return ("not JSON, or a number that does not fit its field (a fraction, an exponent or more than 64 bits "
                + "where a whole number belongs)", [])
    case .dataCorrupted(let context)?:
        return ("\(field(context.codingPath)): \(context.debugDescription)", context.codingPath)
    default: return ("\(error)", [])
    }
}

/// `report.json`'s spelling of a coding key: `byKind` is written `by_kind`.
private func snakeCase(_ key: String) -> String {
    key.reduce(into: "") { spelled, character in
        if character.isUppercase { spelled += "_" + character.lowercased() } else { spelled.append(character) }
    }
}
