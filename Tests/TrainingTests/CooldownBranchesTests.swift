import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// The WSD schedule of a separate run of `steps` steps in these tests (warmup 2, 25% 1-sqrt cooldown).
func wsd(_ steps: Int) -> Schedule { .wsd(peak: 0.02, warmup: 2, totalSteps: steps, cooldownFraction: 0.25) }

/// The loop settings shared by the trunk, the branches and the separate runs (`steps` set per run).
let branchTraining = TrainingConfig(steps: 0, accumulationSteps: 2, evaluationInterval: 4, checkpointInterval: 5,
                                    seed: 42, averaging: AveragingConfig(swaWindow: 4, swaInterval: 2, emaDecay: 0.8))

/// Thrown by a ``KillableSource`` when its batch budget runs out: a kill in the middle of a step.
struct Killed: Error {}

/// Batches left before the "process" dies (shared by every source of one invocation).
final class KillSwitch { var remaining: Int; init(_ n: Int) { remaining = n } }

/// ``RandomTokenSource`` that throws ``Killed`` once the switch's budget is spent.
final class KillableSource: TrainingBatchSource {
    let inner = RandomTokenSource(vocab: 11, batch: 3, length: 8)
    let kill: KillSwitch
    init(_ kill: KillSwitch) { self.kill = kill }
    func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        guard kill.remaining > 0 else { throw Killed() }
        kill.remaining -= 1
        return try inner.nextBatch(using: &rng)
    }
    func checkpointState() throws -> Data { try inner.checkpointState() }
    func restore(checkpointState: Data) throws { try inner.restore(checkpointState: checkpointState) }
}

/// A fresh bigram trainer (same initial weights every time) for a schedule and loop settings.
func freshTrainer(_ schedule: Schedule, _ config: TrainingConfig, kill: KillSwitch = KillSwitch(.max)) throws -> Trainer {
    let trainer = try Trainer(
        model: BigramModel(vocab: 11, dim: 6, seed: 3), data: KillableSource(kill),
        optimizer: OptimizerConfig(weightDecay: 0.1, maxGradNorm: 1.0), schedule: schedule, config: config,
        evaluationSets: [EvaluationSet(name: "web", source: try heldOut(seed: 100, batches: 3)),
                         EvaluationSet(name: "code", source: try heldOut(seed: 200, batches: 2))])
    trainer.progress.quiet = true
    return trainer
}

func losses(_ r: [EvaluationResult]) -> [String: Double] { Dictionary(uniqueKeysWithValues: r.map { ($0.name, $0.meanLoss) }) }

/// What one branched invocation left behind, for comparison with another.
struct BranchedRecord {
    var parameters: [Int: [Float]] = [:]
    var evaluation: [Int: [[String: Double]]] = [:]
    var roles: [CooldownBranchRun.Role] = []
}

/// One invocation of the branched run in `dir` (branch outputs: `dir/branch-i.csv` logs and `dir/done-i` markers).
func runBranched(_ plan: CooldownPlan, in dir: URL, kill: KillSwitch = KillSwitch(.max),
                 progress: TrainingProgress = TrainingProgress(quiet: true),
                 record: inout BranchedRecord) throws -> CooldownBranchRun.Outcome {
    let runner = CooldownBranchRun(plan: plan, directory: dir.appendingPathComponent("trunk"))
    runner.trunkLog = dir.appendingPathComponent("trunk.csv")
    let fm = FileManager.default
    return try runner.run(training: branchTraining, makeTrainer: { role, schedule, config in
        record.roles.append(role)
        let t = try freshTrainer(schedule, config, kill: kill)
        t.progress = progress
        if case let .branch(i) = role { try t.logCSV(to: dir.appendingPathComponent("branch-\(i).csv")) }
        return t
    }, isFinished: { fm.fileExists(atPath: dir.appendingPathComponent("done-\($0)").path) }, finish: { i, t, s in
        record.parameters[i] = Array(t.model.parameters)
        record.evaluation[i] = [losses(s.evaluation), losses(s.swaEvaluation), losses(s.emaEvaluation)]
        try Data().write(to: dir.appendingPathComponent("done-\(i)"))
    })
}

@Suite struct CooldownBranchesTests {
    /// Branch points `T - floor(0.25 T)`, ascending whatever the input order; every branch's rate equals the
    /// trunk's before its branch point; the trunk reaches the last branch point (or the longest length when
    /// averages are evaluated at every length); the cost formula counts the trunk plus the cooldowns.
    @Test func planBranchPointsAndCost() throws {
        let plan = try CooldownPlan(schedules: [20, 8, 12].map(wsd))
        #expect(plan.branches.map(\.steps) == [8, 12, 20])
        for b in plan.branches {
            let c = Int((0.25 * Double(b.steps)).rounded(.down))
            #expect(b.cooldownSteps == c && b.branchStep == b.steps - c && b.schedule == wsd(b.steps))
            for t in 0..<b.branchStep { #expect(b.schedule.learningRate(at: t) == plan.trunkSchedule.learningRate(at: t)) }
            #expect(b.schedule.learningRate(at: b.branchStep) == plan.trunkSchedule.learningRate(at: b.branchStep),
                    "the first cooldown step still runs at the peak (f(0) = 1)")
            #expect(b.schedule.learningRate(at: b.branchStep + 1) < plan.trunkSchedule.learningRate(at: b.branchStep + 1))
        }
        #expect(plan.trunkSteps == 15 && plan.trainedSteps == 15 + 2 + 3 + 5 && plan.separateSteps == 40)
        let averaged = try CooldownPlan(schedules: [8, 12, 20].map(wsd), averagesAtEveryLength: true)
        #expect(averaged.trunkSteps == 20 && averaged.trainedSteps == 30)
    }

