import Foundation
import Optimization
import Testing
import TestSupport

/// Extended Rosenbrock `Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²` with its gradient.
struct Rosenbrock: DifferentiableObjective {
    var dimension: Int
    func value(at x: [Double], gradient g: inout [Double]) -> Double {
        var f = 0.0
        for i in 0..<dimension { g[i] = 0 }
        for i in 0..<(dimension - 1) {
            let t = x[i + 1] - x[i] * x[i], u = 1 - x[i]
            f += 100 * t * t + u * u
            g[i] += -400 * t * x[i] - 2 * u
            g[i + 1] += 200 * t
        }
        return f
    }
}

/// L2-regularized logistic regression `Σ log(1 + exp(-y_i x_iᵀw)) + (λ/2)||w||²`.
struct Logistic: DifferentiableObjective {
    var X: [[Double]], labels: [Double], lam: Double
    var dimension: Int { X[0].count }
    func value(at w: [Double], gradient g: inout [Double]) -> Double {
        var f = 0.0
        for j in 0..<dimension { g[j] = lam * w[j]; f += 0.5 * lam * w[j] * w[j] }
        for (row, y) in zip(X, labels) {
            let z = y * zip(row, w).reduce(0) { $0 + $1.0 * $1.1 }
            f += z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z))
            let s = -y / (1 + exp(z))
            for j in 0..<dimension { g[j] += s * row[j] }
        }
        return f
    }
}

func tight() -> LBFGS {
    var o = LBFGS.Options()
    o.gradientTolerance = 1e-10
    o.relativeFunctionTolerance = 1e-15  // stops only at the precision limit
    return LBFGS(options: o)
}

@Test func rosenbrock2DMatchesScipy() throws {
    let fx = try OptimizationFixture.load().rosen2
    let r = try tight().minimize(Rosenbrock(dimension: 2), from: fx.x0)
    #expect(r.status.converged)
    #expect(maxAbsDiff(r.x, fx.x) < 1e-8)
    #expect(r.value < 1e-16)
}

@Test func rosenbrock10DMatchesScipy() throws {
    let fx = try OptimizationFixture.load().rosen10
    let r = try tight().minimize(Rosenbrock(dimension: 10), from: fx.x0)
    #expect(r.status.converged)
    #expect(maxAbsDiff(r.x, fx.x) < 1e-7)
}

@Test func defaultStoppingRulesReachScipyAccuracy() throws {
    // With the stated defaults (pgtol 1e-5, factr 1e7) the 2-D Rosenbrock minimum is found to ~1e-4.
    let fx = try OptimizationFixture.load().rosen2
    let r = try LBFGS().minimize(Rosenbrock(dimension: 2), from: fx.x0)
    #expect(r.status.converged)
    #expect(maxAbsDiff(r.x, fx.x) < 1e-3)
    #expect(r.iterations < 100)
}

@Test func logisticRegressionMatchesScipy() throws {
    let fx = try OptimizationFixture.load().logistic
    let r = try tight().minimize(Logistic(X: fx.X, labels: fx.labels, lam: fx.lam), from: fx.x0)
    // With f ≈ 30, f is resolved to ~7e-15, so x is only determined to ~sqrt(7e-15 / curvature) ≈ 3e-8 and
    // |g| to ~1e-7: below that no step shows a decrease and the line search ends, at the precision floor.
    #expect(r.status.converged || (r.status == .lineSearchFailed && r.gradient.allSatisfy { abs($0) < 1e-6 }))
    #expect(maxAbsDiff(r.x, fx.x) < 1e-8)
    #expect(abs(r.value - fx.fun) < 1e-12 * abs(fx.fun))
}

@Test func closureObjectiveAndWolfeSteps() throws {
    // A convex quadratic with a known minimizer; every accepted step must satisfy strong Wolfe here.
    let q = ClosureObjective(dimension: 3) { x, g in
        let d = [4.0, 1.0, 0.25]
        var f = 0.0
        for i in 0..<3 { let t = x[i] - Double(i + 1); f += 0.5 * d[i] * t * t; g[i] = d[i] * t }
        return f
    }
    let r = try tight().minimize(q, from: [10, -10, 5])
    #expect(maxAbsDiff(r.x, [1, 2, 3]) < 1e-9)
    var g = [0.0, 0.0, 0.0]
    let ls = StrongWolfeLineSearch()
    var xt = [0.0, 0.0, 0.0]
    let x = [10.0, -10.0, 5.0]
    let f0 = q.value(at: x, gradient: &g)
    let d = g.map { -$0 }
    let slope = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
    var gt = g
    let o = ls.search(q, from: x, value: f0, slope: slope, direction: d, initialStep: 1, xTrial: &xt, gradient: &gt)
    #expect(o.satisfiesWolfe)
    #expect(o.value <= f0 + ls.c1 * o.step * slope)
    #expect(abs(zip(gt, d).reduce(0) { $0 + $1.0 * $1.1 }) <= ls.c2 * abs(slope))
}

@Test func nonFiniteRegionShortensTheStep() throws {
    // f = x - log(x) (domain x > 0, minimum at 1): a long first step lands where f is NaN.
    let f = ClosureObjective(dimension: 1) { x, g in
        g[0] = 1 - 1 / x[0]
        return x[0] > 0 ? x[0] - log(x[0]) : .nan
    }
    let r = try tight().minimize(f, from: [0.01])
    #expect(abs(r.x[0] - 1) < 1e-9)
}

@Test func rejectsBadStart() {
    #expect(throws: OptimizationError.self) { try LBFGS().minimize(Rosenbrock(dimension: 2), from: [1]) }
    #expect(throws: OptimizationError.self) {
        try LBFGS().minimize(ClosureObjective(dimension: 1) { _, _ in .nan }, from: [0])
    }
}
