import Base
import Foundation

/// Settings of ``DDORounds`` (re-centred DDO with a shrinking trust region).
public struct DDORoundsSettings: Sendable, Equatable {
    /// The first round's perturbation factor `f_1` (runs at `N_i / f` and `f N_i`); the paper's 3.
    public var initialFactor: Double
    /// The floor `f_min` of the factor: below it the perturbations' effect on the losses would sink into the
    /// trainer's noise, so the trust region stops shrinking there.
    public var minimumFactor: Double
    /// Converged when the round's optimum moves every weight by less than this, in `|ln w' - ln w|`.
    public var tolerance: Double
    /// At most this many rounds (`1`: today's one-shot DDO).
    public var maxRounds: Int
    /// The answer is the normalized geometric mean of the optima of the last `averaged` rounds run at the
    /// floor factor (`1`: the last round's optimum; the last round's when none reached the floor). With noise
    /// the iterates jitter around the optimum (and may stop early on a spuriously small move); averaging them
    /// cancels part of the jitter.
    public var averaged: Int
    /// How the rounds give their answer.
    public var answer: Answer

    /// The rounds' answer.
    public enum Answer: String, Sendable, Equatable, CaseIterable {
        /// The exact optimum of one ``LogQuadraticModel`` fitted to every run of the rounds at the floor factor
        /// (falls back to `averaged` when no round reached the floor or the model cannot be fitted or solved).
        case pooled
        /// The normalized geometric mean of the last ``DDORoundsSettings/averaged`` floor rounds' optima.
        case averaged
    }

    public init(initialFactor: Double = 3, minimumFactor: Double = 1.5, tolerance: Double = 0.01, maxRounds: Int = 8,
                averaged: Int = 1, answer: Answer = .averaged) {
        self.initialFactor = initialFactor
        self.minimumFactor = minimumFactor
        self.tolerance = tolerance
        self.maxRounds = maxRounds
        self.averaged = averaged
        self.answer = answer
    }

    /// The settings measured on the simulated worlds (Docs/autoscale.md, "DDO in rounds"): factor 3 down to
    /// a floor of 2.5, at most 12 rounds, the answer the pooled log-quadratic model's optimum over every run at
    /// the floor (the average of the last 8 floor rounds' optima as its fallback).
    public static let converging = DDORoundsSettings(initialFactor: 3, minimumFactor: 2.5, tolerance: 0.01, maxRounds: 12,
                                                     averaged: 8, answer: .pooled)

    /// One-line errors naming the option.
    public func validate() throws {
        guard initialFactor.isFinite, initialFactor > 1 else {
            throw FieldError("initial_factor", "must be a number above 1, got \(initialFactor)")
        }
        guard minimumFactor.isFinite, minimumFactor > 1, minimumFactor <= initialFactor else {
            throw FieldError("min_factor", "must be above 1 and at most the initial factor \(initialFactor), got \(minimumFactor)")
        }
        guard tolerance.isFinite, tolerance > 0 else {
            throw FieldError("tolerance", "must be a positive number, got \(tolerance)")
        }
        guard maxRounds >= 1 else { throw FieldError("rounds", "must be at least 1, got \(maxRounds)") }
        guard averaged >= 1 else { throw FieldError("average_rounds", "must be at least 1, got \(averaged)") }
    }
}

