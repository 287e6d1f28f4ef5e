/// Limited-memory BFGS for smooth unconstrained minimization (Nocedal & Wright, Algorithm 7.5).
///
/// Each iteration computes `d = -H g` by the two-loop recursion over the last ``Options/memory``
/// pairs `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, with initial scaling `H0 = (sᵀy / yᵀy) I`, then a
/// ``StrongWolfeLineSearch`` along `d` (first trial step `1 / ||d||_2` while the memory is empty, 1 afterwards).
/// A pair with `sᵀy <= ε yᵀy` is not stored, so `H` stays positive definite.
///
/// It stops, with the matching ``Status``, at the first of:
/// - `max_i |g_i| <= gradientTolerance` (default `1e-5`, scipy L-BFGS-B's `pgtol`),
/// - `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= relativeFunctionTolerance`
///   (default `2.220446049250313e-09`, scipy's `factr = 1e7` times machine epsilon),
/// - `maxIterations` iterations (default 15000) or `maxEvaluations` evaluations (default 15000),
/// - a line search that finds no decrease even after dropping the memory and trying steepest descent.
public struct LBFGS: Sendable {
    /// Stopping rules and memory; every default is stated on ``LBFGS``.
    public struct Options: Sendable {
        /// Number of correction pairs kept (default 10, as scipy).
        public var memory: Int = 10
        /// Stop when the largest gradient component is at most this (default `1e-5`).
        public var gradientTolerance: Double = 1e-5
        /// Stop when the relative decrease of `f` over an iteration is at most this (default `2.22e-9`).
        public var relativeFunctionTolerance: Double = 1e7 * Double.ulpOfOne
        /// Iteration cap (default 15000).
        public var maxIterations: Int = 15000
        /// Function-evaluation cap (default 15000).
        public var maxEvaluations: Int = 15000
        /// The line search (defaults `c1 = 1e-4`, `c2 = 0.9`).
        public var lineSearch = StrongWolfeLineSearch()

        public init() {}
    }

    /// Why the minimization stopped.
    public enum Status: String, Sendable, Codable {
        case gradientTolerance, functionTolerance, maxIterations, maxEvaluations, lineSearchFailed
        /// Whether the stop is a convergence criterion (gradient or function tolerance).
        public var converged: Bool { self == .gradientTolerance || self == .functionTolerance }
    }

