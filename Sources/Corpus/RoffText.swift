/// A small, deterministic roff-to-text converter for man(7) and mdoc(7) pages (no groff process).
///
/// It keeps the words a reader sees and drops layout: comment lines and `.de`/`.ig` blocks are skipped,
/// requests that only change layout (`.PP`, `.sp`, `.RS`, `.ft`, `.if`, ...) become paragraph breaks or
/// nothing, font-alternation macros (`.BR a b` -> `ab`) join their arguments, other macros contribute
/// their arguments as text, and escapes are resolved (`\fB` dropped, `\-` -> `-`, `\(em` -> em dash, ...).
/// Lines are not refilled. The result is then cleaned like every other document.
public enum RoffText {
    /// True when the page is only a `.so` redirect to another page.
    public static func isRedirect(_ roff: [UInt8]) -> Bool {
        for line in roff.split(separator: 0x0A) {
            if line.starts(with: [0x2E, 0x5C, 0x22]) || line.starts(with: [0x27, 0x5C, 0x22]) { continue }  // comments
            return line.starts(with: Array(".so ".utf8))
        }
        return false
    }

    private static let breakMacros: Set<String> = ["PP", "LP", "P", "sp", "br", "TP", "TQ", "HP", "RS", "RE", "Pp",
                                                    "Bl", "El", "Bd", "Ed", "It", "EX", "EE", "nf", "fi", "TS", "TE"]
    private static let joinMacros: Set<String> = ["BR", "BI", "IB", "IR", "RB", "RI"]
    private static let silentMacros: Set<String> = ["TH", "Dd", "Dt", "Os", "ft", "ps", "vs", "in", "ti", "ad", "na", "hy",
                                                    "nh", "ne", "ce", "ds", "nr", "so", "if", "ie", "el", "PD", "UC", "DT",
                                                    "ta", "ll", "pl", "tr", "rm", "als", "mso", "cc", "ec", "eo", "lf",
                                                    "nx", "ns", "rs", "bp", "pc", "hw", "ss", "cs", "bd", "fam", "ev", "wh",
                                                    "ch", "it", "em", "rr", "rn", "di", "da", "am", "do", "hc", "lg", "fp",
                                                    "char", "fchar", "ab", "tm", "pso", "sy", "kern", "cflags", "shift",
                                                    "return", "blm", "lsm", "ec", "UR", "UE", "MT", "ME", "OP", "SY", "YS"]