    /// A cosine or constant schedule, schedules of different trunks, repeated lengths, a branch point inside
    /// the warmup and an empty list are each refused with one line naming the field.
    @Test func badListsRefused() {
        func message(_ schedules: [Schedule]) -> String {
            do { _ = try CooldownPlan(schedules: schedules); return "accepted" } catch { return "\(error)" }
        }
        let cases: [([Schedule], String)] = [
            ([wsd(8), .cosine(peak: 0.02, warmup: 2, totalSteps: 12)],
             "invalid training configuration: schedule.kind: several run lengths from one trunk need a wsd schedule"),
            ([.constant(peak: 0.02, warmup: 2)], "invalid training configuration: schedule.kind: "),
            ([wsd(8), .wsd(peak: 0.03, warmup: 2, totalSteps: 12, cooldownFraction: 0.25)],
             "invalid training configuration: schedule: the branches' schedules must share the peak rate"),
            ([wsd(8), wsd(12), wsd(8)], "invalid training configuration: steps: two run lengths are both 8 steps"),
            ([wsd(12), .wsd(peak: 0.02, warmup: 6, totalSteps: 8, cooldownSteps: 3)],
             "invalid training configuration: schedule: "),
            ([.wsd(peak: 0.02, warmup: 6, totalSteps: 8, cooldownSteps: 3)],
             "invalid training configuration: schedule.cooldown: a run of 8 steps would branch at step 5, inside the 6-step warmup"),
            ([], "invalid training configuration: steps: cooldown branches need at least one run length"),
        ]
        for (schedules, prefix) in cases {
            let m = message(schedules)
            #expect(m.hasPrefix(prefix), "\(m)")
            #expect(!m.contains("\n"))
        }
    }

