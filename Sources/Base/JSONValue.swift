/// A JSON value whose objects keep their keys in insertion order, so machine output reads in the
/// documented order (`law`, `params`, `objective`, ...). Non-finite numbers are written as `null`.
public indirect enum JSONValue: Sendable, Equatable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (l: JSONValue, r: JSONValue) -> Bool { l.serialized() == r.serialized() }

    /// Compact JSON text (one line). Doubles use Swift's shortest round-trip form.
    public func serialized() -> String {
        var out = ""
        _write(into: &out)
        return out
    }

    func _write(into out: inout String) {
        switch self {
        case .number(let v):
            if v.isFinite {
                if v == v.rounded() && abs(v) < 1e15 { out += String(Int64(v)) } else { out += "\(v)" }
            } else {
                out += "null"
            }
        case .integer(let v): out += String(v)
        case .string(let s): Self._escape(s, into: &out)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += ", " }
                v._write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += ", " }
                Self._escape(k, into: &out)
                out += ": "
                v._write(into: &out)
            }
            out += "}"
        }
    }

    /// `s` as a JSON string literal: quotes, backslashes and control characters escaped (`\n`, `\r`, `\t`,
    /// else `\u00XX`), everything else as is. The project's one JSON string escaper.
    public static func quoted(_ s: String) -> String {
        var out = ""
        _escape(s, into: &out)
        return out
    }

    static func _escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