    /// The result of one minimization.
    public struct Result: Sendable {
        /// The final point and its value and gradient.
        public var x: [Double]
        public var value: Double
        public var gradient: [Double]
        public var iterations: Int
        public var evaluations: Int
        public var status: Status
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Minimizes `objective` from `x0`. Throws only when `x0` has the wrong length or `f(x0)` is not finite.
    public func minimize<O: DifferentiableObjective>(_ objective: O, from x0: [Double]) throws -> Result {
        let n = objective.dimension
        guard x0.count == n else {
            throw OptimizationError.invalidArgument("start has \(x0.count) components, objective has \(n)")
        }
        var x = x0
        var g = [Double](repeating: 0, count: n)
        var f = objective.value(at: x, gradient: &g)
        guard f.isFinite, g.allSatisfy({ $0.isFinite }) else {
            throw OptimizationError.nonFiniteStart("f(x0) = \(f)")
        }
        let m = Swift.max(1, options.memory)
        var s = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
        var y = s
        var rho = [Double](repeating: 0, count: m)
        var alpha = [Double](repeating: 0, count: m)
        var stored = 0, newest = -1
        var d = [Double](repeating: 0, count: n)
        var xNew = x, gNew = g
        var evaluations = 1, iterations = 0
        var status: Status = .maxIterations

        func infNorm(_ v: [Double]) -> Double { v.reduce(0) { Swift.max($0, abs($1)) } }
        if infNorm(g) <= options.gradientTolerance {
            return Result(x: x, value: f, gradient: g, iterations: 0, evaluations: 1, status: .gradientTolerance)
        }
        while iterations < options.maxIterations {
            // Two-loop recursion: d = -H g.
            for i in 0..<n { d[i] = -g[i] }
            var k = newest
            for _ in 0..<stored {
                var a = 0.0
                for i in 0..<n { a += s[k][i] * d[i] }
                a *= rho[k]
                alpha[k] = a
                for i in 0..<n { d[i] -= a * y[k][i] }
                k = (k - 1 + m) % m
            }
            if stored > 0 {
                var sy = 0.0, yy = 0.0
                for i in 0..<n { sy += s[newest][i] * y[newest][i]; yy += y[newest][i] * y[newest][i] }
                let gamma = sy / yy
                for i in 0..<n { d[i] *= gamma }
            }
            k = (newest - stored + 1 + m) % m
            for _ in 0..<stored {
                var b = 0.0
                for i in 0..<n { b += y[k][i] * d[i] }
                b *= rho[k]
                let c = alpha[k] - b
                for i in 0..<n { d[i] += c * s[k][i] }
                k = (k + 1) % m
            }
            var slope = 0.0
            for i in 0..<n { slope += g[i] * d[i] }
            if !(slope < 0) {  // not a descent direction (numerical trouble): restart from steepest descent
                stored = 0
                for i in 0..<n { d[i] = -g[i] }
                slope = -g.reduce(0) { $0 + $1 * $1 }
            }
            // Without curvature information the step is scaled to unit length, as L-BFGS-B does.
            let step0 = stored == 0 ? 1 / Swift.max((-slope).squareRoot(), 1e-300) : 1.0
            var ls = options.lineSearch
            ls.maxEvaluations = Swift.min(ls.maxEvaluations, options.maxEvaluations - evaluations)
            var outcome = ls.search(objective, from: x, value: f, slope: slope, direction: d, initialStep: step0,
                                    xTrial: &xNew, gradient: &gNew)
            evaluations += outcome.evaluations
            if !outcome.succeeded && stored > 0 && evaluations < options.maxEvaluations {
                // Drop the curvature memory and retry along steepest descent.
                stored = 0
                for i in 0..<n { d[i] = -g[i] }
                slope = -g.reduce(0) { $0 + $1 * $1 }
                ls.maxEvaluations = Swift.min(options.lineSearch.maxEvaluations, options.maxEvaluations - evaluations)
                outcome = ls.search(objective, from: x, value: f, slope: slope, direction: d,
                                    initialStep: 1 / Swift.max((-slope).squareRoot(), 1e-300),
                                    xTrial: &xNew, gradient: &gNew)
                evaluations += outcome.evaluations
            }
            guard outcome.succeeded else {
                status = evaluations >= options.maxEvaluations ? .maxEvaluations : .lineSearchFailed
                break
            }
            iterations += 1
            // Store the correction pair (ring buffer).
            let slot = (newest + 1) % m
            var sy = 0.0
            for i in 0..<n {
                s[slot][i] = xNew[i] - x[i]
                y[slot][i] = gNew[i] - g[i]
                sy += s[slot][i] * y[slot][i]
            }
            var yy = 0.0
            for i in 0..<n { yy += y[slot][i] * y[slot][i] }
            if sy > Double.ulpOfOne * yy && sy > 0 {
                rho[slot] = 1 / sy
                newest = slot
                stored = Swift.min(stored + 1, m)
            }
            let fOld = f
            swap(&x, &xNew)
            swap(&g, &gNew)
            f = outcome.value
            if infNorm(g) <= options.gradientTolerance { status = .gradientTolerance; break }
            if (fOld - f) / Swift.max(abs(fOld), abs(f), 1) <= options.relativeFunctionTolerance {
                status = .functionTolerance
                break
            }
            if evaluations >= options.maxEvaluations { status = .maxEvaluations; break }
        }
        return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, status: status)
    }
}
