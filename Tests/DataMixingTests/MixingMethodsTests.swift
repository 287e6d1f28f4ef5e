import Base
import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// The loss-table mixing methods against Fixtures/mixing-methods.json (Fixtures/gen/mixing_methods.py: scipy
/// least_squares with a Huber loss, SLSQP, numpy ridge by the normal equations) on the committed synthetic table
/// Fixtures/mixing-methods-losses.csv, plus recovery of a known law's optimum and the fixed mixtures.
@Suite struct MixingMethodsTests {
    struct Reference: Decodable {
        struct Law: Decodable { var c: Double, k: Double, t: [Double], cost: Double? }
        struct DML: Decodable { var weights: [Double], objective: Double }
        struct RegMix: Decodable {
            var features: [String], coefficients: [Double], intercept: Double, rms_residual: Double
            var first_samples: [[Double]], weights: [Double], predicted: Double
        }
        struct Case: Decodable {
            var name: String, objective: String, eval_domains: [String: Double], caps: [String: Double]
            var dml: DML, regmix: RegMix, run_objectives: [Double]
        }
        struct RegMixSettings: Decodable { var ridge: Double, seed: UInt64, samples: Int, top_k: Int }
        var domains: [String], budget: Double, huber_delta: Double
        var laws: [String: Law], true_laws: [String: Law], cases: [Case], regmix_settings: RegMixSettings
    }

    func reference() throws -> Reference { try Fixture.shared(Reference.self, "mixing-methods.json") }
    func table() throws -> LossTable { try LossTable.read(path: Fixture.url("mixing-methods-losses.csv").path) }

    func settings(_ c: Reference.Case, _ ref: Reference) -> MixingSettings {
        var s = MixingSettings()
        s.objective = DDOObjective.Kind(rawValue: c.objective)
        let names = ref.domains.filter { c.eval_domains[$0] != nil }
        s.evalDomains = (names, names.map { c.eval_domains[$0]! })
        s.caps = c.caps.isEmpty ? nil : c.caps
        s.ridge = ref.regmix_settings.ridge
        s.seed = ref.regmix_settings.seed
        s.samples = ref.regmix_settings.samples
        s.topK = ref.regmix_settings.top_k
        return s
    }

    /// Each validation domain's Huber fit equals scipy's (least_squares, trust region reflective, its own starts):
    /// `c`, `k` to 1e-7 relative, `t` to 1e-7 absolute, the Huber cost to 1e-11 relative (measured: 1e-9, 9e-10,
    /// 2e-14); and the noisy fit lies
    /// near the law the table was drawn from (`c` within 0.02, noise sd 0.002).
    @Test func lawFitsMatchScipy() throws {
        let ref = try reference()
        let data = try MixingData(try table(), settings: MixingSettings())
        for (i, d) in data.targets.enumerated() {
            let f = try DataMixingLaw.fitTarget(name: d, weight: 1, mixtures: data.mixtures,
                                                values: data.targetValues[i], delta: ref.huber_delta, seed: UInt64(i))
            let r = try #require(ref.laws[d]), truth = try #require(ref.true_laws[d])
            #expect(maxRelDiff([f.c, f.k], [r.c, r.k]) <= 1e-7, "\(d): \(f.c) \(f.k) vs \(r.c) \(r.k)")
            #expect(maxAbsDiff(f.t, r.t) <= 1e-7, "\(d): \(f.t) vs \(r.t)")
            #expect(maxRelDiff([f.huberCost], [r.cost ?? .nan]) <= 1e-11, "\(d): \(f.huberCost) vs \(r.cost ?? .nan)")
            #expect(maxAbsDiff([f.c], [truth.c]) <= 0.02, "\(d): \(f.c) vs the true \(truth.c)")
            #expect(f.converged >= 1)
        }
    }

