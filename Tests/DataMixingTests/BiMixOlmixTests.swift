import Base
import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// `bimix` and `olmix` against Fixtures/mixing-methods.json (Fixtures/gen/mixing_methods.py: numpy.polyfit in logs,
/// scipy least_squares for the law, SLSQP polished by scipy.optimize.root on the KKT equations) on the committed
/// table Fixtures/mixing-methods-losses.csv; Olmix's own cvxpy/ECOS proposer agrees with those references to
/// 1.5e-9 and 1.2e-8 (Fixtures/gen/olmix_proposer_check.py).
@Suite struct BiMixOlmixTests {
    struct Reference: Decodable {
        struct Power: Decodable { var a: Double, alpha: Double, rms_residual: Double }
        struct BiMixCase: Decodable {
            var name: String, objective: String, caps: [String: Double], laws: [String: Power]
            var weights: [Double], value: Double, kkt_residual: Double
        }
        struct Law: Decodable { var c: Double, k: Double, t: [Double] }
        struct OlmixCase: Decodable {
            var name: String, kl_weight: Double, available: [String: Double], repetition: Double?
            var laws: [String: Law], prior: [Double], weights: [Double], law_objective: Double
            var kl_divergence: Double, penalized_objective: Double, kkt_residual: Double
        }
        var domains: [String], bimix: [BiMixCase], olmix: [OlmixCase]
    }

    func reference() throws -> Reference { try Fixture.shared(Reference.self, "mixing-methods.json") }
    func table() throws -> LossTable { try LossTable.read(path: Fixture.url("mixing-methods-losses.csv").path) }

    /// BiMix: `A`, `α` per domain equal numpy.polyfit's to 1e-12 relative and the RMS residual to 1e-10 (measured
    /// 2e-15, 9e-16); the weights equal the KKT-polished SLSQP optimum to 1e-9 (measured 6e-11), the predicted
    /// objective to 1e-12 relative (measured 3e-16); every start agrees and the stationarity meets the tolerance. Case 2 holds web
    /// at its cap.
    @Test func bimixMatchesNumpyAndScipy() throws {
        let ref = try reference(), t = try table()
        for c in ref.bimix {
            #expect(c.kkt_residual <= 1e-12, "\(c.name): the reference's KKT residual \(c.kkt_residual)")
            var s = MixingSettings()
            s.objective = DDOObjective.Kind(rawValue: c.objective)
            s.caps = c.caps.isEmpty ? nil : c.caps
            let fit = try Mixing.fit(.bimix, table: t, settings: s)
            let law = try #require(fit.details.bimix)
            for f in law.targets {
                let r = try #require(c.laws[f.name])
                #expect(maxRelDiff([f.a, f.alpha], [r.a, r.alpha]) <= 1e-12, "\(f.name): \(f.a) \(f.alpha)")
                #expect(maxRelDiff([f.rmsResidual], [r.rms_residual]) <= 1e-10, "\(f.name)")
            }
            let w = ref.domains.map { fit.result.weights[$0] ?? .nan }
            #expect(maxAbsDiff(w, c.weights) <= 1e-9, "\(c.name): \(w) vs \(c.weights)")
            #expect(maxRelDiff([fit.details.predictedObjective ?? .nan], [c.value]) <= 1e-12, "\(c.name)")
            let solver = try #require(fit.details.solver)
            #expect(solver.agreeing == solver.starts && solver.stationarity <= SimplexSolution.tolerance)
            #expect(fit.result.method == "bimix" && fit.result.capped == (c.caps.isEmpty ? nil : ["web"]))
        }
    }

