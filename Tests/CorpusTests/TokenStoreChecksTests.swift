import Base
import Foundation
import Testing
import TestSupport
@testable import Corpus

/// A token folder is checked when opened: its tokenizer file present (copied in by tokenize) and hashing to the
/// manifest's sha256; shard ids below the vocabulary, an id outside it naming the shard and the manifest.
@Suite struct TokenStoreChecksTests {
    /// A small token folder `tmp/deep/tokens` whose tokenizer is only the copy inside it.
    static func tokens(_ tmp: TempDir) throws -> URL {
        var o = CorpusBuilder.Options()
        o.validationBytes = 20_000
        let corpusDir = tmp.path("corpus")
        try CorpusBuilder(options: o).build(SyntheticSource.specs(bytes: 80_000), out: corpusDir)
        let store = try CorpusStore(corpusDir)
        var to = BPETrainer.Options(); to.vocabSize = 300
        var trainer = BPETrainer(options: to)
        for d in store.manifest.domains {
            try store.forEachDocument(domain: d.name, split: .train) { trainer.add($0); return true }
        }
        try TokenizerJSON.save(try trainer.train(), to: tmp.path("tok.json"))
        var t = CorpusTokenization(); t.minValidationTokens = 100
        let out = tmp.path("deep/a/tokens")
        _ = try t.run(corpus: store, tokenizerFile: tmp.path("tok.json"), out: out)
        return out
    }

    @Test func tokenizerMissingOrChangedIsRefused() throws {
        let tmp = try TempDir()
        let root = try Self.tokens(tmp)
        let copy = root.appendingPathComponent("tok.json")
        #expect(FileManager.default.fileExists(atPath: copy.path), "tokenize copies the tokenizer into the folder")
        _ = try TokenStore(root)
        var bytes = try Data(contentsOf: copy)
        bytes.append(contentsOf: Array(" ".utf8))
        try bytes.write(to: copy)
        let changed = #expect(throws: CorpusError.self) { try TokenStore(root) }
        #expect(changed.map { "\($0)" }?.contains("manifest.json") == true && changed.map { "\($0)" }?.contains("tokenizer.sha256") == true,
                "\(String(describing: changed))")
        try FileManager.default.removeItem(at: copy)
        let missing = #expect(throws: CorpusError.self) { try TokenStore(root) }
        #expect(missing.map { "\($0)" }?.contains("tokenizer \"tok.json\" is missing") == true, "\(String(describing: missing))")
    }

    @Test func idOutsideTheVocabularyNamesShardAndManifest() throws {
        let tmp = try TempDir()
        let root = try Self.tokens(tmp)
        let store = try TokenStore(root)
        let shard = try store.shard("digits", split: .val)
        var ids = shard.tokens(0..<shard.count)
        ids[5] = Int32(store.manifest.tokenizer.vocabSize)
        try TokenShard.encode(ids, width: shard.width).write(to: shard.url)
        // A store checks each shard file once (the first open); the corrupted file is seen by the next store opened.
        let e = #expect(throws: CorpusError.self) { try TokenStore(root).shard("digits", split: .val) }
        let text = e.map { "\($0)" } ?? ""
        #expect(text.contains(shard.url.path) && text.contains("token 5 is id \(ids[5])")
                && text.contains(root.appendingPathComponent("manifest.json").path), "\(text)")
    }
}
