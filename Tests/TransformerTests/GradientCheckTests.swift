import Base
import Foundation
import Testing
import TestSupport
@testable import Transformer

/// The second, independent oracle: central finite differences of the loss in Double, on every
/// parameter entry of tiny GPT-2 and BERT models, against the hand-written backward pass.
/// `fd = (L(p + h) - L(p - h)) / 2h` with h = 1e-5 has truncation error ~h^2 and rounding error
/// ~1e-16/h, so |fd - analytic| <= 1e-8 * max(1, |analytic|) is tight yet safe (observed ~1.5e-10).
struct GradientCheckTests {
    /// Random weights of size `scale` (LayerNorm weights near 1), so every nonlinearity is exercised.
    func randomize<F: ModelScalar>(_ p: ParameterStore<F>, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for s in p.specs {
            let isLNWeight = s.name.hasSuffix("ln_1.weight") || s.name.hasSuffix("ln_2.weight") || s.name.hasSuffix("ln_f.weight")
                || s.name.hasSuffix("LayerNorm.weight")
            for i in 0..<s.count {
                p.values.pointer[s.offset + i] = F((isLNWeight ? 1 : 0) + 0.3 * rng.normal())
            }
        }
    }

    func check(_ p: ParameterStore<Double>, loss: () throws -> Double, backward: () throws -> Double) throws {
        p.grads.zero()
        let l0 = try backward()
        #expect(abs(try loss() - l0) < 1e-14)
        let h = 1e-5
        var worst = 0.0, checked = 0
        for s in p.specs {
            for i in 0..<s.count {
                let q = p.values.pointer + s.offset + i
                let saved = q.pointee
                q.pointee = saved + h; let lp = try loss()
                q.pointee = saved - h; let lm = try loss()
                q.pointee = saved
                let fd = (lp - lm) / (2 * h), an = p.grads.pointer[s.offset + i]
                let e = abs(fd - an) / max(1, abs(an))
                worst = max(worst, e); checked += 1
                #expect(e < 1e-8, "\(s.name)[\(i)]: finite difference \(fd), backward \(an)")
            }
        }
        print("gradient check: \(checked) entries, worst error \(worst)")
    }

    @Test func gpt2() throws {
        let config = GPT2Config(vocabSize: 11, nPositions: 8, nEmbd: 12, nLayer: 2, nHead: 3, nInner: 20)
        let m = try GPT2Core<Double>(config: config)
        randomize(m.params, seed: 1)
        let batch = TokenBatch(batchSize: 2, sequenceLength: 6, inputIDs: [1, 5, 3, 10, 0, 2, 7, 7, 4, 9, 1, 6],
                               labels: [1, 5, -100, 10, 0, 2, 7, 7, 4, 9, -100, 6])
        try check(m.params, loss: { try m.run(batch, lossScale: nil) }, backward: { try m.run(batch, lossScale: 1) })
    }

    @Test func bert() throws {
        let config = BertConfig(vocabSize: 13, hiddenSize: 12, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16,
                                maxPositionEmbeddings: 8, typeVocabSize: 2, layerNormEps: 1e-12)
        let m = try BertCore<Double>(config: config)
        randomize(m.params, seed: 2)
        let batch = TokenBatch(batchSize: 2, sequenceLength: 5, inputIDs: [2, 12, 5, 7, 3, 4, 8, 1, 0, 0],
                               labels: [-100, 3, -100, 9, -100, 11, -100, 2, -100, -100],
                               attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], tokenTypeIDs: [0, 0, 1, 1, 1, 0, 0, 0, 0, 0])
        try check(m.params, loss: { try m.run(batch, lossScale: nil) }, backward: { try m.run(batch, lossScale: 1) })
    }
}
