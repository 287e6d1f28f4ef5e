import Foundation
import LinearAlgebra
import Optimization
import Testing
import TestSupport

func ddoModel(_ x: Double, _ p: [Double]) -> Double { pow(x + p[0], -p[1]) + p[2] }

@Test func curveFitMatchesScipyCurveFitFiniteDifferences() throws {
    let fx = try OptimizationFixture.load().ddo
    var o = LevenbergMarquardt.Options()
    o.functionTolerance = 1e-14; o.stepTolerance = 1e-14; o.gradientTolerance = 1e-14
    let fit = try CurveFit.fit(x: fx.x, y: fx.y, initial: fx.p0, options: o, model: ddoModel)
    #expect(fit.solver.status.converged)
    #expect(maxRelDiff(fit.parameters, fx.popt) < 1e-6)
    #expect(abs(fit.solver.cost - fx.cost) < 1e-9 * fx.cost)
    #expect(maxRelDiff(fit.covariance.storage, fx.pcov.flatMap { $0 }) < 1e-4)
}

@Test func curveFitWithAnalyticGradient() throws {
    let fx = try OptimizationFixture.load().ddo
    let fit = try CurveFit.fit(x: fx.x, y: fx.y, initial: fx.p0, parameterGradient: { x, p in
        let base = x + p[0], v = pow(base, -p[1])
        return [-p[1] * v / base, -v * log(base), 1]
    }, model: ddoModel)
    #expect(fit.solver.status.converged)
    #expect(maxRelDiff(fit.parameters, fx.popt) < 1e-5)
    #expect(maxRelDiff(fit.standardErrors, (0..<3).map { fx.pcov[$0][$0].squareRoot() }) < 1e-3)
}

@Test func weightedCurveFitWithAbsoluteSigmaMatchesScipy() throws {
    let fx = try OptimizationFixture.load().ddo
    var o = LevenbergMarquardt.Options()
    o.functionTolerance = 1e-14; o.stepTolerance = 1e-14; o.gradientTolerance = 1e-14
    let fit = try CurveFit.fit(x: fx.x, y: fx.y, initial: fx.p0, sigma: fx.sigma, absoluteSigma: true, options: o,
                               model: ddoModel)
    #expect(maxRelDiff(fit.parameters, fx.popt_sigma) < 1e-6)
    #expect(maxRelDiff(fit.covariance.storage, fx.pcov_sigma.flatMap { $0 }) < 1e-4)
    #expect(throws: OptimizationError.self) {
        try CurveFit.fit(x: fx.x, y: fx.y, initial: fx.p0, sigma: [1], model: ddoModel)
    }
}

/// `r_i = A exp(-k t_i) + C - y_i` with an analytic Jacobian.
struct ExpDecay: ResidualFunction {
    var t: [Double], y: [Double]
    var parameterCount: Int { 3 }
    var residualCount: Int { t.count }
    func residuals(at p: [Double], into r: inout [Double]) {
        for i in t.indices { r[i] = p[0] * exp(-p[1] * t[i]) + p[2] - y[i] }
    }
    func jacobian(at p: [Double], into j: inout [Double]) -> Bool {
        for i in t.indices {
            let e = exp(-p[1] * t[i])
            j[3 * i] = e; j[3 * i + 1] = -p[0] * t[i] * e; j[3 * i + 2] = 1
        }
        return true
    }
}

@Test func leastSquaresMatchesScipyLM() throws {
    let fx = try OptimizationFixture.load().expo
    let r = try LevenbergMarquardt().minimize(ExpDecay(t: fx.t, y: fx.y), from: fx.p0)
    #expect(r.status.converged)
    #expect(maxRelDiff(r.parameters, fx.popt) < 1e-6)
    #expect(abs(r.cost - fx.cost) < 1e-9 * fx.cost)
}

@Test func exactFitAndBadInput() throws {
    // Noise-free data: the fit is exact and recovers the generating parameters.
    let xs = (1...20).map(Double.init)
    let ys = xs.map { ddoModel($0, [2, 0.5, 0.3]) }
    let fit = try CurveFit.fit(x: xs, y: ys, initial: [1, 1, 0], model: ddoModel)
    #expect(maxAbsDiff(fit.parameters, [2, 0.5, 0.3]) < 1e-6)
    #expect(throws: OptimizationError.self) { try CurveFit.fit(x: [1, 2], y: [1], initial: [0]) { x, _ in x } }
    #expect(throws: OptimizationError.self) { try CurveFit.fit(x: [1], y: [1], initial: [0, 1]) { x, _ in x } }
}
