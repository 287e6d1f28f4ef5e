import Foundation
import Testing
import TestSupport
@testable import DataMixing

@Suite struct PredictorTests {
    let ref: DDOReference
    init() throws { ref = try DDOReference.shared() }

    /// Two budgets, by hand: N(200) = (100, 100), N(400) = (300, 100). The geometric rule gives
    /// N_a(u) = 100·3^u, N_b = 100: budget 1000 is u = 2, the paper's recursion N(S2)²/N(S1) = (900, 100);
    /// budget 500 is 3^u = 4, (400, 100); budget 200 is u = 0. Relative error <= 1e-12.
    @Test func twoBudgetsFollowTheGeometricRule() throws {
        let p = try AutoScalePredictor(domains: ["a", "b"], quantities: [[300, 100], [100, 100]])
        #expect(p.budgets == [200, 400])
        #expect(maxAbsDiff(p.u, [0, 1]) < 1e-15)
        #expect(maxRelDiff(p.k, [Foundation.log(3.0), 0], floor: 1) < 1e-12)
        #expect(maxRelDiff(p.c, [Foundation.log(100.0), Foundation.log(100.0)]) < 1e-12)
        for (budget, tokens, u) in [(1000.0, [900.0, 100], 2.0), (500, [400, 100], Foundation.log(4) / Foundation.log(3)), (200, [100, 100], 0)] {
            let r = try p.predict(budget: budget)
            #expect(maxRelDiff(r.tokens, tokens) < 1e-12, "\(budget): \(r.tokens)")
            #expect(abs(r.scale - u) < 1e-12)
            #expect(maxRelDiff(r.weights, tokens.map { $0 / budget }) < 1e-12)
        }
    }

    /// Three domains, by hand: N(100) = (10, 20, 70), N(200) = (40, 40, 120). At u = 2 the recursion gives
    /// (160, 80, 120²/70), total 445.714...; predicting at that total returns those quantities.
    @Test func recursionTotalReturnsRecursionQuantities() throws {
        let p = try AutoScalePredictor(domains: ["x", "y", "z"], quantities: [[10, 20, 70], [40, 40, 120]])
        let expected = [160, 80, 120.0 * 120 / 70]
        let r = try p.predict(budget: expected.reduce(0, +))
        #expect(maxRelDiff(r.tokens, expected) < 1e-12)
        #expect(abs(r.scale - 2) < 1e-12)
    }

    /// Noisy 3-4 budget cases: c, k, u agree with numpy's SVD rank-one fit to 1e-10 and the targets (0.5x,
    /// 3x and 20x the largest budget) with scipy brentq to 1e-10 relative in tokens and 1e-10 in u, including
    /// a case with a negative k (solved on the increasing branch).
    @Test func rankOneFitMatchesNumpy() throws {
        for (n, e) in ref.predictor.enumerated() {
            let domains = (0..<e.k.count).map { "d\($0)" }
            // Feed the budgets in reverse: the predictor sorts them.
            let p = try AutoScalePredictor(domains: domains, quantities: e.quantities.reversed())
            #expect(maxAbsDiff(p.u, e.u) < 1e-10, "case \(n): \(p.u) vs \(e.u)")
            #expect(maxAbsDiff(p.k, e.k) < 1e-10)
            #expect(maxAbsDiff(p.c, e.c) < 1e-10)
            #expect(p.rmsLogResidual > 0)
            for t in e.targets {
                let r = try p.predict(budget: t.budget)
                #expect(abs(r.scale - t.u) < 1e-10, "case \(n) budget \(t.budget): \(r.scale) vs \(t.u)")
                #expect(maxRelDiff(r.tokens, t.tokens) < 1e-10)
                #expect(abs(r.tokens.reduce(0, +) - t.budget) / t.budget < 1e-13)
            }
            #expect(try p.predict(budget: e.targets[0].budget).warnings.contains { $0.contains("falls as the budget grows") } == e.k.contains { $0 < 0 })
        }
    }

    /// A negative k: the total is not monotone in u; the answer lies on the increasing branch, a target
    /// below the branch's minimum is an error, and the shrinking domain is named.
    @Test func negativeKSearchesTheIncreasingBranch() throws {
        let p = try AutoScalePredictor(domains: ["a", "b"], quantities: [[100, 50], [300, 40]])
        let r = try p.predict(budget: 1000)
        #expect(abs(100 * Foundation.pow(3, r.scale) + 50 * Foundation.pow(0.8, r.scale) - 1000) < 1e-9)
        #expect(r.warnings.contains { $0.hasPrefix("domain b: its optimal quantity falls") })
        // h(u) = 100·3^u + 50·0.8^u has its minimum where ln3·100·3^u = -ln0.8·50·0.8^u.
        let uMin = Foundation.log(-Foundation.log(0.8) * 50 / (Foundation.log(3) * 100)) / Foundation.log(3 / 0.8)
        let hMin = 100 * Foundation.pow(3, uMin) + 50 * Foundation.pow(0.8, uMin)
        #expect(throws: DataMixingError.self) { try p.predict(budget: hMin * 0.99) }
        let edge = try p.predict(budget: hMin * 1.0001)
        #expect(edge.scale > uMin)
    }

    /// Warnings: a target beyond 1000x the largest fitted budget; a domain whose share shrinks below 1%.
    @Test func warnings() throws {
        let p = try AutoScalePredictor(domains: ["big", "small"], quantities: [[100, 100], [400, 150]])
        let near = try p.predict(budget: 1000)
        #expect(near.warnings.isEmpty)
        let far = try p.predict(budget: 550 * 2000)
        #expect(far.warnings.contains { $0.contains("2000x the largest fitted budget") })
        #expect(far.warnings.contains { $0.hasPrefix("domain small: its share keeps shrinking") })
        #expect(far.weights[1] < 0.01)
    }

    /// One budget, equal budgets and non-positive quantities are errors with one-line messages.
    @Test func rejectsBadInput() {
        #expect(throws: DataMixingError.self) { try AutoScalePredictor(domains: ["a", "b"], quantities: [[1, 2]]) }
        #expect {
            try AutoScalePredictor(domains: ["a", "b"], quantities: [[1, 2], [2, 1]], sources: ["r1.json", "r2.json"])
        } throws: { error in
            (error as? DataMixingError)?.description == "r1.json and r2.json have the same budget 3; the predictor needs distinct budgets"
        }
        #expect {
            try AutoScalePredictor(domains: ["a", "b"], quantities: [[1, 2], [0, 5]], sources: ["r1.json", "r2.json"])
        } throws: { error in
            (error as? DataMixingError)?.description == "r2.json: tokens of domain a must be positive and finite for the log-linear fit, got 0.0"
        }
    }
}

@Suite struct PredictorConstantDomainTests {
    /// A domain held at the same quantity at every fitted budget has k = 0 exactly (no "falls" warning), keeps
    /// that quantity at any target, and bounds the reachable totals from below.
    @Test func constantDomain() throws {
        let p = try AutoScalePredictor(domains: ["grow", "fixed"], quantities: [[100, 50], [300, 50], [180, 50]])
        #expect(p.k[1] == 0)
        let r = try p.predict(budget: 1000)
        #expect(abs(r.tokens[1] - 50) < 1e-9 && r.warnings.allSatisfy { !$0.contains("falls") })
        #expect(throws: DataMixingError.self) { try p.predict(budget: 40) }
    }
}