    /// Every branch equals a separate WSD run of its length bit for bit: cooldown losses, final weights, final
    /// raw/SWA/EMA evaluations and the CSV log (apart from the wall-clock column). The trunk's evaluation at each
    /// length equals a constant-rate run of that length. The trunk plus branches train `plan.trainedSteps` steps,
    /// and the checkpoints are gone afterwards.
    @Test func branchesEqualSeparateRuns() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let plan = try CooldownPlan(schedules: [8, 12, 20].map(wsd), averagesAtEveryLength: true)
        var record = BranchedRecord()
        let outcome = try runBranched(plan, in: dir.url, record: &record)
        #expect(outcome.stepsTrained == plan.trainedSteps && plan.trainedSteps == 30)
        #expect(record.roles == [.trunk, .branch(0), .branch(1), .branch(2)])
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("trunk/checkpoints").path))
        #expect(try csvWithoutThroughput(dir.url.appendingPathComponent("trunk.csv")).count == 21)
        for (i, b) in plan.branches.enumerated() {
            var config = branchTraining
            config.steps = b.steps
            config.checkpointInterval = 0
            let separate = try freshTrainer(b.schedule, config)
            let log = dir.url.appendingPathComponent("separate-\(i).csv")
            try separate.logCSV(to: log)
            let s = try separate.run()
            let branch = try #require(outcome.branchSummaries[i])
            #expect(branch.losses == Array(s.losses.suffix(b.cooldownSteps)) && branch.losses.count == b.cooldownSteps)
            #expect(branch.steps == s.steps && branch.tokens == s.tokens)
            #expect(record.parameters[i] == Array(separate.model.parameters))
            #expect(record.evaluation[i] == [losses(s.evaluation), losses(s.swaEvaluation), losses(s.emaEvaluation)])
            #expect(try csvWithoutThroughput(dir.url.appendingPathComponent("branch-\(i).csv")) == (try csvWithoutThroughput(log)))

            let constant = try freshTrainer(plan.trunkSchedule, config)
            let c = try constant.run()
            let e = try #require(outcome.trunkEvaluations[b.steps])
            #expect(e == .init(step: b.steps, raw: losses(c.evaluation), swa: losses(c.swaEvaluation), ema: losses(c.emaEvaluation)))
            #expect(e.raw != losses(s.evaluation), "the cooldown changes the weights")
        }
    }

    /// Without averages the trunk evaluates only where a separate run would (every `evaluationInterval` steps),
    /// not at its own last step (15, a branch point); the branches still equal their separate runs bit for bit,
    /// and the trunk and each branch report where their wall time went (phase lines on the progress stream).
    @Test func trunkWithoutAveragesSkipsItsLastEvaluation() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let plan = try CooldownPlan(schedules: [8, 12, 20].map(wsd))
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        var record = BranchedRecord()
        let outcome = try runBranched(plan, in: dir.url, progress: TrainingProgress(every: 100, write: { lines.all.append($0) }),
                                      record: &record)
        #expect(plan.trunkSteps == 15 && outcome.stepsTrained == plan.trainedSteps)
        #expect(Set(outcome.trunkEvaluations.keys) == [8, 12], "interval evaluations that fall on a length")
        let trunk = try csvWithoutThroughput(dir.url.appendingPathComponent("trunk.csv"))
        let web = try #require(trunk.first?.firstIndex(of: "val_loss:web"))
        #expect(trunk.count == 16 && trunk.dropFirst().filter { !$0[web].isEmpty }.map { $0[0] } == ["4", "8", "12"])
        #expect(lines.all.filter { $0.hasPrefix("eval step 15:") }.isEmpty)
        #expect(lines.all.filter { $0.hasPrefix("eval step ") }.allSatisfy { $0.hasSuffix(" s)") })
        let phases = lines.all.filter { $0.contains(" steps, training ") }
        #expect(phases.count == 4 && phases[0].hasPrefix("trunk: 15 steps, training ") && phases[0].contains(", checkpoints "))
        #expect(phases[1].hasPrefix("branch 8: 2 steps, training ") && phases[3].hasPrefix("branch 20: 5 steps, training "))
        #expect(phases.dropFirst().allSatisfy { $0.contains(", evaluation ") && $0.contains(", restore ") && $0.hasSuffix(" s") })
        for (i, b) in plan.branches.enumerated() {
            var config = branchTraining
            config.steps = b.steps
            config.checkpointInterval = 0
            let separate = try freshTrainer(b.schedule, config)
            let log = dir.url.appendingPathComponent("separate-\(i).csv")
            try separate.logCSV(to: log)
            let s = try separate.run()
            #expect(record.parameters[i] == Array(separate.model.parameters))
            #expect(record.evaluation[i] == [losses(s.evaluation), losses(s.swaEvaluation), losses(s.emaEvaluation)])
            #expect(try csvWithoutThroughput(dir.url.appendingPathComponent("branch-\(i).csv")) == (try csvWithoutThroughput(log)))
            #expect(separate.evaluationSeconds > 0 && separate.checkpointSeconds == 0)
        }
    }

    /// Killed in the middle of the trunk, then again in the middle of the second branch, and resumed each
    /// time with fresh models and sources: the trunk continues from its latest checkpoint, the finished branch
    /// is not trained again, and every output equals the uninterrupted run's bit for bit. A fourth invocation
    /// trains nothing.
    @Test func resumeAfterKill() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let plan = try CooldownPlan(schedules: [8, 12, 20].map(wsd), averagesAtEveryLength: true)
        let reference = dir.url.appendingPathComponent("reference"), killed = dir.url.appendingPathComponent("killed")
        for d in [reference, killed] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        var expected = BranchedRecord()
        let full = try runBranched(plan, in: reference, record: &expected)

        var got = BranchedRecord()
        // 11 steps of 2 micro-batches, then death inside step 12: checkpoints at 5, 10 (interval) and 6, 9 (branch points).
        func killedRun(after batches: Int) {
            do { _ = try runBranched(plan, in: killed, kill: KillSwitch(batches), record: &got); Issue.record("not killed") } catch is Killed {
            } catch { Issue.record("\(error)") }
        }
        killedRun(after: 2 * 11 + 1)
        let runner = CooldownBranchRun(plan: plan, directory: killed.appendingPathComponent("trunk"))
        #expect(runner.savedSteps() == [5, 6, 9, 10])
        // The trunk's 10 remaining steps, branch 0's 2 cooldown steps, then death inside branch 1's first step.
        killedRun(after: 2 * (10 + 2) + 1)
        #expect(got.roles == [.trunk, .trunk, .branch(0), .branch(1)])
        got.roles = []
        let resumed = try runBranched(plan, in: killed, record: &got)
        #expect(got.roles == [.branch(1), .branch(2)])
        #expect(resumed.stepsTrained == plan.branches[1].cooldownSteps + plan.branches[2].cooldownSteps)
        #expect(got.parameters == expected.parameters && got.evaluation == expected.evaluation)
        #expect(resumed.trunkEvaluations == full.trunkEvaluations && full.trunkEvaluations.count == 3)
        for name in ["trunk.csv", "branch-0.csv", "branch-1.csv", "branch-2.csv"] {
            #expect(try csvWithoutThroughput(killed.appendingPathComponent(name))
                    == (try csvWithoutThroughput(reference.appendingPathComponent(name))), "\(name)")
        }
        got.roles = []
        let again = try runBranched(plan, in: killed, record: &got)
        #expect(got.roles.isEmpty && again.stepsTrained == 0 && again.trunkEvaluations == full.trunkEvaluations)
    }
}
