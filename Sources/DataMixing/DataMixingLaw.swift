import Base
import Foundation
import LinearAlgebra
import Optimization

/// Data Mixing Laws (Ye et al. 2024, arXiv 2403.16952; github.com/yegcjs/mixinglaws): per validation domain `i`,
///
///     L_i(r) = c_i + k_i exp(Σ_j t_ij r_j),      c_i > 0, k_i > 0,
///
/// over mixtures `r` on the simplex. Because `Σ_j r_j = 1`, `k_i` and a common shift of `t_i` are one parameter:
/// the law is fitted as `exp(γ_i) + exp(v_i · r)` (`m + 1` parameters) and reported with `t_i` centred
/// (`Σ_j t_ij = 0`) and `k_i = exp(mean_j v_ij)`.
public struct DataMixingLaw: Codable, Sendable, Equatable {
    /// One validation domain's law and its fit.
    public struct Target: Codable, Sendable, Equatable {
        public var name: String
        /// Its weight in the objective.
        public var weight: Double
        public var c: Double
        public var k: Double
        /// Exponents per training domain, centred.
        public var t: [Double]
        /// `Σ_n huber_δ(L(r_n) - y_n)` at the fit, and the residuals' RMS and largest magnitude.
        public var huberCost: Double
        public var rmsResidual: Double
        public var maxAbsResidual: Double
        /// L-BFGS starts run, and those that stopped on a convergence criterion.
        public var starts: Int
        public var converged: Int

        enum CodingKeys: String, CodingKey {
            case name, weight, c, k, t, starts, converged
            case huberCost = "huber_cost", rmsResidual = "rms_residual", maxAbsResidual = "max_abs_residual"
        }

        /// `L(r) = c + k exp(t · r)` (its gradient `k exp(t · r) t` is formed in ``DataMixingLaw/value(_:gradient:)``).
        public func loss(_ r: [Double]) -> Double { c + k * Foundation.exp(zip(t, r).reduce(0) { $0 + $1.0 * $1.1 }) }
    }

    /// The training domains (the order of every `t`).
    public var domains: [String]
    public var targets: [Target]
    /// `mean-ppl` (`Σ w_i exp(L_i) / Σ w_i`), `mean-loss` (`Σ w_i L_i / Σ w_i`) or `objective` (one target).
    public var objective: String
    public var huberDelta: Double

    enum CodingKeys: String, CodingKey { case domains, targets, objective, huberDelta = "huber_delta" }

    public init(domains: [String], targets: [Target], objective: String, huberDelta: Double) {
        self.domains = domains
        self.targets = targets
        self.objective = objective
        self.huberDelta = huberDelta
    }

    /// The objective at `r`, and its gradient into `gradient` (length `m`).
    public func value(_ r: [Double], gradient: inout [Double]) -> Double {
        let ppl = objective == DDOObjective.Kind.meanPPL.rawValue
        var num = 0.0, den = 0.0
        for j in gradient.indices { gradient[j] = 0 }
        for f in targets {
            let e = f.k * Foundation.exp(zip(f.t, r).reduce(0) { $0 + $1.0 * $1.1 })
            let l = f.c + e
            let g = ppl ? Foundation.exp(l) : l, dg = ppl ? g : 1
            num += f.weight * g
            den += f.weight
            for j in gradient.indices { gradient[j] += f.weight * dg * e * f.t[j] }
        }
        for j in gradient.indices { gradient[j] /= den }
        return num / den
    }

    /// The objective at `r`.
    public func value(_ r: [Double]) -> Double {
        var g = [Double](repeating: 0, count: r.count)
        return value(r, gradient: &g)
    }

