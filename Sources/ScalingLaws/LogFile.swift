import Base
import Foundation

/// The logs `autoscale fit` reads, as a ``Table``: a CSV file (any trainer's, `autoscale train`'s `log.csv`),
/// Hugging Face Trainer's `trainer_state.json`, or `-` for standard input holding either.
///
/// The form is told by the content, not the name: a file whose first character (after a UTF-8 byte-order mark and
/// white space) is `{` is a trainer state, anything else CSV. A trainer state's `log_history` (a list of objects,
/// one per logging, evaluation or summary event: `{"step": 10, "loss": 2.3, "learning_rate": ...}`,
/// `{"step": 10, "eval_loss": 2.5, ...}`) becomes one row per entry with a column per key of any entry (sorted, as
/// transformers writes them): numbers as written in the file (so a cell parses to the same Double as the same text
/// in a CSV, correctly rounded: Foundation's JSON parser is not), `true`/`false`, strings as they are, and an
/// empty cell where the entry has no such key or `null`. Python's `NaN`, `Infinity` and `-Infinity` (which
/// `json.dumps` writes, e.g. for a diverged `grad_norm`) are read as `nan`, `inf` and `-inf` cells, so a fit that
/// uses them names them. A row's line is the line of the file where its entry starts, so errors read
/// `trainer_state.json:57:4: column "eval_loss": ...` (the column: the key's place among the sorted keys).
public enum LogFile {
    /// The name standard input goes by in messages.
    public static let standardInputName = "<stdin>"

    /// Reads `path` (`-`: standard input to its end).
    public static func read(path: String) throws -> Table {
        if path != "-" {
            let url = URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: path) else { throw TableError.fileNotFound(path: path) }
            do { return try parse(Data(contentsOf: url), source: path) } catch let e as TableError { throw e } catch {
                throw TableError.unreadable(path: path, reason: error.localizedDescription)
            }
        }
        return try parse(FileHandle.standardInput.readDataToEndOfFile(), source: standardInputName)
    }

    /// Parses the bytes of a log (either form); `source` names it in messages.
    public static func parse(_ data: Data, source: String) throws -> Table {
        let bytes = [UInt8](data)
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "{") {
            return try trainerState(Array(bytes[i...]), source: source, lineOffset: lineCount(bytes[..<i]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TableError.unreadable(path: source, reason: "not UTF-8 text")
        }
        return try Table(parsing: text, source: source)
    }

    static func lineCount(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }

    /// The `log_history` of a trainer state (`bytes` starting at its `{`, which is on line `lineOffset + 1`).
    static func trainerState(_ bytes: [UInt8], source: String, lineOffset: Int) throws -> Table {
        func bad(_ reason: String) -> TableError { .unreadable(path: source, reason: reason) }
        let scan = scanTrainerState(bytes)
        guard let root = (try? JSONSerialization.jsonObject(with: Data(scan.json))) as? [String: Any] else {
            throw bad("not valid JSON (a file starting with '{' is read as a Hugging Face trainer_state.json)")
        }
        guard let history = root["log_history"] as? [Any] else {
            throw bad("no \"log_history\" list (expected a Hugging Face trainer_state.json)")
        }
        var entries: [[String: Any]] = []
        for (k, item) in history.enumerated() {
            guard let e = item as? [String: Any] else { throw bad("log_history[\(k)] is not an object") }
            entries.append(e)
        }
        let columns = Set(entries.flatMap(\.keys)).sorted()
        let rows = entries.map { e in columns.map { e[$0].map(cell) ?? "" } }
        let lines = scan.entryLines.count == entries.count
            ? scan.entryLines.map { $0 + lineOffset } : entries.indices.map { _ in lineOffset + 1 }
        return Table(source: source, columns: columns, rows: rows, lines: lines)
    }

    /// A JSON value's cell text (numbers arrive as their text: ``scanTrainerState(_:)``).
    static func cell(_ v: Any) -> String {
        switch v {
        case is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber: return n.boolValue ? "true" : "false"
        case is [Any]: return "(list)"
        default: return "(object)"
        }
    }

    /// One pass over the JSON text: every number outside strings replaced by a string of its text, Python's bare
    /// `NaN`, `Infinity`, `-Infinity` by `"nan"`, `"inf"`, `"-inf"`, and the 1-based line of each `{` that opens an
    /// entry of the top-level `log_history` list.
    static func scanTrainerState(_ b: [UInt8]) -> (json: [UInt8], entryLines: [Int]) {
        var out: [UInt8] = [], lines: [Int] = []
        out.reserveCapacity(b.count + b.count / 4)
        var i = 0, line = 1, depth = 0, lastKey: [UInt8] = [], historyDepth: Int?
        let marks: [([UInt8], String)] = [(Array("NaN".utf8), "nan"), (Array("Infinity".utf8), "inf"),
                                          (Array("-Infinity".utf8), "-inf")]
        let numberBytes = Set("0123456789+-.eE".utf8)
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < b.count, b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
                let end = min(j, b.count - 1)
                if depth == 1 { lastKey = Array(b[(i + 1)..<max(i + 1, end)]) }
                for x in b[i...end] where x == 0x0A { line += 1 }
                out += b[i...end]
                i = end + 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if c == UInt8(ascii: "{"), let h = historyDepth, depth == h { lines.append(line) }
                if c == UInt8(ascii: "["), depth == 1, historyDepth == nil, lastKey == Array("log_history".utf8) {
                    historyDepth = 2
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if let h = historyDepth, depth < h { historyDepth = -1 }
            case 0x0A: line += 1
            default:
                if let (token, text) = marks.first(where: { b[i...].starts(with: $0.0) }) {
                    out += Array("\"\(text)\"".utf8)
                    i += token.count
                    continue
                }
                if c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                    var j = i
                    while j < b.count, numberBytes.contains(b[j]) { j += 1 }
                    out.append(UInt8(ascii: "\""))
                    out += b[i..<j]
                    out.append(UInt8(ascii: "\""))
                    i = j
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return (out, lines)
    }
}
