import Foundation
import Optimization

/// Fits the power law `L(x) = E + A x^(−α)` and the Chinchilla law `L(N, D) = E + A/N^α + B/D^β`
/// (Hoffmann et al. approach 3) by minimizing the summed ``LogSumExpObjective`` with ``LBFGS`` from every
/// point of a ``StartGrid``; the lowest objective wins (ties: earliest start).
public struct LawFitter: Sendable {
    /// Per-point loss on log residuals (default Huber, `δ = 1e-3`).
    public var loss: RobustLoss = .huber(delta: 1e-3)
    public var grid = StartGrid()
    /// L-BFGS settings for every start (defaults as ``LBFGS``: `|g|∞ ≤ 1e-5` or relative decrease `≤ 2.2e-9`).
    public var optimizer = LBFGS()
    /// Worker threads for the starts and bootstrap replicates (0: all active processors).
    public var threads = 0

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
        guard !starts.isEmpty else { throw ScalingLawError.invalidGrid("the grid has no points") }
        let objective = LogSumExpObjective(features: features, targets: targets, loss: loss)
        let multi = MultiStart(optimizer: optimizer, threads: threads)
        let result = try multi.minimize(objective, starts: starts)
        let best = result.best.result
        guard best.value.isFinite, best.x.allSatisfy(\.isFinite) else {
            throw ScalingLawError.notConverged("no start reached a finite objective")
        }
        if best.status == .maxIterations || best.status == .maxEvaluations {
            throw ScalingLawError.notConverged(
                "the best start stopped at the \(best.status == .maxIterations ? "iteration" : "evaluation") limit "
                + "(objective \(best.value), largest gradient component \(best.gradient.map(abs).max() ?? 0))")
        }
        let predicted = (0..<targets.count).map { exp(objective.logPrediction(best.x, point: $0)) }
        return FittedLaw(law: law, parameters: Self._natural(best.x, names: names), theta: best.x, objective: best.value,
                         points: targets.count, loss: loss, starts: result.starts, convergedStarts: result.converged,
                         evaluations: result.evaluations, bestStart: result.best.start, status: best.status.rawValue,
                         goodness: GoodnessOfFit(predicted: predicted, observed: targets), bootstrap: nil)
    }
}
