import Base
import Foundation
import Optimization
import Testing
import TestSupport
@testable import DataMixing

@Suite struct DDOBootstrapTests {
    func fixtureTable() throws -> LossTable { try LossTable.read(path: Fixture.url("ddo/losses_3domains.csv").path) }

    /// numpy's linear quantile, written out here independently of `Bootstrap.quantile`.
    func linearQuantile(_ v: [Double], _ q: Double) -> Double {
        let s = v.sorted(), pos = q * Double(s.count - 1), i = Int(pos)
        return i + 1 < s.count ? s[i] + (pos - Double(i)) * (s[i + 1] - s[i]) : s[i]
    }

    /// Same seed, same bits (every replicate's tokens identical); another seed, other replicates.
    @Test func deterministic() throws {
        let t = try fixtureTable()
        let o = DDOBootstrapOptions(noise: 0.01, replicates: 12, level: 0.9, seed: 42)
        let a = try DDO.analyze(t, settings: DDOSettings(), bootstrap: o)
        let b = try DDO.analyze(t, settings: DDOSettings(), bootstrap: o)
        let ia = try #require(a.intervals), ib = try #require(b.intervals)
        #expect(ia.replicateTokens.count == 12 && ia.failed == 0)
        #expect(ia.replicateTokens.map { r in a.domains.map { r[$0]!.bitPattern } } == ib.replicateTokens.map { r in a.domains.map { r[$0]!.bitPattern } })
        #expect(ia == ib)
        var other = o
        other.seed = 43
        let c = try #require(try DDO.analyze(t, settings: DDOSettings(), bootstrap: other).intervals)
        #expect(c.replicateTokens != ia.replicateTokens)
    }

    /// Each 90% interval contains the point estimate (1e-12 slack for the weight's division), is ordered, and
    /// is the linear-quantile interval of the replicate weights (exactly); the intervals are in result.json.
    @Test func intervalContainsPointEstimate() throws {
        let t = try fixtureTable()
        let a = try DDO.analyze(t, settings: DDOSettings(), bootstrap: DDOBootstrapOptions(noise: 0.01, replicates: 50, seed: 7))
        let iv = try #require(a.intervals)
        #expect(iv.method == "bootstrap" && iv.level == 0.9 && iv.noise == 0.01 && iv.seed == 7)
        for (i, d) in a.domains.enumerated() {
            let w = a.allocation.tokens[i] / a.budget, lohi = try #require(iv.weights[d])
            #expect(lohi[0] <= w + 1e-12 && w <= lohi[1] + 1e-12, "\(d): \(w) not in \(lohi)")
            let reps = iv.replicateTokens.map { r in r[d]! / a.domains.reduce(0) { $0 + r[$1]! } }
            // The stored interval is the 5%/95% linear quantile of the replicate weights (to rounding: 1e-12).
            #expect(abs(lohi[0] - linearQuantile(reps, 0.05)) <= 1e-12 && abs(lohi[1] - linearQuantile(reps, 0.95)) <= 1e-12)
        }
        let back = try JSONDecoder().decode(MixtureResult.self, from: a.result.jsonData())
        #expect(back.intervals == iv)
    }

    /// The noise's effect on one run's objective: `σ` with an objective column, `σ sqrt(Σw²)/Σw` for mean-loss;
    /// for mean-ppl the lognormal standard deviation, checked against 200,000 seeded draws to 1% (the Monte
    /// Carlo SD of an SD estimate is about 1/sqrt(2n) = 0.16%, times the kurtosis factor).
    @Test func noiseEffect() throws {
        let t = try fixtureTable()
        let base = try DDO.analyze(t).baseRun
        let s = try DDO.noiseEffect(t, settings: DDOSettings(objective: .meanLoss, evalDomains: (["web", "books"], [2, 1])), noise: 0.03, baseRun: base)
        #expect(abs(s - 0.03 * Foundation.sqrt(5) / 3) <= 1e-15)
        let ppl = try DDO.noiseEffect(t, settings: DDOSettings(), noise: 0.05, baseRun: base)
        var rng = Xoshiro256StarStar(seed: 5)
        let losses = t.runs[base].losses
        var sum = 0.0, sq = 0.0
        let n = 200_000
        for _ in 0..<n {
            let v = losses.reduce(0) { $0 + Foundation.exp($1 + 0.05 * rng.normal()) } / Double(losses.count)
            sum += v; sq += v * v
        }
        let sd = ((sq - sum * sum / Double(n)) / Double(n - 1)).squareRoot()
        #expect(abs(ppl - sd) / sd <= 0.01, "\(ppl) vs \(sd)")
    }