/// DDO at one budget in re-centred rounds, so it converges to the optimum when domains interact (training on
/// one domain lowers the loss on others) instead of stopping at the separable model's one-shot answer.
///
/// Round `r` (1-based) is an ordinary DDO (``DDOPlan`` + ``DDO/analyze(_:settings:)``) around base weights
/// `w_r` (`w_1` uniform or given) with factors `{1/f_r, f_r}`; its allocation is confined to the tested
/// multipliers `[1/f_r, f_r]` (the trust region: the fitted curves are only trusted where they were
/// measured) and gives the round's optimum `w'_r`. The move is `δ_r = max_i |ln w'_r,i - ln w_r,i|` (`w_r`
/// as actually trained, after rounding to whole tokens). Then
///
/// - `δ_r < tolerance` and `δ_{r-1} < tolerance`, both at `f_r = f_{r-1} = f_min`: converged, stop (a small
///   move with wide factors is not enough: the slope measured with wide factors is biased by the family's
///   misfit and by interactions; one small move at the floor can be the noise's luck);
/// - else `w_{r+1} = w'_r` and `f_{r+1} = max(f_min, min(√f_r, e^{2 δ_r}))`: the trust region at least halves
///   in `ln f`, shrinks to twice the last step, and never goes below `f_min`.
///
/// Why it converges to the true optimum. Each round measures, around its base, the objective's response to
/// every domain alone; the fitted curve's slope at `x = 1` approaches the true partial derivative
/// `∂F/∂N_i · N_i` as the factors approach 1 (interactions are second order in the step). A fixed point
/// (`w' = w`, interior) has `y_i'(1) = λ N_i` for all `i`, i.e. equal true marginal gains per token, the
/// KKT conditions of the true problem. The floor `f_min` keeps the perturbation's signal above the noise;
/// what is left of the noise is reduced by averaging the last rounds (``DDORoundsSettings/averaged``).
///
/// The trainer is a closure so the caller supplies caching, MPI and the training itself; every run id
/// (`round-<r>/<plan id>`) is unique. Deterministic: the same trainer answers give the same bits.
public struct DDORounds: Sendable {
    /// One training run of a round.
    public struct Run: Sendable, Equatable {
        /// 1-based round.
        public var round: Int
        /// `round-<r>/<id in the round's plan>`, unique over all rounds (e.g. `round-2/web-x1.5`).
        public var id: String
        /// Token quantity per domain, in ``DDORounds/domains`` order.
        public var tokens: [Int]
    }

    /// One finished round.
    public struct Round: Sendable {
        public var plan: DDOPlan
        public var analysis: DDOAnalysis
        /// `f_r`.
        public var factor: Double
        /// The base weights as trained (`baseTokens / budget`) and the round's optimum.
        public var baseWeights: [Double]
        public var weights: [Double]
        /// `max_i |ln weights_i - ln baseWeights_i|`.
        public var move: Double
    }

    public var domains: [String]
    public var budget: Int
    public var settings: DDORoundsSettings
    public var rounds: [Round]
    /// `true` when the last two rounds, both at the floor factor, moved less than the tolerance.
    public var converged: Bool
    /// The answer (see ``DDORoundsSettings/answer``) and its tokens `budget · weights`.
    public var weights: [Double]
    /// Which answer `weights` is (`averaged` when `pooled` was asked for but fell back: ``note`` says why).
    public var answer: DDORoundsSettings.Answer
    /// The averaged answer (always computed), and the pooled model when it gave the answer.
    public var averagedWeights: [Double]
    public var pooled: LogQuadraticModel?
    public var note: String?
    public var tokens: [Double] { weights.map { $0 * Double(budget) } }
    /// Training runs spent: `Σ_r (1 + 2m)`.
    public var runCount: Int { rounds.reduce(0) { $0 + $1.plan.runs.count } }

    /// Runs the rounds, training every run through `train`. `ddo.lower`, `ddo.upper` and `ddo.budget` must be
    /// `nil` (each round's bounds are its trust region, its budget the plan's); `objective` and `evalDomains`
    /// apply to every round.
    public static func run(domains: [String], budget: Int, baseWeights: [Double]? = nil,
                           ddo: DDOSettings = DDOSettings(), settings: DDORoundsSettings = DDORoundsSettings(),
                           progress: (String) -> Void = { _ in },
                           train: (Run) throws -> [String: Double]) throws -> DDORounds {
        guard ddo.lower == nil, ddo.upper == nil, ddo.budget == nil else {
            throw FieldError("rounds", "the lower and upper bounds and the budget do not apply to DDO rounds (each round's bounds are its trust region)")
        }
        return try run(domains: domains, budget: budget, baseWeights: baseWeights, settings: settings, caps: ddo.caps, progress: progress) { r, plan in
            var answers: [[String: Double]] = []
            for run in plan.runs {
                let losses = try train(Run(round: r, id: "round-\(r)/\(run.id)", tokens: run.tokens))
                for (d, v) in losses where !v.isFinite {
                    throw DataMixingError.invalidInput(location: "run round-\(r)/\(run.id)", message: "validation loss of \(d) is \(v)")
                }
                answers.append(losses)
            }
            let validation = answers[0].keys.sorted()
            guard !validation.isEmpty else {
                throw DataMixingError.invalidInput(location: "run round-\(r)/base", message: "the trainer returned no validation losses")
            }
            for (run, a) in zip(plan.runs, answers) where Set(a.keys) != Set(validation) {
                throw DataMixingError.invalidInput(location: "run round-\(r)/\(run.id)", message:
                    "validation domains \(a.keys.sorted()) differ from run round-\(r)/base's \(validation)")
            }
            let table = LossTable(source: "round \(r)", domains: domains, validationDomains: validation,
                                  runs: zip(plan.runs, answers).map { run, a in
                                      LossTable.Run(name: run.id, tokens: run.tokens.map(Double.init), losses: validation.map { a[$0]! })
                                  })
            return try DDO.analyze(table, settings: ddo)
        }
    }

