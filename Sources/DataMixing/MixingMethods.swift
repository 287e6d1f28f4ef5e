import Base
import Foundation

/// The mixing methods that choose weights from a loss table of runs at several mixtures, or from no data at all
/// (Docs/mixing-methods.md): fixed mixtures (`uniform`, `natural`, `given`), Data Mixing Laws (`dml`, Ye et al.
/// 2024), RegMix (`regmix`, Liu et al. 2024), BiMix-style per-domain power laws (`bimix`, Ge et al. 2024) and
/// Olmix's KL-regularized exact proposer on the log-linear law (`olmix`, allenai/olmix).
public enum MixingMethod: String, CaseIterable, Sendable, Codable {
    case dml, regmix, bimix, olmix, uniform, natural, given

    /// Whether the method needs a loss table.
    public var isFitted: Bool { [.dml, .regmix, .bimix, .olmix].contains(self) }

    /// Parses `--method`; a ``FieldError`` on `method` names the methods allowed.
    public static func parse(_ text: String, allowed: [MixingMethod] = MixingMethod.allCases) throws -> MixingMethod {
        guard let m = MixingMethod(rawValue: text), allowed.contains(m) else {
            throw FieldError("method", "'\(text)' is not one of " + allowed.map(\.rawValue).joined(separator: ", "))
        }
        return m
    }

    /// The fewest runs at distinct mixtures the method fits from, for `m` domains: `dml` and `olmix` `m + 2` (one
    /// more than the law's `m + 1` identifiable parameters per validation domain), `regmix` `m(m+1)/2 + 1` (one
    /// more than the free coefficients of a quadratic on the simplex), `bimix` 3 (one more than its 2 parameters
    /// per validation domain; the runs must also differ in that domain's proportion); 0 for the fixed mixtures.
    public func minimumRuns(domains m: Int) -> Int {
        switch self {
        case .dml, .olmix: return m + 2
        case .bimix: return 3
        case .regmix: return m * (m + 1) / 2 + 1
        default: return 0
        }
    }
}

/// Settings of `autoscale mix fit` (every option has the default stated here and in Docs/mixing-methods.md).
public struct MixingSettings: Sendable {
    /// As ``DDOSettings``: `nil` is mean-ppl over every `val:` column; must stay `nil` with an objective column.
    public var objective: DDOObjective.Kind?
    public var evalDomains: (domains: [String], weights: [Double])?
    /// Per-domain caps in tokens: upper bounds `cap_d / budget` on the weights.
    public var caps: [String: Double]?
    /// The budget in tokens (`nil`: the runs' common total).
    public var budget: Double?
    /// Seeds the fit's and the minimization's random starts and RegMix's sample (default 0).
    public var seed: UInt64 = 0
    /// `natural`: the available tokens per domain (also RegMix's sampling prior, and Olmix's KL prior and
    /// repetition caps, when given).
    public var available: [String: Double]?
    /// `given`: the weights per domain (any positive scale; normalized).
    public var given: [String: Double]?
    /// RegMix: candidate mixtures, how many of the best are averaged, the ridge penalty.
    public var samples = 100_000
    public var topK = 128
    public var ridge = 1e-4
    /// RegMix's regressor (`ridge`, or `gbt`: 100 trees, learning rate 0.1, depth 3, scikit-learn's defaults).
    public var regressor = RegMixRegressor.ridge
    /// DML and Olmix: the Huber loss's threshold on loss residuals; `nil` is the method's own default
    /// (``defaultHuberDelta(_:)``).
    public var huberDelta: Double?
    /// Olmix: the weight `λ` of `KL(r || prior)` (Olmix's `kl_reg`, default 0.05), `>= 0`.
    public var klWeight = 0.05
    /// Olmix: the repetition factor `R` of the caps `available · R / budget` (`nil`: Olmix's default 4; needs
    /// `available`).
    public var repetition: Double?

