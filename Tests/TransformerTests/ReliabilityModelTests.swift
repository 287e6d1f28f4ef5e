import Foundation
import Testing
import TestSupport
import LinearAlgebra
@testable import Transformer

/// The memory estimate (parameters exact against the built model; refusal with both numbers, also when the
/// estimate is NaN) and a NaN weight in model.safetensors named with its tensor.
@Suite struct ReliabilityModelTests {
    @Test func parameterCountIsExact() throws {
        for (l, e, h, v, t, inner) in [(2, 64, 2, 300, 64, nil), (3, 48, 4, 1000, 32, 100 as Int?)] {
            let c = GPT2Config(vocabSize: v, nPositions: t, nEmbd: e, nLayer: l, nHead: h, nInner: inner)
            let model = try GPT2LMHeadModel(config: c, seed: 0)
            let m = MemoryEstimate.gpt2Training(c, batch: 4, sequence: t)
            #expect(m.parameters == Double(model.parameters.count))
            #expect(m.stateBytes == 16 * Double(model.parameters.count))
            // The activations are the arena the model allocates for that batch (one worker), to the 16-float
            // alignment of each of its slices (at most 64 bytes a slice).
            BLASThreads.with(1) { _ in
                let ids = (0..<(4 * t)).map { Int32($0 % v) }
                _ = try? model.loss(TokenBatch(batchSize: 4, sequenceLength: t, inputIDs: ids))
            }
            let arena = try #require(model.core.acts?.buffer.count)
            let slices = Double(l * 12 + (l + 1) + 6 + 2)
            #expect(m.activationBytes <= 4 * Double(arena) && 4 * Double(arena) - m.activationBytes <= 64 * slices,
                    "estimate \(m.activationBytes) vs arena \(4 * arena)")
        }
    }

    @Test func tooLargeIsRefusedWithBothNumbers() throws {
        let c = GPT2Config(vocabSize: 300, nPositions: 64, nEmbd: 1_048_576, nLayer: 2, nHead: 2, nInner: nil)
        let m = MemoryEstimate.gpt2Training(c, batch: 8, sequence: 64)
        let e = #expect(throws: MemoryError.self) { try m.check("big.yaml", machine: (16e9, "/proc/meminfo MemTotal")) }
        let text = e?.description ?? ""
        #expect(text.hasPrefix("big.yaml: training this model needs about ") && text.contains("but this machine has 16 GB"))
        #expect(!text.contains("\n"))
        try MemoryEstimate.gpt2Training(GPT2Config(vocabSize: 300, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 2, nInner: nil),
                                        batch: 8, sequence: 64).check("tiny", machine: (16e9, "test"))
        var nan = m
        nan.activationBytes = .nan
        #expect(throws: MemoryError.self) { try nan.check("nan", machine: (16e9, "test")) }
        #expect(MemoryEstimate.machineMemory().map { $0.bytes > 0 } == true)
    }

    @Test func nanWeightIsNamedWithItsTensor() throws {
        let tmp = try TempDir()
        let c = GPT2Config(vocabSize: 50, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, nInner: nil)
        let model = try GPT2LMHeadModel(config: c, seed: 1)
        try Checkpoint.save(model, to: tmp.url)
        let file = tmp.path("model.safetensors")
        var (tensors, _) = try SafeTensors.read(file)
        tensors["transformer.h.0.mlp.c_fc.weight"]!.values[7] = .nan
        try SafeTensors.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, to: file)
        let e = #expect(throws: ModelError.self) { try Checkpoint.load(tmp.url) }
        let text = e?.description ?? ""
        #expect(text.hasPrefix(file.path + ": tensor \"transformer.h.0.mlp.c_fc.weight\" holds a non-finite weight (nan at flat index 7)"),
                "\(text)")
    }
}
