import Base
import Foundation

/// Olmix's "exact" proposer (allenai/olmix, `olmix/fit/utils.py`: `LogLinearExactProposer`): the log-linear law of
/// ``DataMixingLaw`` fitted per validation domain (Olmix's `LogLinearRegressor`, Huber threshold 0.02), then
///
///     minimize  F(r) + λ KL(r || q)   over  {r : 0 <= r_j <= u_j, Σ_j r_j = 1},   KL(r || q) = Σ_j r_j ln(r_j / q_j),
///
/// with `F` the objective of the fitted laws (Olmix: the mean of the fitted losses, so `mean-loss` is the default
/// here), `q` the prior (the natural distribution `available / Σ available` when the available tokens are given,
/// else uniform), `λ` the KL weight (Olmix's `kl_reg`, 0.05) and the caps `u_j = min(1, cap_j / budget,
/// available_j · R / budget)` with the repetition factor `R` (Olmix's `repetition_factor`, 4; only with the
/// available tokens). `F` is convex (``DataMixingLaw``) and `λ KL(· || q)` strictly convex for `λ > 0`, so the
/// minimizer is unique; Olmix solves it with cvxpy/ECOS, we with ``SimplexSolution/minimizeKL(upper:prior:weight:seed:_:)``.
public struct OlmixProposer: Codable, Sendable, Equatable {
    /// The KL prior `q` per domain, and its weight `λ`.
    public var prior: [Double]
    public var klWeight: Double
    /// The repetition factor and the caps `min(1, available · R / budget)` it gives (both `nil` without the
    /// available tokens), and the domains at those caps.
    public var repetition: Double?
    public var repetitionCaps: [Double]?
    public var repetitionCapped: [String]
    /// At the answer: the fitted objective `F`, `KL(r || q)`, and `F + λ KL`.
    public var lawObjective: Double
    public var klDivergence: Double
    public var penalizedObjective: Double

    enum CodingKeys: String, CodingKey {
        case prior, repetition
        case klWeight = "kl_weight", repetitionCaps = "repetition_caps", repetitionCapped = "repetition_capped"
        case lawObjective = "law_objective", klDivergence = "kl_divergence", penalizedObjective = "penalized_objective"
    }

    /// `KL(r || q) = Σ_j r_j ln(r_j / q_j)` (a zero `r_j` adds nothing; infinite when `r_j > 0 = q_j`).
    public static func kl(_ r: [Double], _ q: [Double]) -> Double {
        zip(r, q).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * Foundation.log($1.0 / $1.1) : 0) }
    }

    /// `mix fit --method olmix`.
    static func mix(_ data: MixingData, settings: MixingSettings) throws -> MixingFit {
        let lambda = settings.klWeight
        guard lambda >= 0, lambda.isFinite else {
            throw FieldError("kl_weight", "must be a non-negative number, got \(lambda)")
        }
        if settings.repetition != nil, settings.available == nil {
            throw FieldError("repetition", "the repetition caps are available tokens x R / budget: give --available")
        }
        let m = data.domains.count
        var upper = data.upper, prior = [Double](repeating: 1 / Double(m), count: m)
        var repetition: Double?, repCaps: [Double]?
        if settings.available != nil {
            let r = settings.repetition ?? 4
            guard r > 0, r.isFinite else { throw FieldError("repetition", "must be a positive number, got \(r)") }
            prior = try Mixing.fixedWeights(.natural, domains: data.domains, settings: settings)
            let total = settings.available!.values.reduce(0, +)
            let caps = prior.map { Swift.min(1, $0 * total * r / data.budget) }
            let reach = zip(caps, prior).reduce(0) { $0 + ($1.1 > 0 ? $1.0 : 0) }
            guard reach >= 1 - 1e-12 else {
                throw FieldError("available", "the available tokens x \(r) sum to \(reach * data.budget), less than "
                                 + "the budget \(data.budget)")
            }
            upper = zip(upper, caps).map { Swift.min($0, $1) }
            (repetition, repCaps) = (r, caps)
        }
        let reach = zip(upper, prior).reduce(0) { $0 + ($1.1 > 0 ? $1.0 : 0) }
        guard reach >= 1 - 1e-12 else {
            throw FieldError("caps", "the caps of the domains with available tokens sum to \(reach * data.budget), "
                             + "less than the budget \(data.budget)")
        }
        var seeds = SplitMix64(seed: settings.seed)
        let law = try DataMixingLaw.fit(data, delta: settings.huberDelta ?? MixingSettings.defaultHuberDelta(.olmix),
                                        seeds: &seeds)
        let objective: ([Double], inout [Double]) -> Double = { law.value($0, gradient: &$1) }
        let solution = lambda > 0
            ? try SimplexSolution.minimizeKL(upper: upper, prior: prior, weight: lambda, seed: seeds.next(), objective)
            : try SimplexSolution.minimize(upper: upper, seed: seeds.next(), objective)
        let w = solution.weights, value = law.value(w), div = kl(w, prior)
        let proposer = OlmixProposer(
            prior: prior, klWeight: lambda, repetition: repetition, repetitionCaps: repCaps,
            repetitionCapped: repCaps.map { caps in
                data.domains.indices.filter { caps[$0] < 1 && w[$0] >= caps[$0] * (1 - 1e-9) }.map { data.domains[$0] }
            } ?? [],
            lawObjective: value, klDivergence: div, penalizedObjective: value + lambda * div)
        return Mixing.result(.olmix, domains: data.domains, weights: w, budget: data.budget, upper: upper,
                             caps: settings.caps, objective: data.objectiveName,
                             details: .init(law: law, proposer: proposer, predictedObjective: value,
                                            solver: solution, runs: data.mixtures.count),
                             warnings: law.fitWarnings + solution.warnings)
    }
}

