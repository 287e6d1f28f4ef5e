import LinearAlgebra

/// Levenberg-Marquardt for nonlinear least squares `min_p ½ ||r(p)||²`.
///
/// Each iteration solves the damped Gauss-Newton system `(JᵀJ + λ D) δ = -Jᵀr` as the augmented
/// least-squares problem `[J; √(λD)] δ ≈ [-r; 0]` by QR (no normal equations, so the conditioning of
/// `J` is not squared). `D` is Marquardt's scaling: the running maximum of `diag(JᵀJ)` (as MINPACK),
/// which makes the method invariant to rescaling the parameters. A step is accepted when the gain ratio
/// `ρ = (actual decrease) / (decrease predicted by the linear model)` is positive; then
/// `λ ← λ max(1/3, 1 - (2ρ - 1)³)`, otherwise `λ ← λ ν, ν ← 2ν` (Nielsen's update). `λ` starts at `1e-3`.
///
/// Without an analytic Jacobian, column `j` is estimated by forward differences with step
/// `h_j = √ε max(1, |p_j|)` (as scipy's `'2-point'`), costing `n` extra residual evaluations.
///
/// Stops (scipy `least_squares` semantics, defaults `1e-8`) when
/// - `ftol`: an accepted step decreases the cost by less than `ftol · cost`, and so was predicted to;
/// - `xtol`: `||δ|| < xtol (xtol + ||p||)`;
/// - `gtol`: `max_j |(Jᵀr)_j| < gtol`;
/// - or after `maxEvaluations` residual evaluations (default `200 (n + 1)`, finite-difference ones included).
public struct LevenbergMarquardt: Sendable {
    public struct Options: Sendable {
        public var functionTolerance: Double = 1e-8
        public var stepTolerance: Double = 1e-8
        public var gradientTolerance: Double = 1e-8
        /// `nil` means `200 (n + 1)`.
        public var maxEvaluations: Int? = nil
        /// Initial damping `λ` (relative to `D`; default `1e-3`).
        public var initialDamping: Double = 1e-3
        public init() {}
    }

    public enum Status: String, Sendable, Codable {
        case functionTolerance, stepTolerance, gradientTolerance, exactFit, maxEvaluations, noProgress
        /// Whether the stop is a convergence criterion.
        public var converged: Bool { self != .maxEvaluations && self != .noProgress }
    }

    public struct Result: Sendable {
        /// The fitted parameters.
        public var parameters: [Double]
        /// `½ Σ r_i²` at ``parameters``.
        public var cost: Double
        public var residuals: [Double]
        /// `m x n` Jacobian at ``parameters``.
        public var jacobian: Matrix<Double>
        public var iterations: Int
        /// Residual evaluations, finite-difference ones included.
        public var evaluations: Int
        public var status: Status

