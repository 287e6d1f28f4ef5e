import Base
import Foundation
import Testing
import TestSupport
@testable import Transformer

/// Per-sequence loss weights (DoReMi's reweighted objective `Σ_n w_b(n) ℓ_n / Σ_n w_b(n)`) and the per-token
/// losses: the weighted gradient against central finite differences in Double (GradientCheckTests' oracle and
/// tolerance, 1e-8 relative), the weighted loss against the formula over the per-token losses, and weights all 1
/// against the unweighted step bit for bit in Float.
struct LossWeightTests {
    static let config = GPT2Config(vocabSize: 11, nPositions: 8, nEmbd: 12, nLayer: 2, nHead: 3, nInner: 20)
    static let ids: [Int32] = [1, 5, 3, 10, 0, 2, 7, 7, 4, 9, 1, 6, 3, 3, 8, 2, 0, 1]
    static let labels: [Int32] = [1, 5, -100, 10, 0, 2, 7, 7, 4, 9, -100, 6, 3, 3, 8, 2, 0, 1]

    @Test func weightedGradientMatchesFiniteDifferences() throws {
        let m = try GPT2Core<Double>(config: Self.config)
        GradientCheckTests().randomize(m.params, seed: 5)
        let batch = TokenBatch(batchSize: 3, sequenceLength: 6, inputIDs: Self.ids, labels: Self.labels,
                               lossWeights: [0.25, 1.5, 0])
        try GradientCheckTests().check(m.params, loss: { try m.run(batch, lossScale: nil) },
                                       backward: { try m.run(batch, lossScale: 1) })
    }

    @Test func weightedLossIsTheWeightedMeanOfTheTokenLosses() throws {
        let m = try GPT2Core<Double>(config: Self.config)
        GradientCheckTests().randomize(m.params, seed: 6)
        let w = [0.25, 1.5, 0.7]
        var batch = TokenBatch(batchSize: 3, sequenceLength: 6, inputIDs: Self.ids, labels: Self.labels)
        let token = try m.tokenLosses(batch)
        // Position t of row b predicts label t+1: no target at t = 5 nor where label t+1 is -100.
        for b in 0..<3 { for t in 0..<6 {
            let counted = t + 1 < 6 && Self.labels[b * 6 + t + 1] != -100
            #expect(token[b * 6 + t].isNaN == !counted, "row \(b) position \(t)")
        } }
        var num = 0.0, den = 0.0, plain = 0.0, n = 0.0
        for (i, l) in token.enumerated() where !l.isNaN {
            num += w[i / 6] * l; den += w[i / 6]; plain += l; n += 1
        }
        #expect(abs(try m.run(batch, lossScale: nil) - plain / n) < 1e-13)
        batch.lossWeights = w.map(Float.init)
        let wf = w.map { Double(Float($0)) }
        var numf = 0.0, denf = 0.0
        for (i, l) in token.enumerated() where !l.isNaN { numf += wf[i / 6] * l; denf += wf[i / 6] }
        #expect(abs(try m.run(batch, lossScale: nil) - numf / denf) < 1e-13)
        #expect(abs(numf / denf - num / den) < 1e-7)  // Float(w) rounding only
        #expect(abs(numf / denf - plain / n) > 1e-3)  // the weights matter at this size
    }

    @Test func unitWeightsGiveTheUnweightedBits() throws {
        let a = try GPT2LMHeadModel(config: Self.config, seed: 9), b = try GPT2LMHeadModel(config: Self.config, seed: 9)
        let plain = TokenBatch(batchSize: 3, sequenceLength: 6, inputIDs: Self.ids, labels: Self.labels)
        var ones = plain
        ones.lossWeights = [1, 1, 1]
        let la = try a.forwardBackward(plain, lossScale: 0.5), lb = try b.forwardBackward(ones, lossScale: 0.5)
        #expect(la.bitPattern == lb.bitPattern)
        #expect(zip(a.gradients, b.gradients).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(a.gradients.contains { $0 != 0 })
        #expect(try a.loss(plain).bitPattern == b.loss(ones).bitPattern)
        let token = try a.tokenLosses(plain).filter { !$0.isNaN }
        #expect(abs(Double(token.reduce(0, +)) / Double(token.count) - Double(la)) < 1e-5)
    }

    @Test func badWeightsAreRefused() throws {
        let m = try GPT2LMHeadModel(config: Self.config, seed: 1)
        func batch(_ w: [Float]) -> TokenBatch {
            TokenBatch(batchSize: 3, sequenceLength: 6, inputIDs: Self.ids, labels: Self.labels, lossWeights: w)
        }
        for w: [Float] in [[1, 1], [1, -1, 1], [1, .nan, 1], [0, 0, 0]] {
            #expect(throws: ModelError.self) { try m.loss(batch(w)) }
        }
        let bert = try BertForMaskedLM(config: BertConfig(vocabSize: 13, hiddenSize: 12, numHiddenLayers: 1,
                                                          numAttentionHeads: 2, maxPositionEmbeddings: 8), seed: 1)
        let masked = TokenBatch(batchSize: 1, sequenceLength: 4, inputIDs: [2, 5, 7, 3], labels: [-100, 5, -100, -100],
                                lossWeights: [1])
        #expect(throws: ModelError.self) { try bert.loss(masked) }
    }
}
