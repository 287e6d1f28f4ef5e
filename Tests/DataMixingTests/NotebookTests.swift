import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// `Fixtures/ddo/notebook.json`, written by `Fixtures/gen/ddo_notebook.py` (scipy/numpy).
struct NotebookReference: Decodable {
    struct Fit: Decodable {
        var domain: String, x: [Double], y: [Double]
        /// scipy curve_fit from p0 = ones (the notebook's call), and the smallest-b exact solution.
        var curve_fit: [Double], smallest_b: [Double]
    }
    struct Notebook: Decodable {
        var domains: [String], fits: [Fit], lower: Double, upper: Double
        var published_fits: [[Double]]
        /// cell 19 / 7 (printed), cell 21 / 7 (plotted), scipy's reproduction, the smallest-b rule's weights.
        var published_weights: [Double], plotted_weights: [Double], weights: [Double], smallest_b_weights: [Double]
    }
    struct Basin: Decodable { var x: [Double], y: [Double], curve_fit: [Double], solutions: [[Double]], which: Int }
    struct CappedAllocation: Decodable {
        var a: [Double], b: [Double], c: [Double], base: [Double], lower: Double, upper: Double, budget: Double
        var caps: [String: Double], x: [Double], x_slsqp: [Double], capped: [Int]
    }
    struct CappedPrediction: Decodable {
        var c: [Double], k: [Double], target: Double, caps: [String: Double], u: Double, tokens: [Double], capped: [Int]
    }
    var notebook: Notebook
    var basins: [Basin]
    var capped_allocations: [CappedAllocation]
    var capped_predictions: [CappedPrediction]

    /// Decoded once; a missing or malformed file fails the tests that ask, not the whole process.
    static func shared() throws -> NotebookReference { try Fixture.shared(NotebookReference.self, "ddo/notebook.json") }
}

/// Largest `|a_i - b_i| / max(|b_i|, floor)`; NaN if any term is NaN, infinity for different lengths.
func relErr(_ a: [Double], _ b: [Double], floor: Double = 1e-300) -> Double {
    guard a.count == b.count else { return .infinity }
    var worst = 0.0
    for (x, y) in zip(a, b) {
        let e = abs(x - y) / max(abs(y), floor)
        if e.isNaN { return .nan }
        worst = max(worst, e)
    }
    return worst
}

/// Largest `|a_i - b_i|`; NaN if any term is NaN, infinity for different lengths.
func absErr(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    var worst = 0.0
    for (x, y) in zip(a, b) {
        let e = abs(x - y)
        if e.isNaN { return .nan }
        worst = max(worst, e)
    }
    return worst
}

@Suite struct NotebookTests {
    let ref: NotebookReference.Notebook
    init() throws { ref = try NotebookReference.shared().notebook }

    func analysis(_ rule: FitRule) throws -> DDOAnalysis {
        try DDO.analyze(LossTable.read(path: Fixture.url("ddo/notebook_losses.csv").path), settings: DDOSettings(fitRule: rule))
    }

    /// The notebook's own table under the default (notebook) rule: the fits are the notebook's printed (a, b, c)
    /// (1e-6 relative; the fixture's curve_fit rerun reproduces them to 1e-7), the weights are the published
    /// ones (cell 19 / 7) to 1e-3 in every weight (achieved ~1e-9) and scipy's reproduction to 1e-7, the
    /// plotted ones (cell 21) to 1e-3; the smallest-b rule's allocation is reported as the alternative (1e-7
    /// against scipy) with a warning.
    @Test func notebookTableGivesPublishedWeights() throws {
        let a = try analysis(.notebook)
        #expect(a.domains == ref.domains && a.lower == ref.lower && a.upper == ref.upper)
        for (i, f) in a.fits.enumerated() {
            #expect(relErr([f.curve.a, f.curve.b, f.curve.c], ref.published_fits[i]) <= 1e-6, "\(ref.domains[i]): \(f.curve)")
            #expect(f.exact)
            let s = ref.fits[i].smallest_b
            #expect(f.alternative.map { relErr([$0.a, $0.b, $0.c], s) <= 1e-6 } == true, "\(ref.domains[i])")
        }
        let w = a.allocation.tokens.map { $0 / a.budget }
        #expect(absErr(w, ref.published_weights) <= 1e-3)
        #expect(absErr(w, ref.weights) <= 1e-7)
        #expect(absErr(w, ref.plotted_weights) <= 1e-3)
        let alt = try #require(a.alternative)
        #expect(alt.rule == .smallestB)
        #expect(absErr(alt.allocation.tokens.map { $0 / a.budget }, ref.smallest_b_weights) <= 1e-7)
        #expect(a.warnings.contains { $0.contains("two exact fits") && $0.contains("the notebook rule's allocation (used)") })
        let r = a.result
        #expect(r.fitRule == "notebook" && r.alternative?.fitRule == "smallest-b" && r.alternative?.domains == ref.domains)
    }

