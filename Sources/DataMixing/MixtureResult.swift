import Base
import Foundation
import Optimization

/// The JSON written by `ddo fit` / `ddo run` (`result.json`) and `predict`:
/// `{"domains": [...], "budget": N, "tokens": {d: N_d}, "weights": {d: w_d}, "fits": {d: {"a","b","c",...}}}`
/// plus optional details (`objective`, `lower`, `upper`, `base`, `predictor`, `warnings`).
/// Keys are written sorted; numbers are plain JSON numbers (tokens are not rounded).
public struct MixtureResult: Codable, Sendable, Equatable {
    /// One domain's fitted curve and the points it was fitted to.
    public struct Fit: Codable, Sendable, Equatable {
        public var a: Double
        public var b: Double
        public var c: Double
        /// The measured `x = N / N(base)` and `y = objective / objective(base)`.
        public var x: [Double]
        public var y: [Double]
        /// `y - curve(x)`, with their maximum absolute and root-mean-square values.
        public var residuals: [Double]
        public var maxAbsResidual: Double
        public var rmsResidual: Double
        /// Whether the curve passes through every point (relative tolerance 1e-9).
        public var exact: Bool

        public init(a: Double, b: Double, c: Double, x: [Double], y: [Double], residuals: [Double],
                    maxAbsResidual: Double, rmsResidual: Double, exact: Bool) {
            self.a = a
            self.b = b
            self.c = c
            self.x = x
            self.y = y
            self.residuals = residuals
            self.maxAbsResidual = maxAbsResidual
            self.rmsResidual = rmsResidual
            self.exact = exact
        }

        enum CodingKeys: String, CodingKey {
            case a, b, c, x, y, residuals, maxAbsResidual = "max_abs_residual", rmsResidual = "rms_residual", exact
        }

        /// Only `a`, `b`, `c` are required (the issue's minimal shape `{"a":..,"b":..,"c":..}`); the point
        /// data default to empty.
        public init(from decoder: Decoder) throws {
            let k = try decoder.container(keyedBy: CodingKeys.self)
            a = try k.decode(Double.self, forKey: .a)
            b = try k.decode(Double.self, forKey: .b)
            c = try k.decode(Double.self, forKey: .c)
            x = try k.decodeIfPresent([Double].self, forKey: .x) ?? []
            y = try k.decodeIfPresent([Double].self, forKey: .y) ?? []
            residuals = try k.decodeIfPresent([Double].self, forKey: .residuals) ?? []
            maxAbsResidual = try k.decodeIfPresent(Double.self, forKey: .maxAbsResidual) ?? 0
            rmsResidual = try k.decodeIfPresent(Double.self, forKey: .rmsResidual) ?? 0
            exact = try k.decodeIfPresent(Bool.self, forKey: .exact) ?? false
        }
    }

    /// The predictor's fit, in `predict` output.
    public struct Predictor: Codable, Sendable, Equatable {
        /// The fitted budgets (ascending) and their scale values `u` (0 at the smallest, 1 at the largest).
        public var budgets: [Double]
        public var u: [Double]
        /// `ln N_d = c_d + k_d u`.
        public var c: [String: Double]
        public var k: [String: Double]
        /// The scale at the target budget.
        public var scale: Double
        public var rmsLogResidual: Double
        /// The result files, in budget order.
        public var sources: [String]
        enum CodingKeys: String, CodingKey { case budgets, u, c, k, scale, rmsLogResidual = "rms_log_residual", sources }

        public init(budgets: [Double], u: [Double], c: [String: Double], k: [String: Double], scale: Double,
                    rmsLogResidual: Double, sources: [String]) {
            self.budgets = budgets
            self.u = u
            self.c = c
            self.k = k
            self.scale = scale
            self.rmsLogResidual = rmsLogResidual
            self.sources = sources
        }
    }

    /// The allocation under the other fit rule, when some domain has two exact fits and the weights differ
    /// (`ddo` only).
    public struct Alternative: Codable, Sendable, Equatable {
        /// `notebook` or `smallest-b`.
        public var fitRule: String
        /// The domains whose curve differs between the rules.
        public var domains: [String]
        public var fits: [String: PowerLawCurve]
        public var tokens: [String: Double]
        public var weights: [String: Double]
        /// Its fitted `Σ_i y_i(x_i)`.
        public var objective: Double
        enum CodingKeys: String, CodingKey { case fitRule = "fit_rule", domains, fits, tokens, weights, objective }

