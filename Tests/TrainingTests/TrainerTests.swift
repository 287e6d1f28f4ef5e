import Base
import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

@Suite struct TrainerTests {
    /// Same seed (and, trivially here, thread count) -> the same loss curve and weights bit for
    /// bit; another seed -> other batches, another curve. Training also learns the pattern.
    @Test func deterministic() throws {
        let (a, ma) = try makeTrainer(steps: 15)
        let (b, mb) = try makeTrainer(steps: 15)
        let (c, _) = try makeTrainer(steps: 15, seed: 43)
        let la = try a.run().losses, lb = try b.run().losses, lc = try c.run().losses
        #expect(la.count == 15)
        #expect(la == lb)
        #expect(Array(ma.parameters) == Array(mb.parameters))
        #expect(la != lc)
        #expect(la.suffix(3).reduce(0, +) < la.prefix(3).reduce(0, +), "the loss should fall: \(la)")
    }

    /// A run interrupted at step 6 and resumed from its checkpoint into a freshly initialized
    /// model and data source continues bit for bit: same losses, weights, AdamW moments, SWA and
    /// EMA buffers, RNG, token count, and the same CSV log (apart from the wall-clock column).
    @Test func exactResume() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let averaging = AveragingConfig(swaWindow: 4, swaInterval: 2, emaDecay: 0.8)
        let (full, fullModel) = try makeTrainer(steps: 12, checkpoints: dir.url.appendingPathComponent("ckpt"),
                                                checkpointInterval: 6, averaging: averaging)
        let log = dir.url.appendingPathComponent("log.csv")
        try full.logCSV(to: log)
        let fullLosses = try full.run().losses
        let reference = try csvWithoutThroughput(log)

