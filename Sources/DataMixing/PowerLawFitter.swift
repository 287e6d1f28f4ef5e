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
    /// The other exact curve through the points when there are two (the one the other ``FitRule`` picks), else
    /// `nil`.
    public var alternative: PowerLawCurve? = nil

    public var maxAbsResidual: Double { residuals.reduce(0) { max($0, abs($1)) } }
    public var rmsResidual: Double {
        residuals.isEmpty ? 0 : (residuals.reduce(0) { $0 + $1 * $1 } / Double(residuals.count)).squareRoot()
    }
}

/// Which of two exact curves through three points a fit returns.
public enum FitRule: String, Sendable, CaseIterable, Codable {
    /// The one the official DDO notebook's method lands on (the default): scipy `curve_fit` in the raw
    /// parametrisation `(a, b, c)` from its default start `(1, 1, 1)` (Levenberg-Marquardt). We run our
    /// Levenberg-Marquardt on the same raw problem from the same start and keep the exact solution nearest to
    /// where it ends.
    case notebook
    /// The exact solution with the smallest `b` (closest to the pole `x = -a`).
    case smallestB = "smallest-b"
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
/// and `b`, one with larger `a` and `b`; they differ only between and beyond the points). ``FitRule`` picks
/// one: `.notebook` (default) the one the official DDO notebook's `curve_fit` from `(a, b, c) = (1, 1, 1)`
/// lands on, `.smallestB` the smallest `b`; the other is ``DomainFit/alternative``. The rule applies only
/// when the best fit is exact; a least-squares (inexact) fit is unique up to round-off and keeps the
/// smallest `b` among the tied candidates.
///
/// The notebook rule. Our ``LevenbergMarquardt`` minimizes `½ Σ_j ((x_j + a)^(-b) + c - y_j)²` over the raw
/// `(a, b, c)` from `(1, 1, 1)` (analytic Jacobian; `ftol = xtol = 1.49012e-8` and at most 10,000
/// evaluations, as the notebook's `curve_fit(..., maxfev=10000)`; steps leaving `x + a > 0` are rejected).
/// Its end point selects the exact candidate minimizing `|ln b - ln b*| + |a - a*| / (1 + |a*|)`, provided
/// it converged to within `0.05` of one in that distance. Otherwise (it diverged or stalled between the
/// two) the smallest-`b` solution is used and the fit carries a warning. Two Levenberg-Marquardt codes can
/// take different paths near the boundary between the two basins: we land where scipy's MINPACK lands on all
/// 7 domains of the notebook and on 33 of the fixture's 40 random exact triples (`Fixtures/ddo/notebook.json`).
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
    public static func fit(x: [Double], y: [Double], domain: String = "", rule: FitRule = .notebook) throws -> DomainFit {
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
        // The notebook's end point is one more start, so its basin is among the candidates.
        let landing = _notebookEndpoint(x: x, y: y)
        var starts = _startScales.flatMap { s in _startExponents.map { [Foundation.log(s * xMax), Foundation.log($0)] } }
        if let l = landing, l.a + xMin > 0 { starts.append([Foundation.log(l.a + xMin), Foundation.log(l.b)]) }
        for start in starts {
            guard let r = try? solver.minimize(problem, from: start), r.cost.isFinite else { continue }
            let a = -xMin + Foundation.exp(r.parameters[0]), b = Foundation.exp(r.parameters[1])
            guard a.isFinite, b.isFinite, b > 0, x.allSatisfy({ $0 + a > 0 }) else { continue }
            var fMean = 0.0
            for j in 0..<m { fMean += Foundation.pow(x[j] + a, -b) }
            candidates.append((PowerLawCurve(a: a, b: b, c: yMean - fMean / Double(m)), r.cost))
        }
        let flatCost = 0.5 * y.reduce(0) { $0 + ($1 - yMean) * ($1 - yMean) }
        candidates.append((PowerLawCurve(a: 0, b: 0, c: yMean - 1), flatCost))
        let best = candidates.map(\.cost).min()!
        let tied = candidates.filter { $0.cost <= best * (1 + 1e-8) + 1e-22 }
        var curve = tied.min { $0.curve.b < $1.curve.b }!.curve
        if curve.b < 1e-12 { curve = PowerLawCurve(a: 0, b: 0, c: yMean - 1) }
        let scaleY = max(1, y.reduce(0) { max($0, abs($1)) })
        func isExact(_ c: PowerLawCurve) -> Bool { zip(x, y).allSatisfy { abs($1 - c.value($0)) <= exactTolerance * scaleY } }

        // Two or more distinct exact curves: choose by the rule, keep the other as the alternative.
        var alternative: PowerLawCurve? = nil
        var ruleWarning: String? = nil
        if !curve.isFlat, isExact(curve) {
            var exactCurves: [PowerLawCurve] = []
            for t in tied.map(\.curve).sorted(by: { $0.b < $1.b }) where t.b >= 1e-12 && isExact(t) {
                if !exactCurves.contains(where: { Self._same($0, t) }) { exactCurves.append(t) }
            }
            if exactCurves.count >= 2 {
                let smallest = exactCurves[0]
                let landed = landing.flatMap { Self._nearest(to: $0, among: exactCurves) }
                switch rule {
                case .smallestB:
                    curve = smallest
                    alternative = landed.map { Self._same($0, smallest) ? exactCurves.last! : $0 } ?? exactCurves.last!
                case .notebook:
                    if let l = landed {
                        curve = l
                        alternative = Self._same(l, smallest) ? exactCurves.last! : smallest
                    } else {
                        curve = smallest
                        alternative = exactCurves.last!
                        ruleWarning = (domain.isEmpty ? "" : "domain \(domain): ")
                            + "the notebook's fit (Levenberg-Marquardt from a = b = c = 1) does not converge to an exact curve; using the smallest-b one"
                    }
                }
            }
        }

        let residuals = zip(x, y).map { $1 - curve.value($0) }
        let exact = residuals.allSatisfy { abs($0) <= exactTolerance * scaleY }
        var fit = DomainFit(curve: curve, x: x, y: y, residuals: residuals, distinctPoints: distinct,
                            exact: exact, warning: nil, alternative: alternative)
        fit.warning = ruleWarning ?? _warning(fit, domain: domain)
        return fit
    }

