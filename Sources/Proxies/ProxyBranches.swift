import Base
import DataMixing
import Cluster
import Corpus
import Foundation
import Training
import Transformer

/// One mixture at several budgets: a proxy run per budget whose data is a prefix of one stream, so that with a
/// WSD recipe all budgets come from one constant-rate trunk with a cooldown branched at each
/// (``CooldownBranchRun``; Docs/training.md, "Many run lengths from one trunk").
///
/// A budget `N` with weights `w` becomes `n = sum_d round(q_d / (T-1))` sequences, `q` the budget split by largest
/// remainder (the count a run of those quantities has), drawn from ``MixtureSampler`` with the weights themselves,
/// so the `n`-sequence stream of a smaller budget is the start of a larger budget's stream; the run trains
/// `floor(n / B)` steps with the recipe's schedule built for that length.
extension ProxyTrainer {
    /// Sequences of a budget split by `weights` (see the extension's documentation).
    public func sequences(weights: [Double], budget: Int) throws -> Int {
        let t = config.sequenceTokens
        return try MixtureBudget(domains: domains, weights: weights, total: budget).sequences(predictedPerSequence: t).reduce(0, +)
    }

    func _sampler(weights: [Double], sequences: Int) throws -> MixtureSampler {
        let s = config.settings
        return try MixtureSampler(domains: zip(domains, weights).map { d, w in (d, try store.shard(d, split: .train), w) },
                                  sequences: sequences, sequenceLength: config.sequenceTokens, seed: config.seed,
                                  maxEpochs: s.maxEpochs ?? 4)
    }

    /// Optimizer steps of a budget, or an error naming the budget when it gives less than one batch.
    func _steps(weights: [Double], budget: Int) throws -> Int {
        let n = try sequences(weights: weights, budget: budget), b = config.settings.batchSize
        guard n / b >= 1 else {
            throw DataMixingError.invalidArgument(
                "a run of \(budget) tokens gives \(n) sequences, fewer than one batch of \(b): the budget is too small for this proxy")
        }
        return n / b
    }

    func _trainer(weights: [Double], sequences: Int, schedule: Schedule, training: TrainingConfig,
                  optimizer: OptimizerConfig) throws -> (Trainer, any LanguageModel) {
        let model = try makeModel()
        let trainer = try Trainer(model: model, data: try trainingSource(try _sampler(weights: weights, sequences: sequences)),
                                  optimizer: optimizer, schedule: schedule, config: training, evaluationSets: evaluationSets)
        trainer.progress = progress
        return (trainer, model)
    }

    /// Periodic checkpoints of a run that can be resumed: the folder, and the interval for a run of a given
    /// number of steps.
    public struct Checkpoints {
        public var folder: URL
        public var interval: (_ steps: Int) -> Int
        public init(folder: URL, interval: @escaping (_ steps: Int) -> Int) {
            self.folder = folder
            self.interval = interval
        }
    }

    /// One run of the mixture `weights` (one per domain, only their ratios matter) at `budget` tokens: exactly
    /// the run a branch of ``runBranched(weights:budgets:directory:trunkLog:branchLog:communicator:isFinished:finish:)``
    /// reproduces for that budget. With `checkpoints` it checkpoints periodically into their folder and first
    /// restores the latest complete one there (`resumed` gets its step and the run's steps), to the same bits as an
    /// uninterrupted run.
    public func run(weights: [Double], budget: Int, log: URL? = nil, communicator: (any Communicator)? = nil,
                    checkpoints: Checkpoints? = nil, resumed: (_ step: Int, _ steps: Int) -> Void = { _, _ in })
        throws -> Run {
        let steps = try _steps(weights: weights, budget: budget)
        var recipe = config.recipe
        recipe.steps = steps
        var (optimizer, schedule, training) = try recipe.make()
        if let checkpoints {
            training.checkpointInterval = checkpoints.interval(steps)
            training.checkpointDirectory = checkpoints.folder.path
        }
        let (trainer, model) = try _trainer(weights: weights, sequences: steps * config.settings.batchSize, schedule: schedule,
                                            training: training, optimizer: optimizer)
        trainer.communicator = communicator
        if let folder = checkpoints?.folder, let step = Trainer.savedCheckpointSteps(in: folder).filter({ $0 <= steps }).max() {
            try trainer.restoreCheckpoint(from: Trainer.checkpointURL(in: folder, step: step))
            resumed(step, steps)
        }
        if let log { try trainer.logCSV(to: log) }
        var summary = try trainer.run()
        if summary.evaluation.isEmpty {
            // Resumed from the last step's checkpoint: the run is complete, its final evaluation is the same.
            summary.evaluation = try trainer.evaluate()
        }
        return Run(losses: Dictionary(uniqueKeysWithValues: summary.evaluation.map { ($0.name, $0.meanLoss) }), model: model,
                   summary: summary, communicationSeconds: trainer.communicationSeconds)
    }

