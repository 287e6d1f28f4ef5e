import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// Fixtures/training/adamw_bigram.json (Fixtures/gen/training_adamw.py): ten PyTorch AdamW steps.
struct AdamWFixture: Decodable {
    struct Batch: Decodable { var input_ids: [Int32]; var labels: [Int32] }
    struct Step: Decodable {
        var loss: Double, micro_losses: [Double], grad_norm: Double, lr: Double
        var wte: [Double], proj: [Double], bias: [Double]
        enum CodingKeys: String, CodingKey {
            case loss, micro_losses, grad_norm, lr, wte = "wte.weight", proj = "proj.weight", bias
        }
        var parameters: [Double] { wte + proj + bias }
    }
    var vocab: Int, dim: Int, batch: Int, seq: Int, steps: Int, accumulation: Int
    var peak_lr: Double, warmup: Int, cooldown_fraction: Double, weight_decay: Double, max_grad_norm: Double
    var initial: [String: [Float]]
    var batches: [Batch]
    var steps_out: [Step]
    enum CodingKeys: String, CodingKey {
        case vocab, dim, batch, seq, steps, accumulation, peak_lr, warmup, cooldown_fraction, weight_decay,
             max_grad_norm, initial = "init", batches, steps_out
    }

    func model() -> BigramModel {
        let m = BigramModel(vocab: vocab, dim: dim)
        let flat = initial["wte.weight"]! + initial["proj.weight"]! + initial["bias"]!
        for i in flat.indices { m.parameters[i] = flat[i] }
        return m
    }

    func tokenBatches() -> [TokenBatch] {
        batches.map { TokenBatch(batchSize: batch, sequenceLength: seq, inputIDs: $0.input_ids, labels: $0.labels) }
    }

    func trainer(_ model: BigramModel) throws -> Trainer {
        let t = try Trainer(
            model: model, data: try ArrayBatchSource(tokenBatches()),
            optimizer: OptimizerConfig(weightDecay: weight_decay, maxGradNorm: max_grad_norm),
            schedule: .wsd(peak: peak_lr, warmup: warmup, totalSteps: steps, cooldownFraction: cooldown_fraction,
                           shape: .oneMinusSqrt),
            config: TrainingConfig(steps: steps, accumulationSteps: accumulation, divergenceFactor: nil))
        t.progress.quiet = true
        return t
    }
}

@Suite struct AdamWReferenceTests {
    let fixture: AdamWFixture
    init() throws { fixture = try Fixture.json(AdamWFixture.self, "training/adamw_bigram.json") }

    /// Ten steps (WSD 1-sqrt schedule, clipping active on some steps, two accumulated
    /// micro-batches) match PyTorch: losses and pre-clip norms to 1e-6 relative (measured: 5e-8,
    /// 7e-8), learning rates to 1e-15, every parameter after every step to 1e-6 absolute
    /// (measured 1.2e-7; parameters are O(1)).
    @Test func tenStepsMatchPyTorch() throws {
        let model = fixture.model()
        let trainer = try fixture.trainer(model)
        var clipped = 0
        for (i, expected) in fixture.steps_out.enumerated() {
            let r = try trainer.trainStep()
            #expect(r.step == i + 1)
            #expect(abs(r.loss - expected.loss) <= 1e-6 * expected.loss, "step \(i + 1) loss \(r.loss) vs \(expected.loss)")
            #expect(abs(r.gradientNorm - expected.grad_norm) <= 1e-6 * expected.grad_norm,
                    "step \(i + 1) norm \(r.gradientNorm) vs \(expected.grad_norm)")
            #expect(abs(r.learningRate - expected.lr) <= 1e-15, "step \(i + 1) lr")
            let diff = maxAbsDiff(Array(model.parameters), expected.parameters)
            #expect(diff <= 1e-6, "step \(i + 1) parameters differ by \(diff)")
            if expected.grad_norm > fixture.max_grad_norm { clipped += 1 }
        }
        #expect(clipped >= 2, "the fixture must exercise clipping")
        #expect(trainer.optimizer.step == 10)
    }

    /// The same run through the plain API (AdamW + clip by hand) gives bit-identical parameters,
    /// so the trainer adds nothing hidden.
    @Test func trainerEqualsManualLoop() throws {
        let a = fixture.model(), b = fixture.model()
        let trainer = try fixture.trainer(a)
        for _ in 0..<fixture.steps { try trainer.trainStep() }

        let opt = try AdamW(parameterCount: b.parameters.count, specs: b.parameterSpecs,
                            config: OptimizerConfig(weightDecay: fixture.weight_decay, maxGradNorm: fixture.max_grad_norm))
        let batches = fixture.tokenBatches()
        for s in 0..<fixture.steps {
            b.gradients.update(repeating: 0)
            for k in 0..<2 { _ = try b.forwardBackward(batches[2 * s + k], lossScale: 0.5) }
            GradientClipping.clip(b.gradients, maxNorm: fixture.max_grad_norm)
            opt.update(parameters: b.parameters, gradients: UnsafeBufferPointer(b.gradients),
                       learningRate: trainer.schedule.learningRate(at: s))
        }
        #expect(Array(a.parameters) == Array(b.parameters))
    }
}
