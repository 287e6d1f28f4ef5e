import Cluster
import Foundation

/// Many run lengths from one training run (Hägele et al., arXiv 2405.18392): a constant-rate trunk and, for
/// each length `T_b` with its WSD cooldown `C_b`, a cooldown branched off the trunk at step `s_b = T_b - C_b`.
/// A branch is exactly the WSD run of length `T_b` (same schedule at every step, same data when the batch
/// source's stream does not depend on the run length), for `C_b` steps instead of `T_b`.
///
/// The trunk runs to `max_b s_b`, or to `max_b T_b` when the trunk's weight averages (SWA/EMA) are to be
/// evaluated at every length (``averagesAtEveryLength``), so the optimizer steps trained are
///
///     trunkSteps + sum_b C_b,   trunkSteps = max_b s_b  (or max_b T_b with averages at every length)
///
/// against `sum_b T_b` for separate runs. With a cooldown fraction `r` and lengths `L, 2L, 4L`:
/// `(4(1 - r) + 7r) L` (1.15x the largest run at r = 0.2; 1.35x with averages at every length) against `7L`.
public struct CooldownPlan: Sendable, Equatable {
    public struct Branch: Sendable, Equatable {
        /// The run length `T_b` (optimizer steps) and the WSD schedule a separate run of that length uses.
        public var steps: Int
        public var schedule: Schedule
        /// `C_b`.
        public var cooldownSteps: Int
        /// `s_b = T_b - C_b`: the trunk step the cooldown starts from.
        public var branchStep: Int
    }

    /// Ascending by length.
    public let branches: [Branch]
    /// The constant-rate schedule every branch agrees with before its branch step.
    public let trunkSchedule: Schedule
    public let trunkSteps: Int
    public let averagesAtEveryLength: Bool

    /// Optimizer steps of the trunk and all branches.
    public var trainedSteps: Int { trunkSteps + branches.reduce(0) { $0 + $1.cooldownSteps } }
    /// Optimizer steps of separate runs of every length.
    public var separateSteps: Int { branches.reduce(0) { $0 + $1.steps } }

    /// - Parameters:
    ///   - schedules: one WSD schedule per run length (``Schedule/totalSteps``), e.g. from ``TrainingRecipe/make()``
    ///     with `steps` set to each length; all with the same peak, warmup and warmup start. Any order; the
    ///     lengths must be distinct.
    ///   - averagesAtEveryLength: run the trunk to the longest length (not just its branch point) so the trunk's
    ///     averages are evaluated at every length.
    public init(schedules: [Schedule], averagesAtEveryLength: Bool = false) throws {
        func bad(_ f: String, _ r: String) -> TrainingError { .invalidConfiguration(field: f, reason: r) }
        guard let first = schedules.first else { throw bad("steps", "cooldown branches need at least one run length") }
        var branches: [Branch] = []
        for s in schedules {
            guard case let .warmupStableDecay(total, cool, _, _) = s.decay else {
                throw bad("schedule.kind", "several run lengths from one trunk need a wsd schedule "
                          + "(cosine and constant schedules are built for one run length)")
            }
            guard s.peakLearningRate == first.peakLearningRate, s.warmupSteps == first.warmupSteps,
                  s.warmupStartFraction == first.warmupStartFraction else {
                throw bad("schedule", "the branches' schedules must share the peak rate, warmup and warmup start (one trunk)")
            }
            guard total - cool >= s.warmupSteps else {
                throw bad("schedule.cooldown", "a run of \(total) steps would branch at step \(total - cool), inside the "
                          + "\(s.warmupSteps)-step warmup; use a longer run or a shorter cooldown or warmup")
            }
            try s.validate()
            branches.append(Branch(steps: total, schedule: s, cooldownSteps: cool, branchStep: total - cool))
        }
        branches.sort { $0.steps < $1.steps }
        for (a, b) in zip(branches, branches.dropFirst()) where a.steps == b.steps {
            throw bad("steps", "two run lengths are both \(a.steps) steps; give distinct lengths")
        }
        var trunk = Schedule.constant(peak: first.peakLearningRate, warmup: first.warmupSteps)
        trunk.warmupStartFraction = first.warmupStartFraction
        self.branches = branches
        trunkSchedule = trunk
        self.averagesAtEveryLength = averagesAtEveryLength
        trunkSteps = averagesAtEveryLength ? branches.last!.steps : branches.map(\.branchStep).max()!
    }
}

