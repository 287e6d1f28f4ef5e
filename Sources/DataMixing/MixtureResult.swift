import Foundation

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

        enum CodingKeys: String, CodingKey { case a, b, c, x, y, residuals, maxAbsResidual, rmsResidual, exact }

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
        do { result = try JSONDecoder().decode(MixtureResult.self, from: data) } catch let e as DecodingError {
            throw DataMixingError.invalidInput(location: path, message: _describe(e))
        } catch {
            throw DataMixingError.invalidInput(location: path, message: "not a result JSON (\(error))")
        }
        for d in result.domains where result.tokens[d] == nil {
            throw DataMixingError.invalidInput(location: path, message: "field \"tokens\" has no entry for domain \"\(d)\"")
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
