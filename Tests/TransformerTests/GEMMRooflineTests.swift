import Testing
import LinearAlgebra
@testable import Transformer

/// The roofline records exactly the GEMMs a step issues: their FLOPs add up to the model's own
/// training-FLOP count (3x the forward's matrix products, causal blocks as computed), and recording
/// leaves the gradients and the normal (unrecorded) path alone.
struct GEMMRooflineTests {
    @Test func recordedGEMMsAreTheStepsFLOPs() throws {
        // T = 128: two causal blocks of 64, so k̄ = (128 + 64)/2 and the head runs in chunks of 256 rows.
        let c = GPT2Config(vocabSize: 97, nPositions: 128, nEmbd: 24, nLayer: 2, nHead: 3)
        let m = try GPT2LMHeadModel(config: c, seed: 1)
        let B = 3, T = 128
        let ids = (0..<(B * T)).map { Int32(($0 * 31) % 97) }
        let batch = TokenBatch(batchSize: B, sequenceLength: T, inputIDs: ids)
        m.gradients.update(repeating: 0)
        let r = try GEMMRoofline.measure(model: m, batch: batch, rounds: 1, minSeconds: 0)
        #expect(_GEMMLog.current == nil)
        let expected = m.trainingFLOPsPerToken(sequenceLength: T) * Double(B * T)
        #expect(abs(r.flops - expected) <= 1e-12 * expected, "\(r.flops) vs \(expected)")
        // Per layer: 4 linear forwards + 8 backward GEMMs; attention: 2 forward + 4 backward GEMMs per
        // (b, head, block); head: 384 rows in chunks of 256 -> 2 chunks x 3 GEMMs.
        let blocks = 2
        #expect(r.calls == 2 * 12 + 2 * 6 * B * 3 * blocks + 2 * 3)
        #expect(r.breakdown.reduce(0) { $0 + $1.calls } == r.calls)
        #expect(r.seconds > 0 && r.breakdown.allSatisfy { $0.secondsPerCall > 0 && $0.shape.threads == BLASThreads.count })
        #expect(m.gradients.allSatisfy { $0 == 0 })
    }
}
