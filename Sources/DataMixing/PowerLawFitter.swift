import Foundation
import Optimization

/// One domain's fitted DDO curve and how well it matches the measured points.
public struct DomainFit: Sendable {
    public var curve: PowerLawCurve
    /// The measured points `(x, y)`, base run `(1, 1)` included, in input order.
    public var x: [Double]
    public var y: [Double]
    /// `y_j - curve(x_j)`.
    public var residuals: [Double]
    /// Number of distinct `x` values (at least 3).
    public var distinctPoints: Int
    /// `true` when the fit passes through every point: `max |residual| <= ``PowerLawFitter/exactTolerance``
    /// `· max(1, max |y|)`.
    public var exact: Bool
    /// Why the fit is not what the data asked for (flat, or not exact through three points), if so.
    public var warning: String?

    public var maxAbsResidual: Double { residuals.reduce(0) { max($0, abs($1)) } }
    public var rmsResidual: Double {
        residuals.isEmpty ? 0 : (residuals.reduce(0) { $0 + $1 * $1 } / Double(residuals.count)).squareRoot()
    }
}

/// Fits `y = (x + a)^(-b) + c` with `a > -min(x)`, `b >= 0` by least squares.
///
/// Method. `c` enters linearly, so for fixed `(a, b)` its best value is `c = mean(y) - mean(f)` with
/// `f_j = (x_j + a)^(-b)`; the remaining problem (variable projection) has residuals
/// `r_j = (f_j - mean f) - (y_j - mean y)` in the two unknowns `(a, b)`, reparametrized as
/// `a = -min(x) + e^α`, `b = e^β` so the constraints hold strictly. ``LevenbergMarquardt`` (analytic
/// Jacobian, tolerances `1e-15`) runs from a grid of 6 × 5 starts; the answer is the lowest cost, and among
/// fits within `1e-8` relative (`1e-22` absolute) of it the one with the smallest `b`. Through three points
/// the fit is exact whenever one exists, and there are usually *two* exact solutions (one with small `a`
/// and `b`, one with larger `a` and `b`; they differ only between and beyond the points): the smallest-`b`
/// rule picks one reproducibly.
///
/// Degenerate data. Every curve of the family with `b > 0` is strictly decreasing and convex, so points
/// that are not (more tokens of the domain do not help, or the three points are collinear / concave / too
/// steep and straight) have no exact fit. The answer is then still the constrained least-squares fit, with a
/// ``DomainFit/warning``; when no decreasing curve beats the constant `y = mean(y)` (the boundary `b = 0`),
/// the fit is the flat curve `a = 0, b = 0, c = mean(y) - 1`, under which the allocation gives the domain
/// its lower bound (it has no marginal value).
public enum PowerLawFitter {
    /// Relative residual under which a fit counts as exact.
    public static let exactTolerance = 1e-9
    static let _startScales: [Double] = [0.01, 0.05, 0.2, 1, 5, 20]
    static let _startExponents: [Double] = [0.05, 0.2, 0.7, 2, 5]

