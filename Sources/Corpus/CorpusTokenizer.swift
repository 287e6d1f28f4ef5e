import Base
import Foundation

/// Tokenizes a built corpus into shards (`corpus tokenize`): every document of each split is encoded and
/// followed by `<|endoftext|>`; the validation split must reach `minValidationTokens`.
public struct CorpusTokenization {
    public var minValidationTokens = 200_000
    public init() {}

    /// `progress` gets a line per domain, `advance(documents, total)` after every document of every split (a
    /// progress bar; the total is the corpus manifest's document count).
    @discardableResult
    public func run(corpus: CorpusStore, tokenizerFile: URL, out: URL, progress: (String) -> Void = { _ in },
                    advance: (_ documents: Int, _ total: Int) -> Void = { _, _ in }) throws -> ShardManifest {
        let fileBytes = try readFileBytes(tokenizerFile)
        let model = try TokenizerJSON.load(bytes: fileBytes, path: tokenizerFile.path)
        guard let eot = model.specialId("<|endoftext|>") else {
            throw CorpusError.badFormat(path: tokenizerFile.path, detail: "tokenizer has no <|endoftext|> special token")
        }
        let width = model.vocabSize <= 65536 ? 2 : 4
        let tokenizer = BPETokenizer(model: model)
        let stage = try StagedDirectory(target: out, marker: ShardManifest.fileName)
        do {
            var domains: [ShardManifest.Domain] = []
            let allDocuments = corpus.manifest.domains.reduce(0) { $0 + $1.trainDocuments + $1.valDocuments }
            var documentsDone = 0
            for d in corpus.manifest.domains {
                let start = Date()
                var splits: [ShardManifest.Split] = []
                for split in CorpusStore.Split.allCases {
                    var ids: [Int32] = []
                    var docs = 0, bytes = 0
                    try corpus.forEachDocument(domain: d.name, split: split) { doc in
                        tokenizer.encode(validUTF8: doc, into: &ids)
                        ids.append(eot)
                        docs += 1
                        bytes += doc.count
                        documentsDone += 1
                        advance(documentsDone, allDocuments)
                        return true
                    }
                    let file = "\(d.name)/\(split.rawValue).bin"
                    try stage.write(TokenShard.encode(ids, width: width), to: file)
                    splits.append(.init(file: file, documents: docs, tokens: ids.count, bytes: bytes))
                }
                guard splits[1].tokens >= minValidationTokens else {
                    throw CorpusError.tooLittleText(domain: d.name, detail:
                        "validation split has \(splits[1].tokens) tokens, fewer than the required \(minValidationTokens); rebuild with a larger --val-bytes")
                }
                domains.append(.init(name: d.name, train: splits[0], val: splits[1]))
                let secs = Date().timeIntervalSince(start)
                progress(String(format: "tokenize: %@: %d train + %d val tokens (%.1f s, %.1f MB/s)", d.name, splits[0].tokens,
                                splits[1].tokens, secs, Double(splits[0].bytes + splits[1].bytes) / 1e6 / max(secs, 1e-9)))
            }
            let manifest = ShardManifest(tokenWidth: width, tokenizer: .init(
                file: tokenizerFile.lastPathComponent, sha256: SHA256.hex(fileBytes), vocabSize: model.vocabSize, endOfTextId: Int(eot)),
                domains: domains)
            // The tokenizer travels with its shards: TokenStore checks it against the manifest's sha256.
            try stage.write(Data(fileBytes), to: tokenizerFile.lastPathComponent)
            try stage.write(prettyJSON(manifest), to: ShardManifest.fileName)
            try stage.commit()
            return manifest
        } catch {
            stage.abandon()
            throw error
        }
    }
}
