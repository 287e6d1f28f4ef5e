import Optimization
import Testing
import TestSupport

@Test func bisectionMatchesBrentq() throws {
    let fx = try OptimizationFixture.load().roots
    let cubic = try Bisection.root(in: 2, 3) { $0 * $0 * $0 - 2 * $0 - 5 }
    #expect(abs(cubic - fx.cubic) < 1e-12)
    // Monotone decreasing budget function of a KKT multiplier, as in DDO's allocation.
    let k = fx.kkt
    let lambda = try Bisection.solve({ l in zip(k.w, k.c).reduce(0) { $0 + $1.0 / (l + $1.1) } },
                                     equals: k.target, in: 1e-9, 100)
    #expect(abs(lambda - k.root) < 1e-11 * k.root)
}

@Test func bisectionToleranceAndErrors() throws {
    let loose = try Bisection.root(in: 0, 2, absoluteTolerance: 1e-3, relativeTolerance: 0) { $0 * $0 - 2 }
    #expect(abs(loose - 2.0.squareRoot()) <= 1e-3)
    #expect(abs(loose - 2.0.squareRoot()) > 1e-9)  // it stopped early, as asked
    #expect(try Bisection.root(in: 0, 5) { $0 } == 0)
    #expect(throws: OptimizationError.self) { try Bisection.root(in: 2, 3) { $0 } }
    #expect(throws: OptimizationError.self) { try Bisection.root(in: 3, 2) { $0 } }
}
