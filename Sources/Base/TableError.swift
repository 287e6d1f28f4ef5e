import Foundation

/// Errors from reading a CSV table, each a single line that names the file and, where there is one,
/// the line, the column (1-based field number) and the column's name.
public enum TableError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case unterminatedQuote(path: String, line: Int)
    case raggedRow(path: String, line: Int, expected: Int, found: Int)
    case duplicateColumn(path: String, name: String)
    case missingColumn(path: String, name: String, available: [String])
    case emptyCell(path: String, line: Int, column: Int, name: String)
    case notANumber(path: String, line: Int, column: Int, name: String, cell: String)
    case outOfDomain(path: String, line: Int, column: Int, name: String, value: Double, requirement: String)
    /// A NUL byte (binary data, or a cell such as `3\0garbage` that a C reader would cut to `3`).
    case nulByte(path: String, line: Int, column: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .unreadable(let p, let why): return "\(p): cannot read: \(why)"
        case .empty(let p): return "\(p): empty file (expected a header row of column names)"
        case .unterminatedQuote(let p, let l): return "\(p):\(l): unterminated quoted field"
        case .raggedRow(let p, let l, let e, let f):
            return "\(p):\(l): row has \(f) field\(f == 1 ? "" : "s"), the header has \(e)"
        case .duplicateColumn(let p, let n):
            return "\(p):1: column \"\(Self.visible(n))\" appears more than once in the header"
        case .missingColumn(let p, let n, let a):
            return "\(p): no column \"\(Self.visible(n))\"; available columns: "
                + a.map { "\"\(Self.visible($0))\"" }.joined(separator: ", ")
        case .emptyCell(let p, let l, let c, let n): return "\(p):\(l):\(c): empty cell in column \"\(n)\""
        case .notANumber(let p, let l, let c, let n, let cell):
            return "\(p):\(l):\(c): column \"\(n)\": \"\(Self.visible(cell))\" is not a number"
        case .outOfDomain(let p, let l, let c, let n, let v, let req):
            return "\(p):\(l):\(c): column \"\(n)\": \(v) is not \(req)"
        case .nulByte(let p, let l, let c): return "\(p):\(l):\(c): NUL byte (binary data in a CSV file)"
        }
    }

    /// `text` with control characters shown as escapes (`\r`, `\u{1}`), cut to 60 characters: a message never
    /// echoes a raw carriage return or a whole file.
    public static func visible(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out += u.value < 0x20 || u.value == 0x7F ? "\\u{\(String(u.value, radix: 16))}" : String(u)
            }
        }
        return out.count > 60 ? String(out.prefix(60)) + "..." : out
    }

    public var errorDescription: String? { description }
}