    /// The Huber threshold of a method's law fit: `dml` 0.05 (mixinglaws' notebook), `olmix` 0.02 (Olmix's
    /// `LogLinearRegressor.fit` default).
    public static func defaultHuberDelta(_ method: MixingMethod) -> Double { method == .olmix ? 0.02 : 0.05 }

    public init() {}
}

/// A method's answer: the ``MixtureResult`` (`method` set) and what the method fitted.
/// JSON: the result's keys plus `"details"` (snake_case keys).
public struct MixingFit: Encodable, Sendable {
    public struct Details: Encodable, Sendable {
        /// `dml`, `olmix`: the fitted law of every validation domain (or of the objective column).
        public var law: DataMixingLaw?
        /// `bimix`: the power law of every validation domain in its own proportion.
        public var bimix: BiMixLaw?
        /// `olmix`: the KL prior, its weight and the repetition caps.
        public var proposer: OlmixProposer?
        /// `regmix`: the ridge regression and the sample it was searched over.
        public var regression: RegMixModel?
        /// The fitted model's objective at the answer (fitted methods).
        public var predictedObjective: Double?
        /// `dml`, `bimix`, `olmix`: the minimization over the simplex.
        public var solver: SimplexSolution?
        /// The runs of the table the method used.
        public var runs: Int?

        enum CodingKeys: String, CodingKey {
            case law, bimix, proposer, regression, solver, runs
            case predictedObjective = "predicted_objective"
        }
    }

    public var result: MixtureResult
    public var details: Details

    enum CodingKeys: String, CodingKey { case details }

    public func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(details, forKey: .details)
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data { try prettyJSON(self) }

}

/// What the loss-table methods read from a ``LossTable``: each run's mixture `r = tokens / Σ tokens`, its objective,
/// and the targets a law is fitted to (each evaluated validation domain with its weight, or the objective column).
public struct MixingData: Sendable {
    public var domains: [String]
    public var mixtures: [[Double]]
    public var objectives: [Double]
    /// Target names (`val:` domains, or `objective`), their weights in the objective and per-run values.
    public var targets: [String]
    public var targetWeights: [Double]
    public var targetValues: [[Double]]
    /// `mean-ppl`, `mean-loss`, or `objective` (the column, fitted as one target with `g` the identity).
    public var objectiveName: String
    public var budget: Double
    /// Upper bounds on the weights, `min(1, cap_d / budget)`.
    public var upper: [Double]
    public var distinctMixtures: Int

    public init(_ table: LossTable, settings: MixingSettings) throws {
        let ddo = DDOSettings(objective: settings.objective, evalDomains: settings.evalDomains)
        let src = table.source
        domains = table.domains
        guard domains.count >= 2 else {
            throw DataMixingError.invalidInput(location: src,
                                               message: "needs tokens:<domain> columns for at least two domains")
        }
        mixtures = try table.runs.indices.map { r in
            let t = table.runs[r].tokens, s = t.reduce(0, +)
            guard s > 0 else {
                throw DataMixingError.invalidInput(location: table.location(r),
                                                   message: "the run has no tokens of any domain")
            }
            return t.map { $0 / s }
        }
        if let (objective, columns) = try DDO._objectiveSpec(table, ddo) {
            objectives = table.runs.map { run in objective.value(columns.map { run.losses[$0] }) }
            targets = objective.domains
            targetWeights = objective.weights
            targetValues = columns.map { j in table.runs.map { $0.losses[j] } }
            objectiveName = objective.kind.rawValue
        } else {
            targets = ["objective"]
            targetWeights = [1]
            objectives = table.runs.map { $0.objective ?? .nan }
            targetValues = [objectives]
            objectiveName = "objective"
        }
        let totals = table.runs.map { $0.tokens.reduce(0, +) }
        if let b = settings.budget {
            guard b > 0, b.isFinite else { throw FieldError("budget", "must be a positive number of tokens, got \(b)") }
            budget = b
        } else {
            let lo = totals.min()!, hi = totals.max()!
            guard hi - lo <= 1e-9 * hi else {
                throw FieldError("budget", "the runs of \(src) train \(Int(lo))..\(Int(hi)) tokens; "
                                 + "give the budget to allocate")
            }
            budget = hi
        }
        upper = try Self.upperBounds(settings.caps, domains: domains, budget: budget)
        var seen: [[Double]] = []
        for r in mixtures where !seen.contains(where: { maxDistance($0, r) <= 1e-12 }) { seen.append(r) }
        distinctMixtures = seen.count
    }