/// Runs a ``CooldownPlan``: the trunk (with checkpoints at every branch point and its final step, and, with
/// ``CooldownPlan/averagesAtEveryLength``, an evaluation at every length), then each branch restored from its branch point, resumable after a kill at any point.
///
/// Folder `directory` (the trunk's): `checkpoints/step-NNNNNNNN` (periodic ones from `training.checkpointInterval`,
/// the branch points, the trunk's last step; removed once every branch has finished) and `trunk.json` (the
/// trunk's evaluations at each length, rewritten atomically after each, and whether the trunk is complete).
/// A new invocation resumes the trunk from its latest checkpoint (keeping the evaluations up to it), skips the
/// branches `isFinished` reports, and trains the others from their branch points: the same numbers as an
/// uninterrupted run, bit for bit at the same thread count.
public final class CooldownBranchRun {
    /// Who a trainer is for.
    public enum Role: Equatable, Sendable {
        case trunk
        /// Index into ``CooldownPlan/branches``.
        case branch(Int)
    }

    /// The trunk's held-out losses (mean loss per evaluation set) after `step` steps: raw, SWA, EMA weights
    /// (the averaged ones empty when off, or SWA before its first window closes).
    public struct TrunkEvaluation: Codable, Equatable, Sendable {
        public var step: Int
        public var raw: [String: Double]
        public var swa: [String: Double]
        public var ema: [String: Double]
    }

    /// What ``run(training:makeTrainer:isFinished:finish:)`` did.
    public struct Outcome {
        /// The trunk's evaluations at the branch lengths it reached, by length.
        public var trunkEvaluations: [Int: TrunkEvaluation]
        /// Summaries of the branches trained by this invocation, by branch index.
        public var branchSummaries: [Int: TrainingSummary]
        /// Optimizer steps this invocation trained (trunk and branches).
        public var stepsTrained: Int
    }

    struct _State: Codable { var evaluations: [TrunkEvaluation]; var trunkComplete: Bool }

    public let plan: CooldownPlan
    public let directory: URL
    /// Data parallelism: every rank calls ``run(training:makeTrainer:isFinished:finish:)`` alike; rank 0 writes.
    public var communicator: (any Communicator)?
    /// The trunk's CSV log (`nil`: none). A branch's log (the trainer's ``Trainer/log``, attached by `makeTrainer`)
    /// starts with the trunk's rows up to its branch point, as a separate run would have written them.
    public var trunkLog: URL?

    public init(plan: CooldownPlan, directory: URL) {
        self.plan = plan
        self.directory = directory
    }

    var checkpoints: URL { directory.appendingPathComponent("checkpoints") }
    var stateURL: URL { directory.appendingPathComponent("trunk.json") }
    func checkpoint(_ step: Int) -> URL { Trainer.checkpointURL(in: checkpoints, step: step) }

    /// Steps of the complete checkpoints in `checkpoints/`.
    func savedSteps() -> Set<Int> { Trainer.savedCheckpointSteps(in: checkpoints) }