        /// The parameter covariance estimate `(JᵀJ)⁺ s²`, with `s² = Σ r_i² / (m - n)` (or `s² = 1` when
        /// `absoluteSigma`, i.e. residuals already divided by known standard deviations), as scipy's
        /// `curve_fit`. The pseudo-inverse drops singular values of `J` below `ε max(m, n) s_max`.
        public func covariance(absoluteSigma: Bool = false) throws -> Matrix<Double> {
            let m = jacobian.rows, n = jacobian.columns
            let (_, s, vt) = try svd(jacobian)
            let cutoff = Double.ulpOfOne * Double(Swift.max(m, n)) * (s.first ?? 0)
            var cov = Matrix<Double>(rows: n, columns: n)
            for k in 0..<s.count where s[k] > cutoff {
                let w = 1 / (s[k] * s[k])
                for i in 0..<n { for j in 0..<n { cov[i, j] += w * vt[k, i] * vt[k, j] } }
            }
            let scale = absoluteSigma ? 1 : (m > n ? 2 * cost / Double(m - n) : .infinity)
            for i in 0..<n { for j in 0..<n { cov[i, j] *= scale } }
            return cov
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Minimizes `½ ||r(p)||²` from `p0`. Throws when `p0` has the wrong length, there are fewer residuals
    /// than parameters, or `r(p0)` is not finite.
    public func minimize<R: ResidualFunction>(_ problem: R, from p0: [Double]) throws -> Result {
        let n = problem.parameterCount, m = problem.residualCount
        guard p0.count == n else {
            throw OptimizationError.invalidArgument("start has \(p0.count) components, problem has \(n) parameters")
        }
        guard m >= n, n > 0 else {
            throw OptimizationError.invalidArgument("\(m) residuals cannot determine \(n) parameters")
        }
        let maxEvaluations = options.maxEvaluations ?? 200 * (n + 1)
        var p = p0
        var r = [Double](repeating: 0, count: m)
        problem.residuals(at: p, into: &r)
        var evaluations = 1
        guard r.allSatisfy({ $0.isFinite }) else { throw OptimizationError.nonFiniteStart("r(p0) has non-finite entries") }
        var cost = Self._halfSumOfSquares(r)
        var jac = [Double](repeating: 0, count: m * n)
        var rTrial = r
        func computeJacobian() {
            if problem.jacobian(at: p, into: &jac) { return }
            var pp = p
            for j in 0..<n {
                let h = Double.ulpOfOne.squareRoot() * Swift.max(1, abs(p[j]))
                pp[j] = p[j] + h
                let hh = pp[j] - p[j]  // the step actually representable
                problem.residuals(at: pp, into: &rTrial)
                evaluations += 1
                for i in 0..<m { jac[i * n + j] = (rTrial[i] - r[i]) / hh }
                pp[j] = p[j]
            }
        }
        computeJacobian()
        var scaling = [Double](repeating: 0, count: n)
        var lambda = options.initialDamping, nu = 2.0
        var iterations = 0
        var status: Status = .maxEvaluations
        var g = [Double](repeating: 0, count: n)
        outer: while true {
            if cost == 0 { status = .exactFit; break }
            // g = Jᵀr, D = running max of diag(JᵀJ).
            for j in 0..<n {
                var gj = 0.0, djj = 0.0
                for i in 0..<m { gj += jac[i * n + j] * r[i]; djj += jac[i * n + j] * jac[i * n + j] }
                g[j] = gj
                scaling[j] = Swift.max(scaling[j], djj, 1e-300)
            }
            if g.reduce(0, { Swift.max($0, abs($1)) }) < options.gradientTolerance { status = .gradientTolerance; break }
            // Inner loop: increase λ until a step decreases the cost.
            while true {
                if evaluations >= maxEvaluations { status = .maxEvaluations; break outer }
                guard let delta = _dampedStep(jac, r, m: m, n: n, lambda: lambda, scaling: scaling) else {
                    status = .noProgress; break outer
                }
                var pNew = p
                for j in 0..<n { pNew[j] += delta[j] }
                let stepNorm = Self._norm(delta), pNorm = Self._norm(p)
                problem.residuals(at: pNew, into: &rTrial)
                evaluations += 1
                let newCost = rTrial.allSatisfy({ $0.isFinite }) ? Self._halfSumOfSquares(rTrial) : .infinity
                // Predicted decrease of the linear model: cost - ½||r + Jδ||².
                var lin = 0.0
                for i in 0..<m {
                    var v = r[i]
                    for j in 0..<n { v += jac[i * n + j] * delta[j] }
                    lin += v * v
                }
                let predicted = cost - 0.5 * lin
                let actual = cost - newCost
                let rho = predicted > 0 ? actual / predicted : (actual > 0 ? 1 : -1)
                if rho > 0 {
                    p = pNew
                    swap(&r, &rTrial)
                    cost = newCost
                    iterations += 1
                    let t = 2 * rho - 1
                    lambda *= Swift.max(1.0 / 3, 1 - t * t * t)
                    nu = 2
                    if abs(actual) <= options.functionTolerance * (cost + actual)
                        && predicted <= options.functionTolerance * (cost + actual) {
                        status = .functionTolerance
                        computeJacobian()
                        break outer
                    }
                    if stepNorm < options.stepTolerance * (options.stepTolerance + pNorm) {
                        status = .stepTolerance
                        computeJacobian()
                        break outer
                    }
                    computeJacobian()
                    continue outer
                }
                if stepNorm < options.stepTolerance * (options.stepTolerance + pNorm) {
                    status = .stepTolerance; break outer
                }
                lambda *= nu
                nu *= 2
            }
        }
        return Result(parameters: p, cost: cost, residuals: r,
                      jacobian: try Matrix(rows: m, columns: n, elements: jac),
                      iterations: iterations, evaluations: evaluations, status: status)
    }

    /// Solves `[J; √(λD)] δ ≈ [-r; 0]` by QR; `nil` when LAPACK fails.
    func _dampedStep(_ jac: [Double], _ r: [Double], m: Int, n: Int, lambda: Double, scaling: [Double]) -> [Double]? {
        var a = Matrix<Double>(rows: m + n, columns: n)
        var b = Matrix<Double>(rows: m + n, columns: 1)
        for i in 0..<m {
            for j in 0..<n { a[i, j] = jac[i * n + j] }
            b[i, 0] = -r[i]
        }
        for j in 0..<n { a[m + j, j] = (lambda * scaling[j]).squareRoot() }
        if let x = try? leastSquaresQR(a, b).solution.storage, x.allSatisfy({ $0.isFinite }) { return x }
        if let x = try? leastSquares(a, b).solution.storage, x.allSatisfy({ $0.isFinite }) { return x }
        return nil
    }

    static func _halfSumOfSquares(_ v: [Double]) -> Double { 0.5 * v.reduce(0) { $0 + $1 * $1 } }
    static func _norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
