import Base
import Corpus
import Foundation
import Training
import Transformer

/// The special tokens a BERT proxy needs, read from the token folder's tokenizer (`autoscale tokenizer train
/// --bert` adds them after `<|endoftext|>`).
public struct BertSpecialTokens: Sendable, Equatable {
    public var pad: Int32, cls: Int32, sep: Int32, mask: Int32
    /// Every special token of the tokenizer (`<|endoftext|>` included): never selected for masking.
    public var all: Set<Int32>
    public static let names = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"]

    public init(pad: Int32, cls: Int32, sep: Int32, mask: Int32, all: Set<Int32> = []) {
        self.pad = pad; self.cls = cls; self.sep = sep; self.mask = mask
        self.all = all.union([pad, cls, sep, mask])
    }

    /// The ids of `[PAD] [CLS] [SEP] [MASK]` in `store`'s tokenizer; a tokenizer without them is one line saying
    /// how to make a folder that has them.
    public init(store: TokenStore) throws {
        let model = try TokenizerJSON.load(store.tokenizerURL)
        let ids = Self.names.map { model.specialId($0) }
        guard let pad = ids[0], let cls = ids[1], let sep = ids[2], let mask = ids[3] else {
            let missing = zip(Self.names, ids).filter { $0.1 == nil }.map(\.0)
            throw CorpusError.badFormat(path: store.tokenizerURL.path, detail: "has no " + missing.joined(separator: " ")
                + " special token" + (missing.count > 1 ? "s" : "") + ", which a BERT proxy (model.arch: bert) needs; "
                + "make a tokenizer with `autoscale tokenizer train --bert` and tokenize the corpus with it "
                + "(`autoscale corpus tokenize`)")
        }
        self.init(pad: pad, cls: cls, sep: sep, mask: mask, all: Set(model.specials.map(\.id)))
    }

    /// BERT's 15% dynamic masking (80% `[MASK]`, 10% a random id, 10% kept) over a vocabulary of `vocabSize`,
    /// never selecting a special token or padding.
    public func masking(vocabSize: Int) throws -> DynamicMasking {
        try DynamicMasking(maskTokenID: mask, vocabSize: vocabSize, padTokenID: pad, specialTokenIDs: all)
    }

    /// Standard BERT inputs of context `T`: row `r` is `[CLS] windows[r] [SEP]`, then `[PAD]` up to `T` when the
    /// window is shorter than `T - 2` (attention mask 1 on `[CLS] ... [SEP]`, 0 on the padding); token type 0
    /// everywhere; no labels (the masking sets them). A window longer than `T - 2` is cut to its first `T - 2`.
    public func batch(_ windows: [[Int32]], context t: Int) -> TokenBatch {
        var ids: [Int32] = [], attention: [Int32] = []
        ids.reserveCapacity(windows.count * t); attention.reserveCapacity(windows.count * t)
        for w in windows {
            let text = w.prefix(t - 2)
            ids.append(cls); ids += text; ids.append(sep)
            let pads = t - 2 - text.count
            ids += repeatElement(pad, count: pads)
            attention += repeatElement(1, count: text.count + 2); attention += repeatElement(0, count: pads)
        }
        return TokenBatch(batchSize: windows.count, sequenceLength: t, inputIDs: ids, labels: nil, attentionMask: attention,
                          tokenTypeIDs: [Int32](repeating: 0, count: ids.count))
    }

    /// ``batch(_:context:)`` of the rows of a token batch (``MixtureBatchSource``'s or a validation reader's: rows of
    /// `T - 1` tokens, of which the first `T - 2` are kept).
    public func batch(rowsOf raw: TokenBatch, context t: Int) -> TokenBatch {
        let l = raw.sequenceLength
        return batch((0..<raw.batchSize).map { Array(raw.inputIDs[($0 * l)..<($0 * l + l)]) }, context: t)
    }
}

/// BERT inputs from the sequences of a token source (``MixtureBatchSource``: rows of `T - 1` tokens, of which the
/// first `T - 2` are a sampler window; the last is the next window's first token, GPT-2's shifted target): each row
/// becomes `[CLS]` + its `T - 2` window tokens + `[SEP]` (``BertSpecialTokens/batch(_:context:)``). No labels: a
/// ``MaskedLMBatchSource`` on top masks it. The RNG is not used; the state is the inner source's.
public final class BertWindowSource: TrainingBatchSource {
    public let windows: any TrainingBatchSource
    public let tokens: BertSpecialTokens
    public let context: Int

    public init(windows: any TrainingBatchSource, tokens: BertSpecialTokens, context: Int) {
        self.windows = windows; self.tokens = tokens; self.context = context
    }

    public func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        tokens.batch(rowsOf: try windows.nextBatch(using: &rng), context: context)
    }

    public func checkpointState() throws -> Data { try windows.checkpointState() }

    public func restore(checkpointState: Data) throws { try windows.restore(checkpointState: checkpointState) }
}

extension BertSpecialTokens {
    /// A domain's validation batches, masked once: `batches` (BERT inputs) through ``MaskedLMBatchSource`` with a
    /// generator seeded by the domain's name (the first 8 bytes of SHA-256 of `"bert validation masks <name>"`, big
    /// endian), not by the proxy's seed, so every run, seed and process evaluates the same masked positions.
    public func validationMasks(_ batches: [TokenBatch], domain: String, vocabSize: Int) throws -> [TokenBatch] {
        let digest = SHA256.digest(Array("bert validation masks \(domain)".utf8))
        var rng = TrainingRNG(seed: digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        let source = MaskedLMBatchSource(tokens: try ArrayBatchSource(batches), masking: try masking(vocabSize: vocabSize))
        return try batches.map { _ in try source.nextBatch(using: &rng) }
    }
}
