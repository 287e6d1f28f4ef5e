import Base
import Foundation

/// The runs of one DDO at one budget: a base run with per-domain token quantities `N_i` (default uniform,
/// `budget / m`), and for every domain `i` and perturbation factor `f` a run with `N_i` replaced by
/// `round(f N_i)` and the other domains at their base quantities: `1 + m · |factors|` runs.
///
/// Quantities are whole tokens: the base quantities are `budget · w_i` rounded by largest remainder so they
/// sum to the budget exactly (Base's ``largestRemainder(_:total:)``, as the sampler's quantities). The fit uses the quantities actually trained (from LOSSES.csv), so rounding
/// does not bias it.
public struct DDOPlan: Sendable, Equatable {
    public struct Run: Sendable, Equatable {
        /// `base` or `<domain>-x<factor>` (factor with 6 significant digits), unique within the plan.
        public var id: String
        /// Token quantity per domain, in ``DDOPlan/domains`` order.
        public var tokens: [Int]
        /// The perturbed domain's index (`nil` for the base run) and its factor (1 for the base run).
        public var perturbedDomain: Int?
        public var factor: Double
    }

    public var domains: [String]
    public var budget: Int
    public var baseTokens: [Int]
    public var factors: [Double]
    public var runs: [Run]

    public static let defaultFactors: [Double] = [1.0 / 3, 3]

    /// Throws unless there are at least two distinct positive finite factors, none equal to 1.
    public static func validate(factors: [Double]) throws {
        guard factors.count >= 2, Set(factors).count == factors.count,
              factors.allSatisfy({ $0 > 0 && $0.isFinite && $0 != 1 }) else {
            throw FieldError("factors",
                "need at least two distinct positive factors other than 1, got \(factors.map { String(format: "%g", $0) }.joined(separator: ","))")
        }
    }

    /// - Parameters:
    ///   - baseWeights: the base mixture (positive, normalized here); `nil` is uniform.
    ///   - factors: perturbation factors, positive, distinct and not 1; at least two (the fit needs three
    ///     distinct quantities per domain).
    public init(domains: [String], budget: Int, baseWeights: [Double]? = nil,
                factors: [Double] = DDOPlan.defaultFactors) throws {
        let m = domains.count
        guard m >= 2 else { throw DataMixingError.invalidArgument("a data mixture needs at least two domains, got \(m)") }
        for d in domains where d.isEmpty || d.contains(where: { ",\"\n\r:".contains($0) }) {
            throw DataMixingError.invalidArgument("domain name '\(d)' must be non-empty without commas, quotes, colons or newlines")
        }
        guard Set(domains).count == m else { throw DataMixingError.invalidArgument("domain names must be distinct") }
        try Self.validate(factors: factors)
        let w = baseWeights ?? [Double](repeating: 1, count: m)
        guard w.count == m, w.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw DataMixingError.invalidArgument("base weights must be \(m) positive numbers")
        }
        guard budget >= m else { throw DataMixingError.invalidArgument("budget \(budget) is smaller than the number of domains") }
        let base = try MixtureBudget(domains: domains, weights: w, total: budget).tokens

        var runs = [Run(id: "base", tokens: base, perturbedDomain: nil, factor: 1)]
        for (i, d) in domains.enumerated() {
            for f in factors {
                var t = base
                t[i] = Int((Double(base[i]) * f).rounded())
                guard t[i] != base[i], t[i] > 0 else {
                    throw DataMixingError.invalidArgument(
                        "budget \(budget) is too small: factor \(String(format: "%g", f)) leaves domain \(d) at \(t[i]) tokens")
                }
                runs.append(Run(id: "\(d)-x\(String(format: "%.6g", f))", tokens: t, perturbedDomain: i, factor: f))
            }
        }
        self.domains = domains
        self.budget = budget
        self.baseTokens = base
        self.factors = factors
        self.runs = runs
    }
}
