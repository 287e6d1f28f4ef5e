/// Hand-written scanner equivalent to GPT-2's pre-tokenization regex (as used by HF `tokenizers` ByteLevel):
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// on valid UTF-8. `\p{L}` is General_Category Letter, `\p{N}` Number, `\s` the White_Space property; the
/// optional prefix is U+0020 only. A whitespace run followed by a non-space yields the run minus its last
/// character, then that character (which, if it is a space, prefixes the next word); at the end of the
/// text the whole run is one piece.
public enum PreTokenizer {
    enum Class: UInt8 { case letter = 0, number = 1, space = 2, other = 3 }

    /// Classes of U+0000...U+FFFF, computed once from the standard library's Unicode properties.
    static let bmpClasses: [UInt8] = {
        var t = [UInt8](repeating: Class.other.rawValue, count: 65536)
        for v in 0..<65536 {
            if let s = Unicode.Scalar(UInt32(v)) { t[v] = classify(s).rawValue }
        }
        return t
    }()

    static func classify(_ s: Unicode.Scalar) -> Class {
        let p = s.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Class and byte length of the scalar starting at `i` (valid UTF-8 assumed).
    @inline(__always)
    static func scalarClass(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ table: UnsafePointer<UInt8>) -> (Class, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (Class(rawValue: table[Int(b0)])!, 1) }
        if b0 < 0xE0 {
            let v = (b0 & 0x1F) << 6 | (UInt32(p[i + 1]) & 0x3F)
            return (Class(rawValue: table[Int(v)])!, 2)
        }
        if b0 < 0xF0 {
            let v = (b0 & 0x0F) << 12 | (UInt32(p[i + 1]) & 0x3F) << 6 | (UInt32(p[i + 2]) & 0x3F)
            return (Class(rawValue: table[Int(v)])!, 3)
        }
        let v = (b0 & 0x07) << 18 | (UInt32(p[i + 1]) & 0x3F) << 12 | (UInt32(p[i + 2]) & 0x3F) << 6 | (UInt32(p[i + 3]) & 0x3F)
        return (Unicode.Scalar(v).map(classify) ?? .other, 4)
    }

    /// Calls `emit(start, end)` for each piece of `text` (byte offsets), in order; the pieces tile the text.
    public static func split(_ text: UnsafeBufferPointer<UInt8>, _ emit: (Int, Int) -> Void) {
        bmpClasses.withUnsafeBufferPointer { table in
            var i = 0
            while i < text.count {
                let e = pieceEnd(text, i, table.baseAddress!)
                emit(i, e)
                i = e
            }
        }
    }

    /// End (exclusive byte offset) of the piece starting at `i < text.count`; `table` is `bmpClasses`.
    @inline(__always)
    static func pieceEnd(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ table: UnsafePointer<UInt8>) -> Int {
        let n = text.count
        let b = text[i]
        if b == 0x27, i + 1 < n {  // contractions
            let c = text[i + 1]
            if c == 0x73 || c == 0x74 || c == 0x6D || c == 0x64 { return i + 2 }
            if i + 2 < n {
                let d = text[i + 2]
                if (c == 0x72 && d == 0x65) || (c == 0x76 && d == 0x65) || (c == 0x6C && d == 0x6C) { return i + 3 }
            }
        }
        let j = (b == 0x20 && i + 1 < n) ? i + 1 : i
        let (cls, len) = scalarClass(text, j, table)
        if cls != .space {
            var k = j + len
            while k < n {
                let (c2, l2) = scalarClass(text, k, table)
                if c2 != cls { break }
                k += l2
            }
            return k
        }
        // Whitespace run starting at i: all of it at the end of the text, else all but its last character
        // (or that single character when the run has only one).
        var k = i, lastStart = i
        while k < n {
            let (c2, l2) = scalarClass(text, k, table)
            if c2 != .space { break }
            lastStart = k
            k += l2
        }
        if k == n { return n }
        return lastStart > i ? lastStart : k
    }
}