        public init(fitRule: String, domains: [String], fits: [String: PowerLawCurve], tokens: [String: Double],
                    weights: [String: Double], objective: Double) {
            self.fitRule = fitRule
            self.domains = domains
            self.fits = fits
            self.tokens = tokens
            self.weights = weights
            self.objective = objective
        }
    }

    /// Intervals of the recommended mixture: percentile intervals over replicate mixtures.
    public struct Intervals: Codable, Sendable, Equatable {
        /// `bootstrap` (parametric bootstrap of one DDO under `noise`), `replicates` (DDOs over seeds) or
        /// `propagated` (the predictor applied to each replicate tuple of its inputs).
        public var method: String
        /// Nominal coverage of each interval, e.g. 0.9.
        public var level: Double
        /// The noise of the bootstrap (nats per validation loss, or objective units with an objective column).
        public var noise: Double?
        /// Standard deviation of one run's objective under that noise (objective units).
        public var noiseEffect: Double?
        public var seed: UInt64?
        /// Replicates that gave a mixture, and those that failed (a fit or an allocation threw).
        public var replicates: Int
        public var failed: Int
        /// `[lower, upper]` per domain.
        public var weights: [String: [Double]]
        public var tokens: [String: [Double]]
        /// Each replicate's tokens, in replicate order (what `predict` pairs by index across budgets).
        public var replicateTokens: [[String: Double]]
        enum CodingKeys: String, CodingKey {
            case method, level, noise, noiseEffect = "noise_effect", seed, replicates, failed, weights, tokens
            case replicateTokens = "replicate_tokens"
        }

        public init(method: String, level: Double, noise: Double? = nil, noiseEffect: Double? = nil, seed: UInt64? = nil,
                    replicates: Int, failed: Int, weights: [String: [Double]], tokens: [String: [Double]],
                    replicateTokens: [[String: Double]]) {
            self.method = method
            self.level = level
            self.noise = noise
            self.noiseEffect = noiseEffect
            self.seed = seed
            self.replicates = replicates
            self.failed = failed
            self.weights = weights
            self.tokens = tokens
            self.replicateTokens = replicateTokens
        }

        /// Percentile intervals (numpy's linear quantiles at `(1 - level)/2` and `(1 + level)/2`) of the
        /// replicate tokens and weights (`tokens / their total`, summed in `domains` order), per domain.
        public init(method: String, level: Double, domains: [String], replicateTokens: [[String: Double]], failed: Int,
                    noise: Double? = nil, noiseEffect: Double? = nil, seed: UInt64? = nil) {
            var w: [String: [Double]] = [:], t: [String: [Double]] = [:]
            for d in domains {
                let tv = replicateTokens.map { $0[d] ?? .nan }
                let wv = replicateTokens.map { r in (r[d] ?? .nan) / domains.reduce(0) { $0 + (r[$1] ?? .nan) } }
                let ti = Bootstrap.percentileInterval(tv, level: level), wi = Bootstrap.percentileInterval(wv, level: level)
                t[d] = [ti.lower, ti.upper]
                w[d] = [wi.lower, wi.upper]
            }
            self.init(method: method, level: level, noise: noise, noiseEffect: noiseEffect, seed: seed,
                      replicates: replicateTokens.count, failed: failed, weights: w, tokens: t, replicateTokens: replicateTokens)
        }
    }

    public var domains: [String]
    public var budget: Double
    public var tokens: [String: Double]
    public var weights: [String: Double]
    public var fits: [String: Fit]
    public var objective: String?
    public var lower: Double?
    public var upper: Double?
    /// The base run's quantities (`ddo` only).
    public var base: [String: Double]?
    public var predictor: Predictor?
    public var warnings: [String]
    /// `ddo`: the fit rule used (`notebook` or `smallest-b`).
    public var fitRule: String?
    /// `ddo`: the other rule's allocation when it differs.
    public var alternative: Alternative?
    /// Per-domain caps in tokens, and the domains held at their cap.
    public var caps: [String: Double]?
    public var capped: [String]?
    /// `ddo`: `objective(base) · Σ_i (y_i(1) - y_i(x_i*))`, the gain the fitted model promises over the base mixture.
    public var promisedGain: Double?
    public var intervals: Intervals?
    /// The method that chose the weights (`ddo`, `dml`, `regmix`, `uniform`, `natural`, `given`, ...). Stored only
    /// when not `ddo`, so a DDO result's JSON has no `method` key (its bytes are those of earlier releases) and a
    /// file without the key reads as `ddo`.
    public var method: String {
        get { _method ?? "ddo" }
        set { _method = newValue == "ddo" ? nil : newValue }
    }
    var _method: String?

