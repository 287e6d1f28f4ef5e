import Foundation
import Testing
import TestSupport
import LinearAlgebra
@testable import Transformer

/// The memory estimate (parameters exact against the built model; refusal with both numbers, also when the
/// estimate is NaN) and a NaN weight in model.safetensors named with its tensor.
@Suite struct ReliabilityModelTests {
    /// Checks the estimate's parameter count and state bytes against `model`, then runs one loss on a batch of 4 x
    /// `sequence` tokens with one worker, so the model allocates its arena (`labelled`: every n-th position has a
    /// label, BERT; nil: GPT-2's shifted input).
    static func checkStateAndAllocate(_ model: any LanguageModel, _ m: MemoryEstimate, sequence t: Int, vocab v: Int,
                                      labelled: Int?) {
        #expect(m.parameters == Double(model.parameters.count))
        #expect(m.stateBytes == 16 * Double(model.parameters.count))
        BLASThreads.with(1) { _ in
            let ids = (0..<(4 * t)).map { Int32($0 % v) }
            let labels = labelled.map { n in ids.indices.map { $0 % n == 0 ? ids[$0] : -100 } }
            _ = try? model.loss(TokenBatch(batchSize: 4, sequenceLength: t, inputIDs: ids, labels: labels))
        }
    }

    @Test func parameterCountIsExact() throws {
        for (l, e, h, v, t, inner) in [(2, 64, 2, 300, 64, nil), (3, 48, 4, 1000, 32, 100 as Int?)] {
            let c = GPT2Config(vocabSize: v, nPositions: t, nEmbd: e, nLayer: l, nHead: h, nInner: inner)
            let model = try GPT2LMHeadModel(config: c, seed: 0)
            let m = MemoryEstimate.gpt2Training(c, batch: 4, sequence: t)
            // The activations are the arena the model allocates for that batch (one worker), to the 16-float
            // alignment of each of its slices (at most 64 bytes a slice).
            Self.checkStateAndAllocate(model, m, sequence: t, vocab: v, labelled: nil)
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

    /// BERT gets the estimate too: parameters exact, the encoder arena against the one the model allocates (the
    /// MLM head's buffers aside: the estimate's head term labels every row, an upper bound), and a BERT with
    /// hidden_size 1048576 is refused with both numbers instead of trapping in the allocator.
    @Test func bertIsEstimatedAndRefused() throws {
        for (l, e, h, v, t, inner) in [(2, 32, 2, 300, 32, 128), (1, 48, 4, 1000, 16, 100)] {
            let c = BertConfig(vocabSize: v, hiddenSize: e, numHiddenLayers: l, numAttentionHeads: h, intermediateSize: inner,
                               maxPositionEmbeddings: t)
            let model = try BertForMaskedLM(config: c, seed: 0)
            let m = MemoryEstimate.bertTraining(c, batch: 4, sequence: t)
            Self.checkStateAndAllocate(model, m, sequence: t, vocab: v, labelled: 7)
            let arena = try #require(model.core.acts?.buffer.count)
            let M = Double(4 * t), head = 4 * (8 * M * Double(e) + 2 * M + min(M, 128) * Double(v))
            let encoder = m.activationBytes - head
            let slices = Double(2 + (l + 1) + 11 * l + 4)
            #expect(encoder <= 4 * Double(arena) + 4 * Double(4 * t) && 4 * Double(arena) - encoder <= 64 * slices + 4 * Double(4 * t),
                    "estimate \(encoder) vs arena \(4 * arena)")
        }
        let huge = BertConfig(vocabSize: 300, hiddenSize: 1_048_576, numHiddenLayers: 2, numAttentionHeads: 2,
                              intermediateSize: 4 * 1_048_576, maxPositionEmbeddings: 32)
        let m = MemoryEstimate.bertTraining(huge, batch: 8, sequence: 32)
        let e = #expect(throws: MemoryError.self) { try m.check("bert.yaml", machine: (16e9, "/proc/meminfo MemTotal")) }
        let text = e?.description ?? ""
        #expect(text.hasPrefix("bert.yaml: training this model needs about ") && text.contains("but this machine has 16 GB")
                && !text.contains("\n"), "\(text)")
        #expect(m.parameters > 2 * 12 * 1_048_576.0 * 1_048_576)
        let built = #expect(throws: MemoryError.self) { try BertForMaskedLM(config: huge, seed: 0) }
        #expect(built?.description.hasPrefix("model (num_hidden_layers 2, hidden_size 1048576, vocab 300): training this model needs about ") == true,
                "\(built?.description ?? "")")
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
