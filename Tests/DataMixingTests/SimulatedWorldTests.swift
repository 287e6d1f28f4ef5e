import Base
import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// The whole chain on simulated trainers with a known law (`Fixtures/ddo/worlds.json`): DDO at the small
/// budgets, the AutoScale predictor at the target (16x the largest), regret measured with the true law.
struct WorldChain {
    /// The DDO answer at each small budget, its runs and rounds.
    var weights: [[Double]]
    var runs: Int
    var rounds: [Int]
    /// Which answer the rounds gave at each small budget (``DDORoundsSettings/Answer``).
    var answers: [DDORoundsSettings.Answer] = []
    /// The predicted weights at the target and the regrets `F(mixture) - F(true optimum)` at the target of
    /// the prediction, of the largest small budget's DDO weights reused, and of uniform.
    var predicted: [Double]
    var regret: Double
    var reusedRegret: Double
    var uniformRegret: Double

    static var ref: SimulatedWorlds { get throws { try SimulatedWorlds.shared() } }

    /// The regret at the target of `weights`.
    static func regret(_ world: SimulatedWorlds.World, _ weights: [Double]) throws -> Double {
        let r = try ref
        return world.objective(weights.map { $0 * r.target }, unit: r.unit) - world.optima.last!.objective
    }

    /// Predictor fed `quantities` at the small budgets: the prediction and the regrets.
    static func finish(_ world: SimulatedWorlds.World, _ quantities: [[Double]], runs: Int, rounds: [Int]) throws -> WorldChain {
        let p = try AutoScalePredictor(domains: world.domains, quantities: quantities).predict(budget: try ref.target)
        let m = Double(world.domains.count)
        let last = quantities.last!, total = last.reduce(0, +)
        return WorldChain(weights: quantities.map { q in q.map { $0 / q.reduce(0, +) } }, runs: runs, rounds: rounds,
                          predicted: p.weights, regret: try regret(world, p.weights),
                          reusedRegret: try regret(world, last.map { $0 / total }),
                          uniformRegret: try regret(world, [Double](repeating: 1 / m, count: world.domains.count)))
    }

    /// DDO rounds at every small budget of the fixture (trainer seed `seed`; run ids `<budget>/<round id>`).
    static func ddo(_ world: SimulatedWorlds.World, _ settings: DDORoundsSettings, seed: Int) throws -> WorldChain {
        var quantities: [[Double]] = [], runs = 0, rounds: [Int] = [], answers: [DDORoundsSettings.Answer] = []
        let unit = try ref.unit
        for budget in try ref.budgets.map({ Int($0) }) {
            let r = try DDORounds.run(domains: world.domains, budget: budget, ddo: DDOSettings(objective: .meanLoss, fitRule: .smallestB),
                                      settings: settings) { run in
                world.train(tokens: run.tokens, id: "\(budget)/\(run.id)", seed: seed, unit: unit)
            }
            quantities.append(r.tokens)
            runs += r.runCount
            rounds.append(r.rounds.count)
            answers.append(r.answer)
        }
        var chain = try finish(world, quantities, runs: runs, rounds: rounds)
        chain.answers = answers
        return chain
    }

    /// The true small-budget optima fed to the predictor.
    static func trueOptima(_ world: SimulatedWorlds.World) throws -> WorldChain {
        try finish(world, world.optima.dropLast().map { o in o.weights.map { $0 * o.budget } }, runs: 0, rounds: [])
    }

    var allFinite: Bool {
        ([regret, reusedRegret, uniformRegret] + predicted + weights.flatMap { $0 }).allSatisfy(\.isFinite)
    }
    var fraction: Double { regret / uniformRegret }
}

@Suite struct SimulatedWorldTests {
    let ref: SimulatedWorlds
    init() throws { ref = try SimulatedWorlds.shared() }
    /// The converging DDO's settings used in every world (``DDORoundsSettings/converging``).
    static let rounds = DDORoundsSettings.converging
    /// Trainer seeds of the noisy world.
    static let seeds = [1, 2, 3, 4, 5, 6]