    /// The plan of a branched run: the recipe's schedule at each budget's step count (budgets in the given order
    /// map to ``CooldownPlan/branches`` by step count). Errors name the recipe field (a cosine or constant
    /// schedule, a branch point inside the warmup) or the budgets (two budgets of one step count).
    public func cooldownPlan(weights: [Double], budgets: [Int]) throws -> (plan: CooldownPlan, steps: [Int]) {
        let steps = try budgets.map { try _steps(weights: weights, budget: $0) }
        for i in steps.indices { for j in steps.indices where j > i && steps[i] == steps[j] {
            throw DataMixingError.invalidArgument(
                "budgets \(budgets[i]) and \(budgets[j]) both give \(steps[i]) steps; give budgets at least one batch apart")
        } }
        let schedules = try steps.map { s -> Schedule in
            var recipe = config.recipe
            recipe.steps = s
            return try recipe.make().schedule
        }
        let averaging = config.recipe.averaging.map { $0.swaWindow != nil || $0.emaDecay != nil } ?? false
        return (try CooldownPlan(schedules: schedules, averagesAtEveryLength: averaging), steps)
    }

    /// The mixture `weights` at every budget from one WSD trunk with a cooldown branched at each (the recipe's
    /// schedule must be `wsd`): branch `i` of the plan (ascending budgets) equals ``run(weights:budget:log:communicator:)``
    /// at its budget (`budgets` ascending). `finish(i, run)` receives each branch's run to write its output; `isFinished(i)` skips branches
    /// already written; `directory` holds the trunk's checkpoints (removed at the end) and `trunk.json`. With SWA or
    /// EMA in the recipe the trunk runs to the largest budget and evaluates them at every budget.
    public func runBranched(weights: [Double], budgets: [Int], directory: URL, trunkLog: URL? = nil,
                            branchLog: (Int) -> URL? = { _ in nil }, communicator: (any Communicator)? = nil,
                            isFinished: (Int) throws -> Bool = { _ in false },
                            finish: (Int, Run) throws -> Void) throws -> (plan: CooldownPlan, outcome: CooldownBranchRun.Outcome) {
        let (plan, steps) = try cooldownPlan(weights: weights, budgets: budgets)
        guard steps == steps.sorted() else {
            throw DataMixingError.invalidArgument("budgets \(budgets) must be in increasing order (branch i is the i-th budget)")
        }
        var recipe = config.recipe
        recipe.steps = plan.branches.last!.steps
        let (optimizer, _, training) = try recipe.make()
        let b = config.settings.batchSize
        let runner = CooldownBranchRun(plan: plan, directory: directory)
        runner.communicator = communicator
        runner.trunkLog = trunkLog
        var models: [Int: any LanguageModel] = [:]
        let longest = plan.branches.last!.steps
        let outcome = try runner.run(training: training, makeTrainer: { role, schedule, loop in
            // The trunk's stream is the longest run's (a prefix-stable stream, so it draws the same batches): sized to
            // its own steps, its cursor would wrap to 0 at its last step, the longest branch's branch point.
            let sequences = (role == .trunk ? longest : loop.steps) * b
            let (trainer, model) = try _trainer(weights: weights, sequences: sequences, schedule: schedule, training: loop,
                                                optimizer: optimizer)
            if case let .branch(i) = role {
                models[i] = model
                if let url = branchLog(i) { try trainer.logCSV(to: url) }
            }
            return trainer
        }, isFinished: isFinished, finish: { i, trainer, summary in
            try finish(i, Run(losses: Dictionary(uniqueKeysWithValues: summary.evaluation.map { ($0.name, $0.meanLoss) }),
                              model: models[i]!, summary: summary, communicationSeconds: trainer.communicationSeconds))
            models[i] = nil
        })
        return (plan, outcome)
    }
}
