import Base
import Foundation
import Testing
import Training
import Transformer
@testable import Proxies

/// A BERT proxy's inputs: `[CLS] window [SEP]` with padding and attention mask for a short window, token type 0;
/// the validation masks are a function of the domain's name only; a GPT-2 proxy's cache fingerprint keeps its form.
struct BertProxyDataTests {
    let tokens = BertSpecialTokens(pad: 1, cls: 2, sep: 3, mask: 4, all: [0])

    @Test func standardInputsWithPadding() {
        let b = tokens.batch([[10, 11, 12, 13], [20, 21], [30, 31, 32, 33, 34, 35]], context: 6)
        #expect(b.batchSize == 3 && b.sequenceLength == 6 && b.labels == nil)
        #expect(b.inputIDs == [2, 10, 11, 12, 13, 3,
                               2, 20, 21, 3, 1, 1,
                               2, 30, 31, 32, 33, 3])  // a long window is cut to context - 2
        #expect(b.attentionMask == [1, 1, 1, 1, 1, 1,  1, 1, 1, 1, 0, 0,  1, 1, 1, 1, 1, 1])
        #expect(b.tokenTypeIDs == [Int32](repeating: 0, count: 18))
        #expect(tokens.all == [0, 1, 2, 3, 4])
    }

    /// The window source keeps the first `T - 2` tokens of each `T - 1`-token row (the last is the next window's
    /// first token) and its state is the inner source's.
    @Test func windowSourceWrapsRows() throws {
        let raw = TokenBatch(batchSize: 2, sequenceLength: 5, inputIDs: [10, 11, 12, 13, 14, 20, 21, 22, 23, 24])
        let inner = try ArrayBatchSource([raw, raw])
        let source = BertWindowSource(windows: inner, tokens: tokens, context: 6)
        var rng = TrainingRNG(seed: 0)
        let b = try source.nextBatch(using: &rng)
        #expect(b.inputIDs == [2, 10, 11, 12, 13, 3, 2, 20, 21, 22, 23, 3])
        #expect(b.attentionMask == [Int32](repeating: 1, count: 12))
        #expect(try source.checkpointState() == inner.checkpointState())
    }

    /// Same domain: the same masks, whatever the generator state elsewhere; another domain: other masks. Labels are
    /// the original ids at the selected positions and -100 elsewhere; no special or padded position is selected.
    @Test func validationMasksAreFixedPerDomain() throws {
        var g = SplitMix64(seed: 9)
        let windows = (0..<16).map { _ in (0..<(g.below(3) == 0 ? 20 : 30)).map { _ in Int32(5 + g.below(95)) } }
        let batches = stride(from: 0, to: 16, by: 4).map { tokens.batch(Array(windows[$0..<($0 + 4)]), context: 32) }
        let a = try tokens.validationMasks(batches, domain: "web", vocabSize: 100)
        let again = try tokens.validationMasks(batches, domain: "web", vocabSize: 100)
        let other = try tokens.validationMasks(batches, domain: "wiki", vocabSize: 100)
        #expect(a.map(\.inputIDs) == again.map(\.inputIDs) && a.map(\.labels) == again.map(\.labels))
        #expect(a.map(\.labels) != other.map(\.labels))
        var selected = 0, eligible = 0
        for (masked, plain) in zip(a, batches) {
            let labels = try #require(masked.labels)
            for i in plain.inputIDs.indices {
                let special = tokens.all.contains(plain.inputIDs[i])
                if !special { eligible += 1 }
                if labels[i] == -100 {
                    #expect(masked.inputIDs[i] == plain.inputIDs[i])
                } else {
                    #expect(!special && labels[i] == plain.inputIDs[i])
                    selected += 1
                }
            }
            #expect(masked.attentionMask == plain.attentionMask)
        }
        // 15% of the eligible positions, to 4 standard deviations of the binomial.
        let p = Double(selected) / Double(eligible), sd = (0.15 * 0.85 / Double(eligible)).squareRoot()
        #expect(abs(p - 0.15) < 4 * sd, "\(selected) of \(eligible)")
    }

    /// The run cache's fingerprint prints the settings; `max_positions` (added with BERT) appears only when set,
    /// so a GPT-2 proxy's fingerprint is the one its cached runs were claimed with.
    @Test func fingerprintFormOfTheModelIsUnchanged() {
        let m = ProxyConfig.Model(arch: "gpt2", nLayer: 2, nEmbd: 64, nHead: 2)
        #expect(String(reflecting: m)
                == "Proxies.ProxyConfig.Model(arch: \"gpt2\", nLayer: 2, nEmbd: 64, nHead: 2, nInner: nil)")
        let settings = ProxyConfig.Settings(model: m, context: 64, batchSize: 8, evalTokens: 4096, maxEpochs: 4)
        #expect("\(settings)" == "Settings(model: Proxies.ProxyConfig.Model(arch: \"gpt2\", nLayer: 2, nEmbd: 64, nHead: 2, "
                + "nInner: nil), context: 64, batchSize: 8, evalTokens: 4096, maxEpochs: Optional(4))")
        var bert = m
        bert.arch = "bert"; bert.nInner = 96; bert.maxPositions = 128
        #expect(String(reflecting: bert) == "Proxies.ProxyConfig.Model(arch: \"bert\", nLayer: 2, nEmbd: 64, nHead: 2, "
                + "nInner: Optional(96), maxPositions: 128)")
    }
}