extension SimplexSolution {
    /// Minimizes `G(r) = F(r) + λ KL(r || q)` (`λ > 0`, `F` smooth) over the capped simplex; domains with `q_j = 0`
    /// or `u_j = 0` are held at 0 (the KL term is infinite elsewhere), the others must reach `Σ u_j >= 1`.
    ///
    /// Bregman proximal gradient with the entropy kernel (mirror descent that treats the KL term exactly): from
    /// `r`, with `g = ∇F(r)` and a step `η`,
    ///
    ///     r⁺ = argmin_x  g · x + λ KL(x || q) + KL(x || r) / η,   so  r⁺_j = min(u_j, exp(z_j - τ)),
    ///     z_j = (ln r_j - η g_j + η λ ln q_j) / (1 + η λ),
    ///
    /// `τ` exact (the capped set found by sorting `z_j - ln u_j`). A step is accepted when
    /// `(∇F(r⁺) - g) · (r⁺ - r) <= KL(r⁺ || r) / η`: for convex `F` that bounds `F(r⁺) - F(r) - g · (r⁺ - r)`, so
    /// `F(r⁺) <= F(r) + g · (r⁺ - r) + KL(r⁺ || r) / η` holds and `G` falls, and unlike a test on `F` values it
    /// does not drown in rounding near the optimum (`KL(r⁺ || r) = Σ_j r_j φ((r⁺_j - r_j) / r_j)`,
    /// `φ(s) = (1 + s) ln(1 + s) - s`, by its series for `|s| < 1e-3`). `η` halves on a refusal and doubles after
    /// each accepted step (from `1 / max_j |g_j|`, within `[1e-30, 1e12]`). Stationarity: the
    /// KKT residual `max_j |r_j - T(r)_j|`, `T(r)_j = min(u_j, q_j exp(-g_j / λ - τ))` the minimizer of
    /// `g · x + λ KL(x || q)` (`T(r) = r` exactly at the KKT point of `G`); it stops at ``tolerance`` or after
    /// 100,000 iterations. Starts: those of ``minimize(upper:seed:_:)``, held under the caps by ``Mixing``'s
    /// proportional capping; `value` is `G` at the answer.
    public static func minimizeKL(upper: [Double], prior q: [Double], weight lambda: Double, seed: UInt64,
                                  _ f: @escaping ([Double], inout [Double]) -> Double) throws -> SimplexSolution {
        let support = upper.indices.map { upper[$0] > 0 && q[$0] > 0 }
        let u = upper.indices.map { support[$0] ? upper[$0] : 0 }
        let ends = try starts(upper.count, seed: seed).map { s0 -> (x: [Double], v: Double, s: Double, it: Int) in
            let x0 = try Mixing.capWeights(s0.indices.map { support[$0] ? s0[$0] : 0 }, upper: u)
            return descendKL(x0, upper: u, prior: q, weight: lambda, support: support, f)
        }
        return try best(ends)
    }

