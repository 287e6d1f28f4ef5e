import Base
import Foundation

/// BiMix-style per-domain power laws (Ge et al. 2024, arXiv 2405.14908, "Data Mixing Made Efficient: A Bivariate
/// Scaling Law for Language Model Pretraining"). BiMix's law is `L_i(s, r_i) = A_i / r_i^{α_i} · (B_i / s^{β_i} +
/// C_i)`: validation domain `i`'s loss depends on the training steps `s` and on its own domain's proportion `r_i`
/// only. At one step count (a loss table's runs all train to the same budget) the step factor is a constant folded
/// into `A_i`:
///
///     L_i(r) = A_i r_i^{-α_i},      A_i > 0,
///
/// fitted per validation domain by ordinary least squares in logs, `ln L_i = ln A_i - α_i ln r_i` (closed form,
/// unique, no starts; the residuals are relative errors, and a loss table's noise is about the same relative size
/// on every run). Every validation domain must be a training domain, and every run must train on it (`r_i > 0`).
public struct BiMixLaw: Codable, Sendable, Equatable {
    public struct Target: Codable, Sendable, Equatable {
        public var name: String
        /// Its weight in the objective.
        public var weight: Double
        public var a: Double
        public var alpha: Double
        /// RMS of `ln L(r_n) - ln y_n` (the fitted quantity) and of `L(r_n) - y_n`, and the largest `|L(r_n) - y_n|`.
        public var rmsLogResidual: Double
        public var rmsResidual: Double
        public var maxAbsResidual: Double
        /// The runs at distinct proportions of the domain.
        public var distinctProportions: Int

        enum CodingKeys: String, CodingKey {
            case name, weight, a, alpha
            case rmsLogResidual = "rms_log_residual", rmsResidual = "rms_residual",
                 maxAbsResidual = "max_abs_residual", distinctProportions = "distinct_proportions"
        }

        /// `A r^{-α}` (infinite at `r = 0` when `α > 0`).
        public func loss(_ r: Double) -> Double { a * Foundation.pow(r, -alpha) }
    }

    /// The training domains; `index[i]` is target `i`'s domain among them.
    public var domains: [String]
    public var targets: [Target]
    public var index: [Int]
    /// `mean-ppl` or `mean-loss`.
    public var objective: String

    enum CodingKeys: String, CodingKey { case domains, targets, objective }

    public init(domains: [String], targets: [Target], objective: String) throws {
        self.domains = domains
        self.targets = targets
        self.objective = objective
        index = try targets.map { try Self.domainIndex($0.name, in: domains, source: nil) }
    }

    /// The training domain a validation domain is fitted on: the one of the same name.
    static func domainIndex(_ name: String, in domains: [String], source: String?) throws -> Int {
        guard let j = domains.firstIndex(of: name) else {
            throw FieldError("eval_domains", "bimix fits val:\(name) on the proportion of training domain \(name), "
                             + "and \(source ?? "the table") has no tokens:\(name)")
        }
        return j
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(domains: try c.decode([String].self, forKey: .domains),
                      targets: try c.decode([Target].self, forKey: .targets),
                      objective: try c.decode(String.self, forKey: .objective))
    }

    /// The objective `Σ_i w_i g(A_i r_i^{-α_i}) / Σ_i w_i` (`g = exp` for mean-ppl, the identity for mean-loss) at
    /// `r`, its gradient into `gradient` (`∂L_i/∂r_i = -α_i L_i / r_i`); infinite when a target's `r_i = 0`, `α_i > 0`.
    /// Convex on the simplex when every `α_i > 0` (`r^{-α}` is convex on `r > 0`, and `exp` is convex and increasing).
    public func value(_ r: [Double], gradient: inout [Double]) -> Double {
        let ppl = objective == DDOObjective.Kind.meanPPL.rawValue
        var num = 0.0, den = 0.0
        for j in gradient.indices { gradient[j] = 0 }
        for (f, j) in zip(targets, index) {
            let l = f.loss(r[j])
            let g = ppl ? Foundation.exp(l) : l, dg = ppl ? g : 1
            num += f.weight * g
            den += f.weight
            gradient[j] += f.weight * dg * (-f.alpha * l / r[j])
        }
        for j in gradient.indices { gradient[j] /= den }
        return num / den
    }

