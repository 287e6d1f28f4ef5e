import Testing
import LinearAlgebra
@testable import Transformer

/// The row-parallel kernels split work by thread count only, so two runs give identical bits.
struct DeterminismTests {
    @Test func repeatedRunsAreBitIdentical() throws {
        let c = GPT2Config(vocabSize: 301, nPositions: 40, nEmbd: 48, nLayer: 2, nHead: 4)
        func run() throws -> (Float, [Float]) {
            let m = try GPT2LMHeadModel(config: c, seed: 9)
            let ids = (0..<(6 * 40)).map { Int32(($0 * 7919) % 301) }
            let loss = try m.forwardBackward(TokenBatch(batchSize: 6, sequenceLength: 40, inputIDs: ids), lossScale: 1)
            return (loss, Array(m.gradients))
        }
        let (l1, g1) = try run(), (l2, g2) = try run()
        #expect(l1 == l2)
        #expect(g1 == g2)
        #expect(g1.contains { $0 != 0 })
    }
}