        let (resumed, resumedModel) = try makeTrainer(steps: 12, modelSeed: 77, averaging: averaging)
        #expect(Array(resumedModel.parameters) != Array(fullModel.parameters))
        try resumed.restoreCheckpoint(from: dir.url.appendingPathComponent("ckpt/step-00000006"))
        #expect(resumed.step == 6 && resumed.optimizer.step == 6)
        try resumed.logCSV(to: log)
        let summary = try resumed.run()
        #expect(summary.losses == Array(fullLosses.suffix(6)))
        #expect(Array(resumedModel.parameters) == Array(fullModel.parameters))
        #expect(resumed.optimizer.firstMoment == full.optimizer.firstMoment)
        #expect(resumed.optimizer.secondMoment == full.optimizer.secondMoment)
        #expect(resumed.swa!.completed == full.swa!.completed && resumed.swa!.running == full.swa!.running)
        #expect(resumed.ema!.average == full.ema!.average)
        #expect(resumed.rng == full.rng && resumed.tokens == full.tokens && resumed.lowestLoss == full.lowestLoss)
        #expect(summary.swaEvaluation.map(\.meanLoss) == (try full.evaluateSWA()).map(\.meanLoss))
        #expect(try csvWithoutThroughput(log) == reference)
        #expect(reference.count == 13)
    }

    /// One constant-rate trunk checkpointed at step 6 plus a 4-step 1-sqrt cooldown branched from it
    /// equals (bit for bit) a 10-step WSD run with the same 4-step cooldown trained from scratch;
    /// restoring the branch without `branch: true`, or a branch that disagrees before step 6, fails.
    @Test func cooldownBranchEqualsFullRun() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let trunkSchedule = Schedule.constant(peak: 0.02, warmup: 2)
        let (trunk, _) = try makeTrainer(steps: 6, schedule: trunkSchedule)
        _ = try trunk.run()
        let ckpt = dir.url.appendingPathComponent("trunk-6")
        try trunk.saveCheckpoint(to: ckpt)

        let cooldown = try Schedule.cooldown(branchingFrom: trunkSchedule, atStep: 6, length: 4, shape: .oneMinusSqrt)
        let (branch, branchModel) = try makeTrainer(steps: 10, schedule: cooldown)
        try branch.restoreCheckpoint(from: ckpt, branch: true)
        let branchLosses = try branch.run().losses

        let (scratch, scratchModel) = try makeTrainer(
            steps: 10, schedule: .wsd(peak: 0.02, warmup: 2, totalSteps: 10, cooldownSteps: 4, shape: .oneMinusSqrt))
        let scratchLosses = try scratch.run().losses
        #expect(branchLosses == Array(scratchLosses.suffix(4)))
        #expect(Array(branchModel.parameters) == Array(scratchModel.parameters))

        let (strict, _) = try makeTrainer(steps: 10, schedule: cooldown)
        #expect(throws: TrainingError.self) { try strict.restoreCheckpoint(from: ckpt) }
        let (wrong, _) = try makeTrainer(steps: 10, schedule: .wsd(peak: 0.03, warmup: 2, totalSteps: 10, cooldownSteps: 4))
        #expect(throws: TrainingError.self) { try wrong.restoreCheckpoint(from: ckpt, branch: true) }
    }

    /// Evaluation: per-set token-weighted mean loss and perplexity exp(mean), at the configured
    /// interval and after the last step, for raw, SWA and EMA weights.
    @Test func evaluationAndLog() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (t, model) = try makeTrainer(steps: 10, averaging: AveragingConfig(swaWindow: 4, swaInterval: 1, emaDecay: 0.9),
                                         evaluationInterval: 4)
        let log = dir.url.appendingPathComponent("log.csv")
        try t.logCSV(to: log)
        let summary = try t.run()
        var weighted = 0.0, n = 0
        try heldOut(seed: 100, batches: 3).forEachEvaluationBatch { b in
            weighted += Double(try model.loss(b)) * 18; n += 18
        }
        let web = summary.evaluation.first { $0.name == "web" }!
        #expect(web.meanLoss == weighted / Double(n) && web.tokens == 54 && web.batches == 3)
        #expect(abs(web.perplexity - exp(web.meanLoss)) < 1e-12)
        #expect(summary.swaEvaluation.count == 2 && summary.emaEvaluation.count == 2)
        #expect(summary.swaEvaluation[0].meanLoss != web.meanLoss)

        let rows = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0] == ["step", "tokens", "lr", "train_loss", "val_loss:web", "val_loss:code", "tokens_per_s",
                            "swa_val_loss:web", "swa_val_loss:code", "ema_val_loss:web", "ema_val_loss:code"])
        #expect(rows.count == 11 && rows.allSatisfy { $0.count == 11 })
        for (i, r) in rows.dropFirst().enumerated() {
            let step = i + 1
            // Predicted tokens: 2 micro-batches x 3 rows x (8 - 1) next-token targets per step.
            #expect(Int(r[0]) == step && Int(r[1]) == step * 42)
            #expect(Double(r[2]) == t.schedule.learningRate(at: i))
            #expect(Double(r[3]) == summary.losses[i])
            #expect(Double(r[6])! > 0)
            let evaluated = step == 4 || step == 8 || step == 10
            #expect(r[4].isEmpty != evaluated && r[9].isEmpty != evaluated, "row \(step)")
            // SWA windows close at steps 4 and 8, so SWA columns appear on every evaluation row.
            #expect(r[7].isEmpty != evaluated)
        }
        #expect(Double(rows[10][4]) == web.meanLoss)
    }

    /// Non-finite losses and loss blow-ups stop the run with one line naming the step.
    @Test func divergenceGuard() throws {
        func run(_ script: [Float], factor: Double? = 4) -> TrainingError? {
            let model = ScriptedLossModel(script)
            do {
                let t = try Trainer(model: model, data: RandomTokenSource(vocab: 5, batch: 2, length: 4),
                                    optimizer: OptimizerConfig(), schedule: .constant(peak: 1e-3),
                                    config: TrainingConfig(steps: 6, divergenceFactor: factor))
                t.progress.quiet = true
                _ = try t.run()
                return nil
            } catch let e as TrainingError { return e } catch { return nil }
        }
        #expect(run([2, 1.9, .nan]) == .diverged(step: 3, reason: "loss is nan on micro-batch 1 of 1"))
        #expect(run([2, .infinity])?.description.hasPrefix("training diverged at step 2: loss is inf") == true)
        let blowUp = run([3, 2, 1.5, 6.5])
        #expect(blowUp == .diverged(step: 4, reason: "loss 6.5 exceeds 4.0 x the lowest loss 1.5"))
        #expect(!(blowUp?.description.contains("\n") ?? true))
        #expect(run([3, 2, 1.5, 6.5], factor: nil) == nil)
        #expect(run([3, 2, 1.5, 5.9]) == nil)
    }

    /// A schedule built for another run length is refused, naming the field.
    @Test func scheduleLengthMustMatch() {
        #expect { _ = try makeTrainer(steps: 12, schedule: .cosine(peak: 1e-3, totalSteps: 10)) } throws: {
            "\($0)" == "invalid training configuration: steps: the schedule is built for 10 steps but the run has 12"
        }
    }

    /// Duplicate evaluation-set names are refused up front (they would collide in the log).
    @Test func evaluationNamesMustBeDistinct() throws {
        let set = EvaluationSet(name: "web", source: try heldOut(seed: 1, batches: 1))
        #expect(throws: TrainingError.self) {
            try Trainer(model: BigramModel(vocab: 11, dim: 2), data: RandomTokenSource(vocab: 11, batch: 1, length: 4),
                        optimizer: OptimizerConfig(), schedule: .constant(peak: 1e-3), config: TrainingConfig(steps: 1),
                        evaluationSets: [set, set])
        }
    }

    /// Progress lines carry step, loss, lr, tokens/s and ETA; quiet silences them.
    @Test func progressLines() throws {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let (t, _) = try makeTrainer(steps: 6, evaluationInterval: 3)
        t.progress = TrainingProgress(every: 2, write: { lines.all.append($0) })
        _ = try t.run()
        let steps = lines.all.filter { $0.hasPrefix("step ") }
        #expect(steps.count == 3)
        #expect(steps[0].hasPrefix("step 2/6  loss ") && steps[0].contains("  lr ") && steps[0].contains(" tok/s  ETA "))
        #expect(lines.all.contains { $0.hasPrefix("eval step 3: web loss ") && $0.contains("; code loss ") })
        let quietLines = Lines()
        let (q, _) = try makeTrainer(steps: 4)
        q.progress = TrainingProgress(quiet: true, write: { quietLines.all.append($0) })
        _ = try q.run()
        #expect(quietLines.all.isEmpty)
    }

    /// With a drawn progress bar the bar replaces the step lines (every step advances it); evaluation lines stay.
    /// With a bar that is not drawn (stderr not a terminal) the plain step lines are printed as without one.
    @Test func progressBarReplacesStepLines() throws {
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let frames = Lines(), lines = Lines()
        let bar = ProgressBar(terminal: true, interval: 0, clock: { 0 }, write: { frames.all.append($0) })
        let (t, _) = try makeTrainer(steps: 6, evaluationInterval: 3)
        t.progress = TrainingProgress(every: 2, bar: bar, write: { lines.all.append($0) })
        _ = try t.run()
        #expect(!lines.all.contains { $0.hasPrefix("step ") } && lines.all.contains { $0.hasPrefix("eval step 3: ") })
        #expect(frames.all.count == 6 && frames.all.last?.contains("step 6/6") == true, "\(frames.all)")
        let plainFrames = Lines(), plainLines = Lines()
        let plain = ProgressBar(terminal: false, write: { plainFrames.all.append($0) })
        let (p, _) = try makeTrainer(steps: 6, evaluationInterval: 3)
        p.progress = TrainingProgress(every: 2, bar: plain, write: { plainLines.all.append($0) })
        _ = try p.run()
        #expect(plainFrames.all.isEmpty && plainLines.all.filter { $0.hasPrefix("step ") }.count == 3)
    }
}