    /// Fits the points; `domain` only names the domain in warnings. Throws when there are fewer than three
    /// distinct `x`, or a value is not finite.
    public static func fit(x: [Double], y: [Double], domain: String = "") throws -> DomainFit {
        guard x.count == y.count else {
            throw DataMixingError.invalidArgument("domain \(domain): \(x.count) x values but \(y.count) y values")
        }
        guard x.allSatisfy({ $0.isFinite && $0 >= 0 }), y.allSatisfy({ $0.isFinite }) else {
            throw DataMixingError.invalidArgument("domain \(domain): points must be finite with x >= 0")
        }
        let distinct = Set(x).count
        guard distinct >= 3 else {
            throw DataMixingError.invalidArgument(
                "domain \(domain): \(distinct) distinct token quantities; the curve (x+a)^-b+c needs at least 3")
        }
        let xMin = x.min()!, xMax = x.max()!
        let yMean = y.reduce(0, +) / Double(y.count)
        let m = x.count
        let problem = ClosureResiduals(parameterCount: 2, residualCount: m, residuals: { p, r in
            let a = -xMin + Foundation.exp(p[0]), b = Foundation.exp(p[1])
            var fMean = 0.0
            for j in 0..<m { r[j] = Foundation.pow(x[j] + a, -b); fMean += r[j] }
            fMean /= Double(m)
            for j in 0..<m { r[j] = (r[j] - fMean) - (y[j] - yMean) }
        }, jacobian: { p, jac in
            let s = Foundation.exp(p[0]), a = -xMin + s, b = Foundation.exp(p[1])
            var meanA = 0.0, meanB = 0.0
            for j in 0..<m {
                let f = Foundation.pow(x[j] + a, -b)
                jac[2 * j] = -b * f / (x[j] + a) * s              // ∂f/∂a · ∂a/∂α
                jac[2 * j + 1] = -Foundation.log(x[j] + a) * f * b  // ∂f/∂b · ∂b/∂β
                meanA += jac[2 * j]; meanB += jac[2 * j + 1]
            }
            meanA /= Double(m); meanB /= Double(m)
            for j in 0..<m { jac[2 * j] -= meanA; jac[2 * j + 1] -= meanB }
        })
        var options = LevenbergMarquardt.Options()
        options.functionTolerance = 1e-15
        options.stepTolerance = 1e-15
        options.gradientTolerance = 1e-15
        options.maxEvaluations = 2000
        let solver = LevenbergMarquardt(options: options)

        var candidates: [(curve: PowerLawCurve, cost: Double)] = []
        for scale in _startScales {
            for exponent in _startExponents {
                let start = [Foundation.log(scale * xMax), Foundation.log(exponent)]
                guard let r = try? solver.minimize(problem, from: start), r.cost.isFinite else { continue }
                let a = -xMin + Foundation.exp(r.parameters[0]), b = Foundation.exp(r.parameters[1])
                guard a.isFinite, b.isFinite, b > 0, x.allSatisfy({ $0 + a > 0 }) else { continue }
                var fMean = 0.0
                for j in 0..<m { fMean += Foundation.pow(x[j] + a, -b) }
                candidates.append((PowerLawCurve(a: a, b: b, c: yMean - fMean / Double(m)), r.cost))
            }
        }
        let flatCost = 0.5 * y.reduce(0) { $0 + ($1 - yMean) * ($1 - yMean) }
        candidates.append((PowerLawCurve(a: 0, b: 0, c: yMean - 1), flatCost))
        let best = candidates.map(\.cost).min()!
        let tied = candidates.filter { $0.cost <= best * (1 + 1e-8) + 1e-22 }
        var curve = tied.min { $0.curve.b < $1.curve.b }!.curve
        if curve.b < 1e-12 { curve = PowerLawCurve(a: 0, b: 0, c: yMean - 1) }

        let residuals = zip(x, y).map { $1 - curve.value($0) }
        let scaleY = max(1, y.reduce(0) { max($0, abs($1)) })
        let exact = residuals.allSatisfy { abs($0) <= exactTolerance * scaleY }
        var fit = DomainFit(curve: curve, x: x, y: y, residuals: residuals, distinctPoints: distinct,
                            exact: exact, warning: nil)
        fit.warning = _warning(fit, domain: domain)
        return fit
    }

    static func _warning(_ fit: DomainFit, domain: String) -> String? {
        let name = domain.isEmpty ? "" : "domain \(domain): "
        if fit.curve.isFlat {
            return name + "the objective does not decrease with more tokens of this domain; fitted flat (b = 0), "
                + "so the allocation gives it the lower bound"
        }
        guard fit.x.count == 3, fit.distinctPoints == 3, !fit.exact else { return nil }
        // Three distinct points: say why no curve of the family passes through them.
        let order = fit.x.indices.sorted { fit.x[$0] < fit.x[$1] }
        var xs: [Double] = [], ys: [Double] = []
        for j in order where xs.last != fit.x[j] { xs.append(fit.x[j]); ys.append(fit.y[j]) }
        let s1 = (ys[1] - ys[0]) / (xs[1] - xs[0]), s2 = (ys[2] - ys[1]) / (xs[2] - xs[1])
        let why = !(s1 < 0 && s2 < 0) ? "not decreasing" : !(s1 < s2) ? "not convex" : "too steep and straight"
        return name + "no curve (x+a)^-b+c passes through its 3 points (\(why)); using the closest one, "
            + String(format: "max residual %.3g", fit.maxAbsResidual)
    }
}
