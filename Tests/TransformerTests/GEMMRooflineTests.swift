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
        #expect(ThreadContext.current == nil)
        let expected = m.trainingFLOPsPerToken(sequenceLength: T) * Double(B * T)
        #expect(abs(r.flops - expected) <= 1e-12 * expected, "\(r.flops) vs \(expected)")
        // W slices of the batch (rows i·B/W ..< (i+1)·B/W), each per layer 4 linear forwards + 8 backward
        // GEMMs and its LM head in chunks of 256 rows (3 GEMMs each); attention: 2 forward + 4 backward
        // GEMMs per (b, head, block), wherever the rows run.
        let W = min(Parallel.workers, B), blocks = 2
        let chunks = (0..<W).reduce(0) { n, i in n + (((i + 1) * B / W - i * B / W) * T + 255) / 256 }
        #expect(r.calls == W * 2 * 12 + 2 * 6 * B * 3 * blocks + 3 * chunks)
        #expect(r.breakdown.reduce(0) { $0 + $1.calls } == r.calls)
        // Inside slices OpenBLAS runs one thread per slice, and the slices overlap.
        #expect(r.seconds > 0 && r.breakdown.allSatisfy {
            $0.secondsPerCall > 0 && $0.shape.concurrency == W && $0.shape.threads == (W > 1 ? 1 : BLASThreads.count)
        })
        #expect(m.gradients.allSatisfy { $0 == 0 })
    }
}