    /// The fixture's optima are the law's: the Swift evaluation of the objective at scipy's optimum and at
    /// uniform weights matches the fixture to 1e-9 relative, and moving 1e-4 of weight between any two
    /// domains does not lower it (to 1e-13 absolute round-off), in every world and at every budget.
    @Test func fixtureOptimaAreTheLaw() throws {
        #expect(ref.objective == "mean-loss" && ref.budgets.count >= 2)
        #expect(ref.target == 16 * ref.budgets.max()!)
        for world in ref.worlds {
            #expect(world.optima.map(\.budget) == ref.budgets + [ref.target])
            let m = world.domains.count
            for o in world.optima {
                let f = world.objective(o.weights.map { $0 * o.budget }, unit: ref.unit)
                let u = world.objective([Double](repeating: o.budget / Double(m), count: m), unit: ref.unit)
                #expect(f.isFinite && abs(f - o.objective) <= 1e-9 * abs(o.objective), "\(world.name) \(o.budget): \(f) vs \(o.objective)")
                #expect(u.isFinite && abs(u - o.uniform_objective) <= 1e-9 * abs(o.uniform_objective))
                #expect(u - f > 1e-4, "\(world.name) \(o.budget): uniform is not clearly suboptimal (\(u - f))")
                for i in 0..<m { for j in 0..<m where i != j {
                    var w = o.weights
                    w[i] += 1e-4; w[j] -= 1e-4
                    let g = world.objective(w.map { $0 * o.budget }, unit: ref.unit)
                    #expect(g.isFinite && g >= f - 1e-13, "\(world.name) \(o.budget): \(i)->\(j) lowers the objective")
                } }
            }
        }
    }

    /// The in-process trainer is `Docs/examples/simulated_trainer.py`: for the requests in the fixture (run by
    /// the script in `ddo_worlds.py`) the normal draws agree to 1e-15 and the losses to 1e-14 relative.
    @Test func trainerMatchesThePythonScript() throws {
        let samples = try #require(ref.trainer_samples)
        #expect(samples.count >= 3)
        for s in samples {
            let world = try #require(ref.worlds.first { $0.name == s.world })
            let tokens = world.domains.map { s.request.tokens[$0]! }
            let got = world.train(tokens: tokens, id: s.request.id, seed: s.request.seed, unit: ref.unit)
            for d in world.domains {
                let z = SimulatedWorlds.gaussian(seed: s.request.seed, id: s.request.id, domain: d)
                #expect(z.isFinite && abs(z - s.z[d]!) <= 1e-15, "\(s.request.id) \(d): z \(z) vs \(s.z[d]!)")
                let l = try #require(got[d])
                #expect(l.isFinite && abs(l - s.losses[d]!) <= 1e-14 * abs(s.losses[d]!))
            }
        }
    }

    /// The goal in the noiseless worlds (separable; with transfer): the AutoScale weights at the target leave
    /// at most 5% of uniform's regret, less than the largest small budget's weights reused; the converged
    /// DDO weights at every small budget are within 0.015 (absolute, per weight) of the true optimum.
    @Test(arguments: ["separable", "transfer"]) func convergedDDOMeetsTheGoal(_ name: String) throws {
        let world = try #require(ref.worlds.first { $0.name == name })
        let c = try WorldChain.ddo(world, Self.rounds, seed: 1)
        #expect(c.allFinite == true)
        #expect(c.regret <= 0.05 * c.uniformRegret, "\(name): regret \(c.regret) vs uniform's \(c.uniformRegret)")
        #expect(c.regret < c.reusedRegret)
        for (w, o) in zip(c.weights, world.optima) {
            let d = zip(w, o.weights).map { abs($0 - $1) }
            #expect(d.allSatisfy { $0.isFinite && $0 <= 0.015 }, "\(name) at \(o.budget): \(w) vs \(o.weights)")
        }
    }

    /// The noisy world (transfer, 0.2% noise on every loss), over trainer seeds 1-6: on every seed the AutoScale
    /// weights beat the reused weights and leave at most 5% of uniform's regret (the goal), the pooled model gave
    /// the answer at every budget, and the DDO weights at every small budget are within 0.03 of the true optimum.
    @Test func noisyWorld() throws {
        let world = try #require(ref.worlds.first { $0.name == "noisy" })
        var fractions: [Double] = []
        for seed in Self.seeds {
            let c = try WorldChain.ddo(world, Self.rounds, seed: seed)
            #expect(c.allFinite == true)
            #expect(c.regret < c.reusedRegret, "seed \(seed): regret \(c.regret), reused \(c.reusedRegret)")
            #expect(c.answers == [.pooled, .pooled, .pooled], "seed \(seed): \(c.answers)")
            for (w, o) in zip(c.weights, world.optima) {
                #expect(zip(w, o.weights).allSatisfy { abs($0 - $1) <= 0.03 }, "seed \(seed) at \(o.budget): \(w) vs \(o.weights)")
            }
            fractions.append(c.fraction)
        }
        #expect(fractions.allSatisfy { $0.isFinite && $0 <= 0.05 }, "\(fractions)")
    }

