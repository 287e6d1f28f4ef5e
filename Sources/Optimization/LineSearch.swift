/// A line search along `x + t d` that returns a step satisfying the strong Wolfe conditions
///
///     f(x + t d) <= f(x) + c1 t ∇f(x)ᵀd          (sufficient decrease)
///     |∇f(x + t d)ᵀd| <= c2 |∇f(x)ᵀd|            (curvature)
///
/// with `0 < c1 < c2 < 1` (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5
/// and 3.6): the bracketing phase grows the step by `expansion` until a bracket is found, then
/// `zoom` shrinks it using the minimizer of the cubic interpolating `f` and `∇fᵀd` at the bracket ends
/// (safeguarded to the inner 80% of the bracket, bisection otherwise). A trial point where `f` is not
/// finite is treated as too long a step.
public struct StrongWolfeLineSearch: Sendable {
    /// Sufficient-decrease constant (default `1e-4`).
    public var c1: Double
    /// Curvature constant (default `0.9`, the usual choice for quasi-Newton directions).
    public var c2: Double
    /// Maximum number of function evaluations per search (default 40).
    public var maxEvaluations: Int
    /// Factor by which the bracketing phase grows the step (default 2).
    public var expansion: Double
    /// Largest step tried (default `1e10`).
    public var maxStep: Double

    public init(c1: Double = 1e-4, c2: Double = 0.9, maxEvaluations: Int = 40, expansion: Double = 2,
                maxStep: Double = 1e10) {
        self.c1 = c1
        self.c2 = c2
        self.maxEvaluations = maxEvaluations
        self.expansion = expansion
        self.maxStep = maxStep
    }

    /// The outcome of one search.
    public struct Outcome: Sendable {
        /// The accepted step `t` (0 when the search failed).
        public var step: Double
        /// `f(x + t d)` at the accepted step (`f(x)` when the search failed).
        public var value: Double
        /// Function evaluations spent.
        public var evaluations: Int
        /// Whether the accepted step satisfies both strong Wolfe conditions (a step that only decreases
        /// `f` is returned with `false` when the evaluation budget ran out).
        public var satisfiesWolfe: Bool

        @inlinable
        public init(step: Double, value: Double, evaluations: Int, satisfiesWolfe: Bool) {
            self.step = step; self.value = value; self.evaluations = evaluations; self.satisfiesWolfe = satisfiesWolfe
        }
        /// Whether any step was accepted.
        public var succeeded: Bool { step > 0 }
    }

    /// Searches along `direction` from `x`, where `f0 = f(x)` and `slope0 = ∇f(x)ᵀd < 0`.
    ///
    /// On return with ``Outcome/succeeded``, `xTrial` holds `x + t d` and `gradient` holds `∇f` there.
    @inlinable
    public func search<O: DifferentiableObjective>(
        _ objective: O, from x: [Double], value f0: Double, slope slope0: Double, direction: [Double],
        initialStep: Double, xTrial: inout [Double], gradient: inout [Double]
    ) -> Outcome {
        let n = x.count
        var evaluations = 0
        // Evaluates phi(t) = f(x + t d) and phi'(t), leaving x + t d in xTrial and the gradient in `gradient`.
        func phi(_ t: Double) -> (Double, Double) {
            for i in 0..<n { xTrial[i] = x[i] + t * direction[i] }
            let f = objective.value(at: xTrial, gradient: &gradient)
            evaluations += 1
            var s = 0.0
            for i in 0..<n { s += gradient[i] * direction[i] }
            return (f, s)
        }
        func accept(_ t: Double, _ f: Double, wolfe: Bool) -> Outcome {
            Outcome(step: t, value: f, evaluations: evaluations, satisfiesWolfe: wolfe)
        }
        var fail: Outcome { Outcome(step: 0, value: f0, evaluations: evaluations, satisfiesWolfe: false) }
        guard slope0 < 0, f0.isFinite else { return fail }
        // Algorithm 3.6: `lo` always satisfies sufficient decrease with the lowest f seen; the
        // minimizer lies between `lo` and `hi`.
        func zoom(_ loIn: (Double, Double, Double), _ hiIn: (Double, Double, Double)) -> Outcome {
            var (tLo, fLo, dLo) = loIn
            var (tHi, fHi, dHi) = hiIn
            while evaluations < maxEvaluations {
                let width = tHi - tLo
                if abs(width) <= 1e-16 * Swift.max(abs(tLo), abs(tHi)) { break }
                var t = Self._cubicMinimizer(tLo, fLo, dLo, tHi, fHi, dHi)
                let a = Swift.min(tLo, tHi), b = Swift.max(tLo, tHi), margin = 0.1 * (b - a)
                if !t.isFinite || t < a + margin || t > b - margin { t = tLo + 0.5 * width }
                let (f, d) = phi(t)
                if !(f.isFinite && d.isFinite) {
                    tHi = t; fHi = .nan; dHi = .nan
                    continue
                }
                if f > f0 + c1 * t * slope0 || f >= fLo {
                    tHi = t; fHi = f; dHi = d
                } else {
                    if abs(d) <= -c2 * slope0 { return accept(t, f, wolfe: true) }
                    if d * (tHi - tLo) >= 0 { tHi = tLo; fHi = fLo; dHi = dLo }
                    tLo = t; fLo = f; dLo = d
                }
            }
            // Out of budget or bracket collapsed: fall back to the best sufficient-decrease point, if any.
            if tLo > 0 && fLo < f0 {
                _ = phi(tLo)
                return accept(tLo, fLo, wolfe: false)
            }
            return fail
        }

        var tPrev = 0.0, fPrev = f0, dPrev = slope0
        var t = Swift.min(Swift.max(initialStep, .leastNormalMagnitude), maxStep)
        var first = true
        while evaluations < maxEvaluations {
            let (f, d) = phi(t)
            let finite = f.isFinite && d.isFinite
            if !finite || f > f0 + c1 * t * slope0 || (!first && f >= fPrev) {
                return zoom((tPrev, fPrev, dPrev), (t, finite ? f : .nan, finite ? d : .nan))
            }
            if abs(d) <= -c2 * slope0 { return accept(t, f, wolfe: true) }
            if d >= 0 {
                return zoom((t, f, d), (tPrev, fPrev, dPrev))
            }
            if t >= maxStep { return accept(t, f, wolfe: false) }
            tPrev = t; fPrev = f; dPrev = d
            t = Swift.min(expansion * t, maxStep)
            first = false
        }
        // Budget exhausted while expanding: the last step still decreased f sufficiently.
        if tPrev > 0 {
            _ = phi(tPrev)
            return accept(tPrev, fPrev, wolfe: false)
        }
        return fail
    }

    /// The minimizer of the cubic through `(a, fa)`, `(b, fb)` with slopes `da`, `db`
    /// (Nocedal & Wright eq. 3.59); NaN when it does not exist.
    @inlinable
    static func _cubicMinimizer(_ a: Double, _ fa: Double, _ da: Double,
                                _ b: Double, _ fb: Double, _ db: Double) -> Double {
        guard fa.isFinite, fb.isFinite, da.isFinite, db.isFinite, a != b else { return .nan }
        let d1 = da + db - 3 * (fa - fb) / (a - b)
        let disc = d1 * d1 - da * db
        guard disc >= 0 else { return .nan }
        let d2 = (b > a ? 1.0 : -1.0) * disc.squareRoot()
        let denom = db - da + 2 * d2
        guard denom != 0 else { return .nan }
        return b - (b - a) * (db + d2 - d1) / denom
    }
}
