import Base
import Foundation

/// Seeded Dirichlet draws, written out (not a library's) so a seed gives the same mixtures everywhere.
public enum Dirichlet {
    /// A uniform double in `(0, 1]` from the top 53 bits.
    @inline(__always)
    static func openUnit<G: SeededRandomGenerator>(_ g: inout G) -> Double { (Double(g.next() >> 11) + 1) * 0x1p-53 }

    /// `ln X` for `X ~ Gamma(a, 1)`, `a > 0`: Marsaglia & Tsang (2000) for `a >= 1` (`d = a - 1/3`,
    /// `c = 1/sqrt(9d)`, `v = (1 + c z)^3` with `z` from Base's Box-Muller normal, accepted when
    /// `ln u < z²/2 + d - d v + d ln v`); for `a < 1`, `X = Y U^(1/a)` with `Y ~ Gamma(a + 1)`. Kept in logs, so
    /// a tiny shape (`U^(1/a)` below the smallest double) still gives a usable value.
    public static func logGamma<G: SeededRandomGenerator>(_ a: Double, _ g: inout G) -> Double {
        if a < 1 {
            let y = logGamma(a + 1, &g)
            return y + Foundation.log(openUnit(&g)) / a
        }
        let d = a - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            let z = g.normal()
            var v = 1 + c * z
            if v <= 0 { continue }
            v = v * v * v
            let u = openUnit(&g)
            if Foundation.log(u) < 0.5 * z * z + d - d * v + d * Foundation.log(v) {
                return Foundation.log(d) + Foundation.log(v)
            }
        }
    }

    /// A draw from `Dirichlet(alpha)`: independent gammas (in logs), normalized by their largest.
    public static func sample<G: SeededRandomGenerator>(_ alpha: [Double], _ g: inout G) -> [Double] {
        let l = alpha.map { logGamma($0, &g) }
        let top = l.max()!
        let e = l.map { Foundation.exp($0 - top) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// The runs a loss-table method trains: seeded Dirichlet mixtures around a prior, each in whole tokens.
///
/// Run `n`'s weights are a draw from `Dirichlet(prior · s)`, `prior` normalized (default uniform):
/// - `regmix` (sail-sg/regmix `synthesize_mixture.py`): the strength `s` is drawn per run from its 15 values
///   log-spaced in `[0.1, 5]`, uniformly;
/// - `dml`: `s = m` (with the uniform prior every `alpha_j = 1`, mixtures uniform on the simplex);
/// - `concentration`, when given, fixes `s` for either.
/// The weights become quantities summing to the budget by ``largestRemainder(_:total:)``. A draw whose
/// quantities equal an earlier run's is drawn again. The generator is xoshiro256** seeded by `seed`.
public struct MixturePlan: Sendable, Equatable {
    public struct Run: Sendable, Equatable {
        public var id: String
        public var tokens: [Int]
        /// The Dirichlet strength it was drawn with.
        public var strength: Double
    }

    public var method: MixingMethod
    public var domains: [String]
    public var prior: [Double]
    public var budget: Int
    public var seed: UInt64
    public var concentration: Double?
    public var runs: [Run]

    /// RegMix's strengths: 15 values log-spaced in `[0.1, 5]`.
    public static let regmixStrengths: [Double] = (0..<15).map { i in
        Foundation.pow(10, Foundation.log10(0.1) + Double(i) / 14 * (Foundation.log10(5) - Foundation.log10(0.1)))
    }

    public init(method: MixingMethod, domains: [String], prior: [Double]? = nil, budget: Int, runs: Int, seed: UInt64,
                concentration: Double? = nil) throws {
        guard method.isFitted else {
            throw FieldError("method", "'\(method.rawValue)' needs no runs; plan dml, regmix, bimix or olmix")
        }
        let m = domains.count
        guard m >= 2 else { throw FieldError("domains", "name at least two domains") }
        guard budget >= m else { throw FieldError("tokens", "the budget \(budget) is below one token per domain") }
        let need = method.minimumRuns(domains: m)
        guard runs >= need else {
            throw FieldError("runs", "\(method.rawValue) with \(m) domains needs at least \(need) runs, got \(runs)")
        }
        guard runs <= 1_000_000 else { throw FieldError("runs", "at most 1000000 runs, got \(runs)") }
        if let concentration {
            guard concentration > 0, concentration.isFinite else {
                throw FieldError("concentration", "must be a positive number, got \(concentration)")
            }
        }
        let p = prior ?? [Double](repeating: 1, count: m)
        guard p.count == m, p.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw FieldError("domains", "prior weights must be positive")
        }
        let ps = p.reduce(0, +)
        self.prior = p.map { $0 / ps }
        self.method = method
        self.domains = domains
        self.budget = budget
        self.seed = seed
        self.concentration = concentration
        var g = Xoshiro256StarStar(seed: seed)
        var out: [Run] = [], seen = Set<[Int]>()
        var attempts = 0
        while out.count < runs {
            attempts += 1
            guard attempts <= 1000 * runs else {
                throw FieldError("runs", "found only \(out.count) distinct whole-token mixtures of \(budget) tokens")
            }
            let s = concentration ?? (method == .regmix ? Self.regmixStrengths[g.below(15)] : Double(m))
            let w = Dirichlet.sample(self.prior.map { $0 * s }, &g)
            guard let q = largestRemainder(w, total: budget), !seen.contains(q),
                  method != .bimix || !q.contains(0) else { continue }
            seen.insert(q)
            out.append(Run(id: String(format: "mix-%03d", out.count + 1), tokens: q, strength: s))
        }
        self.runs = out
    }

    /// The LOSSES.csv skeleton: `run` and `tokens:<domain>` columns (add `val:<domain>` or `objective`).
    public func csv() -> String {
        var lines = [(["run"] + domains.map { "tokens:\($0)" }).joined(separator: ",")]
        for r in runs { lines.append(([r.id] + r.tokens.map(String.init)).joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"method", "domains", "budget", "seed", "prior", "concentration", "runs": [{"id", "tokens", "strength"}]}`.
    public func jsonData() throws -> Data {
        struct R: Encodable { var id: String, tokens: [String: Int], strength: Double }
        struct Out: Encodable {
            var method: String, domains: [String], budget: Int, seed: UInt64, prior: [String: Double]
            var concentration: Double?, runs: [R]
        }
        let d = domains
        return try prettyJSON(Out(method: method.rawValue, domains: d, budget: budget, seed: seed,
                                  prior: Dictionary(uniqueKeysWithValues: zip(d, prior)), concentration: concentration,
                                  runs: runs.map {
                                      R(id: $0.id, tokens: Dictionary(uniqueKeysWithValues: zip(d, $0.tokens)),
                                        strength: $0.strength)
                                  }))
    }
}