    /// `--fit-rule smallest-b`: the smallest-b solutions (1e-6) and their allocation (1e-7 against scipy), with
    /// the notebook's allocation as the alternative.
    @Test func smallestBRuleIsTheOption() throws {
        let a = try analysis(.smallestB)
        for (i, f) in a.fits.enumerated() {
            #expect(relErr([f.curve.a, f.curve.b, f.curve.c], ref.fits[i].smallest_b) <= 1e-6, "\(ref.domains[i])")
        }
        #expect(absErr(a.allocation.tokens.map { $0 / a.budget }, ref.smallest_b_weights) <= 1e-7)
        let alt = try #require(a.alternative)
        #expect(alt.rule == .notebook && absErr(alt.allocation.tokens.map { $0 / a.budget }, ref.weights) <= 1e-7)
    }

    /// 40 random exact triples: the notebook rule returns the exact solution scipy's curve_fit from ones lands on
    /// (1e-6 relative in a, b, c, the other one as the alternative) in at least 33 of 40 cases, the agreement
    /// measured when the rule was written (our Levenberg-Marquardt is not MINPACK's trust-region code; the 7
    /// others start near the boundary between the basins, where the paths part); the smallest-b rule gives
    /// the smaller b in all 40.
    @Test func notebookRuleLandsWhereCurveFitLands() throws {
        var misses: [String] = []
        for (n, e) in try NotebookReference.shared().basins.enumerated() {
            let fit = try PowerLawFitter.fit(x: e.x, y: e.y)
            let want = e.solutions[e.which], other = e.solutions[1 - e.which]
            let got = [fit.curve.a, fit.curve.b, fit.curve.c]
            let alt = fit.alternative.map { [$0.a, $0.b, $0.c] } ?? []
            if !(relErr(got, want, floor: 1) <= 1e-6) || !(relErr(alt, other, floor: 1) <= 1e-6) || fit.warning != nil {
                misses.append("case \(n): got \(got) want \(want) (solutions \(e.solutions))")
            }
            let small = try PowerLawFitter.fit(x: e.x, y: e.y, rule: .smallestB)
            #expect(relErr([small.curve.a, small.curve.b, small.curve.c], e.solutions[0], floor: 1) <= 1e-6, "case \(n)")
        }
        #expect(try NotebookReference.shared().basins.count == 40)
        #expect(misses.count <= 7, "\(misses.count) of 40 differ from curve_fit: \(misses)")
    }
}

@Suite struct CapTests {
    let ref: NotebookReference
    init() throws { ref = try NotebookReference.shared() }

