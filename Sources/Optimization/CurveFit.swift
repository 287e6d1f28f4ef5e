import LinearAlgebra

/// Fits `y_i ≈ model(x_i; p)` by ``LevenbergMarquardt`` with residuals `r_i = (model(x_i; p) - y_i) / σ_i`,
/// the same problem as scipy's `curve_fit` (whose default method is MINPACK's Levenberg-Marquardt).
///
/// Example, the DDO per-domain curve `y = (x + a)^(-b) + c`:
///
///     let fit = try CurveFit.fit(x: xs, y: ys, initial: [1, 0.5, 0]) { x, p in
///         pow(x + p[0], -p[1]) + p[2]
///     }
///     fit.parameters, fit.standardErrors
public struct CurveFit: Sendable {
    /// Fitted parameters.
    public var parameters: [Double]
    /// Covariance of the parameters as `curve_fit`'s `pcov`: `(JᵀJ)⁻¹ s²`, `s² = Σ r_i² / (m - n)`
    /// unless `absoluteSigma`.
    public var covariance: Matrix<Double>
    /// `√diag(covariance)`.
    public var standardErrors: [Double]
    /// The underlying solver result (cost, residuals, status, counts).
    public var solver: LevenbergMarquardt.Result

    /// - Parameters:
    ///   - sigma: per-point standard deviations (`nil`: all 1).
    ///   - absoluteSigma: treat `sigma` as absolute, so the covariance is not rescaled by the residual variance.
    ///   - model: `model(x, p)`.
    ///   - parameterGradient: optional analytic `∂model(x, p)/∂p` (length `n`); finite differences otherwise.
    public static func fit(
        x: [Double], y: [Double], initial: [Double], sigma: [Double]? = nil, absoluteSigma: Bool = false,
        options: LevenbergMarquardt.Options = .init(),
        parameterGradient: ((Double, [Double]) -> [Double])? = nil,
        model: @escaping (Double, [Double]) -> Double
    ) throws -> CurveFit {
        guard x.count == y.count else {
            throw OptimizationError.invalidArgument("x has \(x.count) points, y has \(y.count)")
        }
        if let s = sigma {
            guard s.count == x.count, s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw OptimizationError.invalidArgument("sigma must have one positive entry per point")
            }
        }
        let w = sigma.map { $0.map { 1 / $0 } } ?? [Double](repeating: 1, count: x.count)
        let n = initial.count
        let jacobian: (([Double], inout [Double]) -> Void)? = parameterGradient.map { grad in
            { p, j in
                for i in 0..<x.count {
                    let gi = grad(x[i], p)
                    for k in 0..<n { j[i * n + k] = gi[k] * w[i] }
                }
            }
        }
        let problem = ClosureResiduals(parameterCount: n, residualCount: x.count, residuals: { p, r in
            for i in 0..<x.count { r[i] = (model(x[i], p) - y[i]) * w[i] }
        }, jacobian: jacobian)
        let result = try LevenbergMarquardt(options: options).minimize(problem, from: initial)
        let cov = try result.covariance(absoluteSigma: absoluteSigma)
        return CurveFit(parameters: result.parameters, covariance: cov,
                        standardErrors: (0..<n).map { cov[$0, $0].squareRoot() }, solver: result)
    }
}