    /// `dml` on both cases (mean-ppl over all domains; mean-loss over web=2, code=1 with web capped at 30%): the
    /// weights equal SLSQP's on scipy's laws to 1e-7 (measured 8e-9), the predicted objective to 1e-9 relative
    /// (measured 2e-11), and every start of
    /// the (convex) minimization ends at the same point.
    @Test func dmlOptimumMatchesScipy() throws {
        let ref = try reference(), t = try table()
        for c in ref.cases {
            let fit = try Mixing.fit(.dml, table: t, settings: settings(c, ref))
            let w = ref.domains.map { fit.result.weights[$0] ?? .nan }
            #expect(maxAbsDiff(w, c.dml.weights) <= 1e-7, "\(c.name): \(w) vs \(c.dml.weights)")
            #expect(maxRelDiff([fit.details.predictedObjective ?? .nan], [c.dml.objective]) <= 1e-9, "\(c.name)")
            let solver = try #require(fit.details.solver)
            #expect(solver.agreeing == solver.starts && solver.stationarity <= SimplexSolution.tolerance)
            #expect(fit.result.method == "dml" && abs(w.reduce(0, +) - 1) <= 1e-12)
            if !c.caps.isEmpty { #expect(fit.result.capped == ["web"]) }
        }
    }

    /// `regmix`: the run objectives, the ridge coefficients and intercept equal numpy's normal-equation solve (1e-9
    /// relative to the largest coefficient), the first candidates equal the Python port of the sampler to 1e-15,
    /// and the top-128 mean and its prediction to 1e-12.
    @Test func regmixMatchesNumpy() throws {
        let ref = try reference(), t = try table()
        for c in ref.cases {
            let s = settings(c, ref)
            let data = try MixingData(t, settings: s)
            #expect(maxRelDiff(data.objectives, c.run_objectives) <= 1e-14, "\(c.name)")
            let fit = try Mixing.fit(.regmix, table: t, settings: s)
            let model = try #require(fit.details.regression)
            #expect(model.features == c.regmix.features)
            let scale = c.regmix.coefficients.map(abs).max()!
            #expect(maxAbsDiff(model.coefficients, c.regmix.coefficients) <= 1e-9 * scale,
                    "\(c.name): \(model.coefficients)")
            #expect(maxAbsDiff([model.intercept], [c.regmix.intercept]) <= 1e-9 * scale)
            #expect(maxRelDiff([model.rmsResidual], [c.regmix.rms_residual]) <= 1e-8)
            var sm = SplitMix64(seed: s.seed)
            var g = Xoshiro256StarStar(seed: sm.next())
            for expected in c.regmix.first_samples {
                let alpha = [1.0 / 3, 1.0 / 3, 1.0 / 3]
                var w = Dirichlet.sample(alpha, &g)
                while let cap = s.caps?["web"], w[0] > cap / ref.budget { w = Dirichlet.sample(alpha, &g) }
                #expect(maxAbsDiff(w, expected) <= 1e-15, "\(w) vs \(expected)")
            }
            let w = ref.domains.map { fit.result.weights[$0] ?? .nan }
            #expect(maxAbsDiff(w, c.regmix.weights) <= 1e-12, "\(c.name): \(w) vs \(c.regmix.weights)")
            #expect(maxRelDiff([fit.details.predictedObjective ?? .nan], [c.regmix.predicted]) <= 1e-12)
        }
    }

