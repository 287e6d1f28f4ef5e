import Base
import Cluster
import DataMixing
import Foundation
import Training

/// DDO at several budgets from one WSD trunk per mixture: the engine of `autoscale ddo run --tokens 4k,8k,16k`
/// (and of the pipeline's `budgets:` with a WSD proxy).
///
/// The plans of the budgets have the same runs (the base, each domain scaled by each factor) and, with a
/// uniform or any fixed base, the same proportions at every budget up to the rounding of whole tokens. Run `r`
/// is therefore one mixture: its weights are the largest budget's quantities (``DDOPlan/Run/tokens`` as
/// Doubles) and budget `k` trains it for `n_rk = Σ_d P_k.runs[r].tokens[d]` tokens, all of them as one trunk with a
/// cooldown branched at each `n_rk` (``ProxyTrainer`` `runBranched`).
/// The quantities a branch trains are those weights split over `n_rk` by largest remainder; they are what its
/// record and the budget's loss table hold. When budget `k`'s quantities are exactly proportional to the
/// largest's (the demo's and the tests' budgets), they are the plan's own and the budget's folder is byte for
/// byte the folder of a single-budget `ddo run` (same process, same BLAS threads); otherwise a quantity moves by
/// at most one token (the fit uses the quantities trained, so nothing is biased).
///
/// Layout of `output`: `ddo-<label>/` per budget, exactly a single-budget ``DDOExperiment`` folder (`proxy.txt`,
/// `runs/<id>.json`, `losses.csv`, `result.json`); `trunks/<id>/` the trunk checkpoints of a mixture in progress
/// (removed once its every budget has its record, kept by a kill for the resume); `budgets.json` last.
public struct DDOBudgets: Sendable {
    /// A budget: its label as given (the folder `ddo-<label>`) and its tokens.
    public struct Budget: Sendable, Equatable {
        public var label: String
        public var tokens: Int
        public init(label: String, tokens: Int) {
            self.label = label
            self.tokens = tokens
        }
    }

    /// Budgets in increasing order of tokens.
    public let budgets: [Budget]
    /// Each budget's plan as ``DDOPlan`` makes it (what a trainer that cannot branch trains, ``runSeparately``).
    let plans: [DDOPlan]
    /// One experiment per budget (same order), its plan holding the quantities its branches train.
    public let experiments: [DDOExperiment]
    /// Where the trunks of mixtures in progress keep their checkpoints (`<trunks>/<run id>/`).
    public let trunks: URL
    /// `budgets.json` (labels, tokens, folders, the steps trained against separate runs); `nil`: not written.
    public let summaryURL: URL?
    /// Called on the rank that trained a branch, right after its record is on disk, with the budget's index (a
    /// test hook of `autoscale ddo run`).
    public var afterRecord: (@Sendable (DDOPlan.Run, Int) -> Void)?

    /// The layout of `autoscale ddo run`: `output/ddo-<label>/`, `output/trunks/`, `output/budgets.json`.
    public init(domains: [String], budgets: [Budget], factors: [Double] = DDOPlan.defaultFactors,
                baseWeights: [Double]? = nil, output: URL, settings: DDOSettings = DDOSettings()) throws {
        try self.init(domains: domains, budgets: budgets, factors: factors, baseWeights: baseWeights,
                      folder: { output.appendingPathComponent("ddo-\($0.label)") },
                      trunks: output.appendingPathComponent("trunks"),
                      summary: output.appendingPathComponent("budgets.json"), settings: settings)
    }

    /// Any layout: budget `b`'s experiment folder `folder(b)` (the pipeline's `ddo-<label>/` or, with several
    /// seeds, `ddo-<label>/seed-<s>/`).
    ///
    /// - Throws: ``FieldError`` on `tokens` for fewer than two budgets or two of one size, or any ``DDOPlan`` error.
    public init(domains: [String], budgets: [Budget], factors: [Double] = DDOPlan.defaultFactors,
                baseWeights: [Double]? = nil, folder: (Budget) -> URL, trunks: URL, summary: URL?,
                settings: DDOSettings = DDOSettings()) throws {
        let sorted = budgets.sorted { $0.tokens < $1.tokens }
        guard sorted.count >= 2 else { throw FieldError("tokens", "a list needs at least two budgets") }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.tokens == b.tokens {
            throw FieldError("tokens", "lists a budget twice (\(a.label) and \(b.label) are both \(a.tokens) tokens)")
        }
        let plans = try sorted.map {
            try DDOPlan(domains: domains, budget: $0.tokens, baseWeights: baseWeights, factors: factors)
        }
        let largest = plans.last!
        let experiments = try zip(sorted, plans).map { budget, plan -> DDOExperiment in
            var realized = plan
            for r in realized.runs.indices {
                let total = plan.runs[r].tokens.reduce(0, +)
                let weights = largest.runs[r].tokens.map(Double.init)
                realized.runs[r].tokens = try MixtureBudget(domains: domains, weights: weights, total: total).tokens
            }
            realized.baseTokens = realized.runs[0].tokens
            return DDOExperiment(plan: realized, output: folder(budget), settings: settings)
        }
        self.budgets = sorted
        self.plans = plans
        self.experiments = experiments
        self.trunks = trunks
        summaryURL = summary
    }

    func trunk(_ run: DDOPlan.Run) -> URL { trunks.appendingPathComponent(run.id) }

    /// What one mixture gave: its record at every budget and the optimizer steps it costs.
    struct Mixture: Codable {
        var records: [RunRecord]
        /// Steps of the trunk plus its cooldowns, and of separate runs at every budget.
        var trainedSteps: Int, separateSteps: Int
    }

