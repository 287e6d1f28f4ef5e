import Base
import Foundation

/// `corpus.json`: what `corpus build` wrote. Each domain folder holds `train.txt` and `val.txt`, the
/// cleaned UTF-8 documents of the split separated by one NUL byte (cleaning removes every NUL from text).
public struct CorpusManifest: Codable, Equatable, Sendable {
    public struct Domain: Codable, Equatable, Sendable {
        public var name: String
        public var origin: String
        public var trainDocuments: Int
        public var valDocuments: Int
        public var trainBytes: Int
        public var valBytes: Int
        /// Exact duplicates (after cleaning) dropped.
        public var duplicatesRemoved: Int
        /// Invalid UTF-8 sequences replaced by U+FFFD.
        public var invalidUTF8Replaced: Int
        /// True when the byte cap stopped reading before the source was exhausted.
        public var capped: Bool
        enum CodingKeys: String, CodingKey {
            case name, origin, trainDocuments = "train_documents", valDocuments = "val_documents"
            case trainBytes = "train_bytes", valBytes = "val_bytes", duplicatesRemoved = "duplicates_removed"
            case invalidUTF8Replaced = "invalid_utf8_replaced", capped
        }
    }
    public var format = "autoscale-corpus"
    public var version = 1
    public var seed: UInt64
    public var validationBytes: Int
    public var maxBytesPerDomain: Int
    public var domains: [Domain]
    /// snake_case keys; corpora written before 0.5.0 (camelCase) still read.
    enum CodingKeys: String, CodingKey {
        case format, version, seed, validationBytes = "validation_bytes", maxBytesPerDomain = "max_bytes_per_domain", domains
    }

    public static let fileName = "corpus.json"

    public static func load(_ dir: URL) throws -> CorpusManifest {
        try decodeJSONFile(dir.appendingPathComponent(fileName), what: "corpus manifest") { m in
            m.format == "autoscale-corpus" && m.version == 1
        }
    }
}

/// Decodes a JSON file, mapping every failure to one `CorpusError` line naming the file and field;
/// `accept` checks format/version markers. Keys are read under their snake_case spelling, so files of the older
/// camelCase keys read too (Base's `JSONDecoder.acceptingCamelCase`).
func decodeJSONFile<T: Decodable>(_ url: URL, what: String, accept: (T) -> Bool) throws -> T {
    let data = Data(try readFileBytes(url))
    guard !data.isEmpty else { throw CorpusError.empty(path: url.path) }
    let value: T
    do { value = try JSONDecoder.acceptingCamelCase().decode(T.self, from: data) } catch {
        throw CorpusError.badFormat(path: url.path, detail: "not a \(what) (\(jsonErrorSummary(error)))")
    }
    guard accept(value) else { throw CorpusError.badFormat(path: url.path, detail: "not a \(what) of a supported format/version") }
    return value
}

/// One short phrase for a JSONDecoder error (the missing or mistyped field).
func jsonErrorSummary(_ error: Error) -> String {
    switch error as? DecodingError {
    case .keyNotFound(let key, let ctx)?: return "missing field '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case .typeMismatch(_, let ctx)?, .valueNotFound(_, let ctx)?:
        return "field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
    case .dataCorrupted(let ctx)?: return ctx.codingPath.isEmpty ? "invalid JSON" : "invalid field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'"
    default: return "invalid JSON"
    }
}

/// Reading a built corpus: the NUL-separated documents of one domain split, memory-mapped.
public struct CorpusStore: Sendable {
    public let root: URL
    public let manifest: CorpusManifest

    public init(_ root: URL) throws {
        self.root = root
        manifest = try CorpusManifest.load(root)
    }

    public enum Split: String, Sendable, CaseIterable { case train, val }

    public func url(domain: String, split: Split) -> URL {
        root.appendingPathComponent(domain).appendingPathComponent("\(split.rawValue).txt")
    }

    /// Calls `body` with each document's bytes, in stored order (mapped, not copied).
    public func forEachDocument(domain: String, split: Split, _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        let url = url(domain: domain, split: split)
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CorpusError.unreadable(path: url.path, reason: "missing or unreadable split file")
        }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let all = raw.bindMemory(to: UInt8.self)
            var start = 0
            for i in 0...all.count where i == all.count || all[i] == 0 {
                if i > start, try !body(UnsafeBufferPointer(rebasing: all[start..<i])) { return }
                start = i + 1
            }
        }
    }
}