    /// `min(1, cap_d / budget)` per domain (1 without a cap); their sum must reach 1.
    static func upperBounds(_ caps: [String: Double]?, domains: [String], budget: Double) throws -> [Double] {
        let c = try DDO._caps(caps, domains: domains)
        let u = c.map { $0.map { Swift.min(1, $0 / budget) } ?? 1 }
        guard u.reduce(0, +) >= 1 - 1e-12 else {
            throw FieldError("caps", "the caps sum to \(u.reduce(0, +) * budget) tokens, "
                                     + "less than the budget \(budget)")
        }
        return u
    }

    /// Throws unless the table has the method's minimum of runs at distinct mixtures.
    func requireRuns(_ method: MixingMethod, source: String) throws {
        let need = method.minimumRuns(domains: domains.count)
        guard distinctMixtures >= need else {
            let what: String
            switch method {
            case .dml, .olmix:
                what = "\(domains.count + 1) parameters per validation domain (c and \(domains.count) exponents)"
            case .bimix: what = "2 parameters per validation domain (A and alpha)"
            default: what = "\(need - 1) free coefficients of its quadratic in \(domains.count) weights"
            }
            throw DataMixingError.invalidInput(location: source, message:
                "has \(distinctMixtures) runs at distinct mixtures; \(method.rawValue) needs at least \(need) "
                + "for its \(what)")
        }
    }
}

/// Largest absolute difference of two equally long vectors; infinity when any difference is not finite (so a NaN
/// never reads as "converged" or "the same mixture").
func maxDistance(_ a: [Double], _ b: [Double]) -> Double {
    var m = 0.0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        guard d.isFinite else { return .infinity }
        m = Swift.max(m, d)
    }
    return m
}

/// The methods behind `autoscale mix fit`.
public enum Mixing {
    /// Fits `method` to `table` (fitted methods) or builds the fixed mixture (`table` may then be `nil`, with
    /// `domains` and `settings.budget` given instead).
    public static func fit(_ method: MixingMethod, table: LossTable?, domains: [String]? = nil,
                           settings: MixingSettings) throws -> MixingFit {
        if method.isFitted {
            guard let table else { throw FieldError("method", "\(method.rawValue) fits a loss table: give LOSSES.csv") }
            var settings = settings
            // Olmix's proposer minimizes the (weighted) mean of the fitted losses.
            if method == .olmix, settings.objective == nil, !table.hasObjectiveColumn { settings.objective = .meanLoss }
            let data = try MixingData(table, settings: settings)
            try data.requireRuns(method, source: table.source)
            switch method {
            case .dml: return try DataMixingLaw.mix(data, settings: settings)
            case .regmix: return try RegMixModel.mix(data, settings: settings)
            case .bimix: return try BiMixLaw.mix(data, table: table, settings: settings)
            default: return try OlmixProposer.mix(data, settings: settings)
            }
        }
        let names: [String], budget: Double, upper: [Double]
        if let table {
            let data = try MixingData(table, settings: settings)
            (names, budget, upper) = (data.domains, data.budget, data.upper)
        } else {
            guard let domains, !domains.isEmpty else {
                throw FieldError("domains", "name the domains (or give LOSSES.csv)")
            }
            guard let b = settings.budget else { throw FieldError("budget", "give the budget (or LOSSES.csv)") }
            guard b > 0, b.isFinite else { throw FieldError("budget", "must be a positive number of tokens, got \(b)") }
            names = domains
            budget = b
            upper = try MixingData.upperBounds(settings.caps, domains: names, budget: budget)
        }
        let w = try fixedWeights(method, domains: names, settings: settings)
        return result(method, domains: names, weights: try capWeights(w, upper: upper), budget: budget, upper: upper,
                      caps: settings.caps, objective: nil, details: .init())
    }

