import Foundation
import Optimization

/// Fits the power law `L(x) = E + A x^(−α)` and the Chinchilla law `L(N, D) = E + A/N^α + B/D^β`
/// (Hoffmann et al. approach 3) by minimizing the summed ``LogSumExpObjective`` with ``LBFGS`` from every
/// point of a ``StartGrid``; the lowest objective wins (ties: earliest start). Above
/// ``Screening/fullSearchRows`` rows the starts are screened on a seeded subsample and the best basins
/// polished on all rows (``Screening``).
public struct LawFitter: Sendable {
    /// Per-point loss on log residuals (default Huber, `δ = 1e-3`).
    public var loss: RobustLoss = .huber(delta: 1e-3)
    public var grid = StartGrid()
    /// L-BFGS settings for every start (defaults as ``LBFGS``: `|g|∞ ≤ 1e-5` or relative decrease `≤ 2.2e-9`).
    public var optimizer = LBFGS()
    /// The winning start is then polished to the precision floor with these settings, which bootstrap
    /// refits also use: `|g|∞ <= 1e-10`, relative decrease `<= 1e-15`. The scipy-style defaults above stop
    /// on an *absolute* decrease of `2.2e-9` whenever `|f| < 1`, and the summed Huber objective is ~1e-3,
    /// so without the polish a run can stop short along the nearly flat `A`-`alpha` direction.
    public var polish: LBFGS.Options = {
        var o = LBFGS.Options()
        o.gradientTolerance = 1e-10
        o.relativeFunctionTolerance = 1e-15
        return o
    }()
    /// Worker threads for the starts and bootstrap replicates (0: all active processors).
    public var threads = 0
    /// When and how a large table's starts are screened on a subsample.
    public var screening = Screening()

    public init() {}

    /// Fits `L(x) = E + A x^(−α)` to positive `x`, `loss`.
    public func fitPower(x: [Double], loss y: [Double]) throws -> FittedLaw {
        try _fit(law: "power", features: x.map { [$0] }, targets: y, starts: grid.powerStarts,
                 names: ["E", "A", "alpha"])
    }

    /// Fits `L(N, D) = E + A/N^α + B/D^β` to positive `N`, `D`, `loss`.
    public func fitChinchilla(n: [Double], d: [Double], loss y: [Double]) throws -> FittedLaw {
        try _fit(law: "chinchilla", features: zip(n, d).map { [$0, $1] }, targets: y, starts: grid.chinchillaStarts,
                 names: ["E", "A", "B", "alpha", "beta"])
    }

    /// Natural parameters from `θ = [e, a_1…a_P, α_1…α_P]`: `E = e^e`, `A_k = e^(a_k)`, exponents as they are.
    static func _natural(_ theta: [Double], names: [String]) -> [NamedValue] {
        let p = (theta.count - 1) / 2
        var v = [exp(theta[0])]
        for k in 0..<p { v.append(exp(theta[1 + k])) }
        for k in 0..<p { v.append(theta[1 + p + k]) }
        return zip(names, v).map { NamedValue($0, $1) }
    }

    func _fit(law: String, features: [[Double]], targets: [Double], starts: [[Double]], names: [String]) throws -> FittedLaw {
        let needed = names.count + 1
        guard targets.count >= needed else {
            throw ScalingLawError.tooFewPoints(law: law, needed: needed, found: targets.count)
        }
        // Repeated rows are one point each for identifiability: 20 copies of one row cannot fix 3 parameters.
        // (Stops at `needed` distinct rows: a table of 10^6 rows is not hashed whole.)
        var distinct = Set<[Double]>()
        for f in features where distinct.insert(f).inserted && distinct.count == needed { break }
        guard distinct.count >= needed else {
            throw ScalingLawError.tooFewDistinctPoints(law: law, needed: needed, rows: targets.count,
                                                       distinct: distinct.count)
        }
        guard !starts.isEmpty else { throw ScalingLawError.invalidGrid("the grid has no points") }
        let objective = LogSumExpObjective(features: features, targets: targets, loss: loss)
        var best: LBFGS.Result, bestStart: [Double], converged: Int, evaluations: Int, screen: ScreenSummary?
        if screening.applies(rows: targets.count) {
            let s = try _screenedSearch(objective, starts: starts)
            (best, bestStart, converged, evaluations, screen) = (s.best, s.bestStart, s.converged, s.evaluations,
                                                                 s.summary)
        } else {
            let result = try MultiStart(optimizer: optimizer, threads: threads).minimize(objective, starts: starts)
            best = result.best.result
            if best.value.isFinite, let polished = try? LBFGS(options: polish).minimize(objective, from: best.x),
               polished.value <= best.value {
                best = polished
            }
            (bestStart, converged, evaluations) = (result.best.start, result.converged, result.evaluations)
            screen = nil
        }
        guard best.value.isFinite, best.x.allSatisfy(\.isFinite) else {
            throw ScalingLawError.notConverged("no start reached a finite objective")
        }
        if best.status == .maxIterations || best.status == .maxEvaluations {
            throw ScalingLawError.notConverged(
                "the best start stopped at the \(best.status == .maxIterations ? "iteration" : "evaluation") limit "
                + "(objective \(best.value), largest gradient component \(best.gradient.map(abs).max() ?? 0))")
        }
        // A scaling law falls with scale: a non-positive exponent (one row far outside the others, such as
        // x = 1e308, pulls a fit there) is refused, not reported as a fit.
        let parameters = Self._natural(best.x, names: names)
        for p in parameters where p.name.hasPrefix("alpha") || p.name.hasPrefix("beta") {
            guard p.value > 0 else {
                throw ScalingLawError.invalidFit("\(p.name) = \(p.value) is not positive (the fitted loss would not fall "
                                                 + "with scale); check for rows far outside the others")
            }
        }
        let predicted = (0..<targets.count).map { exp(objective.logPrediction(best.x, point: $0)) }
        return FittedLaw(law: law, parameters: parameters, theta: best.x, objective: best.value,
                         points: targets.count, loss: loss, starts: starts.count, convergedStarts: converged,
                         evaluations: evaluations, bestStart: bestStart, status: best.status.rawValue,
                         goodness: GoodnessOfFit(predicted: predicted, observed: targets), bootstrap: nil,
                         screen: screen)
    }
}
