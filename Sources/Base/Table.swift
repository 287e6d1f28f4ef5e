import Foundation

/// A CSV table: a header row of column names, then rows of text cells, each remembering its line.
///
/// Parsing follows RFC 4180: fields separated by commas, optionally enclosed in double quotes (which
/// may then contain commas, newlines and `""` for a quote); `\n` or `\r\n` line ends; blank lines are
/// skipped; a UTF-8 byte-order mark is ignored. A lone `\r` (old Mac files) also ends a line, and extra `\r`s
/// before a `\n` (`\r\r\n`) are dropped. A NUL byte anywhere is refused (``TableError/nulByte(path:line:column:)``)
/// rather than cutting a cell short. Unquoted header names are trimmed of surrounding
/// spaces, so `Model Size` and ` Model Size ` name the same column. Every row must have as many
/// fields as the header.
///
/// Hand-written rather than taken from a CSV package because every error must point at the
/// exact `file:line:column`, which needs the physical line of each record (quoted newlines included).
public struct Table: Sendable {
    /// The name used in messages (the path given).
    public let source: String
    public let columns: [String]
    /// `rows[i][j]`: the text of column `j` in data row `i`.
    public let rows: [[String]]
    /// The 1-based line on which data row `i` starts.
    public let lines: [Int]

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws -> Table {
        guard FileManager.default.fileExists(atPath: path) else { throw TableError.fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TableError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TableError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return try Table(parsing: text, source: path)
    }

    /// Parses CSV `text`; `source` names it in error messages.
    public init(parsing text: String, source: String) throws {
        self.source = source
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1
        var inQuotes = false, wasQuoted = false, quoteLine = 1
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        func endField() {
            var s = String(decoding: field, as: UTF8.self)
            if !wasQuoted { s = s.trimmingCharacters(in: .whitespaces) }
            fields.append(s)
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields.removeAll(keepingCapacity: true)
        }
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c); i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == 0 { throw TableError.nulByte(path: source, line: line, column: fields.count + 1) }
                    if c == UInt8(ascii: "\n") { line += 1 }
                    field.append(c)
                }
            } else {
                switch c {
                case UInt8(ascii: "\""):
                    if field.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                        field.removeAll(); inQuotes = true; wasQuoted = true; quoteLine = line
                    } else {
                        field.append(c)
                    }
                case UInt8(ascii: ","): endField()
                case 0:
                    throw TableError.nulByte(path: source, line: line, column: fields.count + 1)
                case UInt8(ascii: "\r"):
                    // CR LF, CR CR LF (the CRs before an LF are dropped) and a lone CR (old Mac) all end the line.
                    var j = i
                    while j < bytes.count && bytes[j] == UInt8(ascii: "\r") { j += 1 }
                    if j < bytes.count && bytes[j] == UInt8(ascii: "\n") { i = j - 1; break }
                    endRecord(); line += 1; recordLine = line
                case UInt8(ascii: "\n"):
                    endRecord(); line += 1; recordLine = line
                default:
                    if !(wasQuoted && c == UInt8(ascii: " ")) { field.append(c) }
                }
            }
            i += 1
        }
        if inQuotes { throw TableError.unterminatedQuote(path: source, line: quoteLine) }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        guard let header = records.first else { throw TableError.empty(path: source) }
        var seen = Set<String>()
        for name in header.fields where !seen.insert(name).inserted {
            throw TableError.duplicateColumn(path: source, name: name)
        }
        for r in records.dropFirst() where r.fields.count != header.fields.count {
            throw TableError.raggedRow(path: source, line: r.line, expected: header.fields.count, found: r.fields.count)
        }
        columns = header.fields
        rows = records.dropFirst().map(\.fields)
        lines = records.dropFirst().map(\.line)
    }

    /// A table of given cells: a log read from another format (Hugging Face's `trainer_state.json`), or rows
    /// picked from a parsed table. `lines[i]` is where row `i` starts in `source`; every row must have one cell per
    /// column (a precondition: the callers build them so).
    public init(source: String, columns: [String], rows: [[String]], lines: [Int]) {
        precondition(rows.count == lines.count && rows.allSatisfy { $0.count == columns.count })
        self.source = source; self.columns = columns; self.rows = rows; self.lines = lines
    }

    /// The rows at `indices` (in that order), with their lines.
    public func rows(at indices: [Int]) -> Table {
        Table(source: source, columns: columns, rows: indices.map { rows[$0] }, lines: indices.map { lines[$0] })
    }

    /// The index of column `name` (exact match), or ``TableError/missingColumn(path:name:available:)``.
    public func columnIndex(_ name: String) throws -> Int {
        let key = name.trimmingCharacters(in: .whitespaces)
        guard let j = columns.firstIndex(of: key) else {
            throw TableError.missingColumn(path: source, name: name, available: columns)
        }
        return j
    }

    /// What a numeric column's values must satisfy.
    public enum Requirement: Sendable {
        /// Any parseable number, NaN and infinities included.
        case any
        /// Finite.
        case finite
        /// Finite and `> 0` (values whose logarithm is taken).
        case positive
    }

    /// The values of column `name` as `Double`s; an empty or non-numeric cell, or a value violating
    /// `requirement`, throws an error naming `file:line:column`.
    public func doubles(_ name: String, _ requirement: Requirement = .finite) throws -> [Double] {
        let j = try columnIndex(name)
        let column = columns[j]
        return try rows.indices.map { i in
            let cell = rows[i][j]
            if cell.isEmpty { throw TableError.emptyCell(path: source, line: lines[i], column: j + 1, name: column) }
            guard let v = Double(cell.trimmingCharacters(in: .whitespaces)) else {
                throw TableError.notANumber(path: source, line: lines[i], column: j + 1, name: column, cell: cell)
            }
            switch requirement {
            case .any: break
            case .finite where !v.isFinite:
                throw TableError.outOfDomain(path: source, line: lines[i], column: j + 1, name: column, value: v,
                                             requirement: "finite")
            case .positive where !(v.isFinite && v > 0):
                throw TableError.outOfDomain(path: source, line: lines[i], column: j + 1, name: column, value: v,
                                             requirement: "finite and positive (its logarithm is taken)")
            default: break
            }
            return v
        }
    }

    /// The text cells of column `name`.
    public func strings(_ name: String) throws -> [String] {
        let j = try columnIndex(name)
        return rows.map { $0[j] }
    }
}