    /// Plain text of a roff page.
    public static func plainText(_ roff: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(roff.count)
        var skipUntil: [UInt8]? = nil
        var inTable = false, inTableFormat = false
        for rawLine in roff.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var line = Array(rawLine)
            if inTableFormat {  // tbl options and column formats, ending with a line that ends in '.'
                if line.last(where: { $0 != 0x20 && $0 != 0x09 }) == 0x2E { inTableFormat = false }
                continue
            }
            if inTable && !line.starts(with: [0x2E, 0x54, 0x45]) {  // table rows: drop T{ and T} text-block markers
                line = removingTableMarkers(line)
                if line.isEmpty { continue }
            }
            if let end = skipUntil {
                if line.starts(with: end) { skipUntil = nil }
                continue
            }
            guard let first = line.first, first == 0x2E || first == 0x27 else {  // '.' or '\''
                out += escapes(line[...])
                out.append(0x0A)
                continue
            }
            var body = line.dropFirst().drop { $0 == 0x20 || $0 == 0x09 }
            if body.starts(with: [0x5C, 0x22]) || body.isEmpty { continue }  // .\" comment or lone dot
            let nameEnd = body.firstIndex { $0 == 0x20 || $0 == 0x09 } ?? body.endIndex
            let name = String(decoding: body[body.startIndex..<nameEnd], as: UTF8.self)
            body = body[nameEnd...].drop { $0 == 0x20 || $0 == 0x09 }
            if name == "de" || name == "de1" || name == "am" || name == "ig" {
                skipUntil = [0x2E, 0x2E]
                continue
            }
            if name == "TS" { inTable = true; inTableFormat = true }
            if name == "TE" { inTable = false }
            if silentMacros.contains(name) { continue }
            if breakMacros.contains(name) {
                out.append(0x0A)
                continue
            }
            let args = arguments(body)
            if name == "SH" || name == "SS" || name == "Sh" || name == "Ss" {
                out.append(0x0A)
                out += escapes(ArraySlice(Array(args.joined(separator: [0x20]))))
                out.append(0x0A)
            } else if joinMacros.contains(name) {
                out += escapes(ArraySlice(Array(args.joined())))
                out.append(0x0A)
            } else if !args.isEmpty {
                out += escapes(ArraySlice(Array(args.joined(separator: [0x20]))))
                out.append(0x0A)
            }
        }
        return out
    }

    /// A table row without `T{` / `T}` markers.
    static func removingTableMarkers(_ line: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < line.count {
            if i + 1 < line.count && line[i] == 0x54 && (line[i + 1] == 0x7B || line[i + 1] == 0x7D)
                && (i == 0 || line[i - 1] == 0x09) && (i + 2 == line.count || line[i + 2] == 0x09) {
                i += 2
                continue
            }
            out.append(line[i])
            i += 1
        }
        return out
    }

    /// Splits macro arguments on blanks, honouring double quotes (`""` inside quotes is a literal quote).
    static func arguments(_ s: ArraySlice<UInt8>) -> [[UInt8]] {
        var args: [[UInt8]] = []
        var cur: [UInt8] = []
        var inQuotes = false, started = false
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if inQuotes {
                if c == 0x22 {
                    if i + 1 < s.endIndex && s[i + 1] == 0x22 { cur.append(0x22); i += 2; continue }
                    inQuotes = false
                } else { cur.append(c) }
            } else if c == 0x20 || c == 0x09 {
                if started { args.append(cur); cur = []; started = false }
            } else if c == 0x22 && !started {
                inQuotes = true; started = true
            } else if c == 0x5C && i + 1 < s.endIndex && s[i + 1] == 0x22 {
                break  // \" comment
            } else {
                cur.append(c); started = true
                if c == 0x5C && i + 1 < s.endIndex { cur.append(s[i + 1]); i += 1 }
            }
            i += 1
        }
        if started { args.append(cur) }
        return args
    }

    private static let named: [String: String] = [
        "em": "\u{2014}", "en": "\u{2013}", "hy": "-", "mi": "-", "bu": "\u{2022}", "co": "\u{00A9}", "rg": "\u{00AE}",
        "tm": "\u{2122}", "aq": "'", "dq": "\"", "lq": "\u{201C}", "rq": "\u{201D}", "oq": "\u{2018}", "cq": "\u{2019}",
        "rs": "\\", "ga": "`", "ti": "~", "ha": "^", "at": "@", "sh": "#", "Do": "$", "sl": "/", "ba": "|", "br": "|",
        ">=": "\u{2265}", "<=": "\u{2264}", "!=": "\u{2260}", "mu": "\u{00D7}", "de": "\u{00B0}", "+-": "\u{00B1}",
        "->": "\u{2192}", "<-": "\u{2190}", "aa": "\u{00B4}", "pl": "+", "eq": "=", "lh": "\u{261C}", "rh": "\u{261E}",
        "Lq": "\u{201C}", "Rq": "\u{201D}", "R": "\u{00AE}", "Tm": "\u{2122}", "ua": "\u{2191}", "da": "\u{2193}",
        "fo": "\u{2039}", "fc": "\u{203A}", "Fo": "\u{00AB}", "Fc": "\u{00BB}", "ss": "\u{00DF}", "ct": "\u{00A2}",
        "Po": "\u{00A3}", "Eu": "\u{20AC}", "ye": "\u{00A5}", "sc": "\u{00A7}", "ps": "\u{00B6}", "ho": "\u{02DB}",
        "'e": "\u{00E9}", "`e": "\u{00E8}", "'a": "\u{00E1}", ":u": "\u{00FC}", ":o": "\u{00F6}", ":a": "\u{00E4}",
    ]

    /// Resolves escapes on one text line.
    static func escapes(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(s.count)
        var i = s.startIndex
        let end = s.endIndex
        func delimited(from j: Int) -> Int {  // skips `'...'` style argument starting at j; returns index after it
            guard j < end else { return end }
            let d = s[j]
            var k = j + 1
            while k < end && s[k] != d { k += 1 }
            return min(k + 1, end)
        }
        func name(from j: Int) -> (String, Int) {  // `(xx`, `[name]` or single char
            guard j < end else { return ("", end) }
            if s[j] == 0x28 { let e = min(j + 3, end); return (String(decoding: s[(j + 1)..<e], as: UTF8.self), e) }
            if s[j] == 0x5B {
                var k = j + 1
                while k < end && s[k] != 0x5D { k += 1 }
                return (String(decoding: s[(j + 1)..<min(k, end)], as: UTF8.self), min(k + 1, end))
            }
            return (String(decoding: s[j...j], as: UTF8.self), j + 1)
        }
        while i < end {
            let c = s[i]
            guard c == 0x5C, i + 1 < end else { out.append(c); i += 1; continue }
            let e = s[i + 1]
            i += 2
            switch e {
            case 0x66, 0x46:  // \f font, \F family
                i = name(from: i).1
            case 0x2D: out.append(0x2D)  // \-
            case 0x65, 0x5C: out.append(0x5C)  // \e, \\
            case 0x26, 0x7C, 0x5E, 0x25, 0x3A, 0x63, 0x64, 0x75, 0x7B, 0x7D, 0x61, 0x72, 0x7A, 0x2F, 0x2C: break  // \& \| \^ \% \: \c \d \u \{ \} etc.
            case 0x20, 0x7E, 0x30, 0x74: out.append(0x20)  // \  \~ \0 \t
            case 0x27: out.append(0x27)
            case 0x60: out.append(0x60)
            case 0x2E: out.append(0x2E)
            case 0x22: i = end  // \" comment
            case 0x28, 0x5B:  // \(xx, \[name]
                let (n, next) = name(from: i - 1)
                i = next
                if let r = named[n] { out += Array(r.utf8) }
                else if n.hasPrefix("u"), let v = UInt32(n.dropFirst(), radix: 16), let sc = Unicode.Scalar(v) {
                    out += Array(String(Character(sc)).utf8)
                }
            case 0x2A:  // \*x, \*(xx, \*[name]: predefined strings
                let (n, next) = name(from: i)
                i = next
                if let r = named[n] { out += Array(r.utf8) }
            case 0x6E, 0x67, 0x6B, 0x6D, 0x4D, 0x59, 0x56:  // \n register, \g, \k, \m color, \M, \Y, \V
                if i < end && s[i] == 0x2B || i < end && s[i] == 0x2D { i += 1 }
                i = name(from: i).1
            case 0x73:  // \s size: \s+N, \s-N, \sN, \s(NN, \s[N]
                if i < end && (s[i] == 0x2B || s[i] == 0x2D) { i += 1 }
                if i < end && (s[i] == 0x28 || s[i] == 0x5B) { i = name(from: i).1 }
                else { while i < end && s[i] >= 0x30 && s[i] <= 0x39 { i += 1 } }
            case 0x77, 0x68, 0x76, 0x6C, 0x4C, 0x6F, 0x44, 0x62, 0x58, 0x48, 0x53, 0x52, 0x4E, 0x41, 0x42, 0x43, 0x5A, 0x78:
                // \w'..' \h'..' \v'..' \l \L \o \D \b \X \H \S \R \N \A \B \C \Z \x: layout, drop with argument
                i = delimited(from: i)
            case 0x24: i = min(i + 1, end)  // \$N macro argument
            default: out.append(e)
            }
        }
        return out
    }
}