    /// Two curves are the same solution when `a` and `b` agree to `1e-6` relative.
    static func _same(_ p: PowerLawCurve, _ q: PowerLawCurve) -> Bool {
        abs(p.b - q.b) <= 1e-6 * max(abs(p.b), abs(q.b)) && abs(p.a - q.a) <= 1e-6 * (1 + max(abs(p.a), abs(q.a)))
    }

    /// Where the notebook's method (least squares in the raw `(a, b, c)` from `(1, 1, 1)`) ends: `(a, b)`, or
    /// `nil` when it fails or ends outside `b > 0`.
    static func _notebookEndpoint(x: [Double], y: [Double]) -> (a: Double, b: Double)? {
        let m = x.count
        let problem = ClosureResiduals(parameterCount: 3, residualCount: m, residuals: { p, r in
            for j in 0..<m { r[j] = Foundation.pow(x[j] + p[0], -p[1]) + p[2] - y[j] }
        }, jacobian: { p, jac in
            for j in 0..<m {
                let f = Foundation.pow(x[j] + p[0], -p[1])
                jac[3 * j] = -p[1] * f / (x[j] + p[0])
                jac[3 * j + 1] = -Foundation.log(x[j] + p[0]) * f
                jac[3 * j + 2] = 1
            }
        })
        var options = LevenbergMarquardt.Options()
        options.functionTolerance = 1.49012e-8
        options.stepTolerance = 1.49012e-8
        options.gradientTolerance = 0
        options.maxEvaluations = 10_000
        guard let r = try? LevenbergMarquardt(options: options).minimize(problem, from: [1, 1, 1]),
              r.parameters.allSatisfy({ $0.isFinite }), r.parameters[1] > 0 else { return nil }
        return (r.parameters[0], r.parameters[1])
    }

    /// The candidate nearest to the notebook's end point in `|ln b - ln b*| + |a - a*| / (1 + |a*|)`, when
    /// within `0.05`; else `nil`.
    static func _nearest(to p: (a: Double, b: Double), among candidates: [PowerLawCurve]) -> PowerLawCurve? {
        func distance(_ c: PowerLawCurve) -> Double { abs(Foundation.log(c.b / p.b)) + abs(c.a - p.a) / (1 + abs(p.a)) }
        let nearest = candidates.min { distance($0) < distance($1) }!
        return distance(nearest) <= 0.05 ? nearest : nil
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
