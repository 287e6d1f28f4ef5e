import Base
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
    /// Whether domain `i` sits at its cap (`N_i = cap_i`, the cap below `upper · N_i(base)`); all `false` without caps.
    public var capped: [Bool] = []
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
/// Caps. A domain `i` may have a cap `cap_i` in tokens (e.g. its available tokens times the epochs allowed):
/// its upper bound becomes `u_i = min(upper, cap_i / N_i(base))` and everything above holds with `u_i` in place
/// of `upper` (`x_i(λ) = clip(..., lower, u_i)`, the bracket `min_i -y_i'(u_i)/N_i(base)`), so a capped
/// domain's excess goes to the others through the same multiplier `λ`. Flat domains beyond what the others
/// take share the rest at one common multiplier, each clipped to its own `u_i`.
///
/// Throws ``DataMixingError/infeasible(_:)`` for a budget outside `[lower ΣN, Σ_i u_i N_i]` (relative slack
/// `1e-12`) or a cap below `lower · N_i(base)`, and ``DataMixingError/invalidArgument(_:)`` for bounds
/// outside a curve's domain (`lower <= -a_i`), non-positive base quantities or caps.
public enum KKTAllocation {
    public static func solve(curves: [PowerLawCurve], baseTokens: [Double], budget: Double,
                             lower: Double, upper: Double, domains: [String]? = nil,
                             caps: [Double?]? = nil) throws -> Allocation {
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
        let capList = caps ?? [Double?](repeating: nil, count: n)
        guard capList.count == n else { throw DataMixingError.invalidArgument("allocation needs one cap (or none) per curve") }
        var uppers = [Double](repeating: upper, count: n)
        for i in 0..<n {
            guard let cap = capList[i] else { continue }
            guard cap > 0, cap.isFinite else {
                throw FieldError("caps", "the cap of domain \(names[i]) must be a positive number of tokens, got \(cap)")
            }
            guard cap >= lower * baseTokens[i] * (1 - 1e-12) else {
                throw FieldError("caps", "domain \(names[i])'s cap \(_fmt(cap)) is below its lower bound "
                    + "\(_fmt(lower * baseTokens[i])) tokens (\(_fmt(lower)) x its base \(_fmt(baseTokens[i])))")
            }
            uppers[i] = max(lower, min(upper, cap / baseTokens[i]))
        }
        let total = baseTokens.reduce(0, +)
        let minTotal = lower * total, maxTotal = (0..<n).reduce(0) { $0 + uppers[$1] * baseTokens[$1] }
        let isCapped = (0..<n).map { uppers[$0] < upper }
        guard budget.isFinite, budget >= minTotal * (1 - 1e-12), budget <= maxTotal * (1 + 1e-12) else {
            let capNote = isCapped.contains(true)
                ? " and the caps (" + (0..<n).filter { isCapped[$0] }.map { "\(names[$0]) <= \(_fmt(capList[$0]!))" }.joined(separator: ", ") + ")"
                : ""
            throw DataMixingError.infeasible(
                "budget \(_fmt(budget)) is infeasible: with multipliers in [\(_fmt(lower)), \(_fmt(upper))] of the base "
                + "quantities (total \(_fmt(total)))\(capNote) it must lie in [\(_fmt(minTotal)), \(_fmt(maxTotal))]")
        }
        let active = (0..<n).filter { !curves[$0].isFlat }
        let flat = (0..<n).filter { curves[$0].isFlat }
        func x(_ i: Int, logLambda t: Double) -> Double {
            if curves[i].isFlat { return lower }
            let v = curves[i].inverseSlope(t + Foundation.log(baseTokens[i]))
            return min(max(v, lower), uppers[i])
        }
        func spent(_ t: Double) -> Double { (0..<n).reduce(0) { $0 + baseTokens[$1] * x($1, logLambda: t) } }
        func finish(_ xs: [Double], _ lambda: Double) -> Allocation {
            let tokens = (0..<n).map { xs[$0] * baseTokens[$0] }
            let objective = (0..<n).reduce(0) { $0 + curves[$1].value(xs[$1]) }
            let atCap = (0..<n).map { isCapped[$0] && xs[$0] >= uppers[$0] * (1 - 1e-12) }
            return Allocation(multipliers: xs, tokens: tokens, lambda: lambda, objective: objective, capped: atCap)
        }

        // Budget beyond what the non-flat domains can absorb at their upper bounds: λ = 0, flat domains share
        // the rest at a common multiplier, each clipped to its own upper bound (bisection on the common value).
        let activeMax = active.reduce(0) { $0 + uppers[$1] * baseTokens[$1] }
        let flatBase = flat.reduce(0) { $0 + baseTokens[$1] }
        if budget >= activeMax + lower * flatBase {
            var xs = uppers
            if !flat.isEmpty {
                let rest = budget - activeMax
                func flatSpent(_ v: Double) -> Double { flat.reduce(0) { $0 + baseTokens[$1] * min(max(v, lower), uppers[$1]) } }
                let top = flat.map { uppers[$0] }.max()!
                let common = rest >= flatSpent(top) ? top
                    : try Bisection.root(in: lower, top, absoluteTolerance: 1e-15 * max(1, top)) { flatSpent($0) - rest }
                for i in flat { xs[i] = min(max(common, lower), uppers[i]) }
            }
            return finish(xs, 0)
        }
        if budget <= minTotal { return finish([Double](repeating: lower, count: n), .infinity) }

        // ln λ bracket: every active domain at its upper bound at tLow, at `lower` at tHigh.
        let g = { (i: Int, v: Double) in curves[i].logNegativeSlope(v) - Foundation.log(baseTokens[i]) }
        let tLow = active.map { g($0, uppers[$0]) }.min()!, tHigh = active.map { g($0, lower) }.max()!
        let t = try Bisection.root(in: tLow, tHigh, absoluteTolerance: 1e-13) { spent($0) - budget }
        return finish((0..<n).map { x($0, logLambda: t) }, Foundation.exp(t))
    }

    static func _fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
