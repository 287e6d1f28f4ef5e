import Foundation
import Testing
import TestSupport
import Training
import Transformer

/// Ten AdamW steps of a small random GPT-2 with a WSD (1-sqrt) schedule and clipping at 1.0, against
/// PyTorch (`Fixtures/gen/training_gpt2_steps.py`: HF `GPT2LMHeadModel`, `torch.optim.AdamW` with our
/// default decay groups, `clip_grad_norm_`). The engine and the trainer together must track PyTorch:
/// every step's loss (before its update) and every pre-clip gradient norm to 1e-5 relative (issue 4
/// asks 1e-4; achieved 1.2e-7 and 8.8e-8 on this machine), and the schedule's rates to 1e-12 relative.
struct GPT2TrainingStepsTests {
    struct Reference: Decodable {
        struct Settings: Decodable {
            var steps: Int, warmup: Int, cooldown_fraction: Double, shape: String, peak_lr: Double
            var beta1: Double, beta2: Double, epsilon: Double, weight_decay: Double, max_grad_norm: Double
        }
        struct Batch: Decodable { var input_ids: [[Int32]]; var labels: [[Int32]] }
        var settings: Settings
        var batches: [Batch]
        var lrs: [Double]
        var losses: [Double]
        var grad_norms: [Double]
    }

    @Test func tenWSDStepsTrackPyTorch() throws {
        let ref = try Fixture.json(Reference.self, "training/gpt2_steps/steps.json")
        let s = ref.settings
        let model = try Checkpoint.loadGPT2(Fixture.url("training/gpt2_steps"))
        let batches = ref.batches.map { b in
            TokenBatch(batchSize: b.input_ids.count, sequenceLength: b.input_ids[0].count,
                       inputIDs: b.input_ids.flatMap { $0 }, labels: b.labels.flatMap { $0 })
        }
        let shape = try #require(CooldownShape(rawValue: s.shape))
        let trainer = try Trainer(
            model: model, data: try ArrayBatchSource(batches),
            optimizer: OptimizerConfig(beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon,
                                       weightDecay: s.weight_decay, maxGradNorm: s.max_grad_norm),
            schedule: .wsd(peak: s.peak_lr, warmup: s.warmup, totalSteps: s.steps,
                           cooldownFraction: s.cooldown_fraction, shape: shape),
            config: TrainingConfig(steps: s.steps, divergenceFactor: nil))
        var losses: [Double] = [], norms: [Double] = [], lrs: [Double] = []
        for _ in 0..<s.steps {
            let r = try trainer.trainStep()
            losses.append(r.loss); norms.append(r.gradientNorm); lrs.append(r.learningRate)
        }
        #expect(maxRelDiff(lrs, ref.lrs, floor: 1e-30) <= 1e-12)
        let lossErr = maxRelDiff(losses, ref.losses), normErr = maxRelDiff(norms, ref.grad_norms)
        #expect(lossErr <= 1e-5, "loss rel err \(lossErr): ours \(losses) torch \(ref.losses)")
        #expect(normErr <= 1e-5, "grad norm rel err \(normErr): ours \(norms) torch \(ref.grad_norms)")
        // The fixture is a real training run: the loss of the first batch fell between its visits.
        #expect(ref.losses[8] < ref.losses[0] - 0.2)
    }
}
