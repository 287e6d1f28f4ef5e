import Base
import Foundation
import LinearAlgebra
import Optimization

/// A local model of the objective in the log token quantities, fitted by least squares to many runs near one
/// mixture (the runs of DDO rounds at the floor factor, ``DDORounds``), and its exact optimum at a budget.
///
///     F(N) ≈ α + Σ_i (g_i z_i + h_i z_i²),    z_i = ln N_i - μ_i,    μ_i = mean over the runs of ln N_i
///
/// Fit: ordinary least squares on the design `[1, z_1..z_m, z_1²..z_m²]` by LAPACK `gelsd` (`2m + 1`
/// coefficients; every domain needs at least 3 distinct quantities among the runs). A round's three points per
/// domain fix its exact DDO curve, noise included; the pooled fit averages the noise of every run over the
/// `2m + 1` coefficients, which is why it is the rounds' answer (Docs/autoscale.md, "DDO in rounds").
///
/// The model is trusted where it was measured: `z_i` stays in the box `[min_n z_ni, max_n z_ni]` of the runs, and
/// below a domain's cap (`ln cap_i - μ_i`).
///
/// Optimum. Minimize `Σ_i q_i(z_i)` with `q_i(z) = g_i z + h_i z²` subject to `Σ_i e^{μ_i + z_i} = B` and the box.
/// In `N_i = e^{μ_i + z_i}` each term has slope `D_i = (g_i + 2 h_i z_i) / N_i` and
/// `N_i² dD_i/dN_i = 2h_i - g_i - 2h_i z_i`: the term is convex in `N_i` exactly where `c_i(z) = 2h_i - g_i - 2h_i z
/// >= 0`, a half-line in `z` (all of it when `h_i = 0`, `g_i <= 0`). The box is cut to that half-line (a
/// negative `h_i`, seen with noise and transfer, makes the term concave far below the data's centre), so the
/// problem is a separable convex allocation with one linear constraint, solved exactly through its KKT
/// conditions as ``KKTAllocation`` is: `D_i(z_i(λ)) = -λ` off the bounds, `z_i(λ)` clipped to the box (a
/// ``Bisection`` on `z` per domain, `D_i` increasing on the box), and `λ` by ``Bisection`` so that
/// `Σ_i N_i(λ) = B` (non-increasing in `λ`), to about `1e-12` relative in the budget.
public struct LogQuadraticModel: Sendable, Equatable {
    /// `μ_i`, the mean of `ln N_i` over the runs.
    public var centre: [Double]
    /// `α`, `g_i`, `h_i`.
    public var intercept: Double
    public var linear: [Double]
    public var quadratic: [Double]
    /// The box of `z` the model is trusted and convex in (the data's range, cut to the convex half-line and the caps).
    public var lower: [Double]
    public var upper: [Double]
    /// Runs fitted and the root-mean-square residual of the fit, in the objective's units.
    public var runs: Int
    public var rms: Double

    /// The fitted objective at `tokens`.
    public func value(_ tokens: [Double]) -> Double {
        tokens.indices.reduce(intercept) { s, i in
            let z = Foundation.log(tokens[i]) - centre[i]
            return s + linear[i] * z + quadratic[i] * z * z
        }
    }

