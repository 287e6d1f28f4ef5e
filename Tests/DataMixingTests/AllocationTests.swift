import Foundation
import Testing
import TestSupport
@testable import DataMixing

@Suite struct AllocationTests {
    let ref: DDOReference
    init() throws { ref = try DDOReference.shared() }

    /// Random 2-12 domain instances, interior and near-edge budgets: the KKT allocation meets the budget to
    /// 1e-12 relative, respects the bounds, its objective is no worse than SLSQP's (1e-11 relative) and the
    /// multipliers agree with SLSQP's to 1e-6 (the problem is strictly convex, so the optimum is unique).
    @Test func matchesSLSQP() throws {
        for (i, e) in ref.allocations.enumerated() {
            let curves = (0..<e.a.count).map { PowerLawCurve(a: e.a[$0], b: e.b[$0], c: e.c[$0]) }
            let r = try KKTAllocation.solve(curves: curves, baseTokens: e.base, budget: e.budget,
                                            lower: e.lower, upper: e.upper)
            #expect(abs(r.tokens.reduce(0, +) - e.budget) / e.budget < 1e-12, "case \(i)")
            #expect(r.multipliers.allSatisfy { $0 >= e.lower && $0 <= e.upper })
            #expect(r.objective <= e.objective + 1e-11 * abs(e.objective), "case \(i): \(r.objective) vs \(e.objective)")
            #expect(maxAbsDiff(r.multipliers, e.x) < 1e-6, "case \(i): \(r.multipliers) vs \(e.x)")
        }
    }

    /// Hand-checked KKT case: two identical curves `y = (x+1)^-1`, base quantities 1 and 1. Budget 2 splits
    /// evenly with `λ = -y'(1) / N = 2^-2 = 1/4`; budget 2.4 with upper 1.2 puts both at the bound.
    @Test func handCheckedSymmetricCase() throws {
        let y = PowerLawCurve(a: 1, b: 1, c: 0)
        let r = try KKTAllocation.solve(curves: [y, y], baseTokens: [1, 1], budget: 2, lower: 0.5, upper: 3)
        #expect(maxAbsDiff(r.multipliers, [1, 1]) < 1e-12)
        #expect(abs(r.lambda - 0.25) < 1e-12)
        let top = try KKTAllocation.solve(curves: [y, y], baseTokens: [1, 1], budget: 2.4, lower: 0.5, upper: 1.2)
        #expect(maxAbsDiff(top.multipliers, [1.2, 1.2]) < 1e-12)
    }

    /// A flat domain gets the lower bound while the others can absorb the budget, and shares the remainder
    /// (λ = 0) once they are all at the upper bound.
    @Test func flatDomainsTakeTheLowerBoundThenTheRemainder() throws {
        let good = PowerLawCurve(a: 0.5, b: 0.8, c: 0), flat = PowerLawCurve(a: 0, b: 0, c: 0.01)
        let r = try KKTAllocation.solve(curves: [good, flat], baseTokens: [100, 100], budget: 200, lower: 1.0 / 3, upper: 3)
        #expect(abs(r.multipliers[1] - 1.0 / 3) < 1e-15)
        #expect(abs(r.multipliers[0] - (2 - 1.0 / 3)) < 1e-9)
        let full = try KKTAllocation.solve(curves: [good, flat], baseTokens: [100, 100], budget: 500, lower: 1.0 / 3, upper: 3)
        #expect(maxAbsDiff(full.multipliers, [3, 2]) < 1e-12 && full.lambda == 0)
    }

    /// Budgets outside [lower ΣN, upper ΣN] are reported as infeasible with the feasible range; a lower bound
    /// outside a curve's domain (x <= -a) is an argument error.
    @Test func infeasibleAndInvalidBounds() throws {
        let y = PowerLawCurve(a: 1, b: 1, c: 0)
        #expect {
            try KKTAllocation.solve(curves: [y, y], baseTokens: [1, 1], budget: 7, lower: 1.0 / 3, upper: 3)
        } throws: { error in
            (error as? DataMixingError)?.description
                == "budget 7 is infeasible: with multipliers in [0.333333, 3] of the base quantities (total 2) it must lie in [0.666667, 6]"
        }
        #expect(throws: DataMixingError.self) {
            try KKTAllocation.solve(curves: [y, y], baseTokens: [1, 1], budget: 0.5, lower: 1.0 / 3, upper: 3)
        }
        let pole = PowerLawCurve(a: -0.2, b: 1, c: 0)
        #expect(throws: DataMixingError.self) {
            try KKTAllocation.solve(curves: [pole, y], baseTokens: [1, 1], budget: 2, lower: 0.1, upper: 3)
        }
        // Budget at the exact edges: everything at a bound.
        let lo = try KKTAllocation.solve(curves: [y, pole], baseTokens: [1, 2], budget: 1, lower: 1.0 / 3, upper: 3)
        #expect(maxAbsDiff(lo.multipliers, [1.0 / 3, 1.0 / 3]) < 1e-15)
    }
}

@Suite struct AllocationKKTTests {
    /// Random instances with extreme exponents (b from 1e-3 to 500, where y' underflows at the bounds) and
    /// budgets across the feasible range: the result satisfies the KKT conditions directly: budget to 1e-12
    /// relative; `-y_i'(x_i)/N_i = λ` (relative 1e-9) for interior `x_i`, `<= λ` at `lower`, `>= λ` at `upper`.
    @Test func kktConditionsHoldOnExtremeInstances() throws {
        var seed: UInt64 = 0x5eed
        func uniform(_ lo: Double, _ hi: Double) -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407  // fixed LCG: reproducible
            return lo + (hi - lo) * Double(seed >> 11) / Double(1 << 53)
        }
        let lower = 0.25, upper = 4.0
        var interiorSeen = 0
        for _ in 0..<200 {
            let m = Int(uniform(2, 7))
            let curves = (0..<m).map { _ in
                PowerLawCurve(a: uniform(-0.2, 3), b: Foundation.exp(uniform(Foundation.log(1e-3), Foundation.log(500))), c: 0)
            }
            let base = (0..<m).map { _ in uniform(1e5, 1e7) }
            let total = base.reduce(0, +)
            let budget = uniform(lower * total, upper * total)
            let r = try KKTAllocation.solve(curves: curves, baseTokens: base, budget: budget, lower: lower, upper: upper)
            #expect(abs(r.tokens.reduce(0, +) - budget) / budget < 1e-12)
            let logLambda = Foundation.log(r.lambda)
            for i in 0..<m {
                let g = curves[i].logNegativeSlope(r.multipliers[i]) - Foundation.log(base[i])
                if r.multipliers[i] <= lower {
                    #expect(g <= logLambda + 1e-9)
                } else if r.multipliers[i] >= upper {
                    #expect(g >= logLambda - 1e-9)
                } else {
                    interiorSeen += 1
                    #expect(abs(g - logLambda) < 1e-9, "b = \(curves[i].b), x = \(r.multipliers[i])")
                }
            }
        }
        #expect(interiorSeen > 100)
    }
}
