import Base
import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// `MaskedLMBatchSource`: statistics of the masks it serves, labels -100 exactly where nothing was
/// selected, determinism in the trainer's generator, the at-least-one-label rule, and exact resume
/// of a BERT training run through a trainer checkpoint.
struct MaskedLMBatchSourceTests {
    static func source(_ batches: [TokenBatch]) throws -> MaskedLMBatchSource {
        MaskedLMBatchSource(tokens: try ArrayBatchSource(batches), masking: try DynamicMaskingTests.masking())
    }

    /// Over 4 batches of 64 x 512 ([CLS] ... [SEP] [PAD]*): unselected positions have label -100 and
    /// their input unchanged; selected ones are eligible, labelled with the original id; the 15% and
    /// 80/10/10 proportions are within 5 binomial standard deviations.
    @Test func masksWithTheStatedProportions() throws {
        let input = DynamicMaskingTests.batch()
        let src = try Self.source([input])
        var rng = TrainingRNG(seed: 11)
        var eligible = 0, selected = 0, masked = 0, replaced = 0, kept = 0
        for _ in 0..<4 {
            let out = try src.nextBatch(using: &rng)
            let labels = try #require(out.labels)
            #expect(out.attentionMask == input.attentionMask && out.batchSize == input.batchSize)
            for i in input.inputIDs.indices {
                let id = input.inputIDs[i]
                let isEligible = src.masking.isEligible(input, at: i)
                if isEligible { eligible += 1 }
                if labels[i] == -100 { #expect(out.inputIDs[i] == id); continue }
                #expect(isEligible && labels[i] == id)
                selected += 1
                let o = out.inputIDs[i]
                if o == DynamicMaskingTests.mask { masked += 1 } else if o == id { kept += 1 } else { replaced += 1 }
            }
        }
        func within(_ k: Int, _ n: Int, _ p: Double) -> Bool {
            abs(Double(k) - Double(n) * p) <= 5 * (Double(n) * p * (1 - p)).squareRoot()
        }
        let V = Double(DynamicMaskingTests.V)
        #expect(within(selected, eligible, 0.15), "selected \(selected) of \(eligible)")
        #expect(within(masked, selected, 0.8 + 0.1 / V), "masked \(masked) of \(selected)")
        #expect(within(replaced, selected, 0.1 * (1 - 2 / V)), "replaced \(replaced) of \(selected)")
        #expect(within(kept, selected, 0.1 + 0.1 / V), "kept \(kept) of \(selected)")
    }

    /// The same generator state gives the same batches; each pass over the inner batches is masked anew.
    @Test func deterministicInTheGenerator() throws {
        let input = DynamicMaskingTests.batch()
        let a = try Self.source([input]), b = try Self.source([input]), c = try Self.source([input])
        var ra = TrainingRNG(seed: 3), rb = TrainingRNG(seed: 3), rc = TrainingRNG(seed: 4)
        let a1 = try a.nextBatch(using: &ra), b1 = try b.nextBatch(using: &rb), c1 = try c.nextBatch(using: &rc)
        #expect(a1.inputIDs == b1.inputIDs && a1.labels == b1.labels)
        #expect(a1.labels != c1.labels)
        let a2 = try a.nextBatch(using: &ra)
        #expect(a2.labels != a1.labels, "the same sequences get a fresh mask on the next pass")
    }

    /// One eligible position and a selection probability of 0: that position is still labelled;
    /// with no eligible position the source throws a one-line data error.
    @Test func atLeastOneLabel() throws {
        let ids: [Int32] = [1, 7, 2, 0]  // [CLS] w [SEP] [PAD]
        let batch = TokenBatch(batchSize: 1, sequenceLength: 4, inputIDs: ids, attentionMask: [1, 1, 1, 0])
        let never = try DynamicMasking(maskTokenID: 3, vocabSize: 10, padTokenID: 0, specialTokenIDs: [1, 2, 3],
                                       selectProbability: 0)
        var rng = TrainingRNG(seed: 1)
        let src = MaskedLMBatchSource(tokens: try ArrayBatchSource([batch]), masking: never)
        for _ in 0..<20 {
            let out = try src.nextBatch(using: &rng)
            #expect(out.labels == [-100, 7, -100, -100])
        }
        let none = MaskedLMBatchSource(tokens: try ArrayBatchSource([TokenBatch(batchSize: 1, sequenceLength: 2, inputIDs: [1, 2])]),
                                       masking: never)
        #expect { try none.nextBatch(using: &rng) } throws: { e in
            let s = "\(e)"
            return s.contains("no maskable position") && !s.contains("\n")
        }
    }

    /// A tiny BERT trained 8 steps on masked batches equals, bit for bit, the same run stopped at
    /// step 4, checkpointed, and resumed into a freshly initialized model.
    @Test func bertTrainingResumesExactly() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var gen = TrainingRNG(seed: 21)
        let sequences = (0..<3).map { _ in
            TokenBatch(batchSize: 2, sequenceLength: 12, inputIDs: (0..<24).map { i -> Int32 in
                i % 12 == 0 ? 1 : i % 12 == 11 ? 2 : Int32(4 + gen.below(36))
            })
        }
        func trainer(modelSeed: UInt64, checkpoints: Bool) throws -> (Trainer, BertForMaskedLM) {
            let model = try BertForMaskedLM(config: BertConfig(vocabSize: 40, hiddenSize: 12, numHiddenLayers: 1,
                                                               numAttentionHeads: 2, intermediateSize: 20,
                                                               maxPositionEmbeddings: 16), seed: modelSeed)
            let masking = try DynamicMasking(maskTokenID: 3, vocabSize: 40, padTokenID: 0, specialTokenIDs: [1, 2, 3])
            let t = try Trainer(model: model, data: MaskedLMBatchSource(tokens: try ArrayBatchSource(sequences), masking: masking),
                                optimizer: OptimizerConfig(weightDecay: 0.01, maxGradNorm: 1.0),
                                schedule: .constant(peak: 1e-2),
                                config: TrainingConfig(steps: 8, checkpointInterval: checkpoints ? 4 : 0,
                                                       checkpointDirectory: checkpoints ? dir.url.path : nil, seed: 5))
            t.progress.quiet = true
            return (t, model)
        }
        let (full, fullModel) = try trainer(modelSeed: 1, checkpoints: true)
        let losses = try full.run().losses
        let (resumed, resumedModel) = try trainer(modelSeed: 99, checkpoints: false)
        try resumed.restoreCheckpoint(from: dir.url.appendingPathComponent("step-00000004"))
        let tail = try resumed.run().losses
        #expect(tail == Array(losses[4...]))
        #expect(Array(resumedModel.parameters) == Array(fullModel.parameters))
        #expect(resumed.rng == full.rng)
        #expect(Set(losses).count > 1, "the loss changes as it trains")
    }
}
