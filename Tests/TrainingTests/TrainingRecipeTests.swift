import Foundation
import Testing
@testable import Training

@Suite struct TrainingRecipeTests {
    func decode(_ json: String) throws -> TrainingRecipe {
        try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8))
    }
    func failure(_ json: String) -> String {
        do { _ = try decode(json).make(); return "accepted" } catch let e as TrainingError { return "\(e)" } catch {
            return TrainingRecipe.describe(error)
        }
    }

    @Test func fullRecipe() throws {
        let r = try decode("""
            {"steps": 200, "accumulation_steps": 2, "seed": 7, "evaluation_interval": 50,
             "checkpoint_interval": 100, "checkpoint_dir": "ckpt", "divergence_factor": 3,
             "schedule": {"kind": "wsd", "peak_lr": 6e-4, "warmup_steps": 10, "warmup_start_fraction": 0.01,
                          "cooldown_fraction": 0.2, "shape": "square", "final_fraction": 0.1},
             "optimizer": {"weight_decay": 0.1, "beta2": 0.95, "max_grad_norm": 0.5,
                           "decay_overrides": [{"pattern": "*.wte.weight", "decay": true}]},
             "averaging": {"swa_window": 20, "swa_interval": 5, "ema_decay": 0.99}}
            """)
        let (opt, sched, training) = try r.make()
        var expected = Schedule.wsd(peak: 6e-4, warmup: 10, totalSteps: 200, cooldownSteps: 40, shape: .square,
                                    finalFraction: 0.1)
        expected.warmupStartFraction = 0.01
        #expect(sched == expected)
        #expect(opt == OptimizerConfig(beta2: 0.95, weightDecay: 0.1, maxGradNorm: 0.5,
                                       decayOverrides: [DecayOverride(pattern: "*.wte.weight", decay: true)]))
        #expect(training == TrainingConfig(steps: 200, accumulationSteps: 2, evaluationInterval: 50,
                                           checkpointInterval: 100, checkpointDirectory: "ckpt", seed: 7,
                                           divergenceFactor: 3,
                                           averaging: AveragingConfig(swaWindow: 20, swaInterval: 5, emaDecay: 0.99)))
    }

    @Test func defaults() throws {
        let (opt, sched, training) = try decode(#"{"steps": 10, "schedule": {"kind": "cosine", "peak_lr": 1e-3}}"#).make()
        #expect(sched == .cosine(peak: 1e-3, totalSteps: 10, finalFraction: 0.1))
        #expect(opt == OptimizerConfig())
        #expect(training == TrainingConfig(steps: 10))
        let noClip = try decode(#"{"steps": 5, "schedule": {"kind": "constant", "peak_lr": 1}, "optimizer": {"no_clipping": true}}"#)
        #expect(try noClip.make().optimizer.maxGradNorm == nil)
    }

    /// Every bad recipe gives one line naming the field.
    @Test func errorsNameTheField() {
        let s = #""schedule": {"kind": "wsd", "peak_lr": 1e-3, "cooldown_steps": 2}"#
        #expect(failure(#"{"steps": 10, \#(s), "seeed": 1}"#).hasPrefix("invalid training configuration: seeed: unknown key"))
        #expect(failure(#"{"steps": 10, "schedule": {"kind": "wsd", "peak_lr": 1e-3, "cooldown": 2}}"#)
            .hasPrefix("invalid training configuration: schedule.cooldown: unknown key"))
        #expect(failure(#"{"steps": 10, "schedule": {"kind": "wsd", "peak_lr": 1e-3}}"#)
            == "invalid training configuration: schedule: wsd needs exactly one of cooldown_fraction and cooldown_steps")
        #expect(failure(#"{"steps": 10, "schedule": {"kind": "wsd", "peak_lr": 1e-3, "cooldown_steps": 2, "shape": "sqrt"}}"#)
            == "invalid training configuration: schedule.shape: 'sqrt' is not one of linear, 1-sqrt, cosine, square")
        #expect(failure(#"{"steps": 10, "schedule": {"kind": "step", "peak_lr": 1e-3}}"#)
            == "invalid training configuration: schedule.kind: 'step' is not one of constant, cosine, wsd")
        #expect(failure(#"{"steps": 10, "schedule": {"kind": "wsd", "peak_lr": "high", "cooldown_steps": 2}}"#)
            == "schedule.peak_lr: expected a number")
        #expect(failure(#"{"schedule": {"kind": "constant", "peak_lr": 1}}"#) == "steps: missing")
        #expect(failure(#"{"steps": 10, \#(s), "optimizer": {"beta2": 1.5}}"#)
            == "invalid training configuration: beta2: must lie in [0, 1), got 1.5")
        #expect(failure(#"{"steps": 10, \#(s), "averaging": {"swa_window": 10, "swa_interval": 3}}"#)
            .hasPrefix("invalid training configuration: swa:"))
        #expect(failure(#"{"steps": 10, \#(s), "optimizer": {"decay_overrides": [{"pattern": 1, "decay": true}]}}"#)
            == "optimizer.decay_overrides[0].pattern: expected a string")
    }
}
