import Foundation

/// A token shard file: a 16-byte little-endian header, then `count` tokens of `width` bytes each (LE):
///
///     bytes 0..<4   magic "ASTK"
///     bytes 4..<6   version (UInt16) = 1
///     bytes 6..<8   token width in bytes (UInt16): 2 (uint16 ids, vocab <= 65536) or 4 (uint32)
///     bytes 8..<16  token count (UInt64)
///
/// The file size must be exactly 16 + count * width. Reads are memory-mapped.
public final class TokenShard: @unchecked Sendable {
    public static let magic: [UInt8] = Array("ASTK".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 16

    public let url: URL
    public let count: Int
    public let width: Int
    private let data: Data  // immutable mapped bytes

    /// Opens and validates a shard.
    public init(_ url: URL) throws {
        self.url = url
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CorpusError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "permission denied" : "no such file")
        }
        func bad(_ d: String) -> CorpusError { .badShard(path: url.path, detail: d) }
        guard data.count >= Self.headerSize else { throw bad("file is \(data.count) bytes, shorter than the 16-byte header") }
        let header = [UInt8](data.prefix(Self.headerSize))
        guard Array(header[0..<4]) == Self.magic else { throw bad("wrong magic (not an autoscale token shard)") }
        let version = UInt16(header[4]) | UInt16(header[5]) << 8
        guard version == Self.version else { throw bad("unsupported version \(version)") }
        let w = Int(UInt16(header[6]) | UInt16(header[7]) << 8)
        guard w == 2 || w == 4 else { throw bad("token width \(w) (must be 2 or 4)") }
        var c: UInt64 = 0
        for i in 0..<8 { c |= UInt64(header[8 + i]) << (8 * UInt64(i)) }
        let expected = UInt64(Self.headerSize) &+ c &* UInt64(w)
        guard c < UInt64(Int.max / 8), expected == UInt64(data.count) else {
            throw bad("header says \(c) tokens (\(expected) bytes) but the file has \(data.count) bytes (truncated or corrupt)")
        }
        width = w
        count = Int(c)
    }

    /// Tokens `range` as Int32 (bounds are checked by precondition: callers pass valid ranges).
    public func tokens(_ range: Range<Int>) -> [Int32] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "shard range out of bounds")
        return data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + Self.headerSize
            if width == 2 {
                return range.map { Int32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            }
            return range.map { Int32(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// The first token whose id is `>= limit` (as unsigned), with its position; nil when every id is below.
    public func firstToken(atLeast limit: Int) -> (index: Int, id: UInt32)? {
        data.withUnsafeBytes { raw -> (Int, UInt32)? in
            let p = raw.baseAddress! + Self.headerSize
            for i in 0..<count {
                let v = width == 2
                    ? UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    : UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                if Int(v) >= limit { return (i, v) }
            }
            return nil
        }
    }

    /// Serialised shard bytes for `tokens` (width 2 when every id fits in 16 bits and `width` is nil).
    public static func encode(_ tokens: [Int32], width: Int) throws -> Data {
        guard width == 2 || width == 4 else { throw CorpusError.invalidArgument("token width must be 2 or 4") }
        var d = Data(capacity: headerSize + tokens.count * width)
        d.append(contentsOf: magic)
        d.append(contentsOf: [UInt8(version & 0xFF), UInt8(version >> 8), UInt8(width), 0])
        var c = UInt64(tokens.count).littleEndian
        withUnsafeBytes(of: &c) { d.append(contentsOf: $0) }
        if width == 2 {
            var buf = [UInt16](repeating: 0, count: tokens.count)
            for (i, t) in tokens.enumerated() {
                guard t >= 0 && t <= 0xFFFF else { throw CorpusError.invalidArgument("token \(t) does not fit in 16 bits") }
                buf[i] = UInt16(t).littleEndian
            }
            buf.withUnsafeBytes { d.append(contentsOf: $0) }
        } else {
            let buf = tokens.map { UInt32(bitPattern: $0).littleEndian }
            buf.withUnsafeBytes { d.append(contentsOf: $0) }
        }
        return d
    }
}