    public init(domains: [String], budget: Double, tokens: [String: Double], weights: [String: Double],
                fits: [String: Fit] = [:], objective: String? = nil, lower: Double? = nil, upper: Double? = nil,
                base: [String: Double]? = nil, predictor: Predictor? = nil, warnings: [String] = []) {
        self.domains = domains
        self.budget = budget
        self.tokens = tokens
        self.weights = weights
        self.fits = fits
        self.objective = objective
        self.lower = lower
        self.upper = upper
        self.base = base
        self.predictor = predictor
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case domains, budget, tokens, weights, fits, objective, lower, upper, base, predictor, warnings
        case fitRule = "fit_rule", alternative, caps, capped, promisedGain = "promised_gain", intervals
        case _method = "method"
    }

    /// Decodes leniently for hand-written inputs: only `tokens` is required; `domains` defaults to the token
    /// keys sorted, `budget` to their total, `weights` to `tokens / budget`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tokens = try c.decode([String: Double].self, forKey: .tokens)
        domains = try c.decodeIfPresent([String].self, forKey: .domains) ?? tokens.keys.sorted()
        let total = tokens.values.reduce(0, +)
        budget = try c.decodeIfPresent(Double.self, forKey: .budget) ?? total
        weights = try c.decodeIfPresent([String: Double].self, forKey: .weights) ?? tokens.mapValues { $0 / total }
        fits = try c.decodeIfPresent([String: Fit].self, forKey: .fits) ?? [:]
        objective = try c.decodeIfPresent(String.self, forKey: .objective)
        lower = try c.decodeIfPresent(Double.self, forKey: .lower)
        upper = try c.decodeIfPresent(Double.self, forKey: .upper)
        base = try c.decodeIfPresent([String: Double].self, forKey: .base)
        predictor = try c.decodeIfPresent(Predictor.self, forKey: .predictor)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        fitRule = try c.decodeIfPresent(String.self, forKey: .fitRule)
        alternative = try c.decodeIfPresent(Alternative.self, forKey: .alternative)
        caps = try c.decodeIfPresent([String: Double].self, forKey: .caps)
        capped = try c.decodeIfPresent([String].self, forKey: .capped)
        promisedGain = try c.decodeIfPresent(Double.self, forKey: .promisedGain)
        intervals = try c.decodeIfPresent(Intervals.self, forKey: .intervals)
        _method = try c.decodeIfPresent(String.self, forKey: ._method)
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Writes the JSON atomically (temporary file, then rename).
    public func write(to url: URL) throws { try jsonData().write(to: url, options: .atomic) }

    /// Reads a result file; errors name the file and, for JSON errors, what is wrong.
    public static func read(path: String) throws -> MixtureResult {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataMixingError.invalidInput(location: path, message: FileManager.default.fileExists(atPath: path)
                ? "cannot read the file" : "no such file")
        }
        let result: MixtureResult
        // Keys under their snake_case spelling: result files of the older camelCase keys read too.
        do { result = try JSONDecoder.acceptingCamelCase().decode(MixtureResult.self, from: data) } catch let e as DecodingError {
            throw DataMixingError.invalidInput(location: path, message: _describe(e))
        } catch {
            throw DataMixingError.invalidInput(location: path, message: "not a result JSON (\(error))")
        }
        for d in result.domains where result.tokens[d] == nil {
            throw DataMixingError.invalidInput(location: path, message: "field \"tokens\" has no entry for domain \"\(TableError.visible(d))\"")
        }
        guard Set(result.tokens.keys) == Set(result.domains), Set(result.domains).count == result.domains.count else {
            throw DataMixingError.invalidInput(location: path, message: "fields \"domains\" and \"tokens\" name different domains")
        }
        return result
    }

    static func _describe(_ e: DecodingError) -> String {
        func path(_ p: [CodingKey]) -> String { p.isEmpty ? "top level" : "field \"" + p.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "\"" }
        switch e {
        case .keyNotFound(let key, let ctx): return "missing field \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)) is not \(type == Double.self ? "a number" : "of type \(type)")"
        case .valueNotFound(_, let ctx): return "\(path(ctx.codingPath)) is null"
        case .dataCorrupted(let ctx):
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (underlying.map { " (\($0))" } ?? (ctx.codingPath.isEmpty ? "" : " at \(path(ctx.codingPath))"))
        @unknown default: return "not a result JSON"
        }
    }
}
