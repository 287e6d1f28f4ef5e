import Base
import Foundation
import ScalingLaws
import Testing
import TestSupport

@Test func isoflopMatchesNumpyPolyfit() throws {
    let fx = try LawsFixture.load().isoflop
    let t = try Table.read(path: Fixture.url("scaling/synthetic_isoflop.csv").path)
    let fit = try IsoFLOPFit.fit(n: try t.doubles("params", .positive), flops: try t.doubles("flops", .positive),
                                 loss: try t.doubles("loss", .positive))
    #expect(fit.vertices.count == 4 && fit.skipped.isEmpty)
    #expect(maxRelDiff(fit.vertices.map(\.nOpt), fx.vertices.map(\.n_opt)) < 1e-9)
    #expect(maxRelDiff(fit.vertices.map(\.lossAtOptimum), fx.vertices.map(\.loss)) < 1e-12)
    #expect(maxRelDiff(fit.vertices.map(\.flops), fx.vertices.map(\.flops)) < 1e-12)
    #expect(abs(fit.a - fx.a) < 1e-9 && abs(fit.k / fx.k - 1) < 1e-8)
}

@Test func isoflopSkipsAndRejects() throws {
    // Budget 1e19 has only two sizes; budget 1e20 is concave: both skipped, leaving too few budgets.
    let n: [Double] = [1e8, 2e8, 1e8, 2e8, 4e8, 1e8, 2e8, 4e8]
    let c: [Double] = [1e19, 1e19, 1e20, 1e20, 1e20, 1e21, 1e21, 1e21]
    let l: [Double] = [3, 2.9, 3, 3.2, 3.1, 2.5, 2.4, 2.45]
    let e = #expect(throws: ScalingLawError.self) { try IsoFLOPFit.fit(n: n, flops: c, loss: l) }
    #expect(e?.description == "the isoflop law needs at least 2 FLOP budgets with 3 or more model sizes and a convex loss; "
            + "found 1 (skipped: 1e+19 FLOPs, 2 points: fewer than 3 distinct model sizes; "
            + "1e+20 FLOPs, 3 points: loss is not convex in log N (no minimum))")
    #expect(throws: ScalingLawError.tooFewPoints(law: "isoflop", needed: 6, found: 3)) {
        try IsoFLOPFit.fit(n: [1, 2, 3], flops: [1, 1, 1], loss: [1, 2, 3])
    }
}

@Test func computeOptimalMatchesNumericalMinimum() throws {
    let fx = try LawsFixture.load().optimal
    let p = fx.params
    let model = try ComputeOptimal(E: p["E"]!, A: p["A"]!, B: p["B"]!, alpha: p["alpha"]!, beta: p["beta"]!)
    for ref in fx.allocations {
        let a = model.allocation(flops: ref.flops)
        #expect(abs(a.n / ref.n - 1) < 1e-6)  // minimize_scalar's xatol 1e-12 in log N
        #expect(abs(a.d / ref.d - 1) < 1e-6)
        #expect(abs(a.loss - ref.loss) < 1e-12)
        #expect(abs(6 * a.n * a.d / ref.flops - 1) < 1e-14)
    }
    #expect(throws: ScalingLawError.self) { try ComputeOptimal(E: 1, A: -1, B: 1, alpha: 1, beta: 1) }
}

@Test func isoflopBootstrapIsSeeded() throws {
    let t = try Table.read(path: Fixture.url("scaling/synthetic_isoflop.csv").path)
    let n = try t.doubles("params", .positive), c = try t.doubles("flops", .positive), l = try t.doubles("loss", .positive)
    let fit = try IsoFLOPFit.fit(n: n, flops: c, loss: l)
    let a = try fit.bootstrap(n: n, flops: c, loss: l, replicates: 100, seed: 3)
    let b = try fit.bootstrap(n: n, flops: c, loss: l, replicates: 100, seed: 3)
    #expect(a == b)
    #expect(a.intervals.map(\.name) == ["k", "a"])
    let ia = a.intervals[1]
    #expect(ia.lower < fit.a && fit.a < ia.upper)
    #expect(a.converged > 50)  // replicates that lost a budget's third size are dropped, most survive
}
