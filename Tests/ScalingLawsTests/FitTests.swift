import Foundation
import Optimization
import ScalingLaws
import Testing
import TestSupport

func values(_ fit: FittedLaw) -> [Double] { fit.parameters.map(\.value) }

@Test func chinchillaFitMatchesScipyOnReducedGrid() throws {
    let fx = try LawsFixture.load().chinchilla
    let c = try chinchillaFixtureData()
    var fitter = LawFitter()
    fitter.grid.alpha = GridAxis(fx.grid.alpha); fitter.grid.beta = GridAxis(fx.grid.beta)
    fitter.grid.e = GridAxis(fx.grid.e); fitter.grid.a = GridAxis(fx.grid.a); fitter.grid.b = GridAxis(fx.grid.b)
    fitter.optimizer.options.gradientTolerance = 1e-10
    fitter.optimizer.options.relativeFunctionTolerance = 1e-15
    let fit = try fitter.fitChinchilla(n: c.n, d: c.d, loss: c.loss)
    #expect(fit.starts == fx.starts)
    #expect(fit.objective <= fx.objective * (1 + 1e-9))
    #expect(abs(fit.objective - fx.objective) <= 1e-9 * fx.objective)
    let names = ["E", "A", "B", "alpha", "beta"]
    #expect(maxRelDiff(values(fit), names.map { fx.params[$0]! }) < 1e-5)
}

@Test func chinchillaSquaredLossMatchesScipyLeastSquares() throws {
    let fx = try LawsFixture.load().chinchilla_mse
    let c = try chinchillaFixtureData()
    var fitter = LawFitter()
    fitter.loss = .squared
    fitter.grid.alpha = GridAxis([0.5]); fitter.grid.beta = GridAxis([0.5])
    fitter.grid.e = GridAxis([0, 1]); fitter.grid.a = GridAxis([5, 10]); fitter.grid.b = GridAxis([5, 10])
    fitter.optimizer.options.gradientTolerance = 1e-11
    fitter.optimizer.options.relativeFunctionTolerance = 1e-15
    let fit = try fitter.fitChinchilla(n: c.n, d: c.d, loss: c.loss)
    #expect(abs(fit.objective - fx.objective) <= 1e-9 * fx.objective)
    #expect(maxRelDiff(values(fit), ["E", "A", "B", "alpha", "beta"].map { fx.params[$0]! }) < 1e-5)
}

@Test func powerFitMatchesScipyOnDefaultGrid() throws {
    let fx = try LawsFixture.load().power
    let p = try powerFixtureData()
    var fitter = LawFitter()
    fitter.optimizer.options.gradientTolerance = 1e-10
    fitter.optimizer.options.relativeFunctionTolerance = 1e-15
    let fit = try fitter.fitPower(x: p.x, loss: p.loss)
    #expect(fit.starts == 150)
    #expect(abs(fit.objective - fx.objective) <= 1e-9 * fx.objective)
    #expect(maxRelDiff(values(fit), ["E", "A", "alpha"].map { fx.params[$0]! }) < 1e-5)
}

@Test func defaultTolerancesAgreeWithTightOnes() throws {
    // The default stopping rules (scipy's) land within 1e-3 relative of the tight optimum here.
    let fx = try LawsFixture.load().power
    let p = try powerFixtureData()
    let fit = try LawFitter().fitPower(x: p.x, loss: p.loss)
    #expect(maxRelDiff(values(fit), ["E", "A", "alpha"].map { fx.params[$0]! }) < 1e-3)
    #expect(fit.goodness.rmseLog < 0.01 && fit.goodness.r2 > 0.99)
}

@Test func resultsDoNotDependOnThreads() throws {
    let c = try chinchillaFixtureData()
    var fitter = LawFitter()
    fitter.grid.alpha = GridAxis([0.5, 1]); fitter.grid.beta = GridAxis([0.5, 1]); fitter.grid.e = GridAxis([0, 1])
    fitter.threads = 1
    let one = try fitter.fitChinchilla(n: c.n, d: c.d, loss: c.loss)
    fitter.threads = 2
    let two = try fitter.fitChinchilla(n: c.n, d: c.d, loss: c.loss)
    #expect(one.theta == two.theta && one.objective == two.objective && one.evaluations == two.evaluations)
}

@Test func bootstrapIntervalsAreReproducibleAndBracketTheFit() throws {
    let p = try powerFixtureData()
    let fitter = LawFitter()
    let fit = try fitter.fitPower(x: p.x, loss: p.loss)
    let features = p.x.map { [$0] }
    let a = try fitter.bootstrap(fit, features: features, loss: p.loss, replicates: 200, seed: 11)
    let b = try fitter.bootstrap(fit, features: features, loss: p.loss, replicates: 200, seed: 11)
    let c = try fitter.bootstrap(fit, features: features, loss: p.loss, replicates: 200, seed: 12)
    #expect(a == b)
    #expect(a != c)
    #expect(a.converged >= 190)
    for iv in a.intervals {
        let v = fit.parameter(iv.name)!
        #expect(iv.lower < v && v < iv.upper, "\(iv.name)")
    }
    // alpha is well determined by 20 points with 0.5% noise: the 95% interval is narrow.
    let alpha = a.intervals.first { $0.name == "alpha" }!
    #expect(alpha.upper - alpha.lower < 0.05)
}

@Test func tooFewPointsAndEmptyGrid() throws {
    #expect(throws: ScalingLawError.tooFewPoints(law: "chinchilla", needed: 6, found: 3)) {
        try LawFitter().fitChinchilla(n: [1, 2, 3], d: [1, 2, 3], loss: [3, 2, 1])
    }
    var fitter = LawFitter()
    fitter.grid.alpha = GridAxis([])
    #expect(throws: ScalingLawError.invalidGrid("the grid has no points")) {
        try fitter.fitPower(x: [1, 2, 3, 4], loss: [4, 3, 2.5, 2.2])
    }
}

@Test func gridAxisParsing() {
    #expect(GridAxis(parsing: "0:2:0.5")?.values == [0, 0.5, 1, 1.5, 2])
    #expect(GridAxis(parsing: "0:25:5")?.values == [0, 5, 10, 15, 20, 25])
    #expect(GridAxis(parsing: "1, 2,4")?.values == [1, 2, 4])
    #expect(GridAxis(parsing: "1:0:1") == nil)
    #expect(GridAxis(parsing: "1:2:0") == nil)
    #expect(GridAxis(parsing: "a,b") == nil)
    #expect(StartGrid().chinchillaStarts.count == 4500)
}
