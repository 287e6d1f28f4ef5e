/// Byte-level text cleaning shared by every domain (default and user corpora alike).
///
/// All functions take and return UTF-8 bytes; the controls they touch are ASCII, so working on bytes never
/// splits a multi-byte character.
public enum TextCleaning {
    /// Decodes possibly invalid UTF-8, replacing each maximal invalid subsequence by U+FFFD (the Unicode
    /// "substitution of maximal subparts" practice, which Python's `errors="replace"` also follows) and
    /// counting the replacements. Returns valid UTF-8 bytes.
    public static func repairUTF8(_ bytes: [UInt8]) -> (bytes: [UInt8], replacements: Int) {
        if String(validating: bytes, as: UTF8.self) != nil { return (bytes, 0) }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 16)
        var replacements = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): UTF8.encode(s) { out.append($0) }
            case .error:
                replacements += 1
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            case .emptyInput: break loop
            }
        }
        return (out, replacements)
    }

    /// Normalises a document: CRLF/CR -> LF, form feeds and other C0 controls (except tab and newline) and DEL
    /// removed, trailing spaces/tabs removed from each line, leading indentation removed when `dedent`,
    /// runs of 3+ newlines collapsed to one blank line, and leading/trailing blank lines dropped.
    public static func normalize(_ input: [UInt8], dedent: Bool = false) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var lineStart = true
        var pendingNewlines = 0
        var pendingSpaces = [UInt8]()
        var i = 0
        let n = input.count
        while i < n {
            var b = input[i]
            i += 1
            if b == 0x0D {  // CR or CRLF
                if i < n && input[i] == 0x0A { i += 1 }
                b = 0x0A
            }
            if b == 0x0A {
                pendingSpaces.removeAll(keepingCapacity: true)
                if !out.isEmpty { pendingNewlines += 1 }
                lineStart = true
                continue
            }
            if b == 0x20 || b == 0x09 {
                if lineStart && dedent { continue }
                pendingSpaces.append(b)
                continue
            }
            if b < 0x20 || b == 0x7F { continue }
            if pendingNewlines > 0 {
                out.append(0x0A)
                if pendingNewlines > 1 { out.append(0x0A) }
                pendingNewlines = 0
            }
            if !pendingSpaces.isEmpty {
                out.append(contentsOf: pendingSpaces)
                pendingSpaces.removeAll(keepingCapacity: true)
            }
            out.append(b)
            lineStart = false
        }
        return out
    }
}
