import Base
import Foundation

/// Entries of dictd databases (`NAME.dict.dz` + `NAME.index`), one document per distinct definition.
///
/// The index lines are `headword<TAB>offset<TAB>length` with offset and length in dictd's base-64
/// (digits `A-Za-z0-9+/`, most significant first). Headwords sharing one definition yield it once; the
/// `00-database-*` metadata entries are skipped. Cleaning: braces of `{cross references}` removed and lines
/// that are only a bracketed source tag (`[1913 Webster]`, `[WordNet 1.5]`, `[PJC]`) dropped.
public struct DictdSource: DocumentSource {
    public let dictFiles: [URL]
    public init(dictFiles: [URL]) { self.dictFiles = dictFiles }

    public var origin: String { dictFiles.map(\.path).joined(separator: ", ") }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        var entries: [(file: Int, range: Range<Int>)] = []
        var texts: [[UInt8]] = []
        for (f, url) in dictFiles.enumerated() {
            let text = try Gzip.readMaybeCompressed(url)
            let indexURL = url.deletingPathExtension().deletingPathExtension().appendingPathExtension("index")
            let ranges = try Self.parseIndex(indexURL, textCount: text.count)
            entries += ranges.map { (f, $0) }
            texts.append(text)
        }
        var g = SplitMix64(seed: seed)
        g.shuffle(&entries)
        for e in entries {
            let cleaned = Self.stripMarkup(texts[e.file][e.range])
            if try !body(RawDocument(bytes: cleaned, dedent: true)) { return }
        }
    }

    /// Distinct byte ranges of the definitions listed in a dictd index, in file order.
    static func parseIndex(_ url: URL, textCount: Int) throws -> [Range<Int>] {
        let bytes = try readFileBytes(url)
        var seen = Set<Int>()
        var out: [Range<Int>] = []
        var lineNo = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count >= 3, let off = decode64(fields[1]), let len = decode64(fields[2]) else {
                throw CorpusError.badFormat(path: url.path, detail: "line \(lineNo): expected headword<TAB>offset<TAB>length")
            }
            guard off + len <= textCount else {
                throw CorpusError.badFormat(path: url.path, detail: "line \(lineNo): entry \(off)+\(len) lies beyond the dictionary text")
            }
            if fields[0].starts(with: Array("00-database".utf8)) || fields[0].starts(with: Array("00database".utf8)) { continue }
            if seen.insert(off).inserted { out.append(off..<(off + len)) }
        }
        return out.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// dictd base-64 number.
    static func decode64<C: Collection>(_ s: C) -> Int? where C.Element == UInt8 {
        guard !s.isEmpty, s.count <= 10 else { return nil }
        var v = 0
        for c in s {
            let d: Int
            switch c {
            case 0x41...0x5A: d = Int(c) - 0x41
            case 0x61...0x7A: d = Int(c) - 0x61 + 26
            case 0x30...0x39: d = Int(c) - 0x30 + 52
            case 0x2B: d = 62
            case 0x2F: d = 63
            default: return nil
            }
            v = v * 64 + d
        }
        return v
    }

    /// Removes `{`/`}` and drops lines consisting only of one `[...]` tag.
    static func stripMarkup(_ entry: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(entry.count)
        for line in entry.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 }
            if let first = trimmed.first, first == 0x5B,
               let last = trimmed.last(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }), last == 0x5D,
               trimmed.dropFirst().firstIndex(of: 0x5B) == nil {
                continue
            }
            for b in line where b != 0x7B && b != 0x7D { out.append(b) }
            out.append(0x0A)
        }
        return out
    }
}