    /// Olmix: the law (Huber 0.02) equals scipy's to 1e-7 (`c`, `k` relative, `t` absolute; measured 1e-9); the
    /// weights equal the KKT-polished SLSQP optimum of mean-loss + λ KL to 1e-8 (measured 1.4e-10), the law
    /// objective, KL and penalized objective to 1e-8 relative (measured 1.6e-9, the law's own difference); the prior is the natural distribution of the
    /// available tokens (or uniform), code sits at its repetition cap 50k x 4 / 1.2M = 1/6 in case 2; every start
    /// agrees and the KKT stationarity meets 1e-10.
    @Test func olmixMatchesScipy() throws {
        let ref = try reference(), t = try table()
        for c in ref.olmix {
            #expect(c.kkt_residual <= 1e-12, "\(c.name): the reference's KKT residual \(c.kkt_residual)")
            var s = MixingSettings()
            s.klWeight = c.kl_weight
            s.available = c.available.isEmpty ? nil : c.available
            s.repetition = c.available.isEmpty ? nil : c.repetition
            let fit = try Mixing.fit(.olmix, table: t, settings: s)
            let law = try #require(fit.details.law), p = try #require(fit.details.proposer)
            #expect(law.huberDelta == 0.02 && law.objective == "mean-loss")
            for f in law.targets {
                let r = try #require(c.laws[f.name])
                #expect(maxRelDiff([f.c, f.k], [r.c, r.k]) <= 1e-7 && maxAbsDiff(f.t, r.t) <= 1e-7, "\(f.name)")
            }
            let w = ref.domains.map { fit.result.weights[$0] ?? .nan }
            #expect(maxAbsDiff(w, c.weights) <= 1e-8, "\(c.name): \(w) vs \(c.weights)")
            #expect(maxRelDiff([p.lawObjective, p.klDivergence, p.penalizedObjective],
                               [c.law_objective, c.kl_divergence, c.penalized_objective]) <= 1e-8, "\(c.name)")
            #expect(maxAbsDiff(p.prior, c.prior) <= 1e-15)
            let solver = try #require(fit.details.solver)
            #expect(solver.agreeing == solver.starts && solver.stationarity <= SimplexSolution.tolerance,
                    "\(c.name): \(solver)")
            #expect(abs(solver.value - p.penalizedObjective) <= 1e-12 * p.penalizedObjective)
            #expect(p.repetitionCapped == (c.available.isEmpty ? [] : ["code"]))
            #expect(fit.result.method == "olmix" && abs(w.reduce(0, +) - 1) <= 1e-12)
        }
    }

    /// The entropic step is the exact minimizer of `-z · x + Σ x ln x` on the capped simplex: its KKT conditions
    /// hold (`ln x_j - z_j` equal on the free domains, at most that on the capped ones) to 1e-12, on 200 seeded
    /// cases with caps.
    @Test func entropicStepSolvesItsProblem() {
        var g = Xoshiro256StarStar(seed: 4)
        for _ in 0..<200 {
            let z = (0..<4).map { _ in 6 * g.unit() - 3 }
            var u = (0..<4).map { _ in 0.1 + 0.5 * g.unit() }
            if u.reduce(0, +) < 1 { u[0] = 1 }
            let x = SimplexSolution.entropicStep(z, upper: u, support: [true, true, true, true])
            #expect(abs(x.reduce(0, +) - 1) <= 1e-14 && zip(x, u).allSatisfy { $0 > 0 && $0 <= $1 * (1 + 1e-15) })
            let free = x.indices.filter { x[$0] < u[$0] * (1 - 1e-12) }
            let level = free.map { log(x[$0]) - z[$0] }
            #expect(level.isEmpty || level.max()! - level.min()! <= 1e-12, "\(z) \(u) \(x)")
            if let l = level.first {
                for j in x.indices where !free.contains(j) { #expect(log(u[j]) - z[j] <= l + 1e-12) }
            }
        }
    }

    /// A noiseless BiMix law `L_i = A_i r_i^{-α_i}`, mean-loss: the fit recovers `A`, `α` to 1e-12 and the
    /// optimum is analytic (`α_i A_i r_i^{-α_i - 1} = ν` for all `i`, `Σ r_i = 1`, solved by bisection on `ν`);
    /// `bimix` on 6 planned runs reaches it to 1e-8.
    @Test func bimixRecoversKnownOptimum() throws {
        let a = [2.0, 1.2, 2.6], alpha = [0.3, 0.6, 0.2]
        let plan = try MixturePlan(method: .bimix, domains: ["a", "b", "c"], budget: 1_200_000, runs: 6, seed: 3)
        let runs = plan.runs.map { run -> LossTable.Run in
            let r = run.tokens.map { Double($0) / 1_200_000 }
            return LossTable.Run(tokens: run.tokens.map(Double.init), losses: (0..<3).map { a[$0] * pow(r[$0], -alpha[$0]) })
        }
        let table = LossTable(source: "known", domains: ["a", "b", "c"], validationDomains: ["a", "b", "c"], runs: runs)
        var s = MixingSettings()
        s.objective = .meanLoss
        let fit = try Mixing.fit(.bimix, table: table, settings: s)
        let law = try #require(fit.details.bimix)
        #expect(maxRelDiff(law.targets.map(\.a) + law.targets.map(\.alpha), a + alpha) <= 1e-12)
        func r(_ nu: Double) -> [Double] { (0..<3).map { pow(alpha[$0] * a[$0] / nu, 1 / (alpha[$0] + 1)) } }
        var lo = 1e-6, hi = 1e6
        for _ in 0..<200 {
            let mid = (lo * hi).squareRoot()
            if r(mid).reduce(0, +) > 1 { lo = mid } else { hi = mid }
        }
        let optimum = r(lo)
        let w = ["a", "b", "c"].map { fit.result.weights[$0] ?? .nan }
        #expect(maxAbsDiff(w, optimum) <= 1e-8, "\(w) vs \(optimum)")
    }

    /// Bad inputs, one line each: a run without tokens of a validation domain (bimix's log), an objective column,
    /// too few distinct proportions, a validation domain that is not a training domain; olmix's negative KL
    /// weight and repetition without available tokens; a plan below bimix's 3 runs.
    @Test func badInputs() throws {
        func run(_ tokens: [Double], _ losses: [Double]) -> LossTable.Run { LossTable.Run(tokens: tokens, losses: losses) }
        let zero = LossTable(source: "z.csv", domains: ["a", "b"], validationDomains: ["a", "b"], runs: [
            run([5, 5], [2, 2]), run([2, 8], [2.3, 1.9]), run([10, 0], [1.8, 3]), run([7, 3], [1.9, 2.4]),
        ])
        #expect(throws: DataMixingError.invalidInput(location: zero.location(2), message: "the run trains no tokens "
            + "of b; bimix fits ln val:b against ln r_b and needs r_b > 0")) {
            try Mixing.fit(.bimix, table: zero, settings: MixingSettings())
        }
        let few = LossTable(source: "few.csv", domains: ["a", "b", "c"], validationDomains: ["a"], runs: [
            run([2, 1, 1], [2]), run([2, 2, 0], [2.01]), run([1, 2, 1], [2.3]), run([1, 3, 0], [2.31]),
        ])
        #expect(throws: DataMixingError.invalidArgument("val:a: has 2 runs at distinct proportions of a; bimix needs "
            + "at least 3 for its 2 parameters per validation domain (A and alpha)")) {
            try Mixing.fit(.bimix, table: few, settings: MixingSettings())
        }
        let two = LossTable(source: "two.csv", domains: ["a", "b"], validationDomains: ["a"], runs: [
            run([5, 5], [2]), run([2, 8], [2.3]), run([5, 5], [2.01]), run([2, 8], [2.31]),
        ])
        #expect(throws: DataMixingError.invalidInput(location: "two.csv", message: "has 2 runs at distinct mixtures; "
            + "bimix needs at least 3 for its 2 parameters per validation domain (A and alpha)")) {
            try Mixing.fit(.bimix, table: two, settings: MixingSettings())
        }
        let other = LossTable(source: "o.csv", domains: ["a", "b"], validationDomains: ["c"], runs: [
            run([5, 5], [2]), run([2, 8], [2.3]), run([8, 2], [1.9]),
        ])
        #expect(throws: FieldError("eval_domains", "bimix fits val:c on the proportion of training domain c, and "
            + "o.csv has no tokens:c")) {
            try Mixing.fit(.bimix, table: other, settings: MixingSettings())
        }
        let t = try table()
        var s = MixingSettings()
        s.klWeight = -1
        #expect(throws: FieldError("kl_weight", "must be a non-negative number, got -1.0")) {
            try Mixing.fit(.olmix, table: t, settings: s)
        }
        s = MixingSettings()
        s.repetition = 2
        #expect(throws: FieldError("repetition", "the repetition caps are available tokens x R / budget: give "
            + "--available")) {
            try Mixing.fit(.olmix, table: t, settings: s)
        }
        #expect(throws: FieldError("runs", "bimix with 3 domains needs at least 3 runs, got 2")) {
            try MixturePlan(method: .bimix, domains: ["x", "y", "z"], budget: 10_000, runs: 2, seed: 0)
        }
        let plan = try MixturePlan(method: .bimix, domains: ["x", "y", "z"], budget: 20, runs: 40, seed: 1)
        #expect(plan.runs.allSatisfy { !$0.tokens.contains(0) && $0.tokens.reduce(0, +) == 20 })
    }
}