    /// `x_j = min(u_j, exp(z_j - τ))` on the support (0 elsewhere) with `τ` such that `Σ_j x_j = 1`: the capped
    /// domains are those with the largest `z_j - ln u_j`; for each count of them, `τ = ln Σ_free exp(z_j) -
    /// ln(1 - Σ_capped u_j)`, the first count whose largest free `z_j - ln u_j` is at most `τ`.
    static func entropicStep(_ z: [Double], upper u: [Double], support: [Bool]) -> [Double] {
        let idx = z.indices.filter { support[$0] }
        let key = { (j: Int) in z[j] - Foundation.log(u[j]) }
        let order = idx.sorted { key($0) > key($1) }
        var x = [Double](repeating: 0, count: z.count)
        var cappedSum = 0.0
        for c in 0..<order.count {
            let free = order[c...]
            let left = 1 - cappedSum
            if left <= 0 { break }
            let top = free.map { z[$0] }.max()!
            let tau = top + Foundation.log(free.reduce(0) { $0 + Foundation.exp(z[$1] - top) }) - Foundation.log(left)
            if key(order[c]) <= tau {
                for j in order[..<c] { x[j] = u[j] }
                for j in free { x[j] = Foundation.exp(z[j] - tau) }
                return x
            }
            cappedSum += u[order[c]]
        }
        for j in idx { x[j] = u[j] }  // every domain at its cap (the caps sum to 1)
        return x
    }

    static func descendKL(_ x0: [Double], upper u: [Double], prior q: [Double], weight lambda: Double,
                          support: [Bool], _ f: ([Double], inout [Double]) -> Double)
        -> (x: [Double], v: Double, s: Double, it: Int) {
        let m = x0.count
        let lnq = q.map { $0 > 0 ? Foundation.log($0) : -Double.infinity }
        func penalized(_ x: [Double], _ fx: Double) -> Double { fx + lambda * OlmixProposer.kl(x, q) }
        var x = x0, grad = [Double](repeating: 0, count: m), gn = grad
        var v = f(x, &grad)
        var eta = 1 / Swift.max(grad.map(abs).max() ?? 1, 1e-12)
        var stat = Double.infinity, it = 0
        while it < 100_000 {
            let t = entropicStep(onSupport(m, support) { lnq[$0] - grad[$0] / lambda }, upper: u, support: support)
            stat = maxDistance(t, x)
            if !(stat > tolerance) || !v.isFinite { break }
            it += 1
            var xn = x, vn = v
            while true {
                let z = onSupport(m, support) {
                    (Foundation.log(x[$0]) - eta * grad[$0] + eta * lambda * lnq[$0]) / (1 + eta * lambda)
                }
                xn = entropicStep(z, upper: u, support: support)
                vn = f(xn, &gn)
                var curvature = 0.0, bregman = 0.0
                for j in 0..<m where support[j] {
                    curvature += (gn[j] - grad[j]) * (xn[j] - x[j])
                    bregman += x[j] * relativeEntropyTerm((xn[j] - x[j]) / x[j])
                }
                if vn.isFinite && curvature <= bregman / eta { break }
                eta *= 0.5
                if eta < 1e-30 { return (x, penalized(x, v), stat, it) }
            }
            x = xn
            v = vn
            grad = gn
            eta = Swift.min(2 * eta, 1e12)
        }
        return (x, penalized(x, v), stat, it)
    }
}

/// `φ(s) = (1 + s) ln(1 + s) - s >= 0` (`s > -1`), by `s²/2 - s³/6 + s⁴/12 - s⁵/20` for `|s| < 1e-3` (relative
/// error below 1e-13) so it keeps its digits as `s -> 0`.
func relativeEntropyTerm(_ s: Double) -> Double {
    abs(s) < 1e-3 ? s * s * (0.5 - s / 6 + s * s / 12 - s * s * s / 20) : (1 + s) * Foundation.log1p(s) - s
}

/// `(0..<m).map { support[$0] ? body($0) : 0 }`: a vector that is 0 off the support.
private func onSupport(_ m: Int, _ support: [Bool], _ body: (Int) -> Double) -> [Double] {
    (0..<m).map { support[$0] ? body($0) : 0 }
}