    /// Trains every mixture that lacks a record at some budget (a mixture is one job of a `distributedMap` over the
    /// ranks, trained in one process), then fits each budget (writing its `losses.csv` and `result.json`
    /// on rank 0, as ``DDOExperiment`` does) and writes `budgets.json`. Returns the analyses in budget order.
    /// `progress` receives one line per mixture.
    public func run(trainer: ProxyTrainer, communicator: any Communicator = LocalCommunicator(),
                    progress: (String) -> Void = { _ in }) throws -> [DDOAnalysis] {
        let runs = experiments[0].plan.runs
        guard trainer.domains == experiments[0].plan.domains else {
            throw DataMixingError.invalidArgument(
                "the trainer's domains \(trainer.domains) differ from the plan's \(experiments[0].plan.domains)")
        }
        // Every mixture's list of budgets must branch (a WSD schedule, distinct step counts): checked before any run.
        let branches = try runs.indices.map { try trainer.cooldownPlan(weights: weights($0), budgets: totals($0)).plan }
        try Cluster.onRankZero(communicator) {
            for e in experiments { try e.cache.claim(fingerprint: trainer.fingerprint) }
        }
        try communicator.barrier()
        let mixtures: [Mixture]
        do {
            mixtures = try distributedMap(count: runs.count, communicator: communicator) { r in
                try mixture(r, plan: branches[r], trainer: trainer, progress: progress)
            }
        } catch let e as DistributedMapError {
            throw SharedError(DataMixingError.invalidArgument(
                "mixture \(e.job + 1)/\(runs.count) \(runs[e.job].id) failed on rank \(e.rank): \(e.message)"))
        }
        let write = communicator.size == 1 || communicator.rank == 0
        if write, (try? FileManager.default.contentsOfDirectory(atPath: trunks.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: trunks)
        }
        let analyses = try Cluster.onEveryRank(communicator) {
            try experiments.indices.map { k in try experiments[k].fit(mixtures.map { $0.records[k] }, write: write) }
        }
        if write {
            try writeSummary(steps: (mixtures.map(\.trainedSteps).reduce(0, +), mixtures.map(\.separateSteps).reduce(0, +)))
        }
        return analyses
    }

    /// DDO at every budget with a trainer that cannot branch (a user's `--trainer-command`): each budget's plan as
    /// planned, trained run by run through ``DDOExperiment/run(trainer:communicator:progress:)`` in the same folders,
    /// then `budgets.json` (without step counts: the command's are unknown).
    public func runSeparately(trainer: any RunTrainer, communicator: any Communicator = LocalCommunicator(),
                              progress: (String) -> Void = { _ in }) throws -> [DDOAnalysis] {
        let analyses = try zip(budgets, zip(plans, experiments)).enumerated().map { k, item in
            let (budget, (plan, branched)) = item
            var e = DDOExperiment(plan: plan, output: branched.output, settings: branched.settings)
            if let hook = afterRecord { e.afterRecord = { hook($0, k) } }
            return try e.run(trainer: trainer, communicator: communicator) { progress("\(budget.label) \($0)") }
        }
        if communicator.size == 1 || communicator.rank == 0 { try writeSummary(steps: nil) }
        return analyses
    }

    /// `budgets.json` (when ``summaryURL`` is set): each budget's label, tokens and folder, the mixtures, and the
    /// optimizer steps of the trunks plus cooldowns against separate runs when known.
    func writeSummary(steps: (trained: Int, separate: Int)?) throws {
        guard let summaryURL else { return }
        var fields: [(String, JSONValue)] = [
            ("budgets", .array(zip(budgets, experiments).map { b, e in
                .object([("label", .string(b.label)), ("tokens", .integer(b.tokens)),
                         ("folder", .string(e.output.lastPathComponent))])
            })),
            ("mixtures", .integer(plans[0].runs.count)),
        ]
        if let steps { fields += [("trained_steps", .integer(steps.trained)), ("separate_steps", .integer(steps.separate))] }
        try AtomicFile.write(JSONValue.object(fields).serialized() + "\n", to: summaryURL)
    }

    /// Mixture `r`'s run total at every budget.
    func totals(_ r: Int) -> [Int] { experiments.map { $0.plan.runs[r].tokens.reduce(0, +) } }

    /// Mixture `r`'s weights: the largest budget's quantities.
    func weights(_ r: Int) -> [Double] { experiments.last!.plan.runs[r].tokens.map(Double.init) }

    /// Mixture `r`: its records if every budget has one, else its trunk and the missing branches.
    func mixture(_ r: Int, plan: CooldownPlan, trainer: ProxyTrainer, progress: (String) -> Void) throws -> Mixture {
        let run = experiments.last!.plan.runs[r], count = experiments[0].plan.runs.count
        let totals = totals(r)
        let tag = "mixture \(r + 1)/\(count) \(run.id)"
        var records = experiments.map { $0.cached($0.plan.runs[r]) }
        if records.allSatisfy({ $0 != nil }) {
            progress(RunProgressLine.cached(tag))
        } else {
            let quantities = zip(run.tokens, trainer.domains).map { "\($1)=\($0)" }.joined(separator: " ")
            progress(RunProgressLine.training(tag, on: quantities
                     + " with branches at " + totals.map(String.init).joined(separator: ",")))
            let folder = trunk(run)
            _ = try trainer.runBranched(weights: weights(r), budgets: totals, directory: folder,
                                        isFinished: { records[$0] != nil }) { k, result in
                let e = experiments[k], planned = e.plan.runs[r]
                let record = RunRecord(id: planned.id, tokens: e.tokens(planned), losses: result.losses)
                try e.cache.store(record)
                records[k] = record
                afterRecord?(planned, k)
            }
            try? FileManager.default.removeItem(at: folder)
        }
        return Mixture(records: records.map { $0! }, trainedSteps: plan.trainedSteps, separateSteps: plan.separateSteps)
    }
}
