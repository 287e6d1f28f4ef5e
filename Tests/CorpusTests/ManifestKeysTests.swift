import Base
import Foundation
import Testing
import TestSupport
@testable import Corpus

/// The corpus and token-folder manifests are written with snake_case keys (0.5.0) and folders written before,
/// with the camelCase keys, still read to the same manifest (and open as a TokenStore).
struct ManifestKeysTests {
    static let renamedCorpus = ["validation_bytes": "validationBytes", "max_bytes_per_domain": "maxBytesPerDomain",
                                "train_documents": "trainDocuments", "val_documents": "valDocuments",
                                "train_bytes": "trainBytes", "val_bytes": "valBytes",
                                "duplicates_removed": "duplicatesRemoved", "invalid_utf8_replaced": "invalidUTF8Replaced"]
    static let renamedTokens = ["token_width": "tokenWidth", "vocab_size": "vocabSize", "end_of_text_id": "endOfTextId"]

    /// Every object key of a JSON file.
    static func keys(_ value: Any) -> Set<String> {
        if let o = value as? [String: Any] { return Set(o.keys).union(o.values.flatMap { keys($0) }) }
        if let a = value as? [Any] { return Set(a.flatMap { keys($0) }) }
        return []
    }

    /// Rewrites the file with the old camelCase spellings of `renamed`'s keys.
    static func downgrade(_ url: URL, _ renamed: [String: String]) throws {
        var text = try String(contentsOf: url, encoding: .utf8)
        for (new, old) in renamed {
            #expect(text.contains("\"\(new)\""), "\(url.lastPathComponent) lacks \(new)")
            text = text.replacingOccurrences(of: "\"\(new)\"", with: "\"\(old)\"")
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func snakeCaseKeysWrittenCamelCaseKeysStillRead() throws {
        let tmp = try TempDir()
        let tokensDir = try TokenStoreChecksTests.tokens(tmp)  // the corpus in tmp/corpus
        let corpusDir = tmp.path("corpus")
        let corpus = try CorpusManifest.load(corpusDir), tokens = try ShardManifest.load(tokensDir)
        let corpusFile = corpusDir.appendingPathComponent(CorpusManifest.fileName)
        let tokensFile = tokensDir.appendingPathComponent(ShardManifest.fileName)
        for (file, renamed) in [(corpusFile, Self.renamedCorpus), (tokensFile, Self.renamedTokens)] {
            let k = Self.keys(try JSONSerialization.jsonObject(with: Data(contentsOf: file)))
            #expect(k.isSuperset(of: renamed.keys) && k.isDisjoint(with: renamed.values), "\(file.lastPathComponent): \(k.sorted())")
            #expect(!k.contains { $0.range(of: "[a-z][A-Z]", options: .regularExpression) != nil }, "\(k.sorted())")
        }
        // A folder of the older keys.
        try Self.downgrade(corpusFile, Self.renamedCorpus)
        try Self.downgrade(tokensFile, Self.renamedTokens)
        let k = Self.keys(try JSONSerialization.jsonObject(with: Data(contentsOf: tokensFile)))
        #expect(k.contains("endOfTextId") && !k.contains("end_of_text_id"))
        #expect(try CorpusManifest.load(corpusDir) == corpus)
        #expect(try ShardManifest.load(tokensDir) == tokens)
        #expect(try TokenStore(tokensDir).manifest.tokenizer.endOfTextId == tokens.tokenizer.endOfTextId)
    }
}