    /// The objective at `r`.
    public func value(_ r: [Double]) -> Double {
        var g = [Double](repeating: 0, count: r.count)
        return value(r, gradient: &g)
    }

    /// The least-squares fit of `ln y ≈ ln A - α ln r` (centred sums, closed form). Needs positive `values` and
    /// `proportions` and at least 3 distinct proportions (one more than the 2 parameters).
    public static func fitTarget(name: String, weight: Double, proportions r: [Double],
                                 values y: [Double]) throws -> Target {
        guard let lo = y.min(), lo > 0 else {
            throw DataMixingError.invalidArgument("val:\(name): bimix fits ln L and needs positive losses; the "
                                                  + "smallest is \(y.min() ?? .nan)")
        }
        var seen: [Double] = []
        for p in r where !seen.contains(where: { abs($0 - p) <= 1e-12 }) { seen.append(p) }
        guard seen.count >= 3 else {
            throw DataMixingError.invalidArgument("val:\(name): has \(seen.count) runs at distinct proportions of "
                + "\(name); bimix needs at least 3 for its 2 parameters per validation domain (A and alpha)")
        }
        let n = Double(r.count)
        let x = r.map { Foundation.log($0) }, z = y.map { Foundation.log($0) }
        let xm = x.reduce(0, +) / n, zm = z.reduce(0, +) / n
        var sxz = 0.0, sxx = 0.0
        for (u, v) in zip(x, z) {
            sxz += (u - xm) * (v - zm)
            sxx += (u - xm) * (u - xm)
        }
        let slope = sxz / sxx, lnA = zm - slope * xm
        var t = Target(name: name, weight: weight, a: Foundation.exp(lnA), alpha: -slope, rmsLogResidual: 0,
                       rmsResidual: 0, maxAbsResidual: 0, distinctProportions: seen.count)
        let logRes = zip(x, z).map { lnA + slope * $0.0 - $0.1 }
        let res = zip(r, y).map { t.loss($0.0) - $0.1 }
        t.rmsLogResidual = (logRes.reduce(0) { $0 + $1 * $1 } / n).squareRoot()
        t.rmsResidual = (res.reduce(0) { $0 + $1 * $1 } / n).squareRoot()
        t.maxAbsResidual = res.map(abs).max() ?? 0
        return t
    }

    /// `mix fit --method bimix`: a power law per validation domain, then the objective minimized over the capped
    /// simplex by ``SimplexSolution`` (its starts have every weight positive, and a step to `r_i = 0` is refused by
    /// the line search because the objective is infinite there).
    static func mix(_ data: MixingData, table: LossTable, settings: MixingSettings) throws -> MixingFit {
        guard data.objectiveName != "objective" else {
            throw DataMixingError.invalidInput(location: table.source, message: "has an objective column; bimix fits "
                + "each val:<domain> loss on its own domain's proportion and needs val:<domain> columns")
        }
        var targets: [Target] = []
        for (i, name) in data.targets.enumerated() {
            let j = try domainIndex(name, in: data.domains, source: table.source)
            if let n = data.mixtures.firstIndex(where: { !($0[j] > 0) }) {
                throw DataMixingError.invalidInput(location: table.location(n), message: "the run trains no "
                    + "tokens of \(name); bimix fits ln val:\(name) against ln r_\(name) and needs r_\(name) > 0")
            }
            targets.append(try fitTarget(name: name, weight: data.targetWeights[i],
                                         proportions: data.mixtures.map { $0[j] }, values: data.targetValues[i]))
        }
        let law = try BiMixLaw(domains: data.domains, targets: targets, objective: data.objectiveName)
        var seeds = SplitMix64(seed: settings.seed)
        let solution = try SimplexSolution.minimize(upper: data.upper, seed: seeds.next()) {
            law.value($0, gradient: &$1)
        }
        var warnings = targets.filter { !($0.alpha > 0) }.map {
            "target \($0.name): alpha = \(String(format: "%.4g", $0.alpha)) <= 0 (its loss does not fall with its own "
                + "proportion); the objective may not be convex"
        }
        warnings += solution.warnings
        return Mixing.result(.bimix, domains: data.domains, weights: solution.weights, budget: data.budget,
                             upper: data.upper, caps: settings.caps, objective: data.objectiveName,
                             details: .init(bimix: law, predictedObjective: solution.value, solver: solution,
                                            runs: data.mixtures.count), warnings: warnings)
    }
}