    /// The weights of a fixed mixture, normalized.
    static func fixedWeights(_ method: MixingMethod, domains: [String], settings: MixingSettings) throws -> [Double] {
        func named(_ map: [String: Double]?, field: String, what: String) throws -> [Double] {
            guard let map else { throw FieldError(field, "\(method.rawValue) needs \(what) for every domain") }
            for d in map.keys.sorted() where !domains.contains(d) {
                throw FieldError(field, "no domain '\(d)' (the domains are \(domains.joined(separator: ", ")))")
            }
            return try domains.map { d in
                guard let v = map[d] else { throw FieldError(field, "no value for domain '\(d)'") }
                guard v >= 0, v.isFinite else { throw FieldError(field, "the value of \(d) must be >= 0, got \(v)") }
                return v
            }
        }
        let raw: [Double]
        switch method {
        case .natural: raw = try named(settings.available, field: "available", what: "the available tokens")
        case .given: raw = try named(settings.given, field: "weights", what: "a weight")
        default: raw = [Double](repeating: 1, count: domains.count)
        }
        let s = raw.reduce(0, +)
        guard s > 0 else { throw FieldError(method == .natural ? "available" : "weights", "the values are all zero") }
        return raw.map { $0 / s }
    }

    /// A mixture held under upper bounds: capped domains sit at their bound and the rest share what is left in
    /// proportion to their weights (repeated until no bound is exceeded; at most `m + 1` rounds).
    static func capWeights(_ w: [Double], upper: [Double]) throws -> [Double] {
        var fixed = [Bool](repeating: false, count: w.count), x = w
        for _ in 0...w.count {  // each round fixes at least one more domain; the last one sees every domain fixed
            let left = 1 - zip(fixed, upper).reduce(0) { $0 + ($1.0 ? $1.1 : 0) }
            let free = w.indices.filter { !fixed[$0] }.reduce(0) { $0 + w[$1] }
            guard free > 0 || left <= 1e-12 else {
                throw FieldError("caps", "the domains under their caps have zero weight; "
                                 + "the caps leave \(left) of the budget unassigned")
            }
            for i in w.indices { x[i] = fixed[i] ? upper[i] : (free > 0 ? w[i] * left / free : 0) }
            let over = w.indices.filter { !fixed[$0] && x[$0] > upper[$0] * (1 + 1e-15) }
            if over.isEmpty { return x }
            for i in over { fixed[i] = true }
        }
        return x
    }

    /// The ``MixingFit`` of weights at a budget: tokens `w_d · budget` (not rounded, as DDO's), the caps and the
    /// domains at them.
    static func result(_ method: MixingMethod, domains: [String], weights: [Double], budget: Double, upper: [Double],
                       caps: [String: Double]?, objective: String?, details: MixingFit.Details,
                       warnings: [String] = []) -> MixingFit {
        let w = Dictionary(uniqueKeysWithValues: zip(domains, weights))
        var r = MixtureResult(domains: domains, budget: budget, tokens: w.mapValues { $0 * budget }, weights: w,
                              objective: objective, warnings: warnings)
        r.method = method.rawValue
        if let caps, !caps.isEmpty {
            r.caps = caps
            r.capped = domains.indices.filter { upper[$0] < 1 && weights[$0] >= upper[$0] * (1 - 1e-9) }
                .map { domains[$0] }
        }
        return MixingFit(result: r, details: details)
    }
}