    /// Runs the rounds with a caller that trains and fits a whole round: `round(r, plan)` returns the
    /// ``DDOAnalysis`` of round `r`'s plan (e.g. a ``DDOExperiment`` with output `<out>/round-<r>/`, which
    /// caches, distributes over MPI ranks and writes that round's `losses.csv` and `result.json`). The analysis
    /// must use the default bounds and budget (the plan's tested multipliers and base total). `caps` (tokens by
    /// domain; the analyses' caps) bound the pooled answer as they bound each round's allocation.
    public static func run(domains: [String], budget: Int, baseWeights: [Double]? = nil,
                           settings: DDORoundsSettings = DDORoundsSettings(), caps: [String: Double]? = nil,
                           progress: (String) -> Void = { _ in },
                           round: (Int, DDOPlan) throws -> DDOAnalysis) throws -> DDORounds {
        try settings.validate()
        let capList = try DDO._caps(caps, domains: domains)
        var weights = baseWeights
        var factor = settings.initialFactor
        var rounds: [Round] = []
        var converged = false
        for r in 1...settings.maxRounds {
            let plan = try DDOPlan(domains: domains, budget: budget, baseWeights: weights, factors: [1 / factor, factor])
            let analysis = try round(r, plan)
            let base = plan.baseTokens.map { Double($0) / Double(budget) }
            let total = analysis.allocation.tokens.reduce(0, +)
            let optimum = analysis.allocation.tokens.map { $0 / total }
            let move = zip(optimum, base).reduce(0) { max($0, abs(Foundation.log($1.0) - Foundation.log($1.1))) }
            rounds.append(Round(plan: plan, analysis: analysis, factor: factor, baseWeights: base, weights: optimum, move: move))
            progress("round \(r): factor " + String(format: "%.4g", factor) + ", \(plan.runs.count) runs, move " + String(format: "%.4g", move))
            guard move.isFinite, optimum.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw DataMixingError.invalidInput(location: "round \(r)", message: "the optimum \(optimum) is not a positive mixture")
            }
            // Converged: two consecutive rounds at the floor moved less than the tolerance (one small move
            // can be the noise's luck).
            let still = { (x: Round) in x.factor == settings.minimumFactor && x.move < settings.tolerance }
            if rounds.count >= 2, still(rounds[rounds.count - 1]), still(rounds[rounds.count - 2]) { converged = true; break }
            weights = optimum
            factor = max(settings.minimumFactor, min(factor.squareRoot(), Foundation.exp(2 * move)))
        }
        // Average the last rounds at the floor factor (those whose curves are measured as close as the noise
        // allows); the last round alone when none reached it.
        let floor = rounds.filter { $0.factor == settings.minimumFactor }
        let last = floor.isEmpty ? rounds.suffix(1) : floor.suffix(settings.averaged)
        var logMean = [Double](repeating: 0, count: domains.count)
        for round in last { for i in logMean.indices { logMean[i] += Foundation.log(round.weights[i]) / Double(last.count) } }
        let top = logMean.max()!
        let e = logMean.map { Foundation.exp($0 - top) }
        let sum = e.reduce(0, +)
        let averaged = e.map { $0 / sum }
        var result = DDORounds(domains: domains, budget: budget, settings: settings, rounds: rounds, converged: converged,
                               weights: averaged, answer: .averaged, averagedWeights: averaged, pooled: nil, note: nil)
        guard settings.answer == .pooled else { return result }
        guard !floor.isEmpty else {
            result.note = "no round reached the floor factor: the answer is the last round's optimum"
            return result
        }
        // Every run of the floor rounds, one model: its exact optimum at the budget.
        do {
            let model = try LogQuadraticModel.fit(tokens: floor.flatMap(\.analysis.runTokens),
                                                  objectives: floor.flatMap(\.analysis.objectives), caps: capList,
                                                  source: "the \(floor.count) rounds at the floor factor")
            let tokens = try model.allocate(budget: Double(budget))
            let total = tokens.reduce(0, +)
            result.weights = tokens.map { $0 / total }
            result.answer = .pooled
            result.pooled = model
        } catch {
            result.note = "the pooled model gave no answer (\(error)): the answer averages the last floor rounds"
        }
        return result
    }
}