    /// The gain warning: noise 1 nat swamps the 3-domain fixture's promised gain (warning), noise 0.01 does not.
    @Test func gainWarning() throws {
        let t = try fixtureTable()
        let loud = try DDO.analyze(t, settings: DDOSettings(), bootstrap: DDOBootstrapOptions(noise: 1, replicates: 4))
        #expect(loud.warnings.contains { $0.contains("this DDO cannot tell its answer from the base") })
        let quiet = try DDO.analyze(t, settings: DDOSettings(), bootstrap: DDOBootstrapOptions(noise: 0.01, replicates: 4))
        #expect(!quiet.warnings.contains { $0.contains("cannot tell") })
        #expect(quiet.promisedGain > quiet.intervals!.noiseEffect! && quiet.promisedGain.isFinite)
    }

    /// Coverage where the truth is known. Two domains with true curves f_i (f_i(1) = 1), a separable objective
    /// `10 (1 + Σ_i (f_i(x_i) - 1))` plus N(0, 0.05²) noise on every run (an objective column); the true optimum
    /// is the KKT allocation on the true curves. Over 100 seeded datasets, the nominal 90% bootstrap interval
    /// (25 replicates, the same noise) of domain 0's weight covers the truth at a rate within 3 binomial SDs
    /// (3 sqrt(0.9 · 0.1 / 100) = 0.09) of 0.9.
    @Test func coverageOfTheTrueOptimum() throws {
        let truth = [PowerLawCurve(a: 0.5, b: 0.8, c: 0), PowerLawCurve(a: 1.0, b: 0.5, c: 0)].map {
            PowerLawCurve(a: $0.a, b: $0.b, c: 1 - Foundation.pow(1 + $0.a, -$0.b))
        }
        let base = [1e6, 1e6], factors = [1.0 / 3, 3]
        let best = try KKTAllocation.solve(curves: truth, baseTokens: base, budget: 2e6, lower: 1.0 / 3, upper: 3)
        let w0 = best.tokens[0] / 2e6
        #expect(w0 > 0.2 && w0 < 0.8)  // interior, so the interval is not pinned at a bound
        var covered = 0
        let datasets = 100
        for d in 0..<datasets {
            var rng = Xoshiro256StarStar(seed: 1000 + UInt64(d))
            var runs: [LossTable.Run] = []
            func add(_ tokens: [Double]) {
                let y = 10 * (1 + (0..<2).reduce(0) { $0 + truth[$1].value(tokens[$1] / base[$1]) - 1 })
                runs.append(LossTable.Run(tokens: tokens, objective: y + 0.05 * rng.normal()))
            }
            add(base)
            for i in 0..<2 { for f in factors { var t = base; t[i] *= f; add(t) } }
            let table = LossTable(source: "sim\(d)", domains: ["p", "q"], validationDomains: [], runs: runs)
            let a = try DDO.analyze(table, settings: DDOSettings(),
                                    bootstrap: DDOBootstrapOptions(noise: 0.05, replicates: 25, seed: UInt64(d)))
            let iv = try #require(a.intervals?.weights["p"])
            if iv[0] <= w0 && w0 <= iv[1] { covered += 1 }
        }
        let rate = Double(covered) / Double(datasets)
        print("DDOBootstrapTests.coverageOfTheTrueOptimum: nominal 0.9, covered \(covered) of \(datasets) = \(rate)")
        #expect(abs(rate - 0.9) <= 0.09, "coverage \(rate)")
    }

