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

        @inlinable
        public init(x: [Double], value: Double, gradient: [Double], iterations: Int, evaluations: Int, status: Status) {
            self.x = x; self.value = value; self.gradient = gradient
            self.iterations = iterations; self.evaluations = evaluations; self.status = status
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Minimizes `objective` from `x0`. Throws only when `x0` has the wrong length or `f(x0)` is not finite.
    @inlinable
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
        // Correction pairs, flat: pair k occupies [k n, (k + 1) n) of `s` and `y` (a ring buffer).
        var s = [Double](repeating: 0, count: m * n)
        var y = s
        var rho = [Double](repeating: 0, count: m)
        var alpha = [Double](repeating: 0, count: m)
        var stored = 0, newest = -1
        var d = [Double](repeating: 0, count: n)
        var xNew = x, gNew = g
        var evaluations = 1, iterations = 0
        var status: Status = .maxIterations

        if Self._infNorm(g) <= options.gradientTolerance {
            return Result(x: x, value: f, gradient: g, iterations: 0, evaluations: 1, status: .gradientTolerance)
        }
        while iterations < options.maxIterations {
            Self._twoLoop(g: g, s: s, y: y, rho: rho, alpha: &alpha, newest: newest, stored: stored, m: m, d: &d)
            var slope = Self._dot(g, d)
            if !(slope < 0) {  // not a descent direction (numerical trouble): restart from steepest descent
                stored = 0
                for i in 0..<n { d[i] = -g[i] }
                slope = -Self._dot(g, g)
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
                slope = -Self._dot(g, g)
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
            // Store the correction pair unless its curvature sᵀy is not safely positive.
            let slot = (newest + 1) % m
            var sy = 0.0, yy = 0.0
            for i in 0..<n {
                let si = xNew[i] - x[i], yi = gNew[i] - g[i]
                s[slot * n + i] = si
                y[slot * n + i] = yi
                sy += si * yi
                yy += yi * yi
            }
            if sy > Double.ulpOfOne * yy && sy > 0 {
                rho[slot] = 1 / sy
                newest = slot
                stored = Swift.min(stored + 1, m)
            }
            let fOld = f
            swap(&x, &xNew)
            swap(&g, &gNew)
            f = outcome.value
            if Self._infNorm(g) <= options.gradientTolerance { status = .gradientTolerance; break }
            if (fOld - f) / Swift.max(abs(fOld), abs(f), 1) <= options.relativeFunctionTolerance {
                status = .functionTolerance
                break
            }
            if evaluations >= options.maxEvaluations { status = .maxEvaluations; break }
        }
        return Result(x: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, status: status)
    }

    /// `d = -H g` by the two-loop recursion with `H0 = (sᵀy / yᵀy) I` from the newest pair.
    @inlinable
    static func _twoLoop(g: [Double], s: [Double], y: [Double], rho: [Double], alpha: inout [Double],
                         newest: Int, stored: Int, m: Int, d: inout [Double]) {
        let n = g.count
        for i in 0..<n { d[i] = -g[i] }
        guard stored > 0 else { return }
        var k = newest
        for _ in 0..<stored {
            var a = 0.0
            for i in 0..<n { a += s[k * n + i] * d[i] }
            a *= rho[k]
            alpha[k] = a
            for i in 0..<n { d[i] -= a * y[k * n + i] }
            k = k == 0 ? m - 1 : k - 1
        }
        var sy = 0.0, yy = 0.0
        for i in 0..<n { sy += s[newest * n + i] * y[newest * n + i]; yy += y[newest * n + i] * y[newest * n + i] }
        let gamma = sy / yy
        for i in 0..<n { d[i] *= gamma }
        k = (newest - stored + 1 + m) % m
        for _ in 0..<stored {
            var b = 0.0
            for i in 0..<n { b += y[k * n + i] * d[i] }
            let c = alpha[k] - rho[k] * b
            for i in 0..<n { d[i] += c * s[k * n + i] }
            k = k + 1 == m ? 0 : k + 1
        }
    }

    @inlinable
    static func _dot(_ a: [Double], _ b: [Double]) -> Double {
        var t = 0.0
        for i in 0..<a.count { t += a[i] * b[i] }
        return t
    }

    @inlinable
    static func _infNorm(_ v: [Double]) -> Double { v.reduce(0) { Swift.max($0, abs($1)) } }
}