    /// A known law without noise, `L_i(r) = c_i + k_i exp(-β_i r_i)`, mean-loss: the optimum is analytic
    /// (`k_i β_i exp(-β_i r_i) = λ` for all `i`, so `r_i = (ln(k_i β_i) - ln λ)/β_i` with
    /// `ln λ = (Σ ln(k_i β_i)/β_i - 1) / Σ 1/β_i`), and `dml` on 12 planned runs recovers it to 1e-6.
    @Test func dmlRecoversKnownOptimum() throws {
        let c = [1.5, 0.8, 2.0], k = [1.0, 1.5, 0.8], beta = [3.0, 4.0, 5.0]
        let plan = try MixturePlan(method: .dml, domains: ["a", "b", "c"], budget: 1_200_000, runs: 12, seed: 5)
        let runs = plan.runs.map { run -> LossTable.Run in
            let r = run.tokens.map { Double($0) / 1_200_000 }
            let losses = (0..<3).map { c[$0] + k[$0] * exp(-beta[$0] * r[$0]) }
            return LossTable.Run(tokens: run.tokens.map(Double.init), losses: losses)
        }
        let table = LossTable(source: "known", domains: ["a", "b", "c"], validationDomains: ["a", "b", "c"], runs: runs)
        var s = MixingSettings()
        s.objective = .meanLoss
        let fit = try Mixing.fit(.dml, table: table, settings: s)
        let lnLambda = ((0..<3).reduce(0) { $0 + log(k[$1] * beta[$1]) / beta[$1] } - 1)
            / beta.reduce(0) { $0 + 1 / $1 }
        let optimum = (0..<3).map { (log(k[$0] * beta[$0]) - lnLambda) / beta[$0] }
        let w = ["a", "b", "c"].map { fit.result.weights[$0] ?? .nan }
        #expect(maxAbsDiff(w, optimum) <= 1e-6, "\(w) vs \(optimum)")
        for f in try #require(fit.details.law).targets {
            #expect(f.maxAbsResidual <= 1e-9, "\(f.name): \(f.maxAbsResidual)")
        }
    }

    /// Dirichlet draws have the distribution's mean `α_j/α₀` and variance `α_j(α₀-α_j)/(α₀²(α₀+1))`: 20,000
    /// draws at `α = (0.05, 1, 2.5)` (a shape below 1 and two above), within 5 standard errors.
    @Test func dirichletMoments() {
        let alpha = [0.05, 1, 2.5], a0 = alpha.reduce(0, +), n = 20_000
        var g = Xoshiro256StarStar(seed: 11)
        var sum = [0.0, 0, 0], sq = [0.0, 0, 0]
        for _ in 0..<n {
            let w = Dirichlet.sample(alpha, &g)
            for j in 0..<3 { sum[j] += w[j]; sq[j] += w[j] * w[j] }
        }
        for j in 0..<3 {
            let mean = alpha[j] / a0, variance = alpha[j] * (a0 - alpha[j]) / (a0 * a0 * (a0 + 1))
            let m = sum[j] / Double(n), v = sq[j] / Double(n) - m * m
            #expect(abs(m - mean) <= 5 * (variance / Double(n)).squareRoot(), "mean \(j): \(m) vs \(mean)")
            #expect(abs(v - variance) <= 0.1 * variance, "variance \(j): \(v) vs \(variance)")
        }
    }

    /// The projection onto the capped simplex: feasible, a fixed point on feasible input, and the closest point
    /// (no feasible point of a 200-point seeded sample is nearer in Euclidean norm).
    @Test func projectionIsClosestFeasiblePoint() {
        let u = [0.5, 1, 0.3]
        var g = Xoshiro256StarStar(seed: 2)
        for _ in 0..<50 {
            let y = (0..<3).map { _ in 3 * g.unit() - 1 }
            let p = SimplexSolution.project(y, upper: u)
            #expect(abs(p.reduce(0, +) - 1) <= 1e-14 && zip(p, u).allSatisfy { $0 >= 0 && $0 <= $1 }, "\(p)")
            #expect(maxAbsDiff(SimplexSolution.project(p, upper: u), p) <= 1e-14)
            let d = zip(p, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            for _ in 0..<200 {
                let q = Dirichlet.sample([1, 1, 1], &g)
                guard zip(q, u).allSatisfy({ $0 <= $1 }) else { continue }
                #expect(zip(q, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } >= d - 1e-12)
            }
        }
    }

    /// Fixed mixtures: uniform; natural in proportion to the available tokens; given, normalized; a cap holds a
    /// domain at its bound and the others share the rest in proportion (exact values by hand, 1e-15).
    @Test func fixedMixtures() throws {
        var s = MixingSettings()
        s.budget = 1000
        let d = ["web", "code", "books"]
        func w(_ f: MixingFit) -> [Double] { d.map { f.result.weights[$0] ?? .nan } }
        let uniform = try Mixing.fit(.uniform, table: nil, domains: d, settings: s)
        #expect(maxAbsDiff(w(uniform), [1.0 / 3, 1.0 / 3, 1.0 / 3]) <= 1e-15)
        s.available = ["web": 6e6, "code": 3e6, "books": 1e6]
        let natural = try Mixing.fit(.natural, table: nil, domains: d, settings: s)
        #expect(maxAbsDiff(w(natural), [0.6, 0.3, 0.1]) <= 1e-15 && natural.result.method == "natural")
        #expect(maxAbsDiff(d.map { natural.result.tokens[$0] ?? .nan }, [600, 300, 100]) <= 1e-12)
        s.caps = ["web": 400]
        let capped = try Mixing.fit(.natural, table: nil, domains: d, settings: s)
        #expect(maxAbsDiff(w(capped), [0.4, 0.45, 0.15]) <= 1e-15, "\(w(capped))")
        #expect(capped.result.capped == ["web"])
        s.caps = nil
        s.given = ["web": 2, "code": 1, "books": 1]
        #expect(maxAbsDiff(w(try Mixing.fit(.given, table: nil, domains: d, settings: s)), [0.5, 0.25, 0.25]) <= 1e-15)
        s.given = ["web": 2, "code": 1]
        #expect(throws: FieldError("weights", "no value for domain 'books'")) {
            try Mixing.fit(.given, table: nil, domains: d, settings: s)
        }
    }

    /// `method`: absent from a DDO result's JSON (so existing outputs keep their bytes), decoded as "ddo" when
    /// missing, written and read back when set.
    @Test func methodFieldDefaultsToDDO() throws {
        var r = MixtureResult(domains: ["a", "b"], budget: 2, tokens: ["a": 1, "b": 1], weights: ["a": 0.5, "b": 0.5])
        #expect(r.method == "ddo")
        #expect(!String(decoding: try r.jsonData(), as: UTF8.self).contains("method"))
        let old = try JSONDecoder().decode(MixtureResult.self, from: Data(#"{"tokens": {"a": 1, "b": 3}}"#.utf8))
        #expect(old.method == "ddo")
        r.method = "regmix"
        #expect(try JSONDecoder().decode(MixtureResult.self, from: r.jsonData()).method == "regmix")
    }

    /// Plans: seeded (the same seed, the same runs), every run summing to the budget, distinct; too few runs for
    /// the method's parameters refused naming the minimum.
    @Test func plans() throws {
        let a = try MixturePlan(method: .regmix, domains: ["x", "y", "z"], budget: 10_000, runs: 30, seed: 9)
        let b = try MixturePlan(method: .regmix, domains: ["x", "y", "z"], budget: 10_000, runs: 30, seed: 9)
        #expect(a == b && a.runs.count == 30 && a.runs.allSatisfy { $0.tokens.reduce(0, +) == 10_000 })
        #expect(Set(a.runs.map(\.tokens)).count == 30)
        #expect(Set(a.runs.map(\.strength)).isSubset(of: Set(MixturePlan.regmixStrengths)))
        #expect(MixturePlan.regmixStrengths.count == 15 && abs(MixturePlan.regmixStrengths[0] - 0.1) <= 1e-15
                && abs(MixturePlan.regmixStrengths[14] - 5) <= 1e-14)
        #expect(throws: FieldError("runs", "dml with 3 domains needs at least 5 runs, got 4")) {
            try MixturePlan(method: .dml, domains: ["x", "y", "z"], budget: 10_000, runs: 4, seed: 0)
        }
    }
}
