import Foundation
import Optimization

/// The optimal allocation of a token budget over domains given their DDO curves.
public struct Allocation: Sendable, Equatable {
    /// Multipliers `x_i = N_i / N_i(base)`.
    public var multipliers: [Double]
    /// Token quantities `N_i = x_i N_i(base)`; they sum to the budget.
    public var tokens: [Double]
    /// The Lagrange multiplier `λ` of the budget constraint (0 when only flat domains absorb budget).
    public var lambda: Double
    /// `Σ_i y_i(x_i)`, the minimized objective.
    public var objective: Double
}

/// Solves `min Σ_i y_i(x_i)` s.t. `Σ_i x_i N_i(base) = B`, `lower <= x_i <= upper`, exactly, through its KKT
/// conditions.
///
/// Derivation. Each `y_i(x) = (x + a_i)^(-b_i) + c_i` is convex on `x > -a_i`, the constraints are linear, so
/// the KKT conditions are necessary and sufficient. With multiplier `λ` for the budget and `μ_i^±` for the
/// bounds, stationarity reads `y_i'(x_i) + λ N_i(base) = μ_i^- - μ_i^+`. Off the bounds `μ = 0`, i.e.
/// `b_i (x_i + a_i)^(-b_i-1) = λ N_i(base)`, so `x_i = (b_i / (λ N_i(base)))^(1/(b_i+1)) - a_i`; because
/// `-y_i'` is decreasing, a value beyond a bound means the bound is active, hence
/// `x_i(λ) = clip((b_i / (λ N_i(base)))^(1/(b_i+1)) - a_i, lower, upper)` with `λ > 0`.
/// `Σ_i N_i(base) x_i(λ)` is continuous and non-increasing in `λ`: it equals `upper ΣN` for
/// `λ <= min_i -y_i'(upper)/N_i(base)` and `lower ΣN` for `λ >= max_i -y_i'(lower)/N_i(base)`, so ``Bisection``
/// on `ln λ` over that bracket (absolute tolerance `1e-13`) meets the budget to about `1e-13` relative.
///
/// Flat domains (`b_i = 0`) have no marginal value and sit at `lower`; only when the budget exceeds what the
/// other domains can take at `upper` (`λ → 0`, where the flat domains are indifferent) is the remainder
/// shared by the flat domains at a common multiplier.
///
/// Throws ``DataMixingError/infeasible(_:)`` for a budget outside `[lower ΣN, upper ΣN]` (relative slack
/// `1e-12`), and ``DataMixingError/invalidArgument(_:)`` for bounds outside a curve's domain (`lower <= -a_i`)
/// or non-positive base quantities.
public enum KKTAllocation {
    public static func solve(curves: [PowerLawCurve], baseTokens: [Double], budget: Double,
                             lower: Double, upper: Double, domains: [String]? = nil) throws -> Allocation {
        let n = curves.count
        let names = domains ?? (0..<n).map { "#\($0)" }
        guard n > 0, baseTokens.count == n, names.count == n else {
            throw DataMixingError.invalidArgument("allocation needs one base quantity and one name per curve")
        }
        guard lower.isFinite, upper.isFinite, lower >= 0, lower <= upper else {
            throw DataMixingError.invalidArgument("bounds must satisfy 0 <= lower <= upper, got lower \(lower), upper \(upper)")
        }
        for i in 0..<n {
            guard baseTokens[i] > 0, baseTokens[i].isFinite else {
                throw DataMixingError.invalidArgument("domain \(names[i]): base quantity must be positive, got \(baseTokens[i])")
            }
            guard curves[i].isFlat || lower + curves[i].a > 0 else {
                throw DataMixingError.invalidArgument(
                    "domain \(names[i]): lower bound \(lower) is outside the fitted curve's domain x > \(-curves[i].a)")
            }
        }
        let total = baseTokens.reduce(0, +)
        let minTotal = lower * total, maxTotal = upper * total
        guard budget.isFinite, budget >= minTotal * (1 - 1e-12), budget <= maxTotal * (1 + 1e-12) else {
            throw DataMixingError.infeasible(
                "budget \(_fmt(budget)) is infeasible: with multipliers in [\(_fmt(lower)), \(_fmt(upper))] of the base "
                + "quantities (total \(_fmt(total))) it must lie in [\(_fmt(minTotal)), \(_fmt(maxTotal))]")
        }
        let active = (0..<n).filter { !curves[$0].isFlat }
        let flat = (0..<n).filter { curves[$0].isFlat }
        func x(_ i: Int, logLambda t: Double) -> Double {
            if curves[i].isFlat { return lower }
            let v = curves[i].inverseSlope(t + Foundation.log(baseTokens[i]))
            return min(max(v, lower), upper)
        }
        func spent(_ t: Double) -> Double { (0..<n).reduce(0) { $0 + baseTokens[$1] * x($1, logLambda: t) } }
        func finish(_ xs: [Double], _ lambda: Double) -> Allocation {
            let tokens = (0..<n).map { xs[$0] * baseTokens[$0] }
            let objective = (0..<n).reduce(0) { $0 + curves[$1].value(xs[$1]) }
            return Allocation(multipliers: xs, tokens: tokens, lambda: lambda, objective: objective)
        }

        // Budget beyond what the non-flat domains can absorb at `upper`: λ = 0, flat domains share the rest.
        let activeMax = active.reduce(0) { $0 + upper * baseTokens[$1] }
        let flatBase = flat.reduce(0) { $0 + baseTokens[$1] }
        if budget >= activeMax + lower * flatBase {
            var xs = [Double](repeating: upper, count: n)
            if !flat.isEmpty {
                let common = min(max((budget - activeMax) / flatBase, lower), upper)
                for i in flat { xs[i] = common }
            }
            return finish(xs, 0)
        }
        if budget <= minTotal { return finish([Double](repeating: lower, count: n), .infinity) }

        // ln λ bracket: every active domain at `upper` at tLow, at `lower` at tHigh.
        let g = { (i: Int, v: Double) in curves[i].logNegativeSlope(v) - Foundation.log(baseTokens[i]) }
        let tLow = active.map { g($0, upper) }.min()!, tHigh = active.map { g($0, lower) }.max()!
        let t = try Bisection.root(in: tLow, tHigh, absoluteTolerance: 1e-13) { spent($0) - budget }
        return finish((0..<n).map { x($0, logLambda: t) }, Foundation.exp(t))
    }

    static func _fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