    /// Capped allocations: the multipliers agree with the fixture's brentq on the multiplier (1e-6 relative;
    /// SLSQP agrees with it to 1e-5), the budget is met to 1e-12 relative, no domain exceeds its cap
    /// (1e-12 relative) and exactly the fixture's domains sit at their caps.
    @Test func cappedAllocationsMatchScipy() throws {
        #expect(ref.capped_allocations.count >= 8)
        for (n, e) in ref.capped_allocations.enumerated() {
            let m = e.a.count
            let curves = (0..<m).map { PowerLawCurve(a: e.a[$0], b: e.b[$0], c: e.c[$0]) }
            let caps: [Double?] = (0..<m).map { e.caps[String($0)] }
            let r = try KKTAllocation.solve(curves: curves, baseTokens: e.base, budget: e.budget, lower: e.lower,
                                            upper: e.upper, caps: caps)
            #expect(relErr(r.multipliers, e.x) <= 1e-6, "case \(n): \(r.multipliers) vs \(e.x)")
            #expect(abs(r.tokens.reduce(0, +) - e.budget) <= 1e-12 * e.budget, "case \(n)")
            for i in 0..<m { if let c = caps[i] { #expect(r.tokens[i] <= c * (1 + 1e-12), "case \(n) domain \(i)") } }
            #expect((0..<m).filter { r.capped[$0] } == e.capped.sorted(), "case \(n): \(r.capped) vs \(e.capped)")
        }
    }

    /// Capped predictions: tokens agree with the fixture's brentq on u (1e-9 relative), capped domains are
    /// exactly at their caps, the total is the target (1e-12 relative).
    @Test func cappedPredictionsMatchScipy() throws {
        for (n, e) in ref.capped_predictions.enumerated() {
            let m = e.c.count
            let names = (0..<m).map { "d\($0)" }
            // Two budgets at u = 0 and u = 1 give back c and k exactly (the geometric rule).
            let q = [e.c.map { Foundation.exp($0) }, zip(e.c, e.k).map { Foundation.exp($0 + $1) }]
            let p = try AutoScalePredictor(domains: names, quantities: q)
            #expect(relErr(p.k, e.k) <= 1e-12, "case \(n)")
            let caps: [Double?] = (0..<m).map { e.caps[String($0)] }
            let r = try p.predict(budget: e.target, caps: caps)
            #expect(relErr(r.tokens, e.tokens) <= 1e-9, "case \(n): \(r.tokens) vs \(e.tokens)")
            #expect(abs(r.tokens.reduce(0, +) - e.target) <= 1e-12 * e.target)
            #expect((0..<m).filter { r.capped[$0] } == e.capped.sorted(), "case \(n)")
            for i in 0..<m where r.capped[i] { #expect(r.tokens[i] == caps[i]!) }
        }
    }

    /// Caps that cannot hold the budget are one-line errors naming the caps.
    @Test func infeasibleCaps() throws {
        let curves = [PowerLawCurve(a: 1, b: 1, c: 0), PowerLawCurve(a: 1, b: 1, c: 0)]
        #expect { try KKTAllocation.solve(curves: curves, baseTokens: [100, 100], budget: 400, lower: 0.5, upper: 3,
                                          domains: ["a", "b"], caps: [100, 250]) } throws: { e in
            "\(e)" == "budget 400 is infeasible: with multipliers in [0.5, 3] of the base quantities (total 200) and the caps (a <= 100, b <= 250) it must lie in [100, 350]"
        }
        #expect { try KKTAllocation.solve(curves: curves, baseTokens: [100, 100], budget: 200, lower: 0.5, upper: 3,
                                          domains: ["a", "b"], caps: [40, nil]) } throws: { e in
            "\(e)" == "--caps: domain a's cap 40 is below its lower bound 50 tokens (0.5 x its base 100)"
        }
        let p = try AutoScalePredictor(domains: ["a", "b"], quantities: [[100, 100], [300, 100]])
        #expect { try p.predict(budget: 1000, caps: [500, 400]) } throws: { e in
            "\(e)" == "--caps: the caps sum to 900 tokens, below the target budget 1000"
        }
        #expect { try MixtureResult.predicted(from: [.init(domains: ["a", "b"], budget: 200, tokens: ["a": 100, "b": 100], weights: [:]),
                                                     .init(domains: ["a", "b"], budget: 400, tokens: ["a": 300, "b": 100], weights: [:])],
                                              sources: ["r1", "r2"], budget: 1000, caps: ["c": 5]) } throws: { e in
            "\(e)" == "--caps: no domain 'c' (the domains are a, b)"
        }
    }
}
