import Base
import Foundation
import Optimization
@testable import ScalingLaws
import Testing
import TestSupport

func chinchillaFixtureData() throws -> (n: [Double], d: [Double], loss: [Double]) {
    let t = try Table.read(path: Fixture.url("scaling/synthetic_chinchilla.csv").path)
    return (try t.doubles("Model Size", .positive), try t.doubles("Tokens", .positive), try t.doubles("loss", .positive))
}

func powerFixtureData() throws -> (x: [Double], loss: [Double]) {
    let t = try Table.read(path: Fixture.url("scaling/synthetic_power.csv").path)
    return (try t.doubles("compute", .positive), try t.doubles("loss", .positive))
}

@Test func objectiveAndGradientMatchTorchAutograd() throws {
    let fx = try LawsFixture.load()
    let c = try chinchillaFixtureData(), p = try powerFixtureData()
    for ev in fx.evaluations {
        let loss: RobustLoss = ev.loss == "huber" ? .huber(delta: fx.delta) : .squared
        let obj = ev.law == "chinchilla"
            ? LogSumExpObjective(features: zip(c.n, c.d).map { [$0, $1] }, targets: c.loss, loss: loss)
            : LogSumExpObjective(features: p.x.map { [$0] }, targets: p.loss, loss: loss)
        var g = [Double](repeating: 0, count: obj.dimension)
        let f = obj.value(at: ev.theta, gradient: &g)
        #expect(abs(f - ev.value) <= 1e-12 * abs(ev.value), "\(ev.law) \(ev.loss) \(ev.theta)")
        #expect(maxAbsDiff(g, ev.gradient) <= 1e-11 * Swift.max(1, ev.gradient.map(abs).max()!), "\(ev.theta)")
        // The generic (any P) path agrees with the unrolled one.
        var g2 = g
        let f2 = obj._valueGeneric(ev.theta, &g2)
        #expect(abs(f2 - f) <= 1e-12 * abs(f) && maxAbsDiff(g2, g) <= 1e-11 * Swift.max(1, g.map(abs).max()!))
    }
}

@Test func extremeParametersStayFinite() throws {
    // Terms beyond exp's range take the max-shifted path and still give finite values and gradients.
    let c = try chinchillaFixtureData()
    let obj = LogSumExpObjective(features: zip(c.n, c.d).map { [$0, $1] }, targets: c.loss, loss: .huber(delta: 1e-3))
    for theta in [[800.0, 0, 0, 1, 1], [0.0, 900, 0, 0, 1], [-900.0, -900, -900, 0, 0]] {
        var g = [Double](repeating: 0, count: 5), g2 = g
        let f = obj.value(at: theta, gradient: &g)
        let f2 = obj._valueGeneric(theta, &g2)
        #expect(f.isFinite && g.allSatisfy(\.isFinite))
        #expect(abs(f - f2) <= 1e-12 * abs(f2) && maxAbsDiff(g, g2) <= 1e-9 * Swift.max(1, g2.map(abs).max()!))
    }
}

@Test func huberAndSquaredLoss() {
    let h = RobustLoss.huber(delta: 0.5)
    #expect(h.valueAndDerivative(0.2) == (0.5 * 0.2 * 0.2, 0.2))
    #expect(h.valueAndDerivative(-2) == (0.5 * (2 - 0.25), -0.5))
    #expect(RobustLoss.squared.valueAndDerivative(-3) == (9, -6))
}