    /// Fits one target's law to `values[n]` at `mixtures[n]`: minimizes `Σ_n huber_δ(exp(γ) + exp(v · r_n) - y_n)`
    /// (`huber_δ(e) = e²/2` for `|e| <= δ`, `δ(|e| - δ/2)` beyond) by Optimization's L-BFGS (gradient tolerance
    /// `1e-11`, no function-decrease stop) from 28 starts, keeping the lowest: for each `c₀ = f · min y`,
    /// `f ∈ {0.2, 0.5, 0.8, 0.95}`, the least-squares `v` of `ln(y - c₀) ≈ v · r` (LAPACK `gelsd`) and six
    /// seeded perturbations of it (`+ 1.5 z`, `z` standard normal from xoshiro256** seeded by `seed`).
    public static func fitTarget(name: String, weight: Double, mixtures: [[Double]], values: [Double], delta: Double,
                                 seed: UInt64) throws -> Target {
        let n = mixtures.count, m = mixtures[0].count
        guard let lo = values.min(), lo > 0 else {
            throw DataMixingError.invalidArgument("\(name): the law c + k exp(t . r) with c, k > 0 needs "
                                                  + "positive values; the smallest is \(values.min() ?? .nan)")
        }
        let flat = mixtures.flatMap { $0 }
        let objective = ClosureObjective(dimension: m + 1) { p, grad in
            let c = Foundation.exp(p[0])
            var f = 0.0
            for j in grad.indices { grad[j] = 0 }
            for i in 0..<n {
                var s = 0.0
                for j in 0..<m { s += p[1 + j] * flat[i * m + j] }
                guard s < 700 else { f = .infinity; return f }
                let e = Foundation.exp(s), res = c + e - values[i]
                let a = abs(res), psi = a <= delta ? res : (res > 0 ? delta : -delta)
                f += a <= delta ? 0.5 * res * res : delta * (a - 0.5 * delta)
                grad[0] += psi * c
                for j in 0..<m { grad[1 + j] += psi * e * flat[i * m + j] }
            }
            return f
        }
        var g = Xoshiro256StarStar(seed: seed)
        var starts: [[Double]] = []
        let design = try Matrix<Double>(rows: n, columns: m, elements: flat)
        for frac in [0.2, 0.5, 0.8, 0.95] {
            let c0 = frac * lo
            let rhs = try Matrix<Double>(rows: n, columns: 1, elements: values.map { Foundation.log($0 - c0) })
            let v = try leastSquares(design, rhs).solution.storage
            starts.append([Foundation.log(c0)] + v)
            for _ in 0..<6 { starts.append([Foundation.log(c0)] + v.map { $0 + 1.5 * g.normal() }) }
        }
        var options = LBFGS.Options()
        options.gradientTolerance = 1e-11
        options.relativeFunctionTolerance = 0
        let best = try MultiStart(optimizer: LBFGS(options: options)).minimize(objective, starts: starts)
        let p = best.best.result.x
        let v = Array(p[1...]), mean = v.reduce(0, +) / Double(m)
        var target = Target(name: name, weight: weight, c: Foundation.exp(p[0]), k: Foundation.exp(mean),
                            t: v.map { $0 - mean }, huberCost: best.best.result.value, rmsResidual: 0,
                            maxAbsResidual: 0, starts: best.ran, converged: best.converged)
        let res = mixtures.indices.map { target.loss(mixtures[$0]) - values[$0] }
        target.rmsResidual = (res.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
        target.maxAbsResidual = res.map(abs).max() ?? 0
        return target
    }

    /// A law per target of `data` (Huber threshold `delta`, each target's starts seeded by the next output of
    /// `seeds`).
    static func fit(_ data: MixingData, delta: Double, seeds: inout SplitMix64) throws -> DataMixingLaw {
        guard delta > 0, delta.isFinite else {
            throw FieldError("huber_delta", "must be a positive number, got \(delta)")
        }
        var targets: [Target] = []
        for (i, name) in data.targets.enumerated() {
            targets.append(try fitTarget(name: name, weight: data.targetWeights[i], mixtures: data.mixtures,
                                         values: data.targetValues[i], delta: delta, seed: seeds.next()))
        }
        return DataMixingLaw(domains: data.domains, targets: targets, objective: data.objectiveName, huberDelta: delta)
    }

    /// Warnings of a law's fit: targets none of whose starts converged.
    var fitWarnings: [String] {
        targets.filter { $0.converged == 0 }.map {
            "target \($0.name): no L-BFGS start of the law's fit met its tolerance; the best is used"
        }
    }

    /// `mix fit --method dml`: a law per target, then the objective minimized over the capped simplex.
    static func mix(_ data: MixingData, settings: MixingSettings) throws -> MixingFit {
        var seeds = SplitMix64(seed: settings.seed)
        let law = try fit(data, delta: settings.huberDelta ?? MixingSettings.defaultHuberDelta(.dml), seeds: &seeds)
        let solution = try SimplexSolution.minimize(upper: data.upper, seed: seeds.next()) {
            law.value($0, gradient: &$1)
        }
        let warnings = law.fitWarnings + solution.warnings
        return Mixing.result(.dml, domains: data.domains, weights: solution.weights, budget: data.budget,
                             upper: data.upper, caps: settings.caps, objective: data.objectiveName,
                             details: .init(law: law, predictedObjective: solution.value, solver: solution,
                                            runs: data.mixtures.count), warnings: warnings)
    }
}

/// A smooth function minimized over the capped simplex `{r : 0 <= r_j <= u_j, Σ_j r_j = 1}`.
///
/// Projected gradient descent with Barzilai-Borwein steps and Armijo backtracking (`c = 1e-4`, halving); the
/// projection `P(y)_j = clip(y_j - τ, 0, u_j)` with `τ` found by bisection to machine precision. It stops when
/// the stationarity `max_j |r_j - P(r - ∇F(r))_j|` (zero exactly at a KKT point) is at most `1e-10`, or after
/// 100,000 iterations. Starts: the uniform mixture, each domain at 0.6 plus 0.4/m each, and eight seeded
/// Dirichlet(1) draws, each projected; the lowest end point is the answer. `F` convex (as the DML objective is,
/// `k_i > 0`) makes every start end at the same optimum: `agreeing` counts those within `1e-6` of it.
public struct SimplexSolution: Codable, Sendable, Equatable {
    public var weights: [Double]
    public var value: Double
    public var stationarity: Double
    public var iterations: Int
    public var starts: Int
    public var agreeing: Int