    /// Intervals from replicate DDOs (one per seed): the linear-quantile interval of their weights; errors for
    /// fewer than two or mismatched budgets.
    @Test func replicateIntervals() throws {
        let t = try fixtureTable()
        var analyses: [DDOAnalysis] = []
        for s in 0..<3 {
            var u = t
            for r in u.runs.indices {
                for j in u.runs[r].losses.indices {
                    let step: Int = (r * 7 + j * 3 + s * 5) % 5
                    let shift: Double = 0.004 * Double(step) - 0.008
                    u.runs[r].losses[j] += shift
                }
            }
            analyses.append(try DDO.analyze(u))
        }
        let iv = try DDO.replicateIntervals(analyses, level: 0.8)
        #expect(iv.method == "replicates" && iv.replicates == 3)
        for (i, d) in t.domains.enumerated() {
            let w = analyses.map { $0.allocation.tokens[i] / $0.allocation.tokens.reduce(0, +) }
            #expect(absErr(iv.weights[d]!, [linearQuantile(w, 0.1), linearQuantile(w, 0.9)]) <= 1e-15)
        }
        #expect(throws: DataMixingError.self) { try DDO.replicateIntervals([analyses[0]]) }
        var other = analyses[1]
        other.budget *= 2
        #expect(throws: DataMixingError.self) { try DDO.replicateIntervals([analyses[0], other]) }
    }

    /// `predicted` propagates paired replicates: replicate r of the prediction is the predictor fitted to the
    /// inputs' r-th replicates (1e-12 relative), with caps applied to every replicate.
    @Test func predictionPropagatesReplicates() throws {
        func result(_ tokens: [String: Double], _ reps: [[String: Double]]) -> MixtureResult {
            var r = MixtureResult(domains: ["a", "b"], budget: tokens.values.reduce(0, +), tokens: tokens, weights: [:])
            r.intervals = MixtureResult.Intervals(method: "bootstrap", level: 0.8, domains: ["a", "b"], replicateTokens: reps, failed: 0)
            return r
        }
        let r1 = result(["a": 100, "b": 100], [["a": 90, "b": 110], ["a": 100, "b": 100], ["a": 110, "b": 90]])
        // a grows 3x, b 1.5x per unit of u: uncapped a would pass 700 before the total reaches 1000, so a stays
        // at its cap 700 and b takes the other 300.
        let r2 = result(["a": 300, "b": 150], [["a": 280, "b": 160], ["a": 310, "b": 140], ["a": 330, "b": 150]])
        let p = try MixtureResult.predicted(from: [r1, r2], sources: ["r1", "r2"], budget: 1000, caps: ["a": 700])
        let iv = try #require(p.intervals)
        #expect(iv.method == "propagated" && iv.level == 0.8 && iv.replicates == 3 && iv.failed == 0)
        for r in 0..<3 {
            let pr = try AutoScalePredictor(domains: ["a", "b"], quantities: [[r1.intervals!.replicateTokens[r]["a"]!, r1.intervals!.replicateTokens[r]["b"]!],
                                                                            [r2.intervals!.replicateTokens[r]["a"]!, r2.intervals!.replicateTokens[r]["b"]!]])
            let want = try pr.predict(budget: 1000, caps: [700, nil]).tokens
            #expect(relErr([iv.replicateTokens[r]["a"]!, iv.replicateTokens[r]["b"]!], want) <= 1e-12, "replicate \(r)")
            #expect(iv.replicateTokens[r]["a"]! <= 700)
        }
        #expect(p.capped == ["a"] && p.tokens["a"] == 700)
        #expect(abs(p.tokens["b"]! - 300) <= 1e-9 * 300)
    }
}