    /// Trains what is missing.
    ///
    /// - Parameters:
    ///   - training: the loop settings of a separate run (its `steps` and `checkpointDirectory` are replaced:
    ///     the trunk checkpoints into `directory/checkpoints` every `checkpointInterval` steps and at the branch
    ///     points; branches do not checkpoint).
    ///   - makeTrainer: a fresh trainer (new model, new batch source) for a role with the given schedule and
    ///     loop settings; for a branch, attach its log here when wanted.
    ///   - isFinished: whether branch `i`'s output already exists (the same answer on every rank).
    ///   - finish: called on every rank when branch `i` has trained, with its trainer and summary: write its output.
    public func run(training: TrainingConfig, makeTrainer: (Role, Schedule, TrainingConfig) throws -> Trainer,
                    isFinished: (Int) throws -> Bool,
                    finish: (Int, Trainer, TrainingSummary) throws -> Void) throws -> Outcome {
        let fm = FileManager.default
        let writes = (communicator?.rank ?? 0) == 0
        let lengths = Set(plan.branches.map(\.steps))
        let unfinished = try plan.branches.indices.filter { try !isFinished($0) }
        var state = (try? JSONDecoder().decode(_State.self, from: Data(contentsOf: stateURL)))
            ?? _State(evaluations: [], trunkComplete: false)
        var outcome = Outcome(trunkEvaluations: [:], branchSummaries: [:], stepsTrained: 0)
        func record() -> [Int: TrunkEvaluation] { Dictionary(state.evaluations.map { ($0.step, $0) }, uniquingKeysWith: { a, _ in a }) }
        if unfinished.isEmpty, state.trunkComplete {
            outcome.trunkEvaluations = record()
            return outcome
        }
        if writes {
            do { try fm.createDirectory(at: checkpoints, withIntermediateDirectories: true) } catch {
                throw TrainingError.checkpoint(path: checkpoints.path, reason: "cannot create: \(error.localizedDescription)")
            }
        }
        try communicator?.barrier()

        // The trunk: from the latest checkpoint that every unfinished branch can still be reached from.
        let saved = savedSteps()
        let needed = unfinished.map { plan.branches[$0].branchStep }
        let limit = min(plan.trunkSteps, needed.filter { !saved.contains($0) }.min() ?? Int.max)
        let start = saved.filter { $0 <= limit }.max()
        if start != plan.trunkSteps {
            state.trunkComplete = false
            state.evaluations.removeAll { $0.step > (start ?? 0) }
            var config = training
            config.steps = plan.trunkSteps
            config.checkpointDirectory = checkpoints.path
            let t0 = Self.now()
            let trunk = try makeTrainer(.trunk, plan.trunkSchedule, config)
            trunk.communicator = communicator
            trunk.extraCheckpointSteps = Set(plan.branches.map(\.branchStep)).union([plan.trunkSteps])
            // Evaluations cost: one is worth many steps of a small model, so the trunk evaluates at every length only
            // when its averages are wanted there (the branches' own final evaluations are the results), and not at
            // its own last step (a branch point: no run ends there) unless the evaluation interval asks for it.
            trunk.extraEvaluationSteps = plan.averagesAtEveryLength ? lengths.filter { $0 <= plan.trunkSteps } : []
            trunk.evaluatesAtLastStep = false
            let t1 = Self.now()
            if let start { try trunk.restoreCheckpoint(from: checkpoint(start)) }
            let t2 = Self.now()
            if let trunkLog { try trunk.logCSV(to: trunkLog) }
            let stateURL = stateURL, box = Box(state)
            trunk.onEvaluation = { step, raw, swa, ema in
                guard lengths.contains(step) else { return }
                func map(_ r: [EvaluationResult]) -> [String: Double] {
                    Dictionary(uniqueKeysWithValues: r.map { ($0.name, $0.meanLoss) })
                }
                box.value.evaluations.removeAll { $0.step == step }
                box.value.evaluations.append(TrunkEvaluation(step: step, raw: map(raw), swa: map(swa), ema: map(ema)))
                if writes { try Self.save(box.value, to: stateURL) }
            }
            let t3 = Self.now()
            if trunk.step == 0, writes, trunk.extraCheckpointSteps.contains(0) { try trunk.saveCheckpoint(to: checkpoint(0)) }
            let before = trunk.step, trained = trunk._trainingSeconds, t4 = Self.now()
            _ = try trunk.run()
            outcome.stepsTrained += trunk.step - before
            trunk.progress.phase("trunk", steps: trunk.step - before, [
                "training": trunk._trainingSeconds - trained, "evaluation": trunk.evaluationSeconds,
                "checkpoints": trunk.checkpointSeconds + t4 - t3, "restore": t2 - t1, "setup": t1 - t0 + t3 - t2,
                "total": Self.now() - t0])
            state = box.value
            state.trunkComplete = true
            if writes { try Self.save(state, to: stateURL) }
        } else if !state.trunkComplete {
            state.trunkComplete = true
            if writes { try Self.save(state, to: stateURL) }
        }
        try communicator?.barrier()

        for i in unfinished {
            let b = plan.branches[i]
            var config = training
            config.steps = b.steps
            config.checkpointInterval = 0
            config.checkpointDirectory = nil
            let t0 = Self.now()
            let trainer = try makeTrainer(.branch(i), b.schedule, config)
            trainer.communicator = communicator
            let t1 = Self.now()
            try trainer.restoreCheckpoint(from: checkpoint(b.branchStep), branch: true)
            let t2 = Self.now()
            if writes, let log = trainer.log, let trunkLog {
                let interval = config.evaluationInterval
                try TrainingLog.copyPrefix(from: trunkLog, to: log.url, through: b.branchStep) { interval > 0 && $0 % interval == 0 }
            }
            let trained = trainer._trainingSeconds, t3 = Self.now()
            let summary = try trainer.run()
            outcome.stepsTrained += b.cooldownSteps
            outcome.branchSummaries[i] = summary
            let t4 = Self.now()
            try finish(i, trainer, summary)
            let t5 = Self.now()
            trainer.progress.phase("branch \(b.steps)", steps: b.cooldownSteps, [
                "training": trainer._trainingSeconds - trained, "evaluation": trainer.evaluationSeconds, "restore": t2 - t1,
                "setup": t1 - t0 + t3 - t2, "output": t5 - t4, "total": t5 - t0])
            try communicator?.barrier()
        }
        if writes { try? fm.removeItem(at: checkpoints) }
        try communicator?.barrier()
        outcome.trunkEvaluations = record()
        return outcome
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    final class Box<T> { var value: T; init(_ v: T) { value = v } }

    static func save(_ state: _State, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try encoder.encode(state).write(to: url, options: .atomic) } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