    /// Same trainer answers, same bits: two runs of the noisy world's rounds at the smallest budget agree exactly.
    @Test func deterministic() throws {
        let world = try #require(ref.worlds.first { $0.name == "noisy" })
        func once() throws -> (DDORounds, [String]) {
            var ids: [String] = []
            let r = try DDORounds.run(domains: world.domains, budget: Int(ref.budgets[0]), ddo: DDOSettings(objective: .meanLoss, fitRule: .smallestB),
                                      settings: Self.rounds) { run in
                ids.append(run.id)
                return world.train(tokens: run.tokens, id: run.id, seed: 3, unit: ref.unit)
            }
            return (r, ids)
        }
        let (a, ids) = try once(), (b, _) = try once()
        #expect(a.weights == b.weights && a.rounds.count == b.rounds.count && a.rounds.count >= 2)
        #expect(Set(ids).count == ids.count && ids.count == a.runCount, "run ids must be unique over the rounds")
    }

    /// Bad settings are one-line errors naming the option.
    @Test func rejectsBadSettings() {
        for (s, message) in [(DDORoundsSettings(maxRounds: 0), "--rounds: must be at least 1, got 0"),
                             (DDORoundsSettings(initialFactor: 1), "--initial-factor: must be a number above 1, got 1.0"),
                             (DDORoundsSettings(minimumFactor: 4),
                              "--min-factor: must be above 1 and at most the initial factor 3.0, got 4.0"),
                             (DDORoundsSettings(tolerance: .nan), "--tolerance: must be a positive number, got nan")] {
            #expect { try s.validate() } throws: { ($0 as? FieldError)?.description == message }
        }
        #expect { try DDORounds.run(domains: ["a", "b"], budget: 100, ddo: DDOSettings(lower: 0.5)) { _ in [:] } } throws: {
            ($0 as? FieldError)?.message.hasPrefix("the lower and upper bounds and the budget do not apply") == true
        }
    }

    /// The table of Docs/autoscale.md: per world, the regret at the target (absolute and as a fraction of
    /// uniform's) of one-shot DDO, the converging DDO, the reused weights and the true small-budget optima fed
    /// to the predictor; runs and rounds. One-shot DDO is 2m+1 runs per budget, one round each.
    @Test func table() throws {
        print("| world | seed | one-shot DDO | rounds, pooled answer | rounds, averaged answer | reused (pooled, largest small budget) | true optima fed | runs one-shot / rounds | rounds per budget |")
        print("|---|---|---|---|---|---|---|---|---|")
        for world in ref.worlds {
            let t = try WorldChain.trueOptima(world)
            #expect(t.allFinite && t.fraction <= 0.01)
            for seed in world.noise == 0 ? [1] : Self.seeds {
                let one = try WorldChain.ddo(world, DDORoundsSettings(maxRounds: 1), seed: seed)
                let c = try WorldChain.ddo(world, Self.rounds, seed: seed)
                var averagedSettings = Self.rounds
                averagedSettings.answer = .averaged
                let avg = try WorldChain.ddo(world, averagedSettings, seed: seed)
                #expect(one.allFinite && c.allFinite && avg.allFinite && avg.rounds == c.rounds)
                #expect(one.runs == ref.budgets.count * (1 + 2 * world.domains.count) && one.rounds.allSatisfy { $0 == 1 })
                func cell(_ x: WorldChain) -> String { String(format: "%.3g (%.2f%%)", x.regret, 100 * x.fraction) }
                print("| \(world.name) | \(seed) | \(cell(one)) | \(cell(c)) | \(cell(avg)) | " + String(format: "%.3g (%.1f%%)", c.reusedRegret, 100 * c.reusedRegret / c.uniformRegret)
                      + " | \(cell(t)) | \(one.runs) / \(c.runs) | \(c.rounds.map(String.init).joined(separator: ", ")) |")
            }
        }
    }
}
