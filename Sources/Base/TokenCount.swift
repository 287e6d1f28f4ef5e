import Foundation

/// Parsing of the human-friendly numbers of the command line and of pipeline files.
public enum TokenCount {
    /// A token count: a plain number (`1200000`, `1.2e6`) or one with a suffix `k`, `M`, `B`/`G`, `T`
    /// (powers of 1000). `field` is the setting's snake_case name (a ``FieldError``).
    public static func parse(_ text: String, field: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let scales: [Character: Double] = ["k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12]
        var body = Substring(t), scale = 1.0
        if let last = t.last, let s = scales[last] { body = t.dropLast(); scale = s }
        guard let v = Double(body), v.isFinite, v > 0 else {
            throw FieldError(field, "'\(text)' is not a positive token count (e.g. 1200000, 1.2e6 or 1.2M)")
        }
        return v * scale
    }

    /// A positive number or fraction (`0.333`, `1/3`).
    public static func factor(_ text: String, field: String) throws -> Double {
        let s = text.trimmingCharacters(in: .whitespaces)
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        let value: Double? = parts.count == 2
            ? Double(parts[0]).flatMap { n in Double(parts[1]).map { n / $0 } }
            : Double(s)
        guard let v = value, v.isFinite, v > 0 else {
            throw FieldError(field, "'\(s)' is not a positive number or fraction")
        }
        return v
    }

    /// A budget label for folder names: `120k`, `1.2M`, `3B` (shortest exact form with a 1000-power suffix).
    public static func label(_ tokens: Int) -> String {
        for (suffix, scale) in [("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)] where Double(tokens) >= scale {
            let v = Double(tokens) / scale
            let text = String(format: "%.6g", v)
            if abs(Double(text)! * scale - Double(tokens)) < 0.5 { return text + suffix }
        }
        return String(tokens)
    }
}