    /// Fits the model to `tokens[n][i]` (run `n`, domain `i`; positive) and `objectives[n]` (finite). `caps`
    /// (per domain, tokens) cut the box from above. Throws ``DataMixingError/invalidInput(location:message:)``
    /// naming `source` when the runs cannot identify it (fewer than `2m + 1` runs or 3 distinct quantities of a
    /// domain) and ``DataMixingError/infeasible(_:)`` when a domain's convex part of the box is empty.
    public static func fit(tokens: [[Double]], objectives: [Double], caps: [Double?]? = nil,
                           source: String = "pooled runs") throws -> LogQuadraticModel {
        let n = tokens.count, m = tokens.first?.count ?? 0
        guard m >= 1, objectives.count == n, tokens.allSatisfy({ $0.count == m }) else {
            throw DataMixingError.invalidArgument("a log-quadratic fit needs one objective and \(m) quantities per run")
        }
        for (r, t) in tokens.enumerated() {
            guard t.allSatisfy({ $0 > 0 && $0.isFinite }), objectives[r].isFinite else {
                throw DataMixingError.invalidInput(location: source, message:
                    "run \(r + 1) has a quantity that is not positive or an objective that is not finite")
            }
        }
        guard n >= 2 * m + 1 else {
            throw DataMixingError.invalidInput(location: source, message:
                "has \(n) runs; the log-quadratic model of \(m) domains has \(2 * m + 1) coefficients")
        }
        let logs = tokens.map { $0.map { Foundation.log($0) } }
        let centre = (0..<m).map { i in logs.reduce(0) { $0 + $1[i] } / Double(n) }
        let z = logs.map { row in (0..<m).map { row[$0] - centre[$0] } }
        for i in 0..<m where Set(z.map { $0[i] }).count < 3 {
            throw DataMixingError.invalidInput(location: source, message:
                "domain #\(i + 1) has fewer than 3 distinct quantities among the runs; its curvature is not identified")
        }
        let columns = 1 + 2 * m
        var design = [Double]()
        design.reserveCapacity(n * columns)
        for row in z { design.append(1); design += row; design += row.map { $0 * $0 } }
        let a = try Matrix<Double>(rows: n, columns: columns, elements: design)
        let b = try Matrix<Double>(rows: n, columns: 1, elements: objectives)
        let beta = try leastSquares(a, b).solution.storage
        let g = Array(beta[1...m]), h = Array(beta[(m + 1)...(2 * m)])
        var model = LogQuadraticModel(centre: centre, intercept: beta[0], linear: g, quadratic: h,
                                      lower: (0..<m).map { i in z.map { $0[i] }.min()! },
                                      upper: (0..<m).map { i in z.map { $0[i] }.max()! }, runs: n, rms: 0)
        model.rms = (zip(tokens, objectives).reduce(0) { s, p in
            let e = model.value(p.0) - p.1
            return s + e * e
        } / Double(n)).squareRoot()
        // The convex half-line of each term: c_i(z) = 2h - g - 2hz >= 0.
        for i in 0..<m {
            if h[i] > 0 { model.upper[i] = min(model.upper[i], 1 - g[i] / (2 * h[i])) }
            else if h[i] < 0 { model.lower[i] = max(model.lower[i], 1 - g[i] / (2 * h[i])) }
            else if g[i] > 0 { model.upper[i] = model.lower[i] }
            if let cap = caps?[i] { model.upper[i] = min(model.upper[i], Foundation.log(cap) - centre[i]) }
            guard model.lower[i] <= model.upper[i] else {
                throw DataMixingError.infeasible(String(format:
                    "domain #%d: the fitted log-quadratic term (g %.4g, h %.4g) is convex nowhere in the runs' range", i + 1, g[i], h[i]))
            }
        }
        return model
    }

    /// The exact optimum of the model at `budget` tokens within its box: the token quantities (summing to the
    /// budget to about `1e-12` relative). Throws ``DataMixingError/infeasible(_:)`` when the box cannot hold the
    /// budget.
    public func allocate(budget: Double) throws -> [Double] {
        let m = centre.count
        func tokens(_ i: Int, _ z: Double) -> Double { Foundation.exp(centre[i] + z) }
        func slope(_ i: Int, _ z: Double) -> Double { (linear[i] + 2 * quadratic[i] * z) / tokens(i, z) }
        let least = (0..<m).reduce(0) { $0 + tokens($1, lower[$1]) }, most = (0..<m).reduce(0) { $0 + tokens($1, upper[$1]) }
        guard budget.isFinite, budget >= least * (1 - 1e-12), budget <= most * (1 + 1e-12) else {
            throw DataMixingError.infeasible(String(format:
                "budget %.6g is outside what the log-quadratic model's box holds, [%.6g, %.6g]", budget, least, most))
        }
        func z(_ i: Int, _ lambda: Double) throws -> Double {
            if slope(i, lower[i]) >= -lambda { return lower[i] }
            if slope(i, upper[i]) <= -lambda { return upper[i] }
            return try Bisection.root(in: lower[i], upper[i], absoluteTolerance: 1e-15) { slope(i, $0) + lambda }
        }
        func spent(_ lambda: Double) throws -> Double { try (0..<m).reduce(0) { $0 + tokens($1, try z($1, lambda)) } }
        let lo = (0..<m).map { -slope($0, upper[$0]) }.min()!, hi = (0..<m).map { -slope($0, lower[$0]) }.max()!
        let lambda: Double
        if budget >= most { lambda = lo } else if budget <= least { lambda = hi } else {
            lambda = try Bisection.root(in: lo, hi, absoluteTolerance: 0, relativeTolerance: 1e-15) { try spent($0) - budget }
        }
        return try (0..<m).map { tokens($0, try z($0, lambda)) }
    }
}
