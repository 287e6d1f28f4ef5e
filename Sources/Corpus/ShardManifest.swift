import Base
import Foundation

/// `manifest.json` of a token folder written by `corpus tokenize`: one `DOMAIN/train.bin` and
/// `DOMAIN/val.bin` per domain, each document followed by `<|endoftext|>`.
public struct ShardManifest: Codable, Equatable, Sendable {
    public struct Split: Codable, Equatable, Sendable {
        public var file: String
        public var documents: Int
        public var tokens: Int
        public var bytes: Int
    }
    public struct Domain: Codable, Equatable, Sendable {
        public var name: String
        public var train: Split
        public var val: Split
    }
    public struct Tokenizer: Codable, Equatable, Sendable {
        public var file: String
        /// SHA-256 of the tokenizer file's bytes.
        public var sha256: String
        public var vocabSize: Int
        public var endOfTextId: Int
        enum CodingKeys: String, CodingKey { case file, sha256, vocabSize = "vocab_size", endOfTextId = "end_of_text_id" }
    }
    public var format = "autoscale-tokens"
    public var version = 1
    public var tokenWidth: Int
    public var tokenizer: Tokenizer
    public var domains: [Domain]
    /// snake_case keys; folders written before 0.5.0 (`tokenWidth`, `vocabSize`, `endOfTextId`) still read.
    enum CodingKeys: String, CodingKey { case format, version, tokenWidth = "token_width", tokenizer, domains }

    public static let fileName = "manifest.json"

    public static func load(_ dir: URL) throws -> ShardManifest {
        try decodeJSONFile(dir.appendingPathComponent(fileName), what: "token manifest") { m in
            m.format == "autoscale-tokens" && m.version == 1
        }
    }

    public func domain(_ name: String) throws -> Domain {
        guard let d = domains.first(where: { $0.name == name }) else {
            throw CorpusError.invalidArgument("unknown domain '\(name)' (have: \(domains.map(\.name).joined(separator: ", ")))")
        }
        return d
    }
}

/// A token folder: manifest plus memory-mapped shards.
public struct TokenStore: Sendable {
    public let root: URL
    public let manifest: ShardManifest
    /// The tokenizer file the shards were written with (checked against the manifest's `sha256`); model folders
    /// written from this store carry a copy (`HFModelFolder` in Proxies).
    public let tokenizerURL: URL
    /// The shard files whose ids were checked against the vocabulary (a full pass over a file: once per store, not
    /// at every run that opens the shard).
    private let checked = CheckedFiles()
    /// Opens the folder and checks its tokenizer: the manifest's `tokenizer.file`, in the folder (where `corpus
    /// tokenize` copies it) or, for folders written before that copy, next to the corpus folder (`..` or `../..`),
    /// must exist and hash to the manifest's `sha256`; otherwise the shards are not the ones this tokenizer wrote.
    public init(_ root: URL) throws {
        self.root = root
        manifest = try ShardManifest.load(root)
        let manifestPath = root.appendingPathComponent(ShardManifest.fileName).path
        let name = manifest.tokenizer.file
        let up = root.deletingLastPathComponent()
        let candidates = [root, up, up.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        guard !name.isEmpty, !name.contains("/"),
              let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw CorpusError.badFormat(path: manifestPath, detail:
                "tokenizer.file: the tokenizer \"\(name)\" is missing (looked in \(root.path) and the two folders "
                + "above it); rerun corpus tokenize")
        }
        let sha = SHA256.hex(try readFileBytes(url))
        guard sha == manifest.tokenizer.sha256 else {
            throw CorpusError.badFormat(path: manifestPath, detail: "tokenizer.sha256: \(url.path) hashes to \(sha), "
                + "not the manifest's \(manifest.tokenizer.sha256): the shards were written with another tokenizer; "
                + "rerun corpus tokenize")
        }
        tokenizerURL = url
    }

    /// A domain's shard, checked against the manifest: its token count, and every id below the tokenizer's
    /// vocabulary (an id >= vocab_size names the shard, the position and the manifest).
    public func shard(_ domain: String, split: CorpusStore.Split) throws -> TokenShard {
        let d = try manifest.domain(domain)
        let shard = try TokenShard(root.appendingPathComponent(split == .train ? d.train.file : d.val.file))
        let expected = split == .train ? d.train.tokens : d.val.tokens
        guard shard.count == expected else {
            throw CorpusError.badShard(path: shard.url.path, detail: "has \(shard.count) tokens but the manifest says \(expected)")
        }
        if !checked.contains(shard.url.path) {
            if let (i, id) = shard.firstToken(atLeast: manifest.tokenizer.vocabSize) {
                throw CorpusError.badShard(path: shard.url.path, detail: "token \(i) is id \(id), outside the "
                    + "vocabulary of \(manifest.tokenizer.vocabSize) in \(root.appendingPathComponent(ShardManifest.fileName).path)")
            }
            checked.insert(shard.url.path)
        }
        return shard
    }
}

/// A set of paths shared by the copies of a ``TokenStore`` (thread-safe).
final class CheckedFiles: @unchecked Sendable {
    private var paths: Set<String> = []
    private let lock = NSLock()
    func contains(_ path: String) -> Bool { lock.withLock { paths.contains(path) } }
    func insert(_ path: String) { lock.withLock { _ = paths.insert(path) } }
}

extension TokenStore {
    /// The token folder `path`, or `path/tokens` when `path` is a corpus folder (no `manifest.json` of its own).
    public init(resolving path: String) throws {
        var root = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: root.appendingPathComponent(ShardManifest.fileName).path) {
            root = root.appendingPathComponent("tokens")
        }
        try self.init(root)
    }
}