    public static let tolerance = 1e-10

    /// A warning when some starts ended elsewhere than the best (none for a convex objective).
    var warnings: [String] {
        agreeing < starts ? ["the minimization's starts reached \(starts - agreeing) other points; the lowest is used"]
                          : []
    }

    /// The starts of a minimization over `m` domains: the uniform mixture, each domain at 0.6 plus 0.4/m each,
    /// and eight Dirichlet(1) draws from xoshiro256** seeded by `seed` (not yet projected or capped).
    static func starts(_ m: Int, seed: UInt64) -> [[Double]] {
        var g = Xoshiro256StarStar(seed: seed)
        var starts = [[Double](repeating: 1 / Double(m), count: m)]
        for j in 0..<m { starts.append((0..<m).map { ($0 == j ? 0.6 : 0) + 0.4 / Double(m) }) }
        for _ in 0..<8 { starts.append(Dirichlet.sample([Double](repeating: 1, count: m), &g)) }
        return starts
    }

    /// The lowest of several end points, with how many of the finite ones lie within `1e-6` of it.
    static func best(_ ends: [(x: [Double], v: Double, s: Double, it: Int)]) throws -> SimplexSolution {
        let finite = ends.filter { $0.v.isFinite }
        guard let best = finite.min(by: { $0.v < $1.v }) else {
            throw DataMixingError.infeasible("the fitted objective is not finite at any start of the minimization")
        }
        return SimplexSolution(weights: best.x, value: best.v, stationarity: best.s, iterations: best.it,
                               starts: ends.count,
                               agreeing: finite.filter { maxDistance($0.x, best.x) <= 1e-6 }.count)
    }

    /// `P(y)`: the Euclidean projection onto the capped simplex (requires `Σ u >= 1`).
    public static func project(_ y: [Double], upper u: [Double]) -> [Double] {
        func total(_ tau: Double) -> Double { y.indices.reduce(0) { $0 + Swift.min(Swift.max(y[$1] - tau, 0), u[$1]) } }
        // total(tau) falls from sum(u) >= 1 at lo to 0 at hi: its crossing of 1, to the last bit.
        let lo = zip(y, u).map { $0 - $1 }.min()! - 1, hi = y.max()!
        let tau = (try? Bisection.root(in: lo, hi, absoluteTolerance: 0, relativeTolerance: 1e-16) { total($0) - 1 }) ?? hi
        var x = y.indices.map { Swift.min(Swift.max(y[$0] - tau, 0), u[$0]) }
        // Put the last rounding error on a coordinate strictly inside its bounds.
        let rest = 1 - x.reduce(0, +)
        let inside = x.indices.filter { x[$0] + rest >= 0 && x[$0] + rest <= u[$0] }
        if let j = inside.max(by: { x[$0] < x[$1] }) { x[j] += rest }
        return x
    }

    public static func minimize(upper: [Double], seed: UInt64,
                                _ f: @escaping ([Double], inout [Double]) -> Double) throws -> SimplexSolution {
        let ends = starts(upper.count, seed: seed).map { descend(project($0, upper: upper), upper: upper, f) }
        return try best(ends)
    }

    static func descend(_ x0: [Double], upper: [Double], _ f: ([Double], inout [Double]) -> Double)
        -> (x: [Double], v: Double, s: Double, it: Int) {
        let m = x0.count
        var x = x0, grad = [Double](repeating: 0, count: m)
        var v = f(x, &grad)
        var step = 1 / Swift.max(grad.map(abs).max() ?? 1, 1e-12)
        var stat = Double.infinity, it = 0
        var gn = grad
        while it < 100_000 {
            let p = project(zip(x, grad).map { $0 - $1 }, upper: upper)
            stat = maxDistance(p, x)
            if !(stat > tolerance) || !v.isFinite { break }
            it += 1
            var a = step, xn = x, vn = v
            while true {
                xn = project(zip(x, grad).map { $0 - a * $1 }, upper: upper)
                vn = f(xn, &gn)
                let decrease = zip(grad, zip(xn, x)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) }
                if vn.isFinite && vn <= v + 1e-4 * decrease { break }
                a *= 0.5
                if a < 1e-30 { return (x, v, stat, it) }
            }
            let s = zip(xn, x).map { $0 - $1 }, y = zip(gn, grad).map { $0 - $1 }
            let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }, ss = s.reduce(0) { $0 + $1 * $1 }
            step = sy > 0 ? Swift.min(Swift.max(ss / sy, 1e-12), 1e12) : Swift.min(2 * a, 1e12)
            x = xn
            v = vn
            grad = gn
        }
        return (x, v, stat, it)
    }
}
