import Base
import Foundation
import LinearAlgebra

/// RegMix (Liu et al. 2024, arXiv 2407.01492; github.com/sail-sg/regmix) with a ridge regression or a small
/// gradient-boosted trees regressor (``GradientBoostedTrees``, on the weights `r_j`) in place of LightGBM (no
/// LightGBM package is available to a Swift build here).
///
/// The ridge regressor (the default) maps a mixture `r` to the objective through the features `r_j` and `r_i r_j`
/// (`i <= j`):
///
///     ŷ(r) = β₀ + Σ_j β_j r_j + Σ_{i<=j} β_ij r_i r_j,
///
/// fitted by ridge regression on centred features and objective, `min ||X_c β - y_c||² + λ ||β||²` (the
/// intercept `β₀ = ȳ - x̄ · β` is not penalized), solved as the least-squares problem
/// `[X_c; √λ I] β ≈ [y_c; 0]` by LAPACK `gelsd`. The answer (as RegMix): `samples` mixtures drawn from
/// `Dirichlet(prior)` (RegMix's
/// `np.random.dirichlet(prior_dist * 1, 100000)`; the prior is the natural distribution when available tokens
/// are given, else uniform), draws above a cap rejected, and the mean of the `topK` with the lowest `ŷ`.
public struct RegMixModel: Encodable, Sendable, Equatable {
    public var domains: [String]
    /// `ridge` or `gbt`.
    public var regressor: RegMixRegressor = .ridge
    /// `gbt`: the boosted trees (features: the weights).
    public var boosted: GradientBoostedTrees?
    /// Feature names (`web`, `web*code`, ...), their coefficients, the intercept and the penalty.
    public var features: [String]
    public var coefficients: [Double]
    public var intercept: Double
    public var ridge: Double
    /// RMS of `ŷ - y` over the runs.
    public var rmsResidual: Double
    /// The search: the prior, candidate mixtures scored, draws made (rejections included) and the top `k` averaged.
    public var prior: [Double]
    public var samples: Int
    public var draws: Int
    public var topK: Int
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case domains, regressor, features, coefficients, intercept, ridge, prior, samples, draws, seed, boosting
        case rmsResidual = "rms_residual", topK = "top_k"
    }

    /// JSON: the ridge fit's features, coefficients, intercept and penalty, or for `gbt` a `boosting` summary
    /// (trees, learning_rate, max_depth, min_samples_leaf, initial); then the search (snake_case keys).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(domains, forKey: .domains)
        try c.encode(regressor, forKey: .regressor)
        try c.encode(features, forKey: .features)
        if let b = boosted {
            try c.encode(b.summary, forKey: .boosting)
        } else {
            try c.encode(coefficients, forKey: .coefficients)
            try c.encode(intercept, forKey: .intercept)
            try c.encode(ridge, forKey: .ridge)
        }
        try c.encode(rmsResidual, forKey: .rmsResidual)
        try c.encode(prior, forKey: .prior)
        try c.encode(samples, forKey: .samples)
        try c.encode(draws, forKey: .draws)
        try c.encode(topK, forKey: .topK)
        try c.encode(seed, forKey: .seed)
    }

    /// The features of `r`: `r_j`, then `r_i r_j` for `i <= j` (row-major over `i`).
    public static func features(_ r: [Double]) -> [Double] {
        var f = r
        for i in r.indices { for j in i..<r.count { f.append(r[i] * r[j]) } }
        return f
    }

    /// `ŷ(r)`.
    public func predict(_ r: [Double]) -> Double {
        if let b = boosted { return b.predict(r) }
        return zip(Self.features(r), coefficients).reduce(intercept) { $0 + $1.0 * $1.1 }
    }

    /// The boosted-trees fit of `objectives` on the weights of `mixtures` (scikit-learn's defaults; see
    /// ``GradientBoostedTrees``).
    public static func fitBoosted(domains: [String], mixtures: [[Double]], objectives: [Double],
                                  trees: Int = 100, learningRate: Double = 0.1, maxDepth: Int = 3,
                                  minSamplesLeaf: Int = 1) throws -> RegMixModel {
        let b = try GradientBoostedTrees.fit(x: mixtures, y: objectives, trees: trees, learningRate: learningRate,
                                             maxDepth: maxDepth, minSamplesLeaf: minSamplesLeaf)
        var model = RegMixModel(domains: domains, regressor: .gbt, boosted: b, features: domains, coefficients: [],
                                intercept: b.initial, ridge: 0, rmsResidual: 0, prior: [], samples: 0, draws: 0,
                                topK: 0, seed: 0)
        let sq = mixtures.indices.reduce(0.0) { let e = model.predict(mixtures[$1]) - objectives[$1]; return $0 + e * e }
        model.rmsResidual = (sq / Double(mixtures.count)).squareRoot()
        return model
    }

    /// The ridge fit of `objectives` on the features of `mixtures`.
    public static func fit(domains: [String], mixtures: [[Double]], objectives: [Double],
                           ridge: Double) throws -> RegMixModel {
        guard ridge >= 0, ridge.isFinite else {
            throw FieldError("ridge", "must be a non-negative number, got \(ridge)")
        }
        let x = mixtures.map(features), n = x.count, p = x[0].count
        let xm = (0..<p).map { j in x.reduce(0) { $0 + $1[j] } / Double(n) }
        let ym = objectives.reduce(0, +) / Double(n)
        var a = Matrix<Double>(rows: n + p, columns: p)
        var b = Matrix<Double>(rows: n + p, columns: 1)
        for i in 0..<n {
            for j in 0..<p { a[i, j] = x[i][j] - xm[j] }
            b[i, 0] = objectives[i] - ym
        }
        for j in 0..<p { a[n + j, j] = ridge.squareRoot() }
        let beta = try leastSquares(a, b).solution.storage
        let intercept = ym - zip(xm, beta).reduce(0) { $0 + $1.0 * $1.1 }
        var names = domains
        for i in domains.indices { for j in i..<domains.count { names.append("\(domains[i])*\(domains[j])") } }
        var model = RegMixModel(domains: domains, features: names, coefficients: beta, intercept: intercept,
                                ridge: ridge, rmsResidual: 0, prior: [], samples: 0, draws: 0, topK: 0, seed: 0)
        let errors = mixtures.indices.map { model.predict(mixtures[$0]) - objectives[$0] }
        let sq = errors.reduce(0) { $0 + $1 * $1 }
        model.rmsResidual = (sq / Double(n)).squareRoot()
        return model
    }

    /// RegMix's search: the mean of the `topK` lowest-scoring of `samples` accepted `Dirichlet(prior)` draws
    /// (xoshiro256** seeded by the first output of `SplitMix64(seed)`; a draw with `r_j > upper_j` is rejected; at
    /// most `100 · samples` draws). Ties in the score keep the earlier draw.
    public mutating func search(prior: [Double], upper: [Double], samples: Int, topK: Int,
                                seed: UInt64) throws -> [Double] {
        guard samples >= 1, samples <= 10_000_000 else {
            throw FieldError("samples", "must be a whole number from 1 to 10000000, got \(samples)")
        }
        guard topK >= 1, topK <= samples else {
            throw FieldError("top_k", "must be from 1 to the samples (\(samples)), got \(topK)")
        }
        var sm = SplitMix64(seed: seed)
        var g = Xoshiro256StarStar(seed: sm.next())
        var cand: [[Double]] = [], scores: [Double] = [], draws = 0
        cand.reserveCapacity(samples)
        scores.reserveCapacity(samples)
        while cand.count < samples {
            draws += 1
            guard draws <= 100 * samples else {
                throw FieldError("caps", "only \(cand.count) of \(draws - 1) RegMix draws respect the caps")
            }
            let w = Dirichlet.sample(prior, &g)
            guard zip(w, upper).allSatisfy({ $0 <= $1 }) else { continue }
            cand.append(w)
            scores.append(predict(w))
        }
        let order = scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(topK)
        var mean = [Double](repeating: 0, count: prior.count)
        for i in order { for j in mean.indices { mean[j] += cand[i][j] } }
        self.prior = prior
        self.samples = samples
        self.draws = draws
        self.topK = topK
        self.seed = seed
        return mean.map { $0 / Double(topK) }
    }

    /// `mix fit --method regmix`.
    static func mix(_ data: MixingData, settings: MixingSettings) throws -> MixingFit {
        var model = settings.regressor == .gbt
            ? try fitBoosted(domains: data.domains, mixtures: data.mixtures, objectives: data.objectives)
            : try fit(domains: data.domains, mixtures: data.mixtures, objectives: data.objectives,
                      ridge: settings.ridge)
        let prior = try settings.available.map { _ in
            try Mixing.fixedWeights(.natural, domains: data.domains, settings: settings)
        } ?? [Double](repeating: 1 / Double(data.domains.count), count: data.domains.count)
        guard prior.allSatisfy({ $0 > 0 }) else {
            throw FieldError("available", "RegMix's prior needs every domain > 0")
        }
        let w = try model.search(prior: prior, upper: data.upper, samples: settings.samples, topK: settings.topK,
                                 seed: settings.seed)
        return Mixing.result(.regmix, domains: data.domains, weights: w, budget: data.budget, upper: data.upper,
                             caps: settings.caps, objective: data.objectiveName,
                             details: .init(regression: model, predictedObjective: model.predict(w),
                                            runs: data.mixtures.count))
    }
}

/// RegMix's regressor: a ridge regression on the weights and their pairwise products (default), or boosted trees.
public enum RegMixRegressor: String, Sendable, Codable, CaseIterable {
    case ridge, gbt
}
