/// GPT-2's reversible byte-to-Unicode map: printable bytes `!`..`~`, `¡`..`¬`, `®`..`ÿ` map to the scalar of
/// the same value; the other 68 bytes map, in increasing byte order, to U+0100, U+0101, ... So every token
/// (a byte string) has a printable vocabulary string, e.g. a space is `Ġ` (U+0120).
public enum ByteLevel {
    /// Scalar value for each byte.
    public static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { table[b] = UInt32(b) } else { table[b] = next; next += 1 }
        }
        return table
    }()

    /// Inverse map (index = scalar value < 324; -1 when the scalar is not in the alphabet).
    public static let scalarToByte: [Int16] = {
        var inv = [Int16](repeating: -1, count: 324)
        for b in 0..<256 { inv[Int(byteToScalar[b])] = Int16(b) }
        return inv
    }()

    /// The vocabulary string of a byte sequence.
    public static func tokenString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(s)
    }

    /// The bytes a vocabulary string stands for, or nil when it uses a character outside the alphabet.
    public static func bytes(ofToken token: String) -> [UInt8]? {
        var out: [UInt8] = []
        for s in token.unicodeScalars {
            guard s.value < 324, scalarToByte[Int(s.value)] >= 0 else { return nil }
            out.append(UInt8(scalarToByte[Int(s.value)]))
        }
        return out
    }
}
