/// A mixture at a budget, in the project's one token unit: **predicted tokens**. A training sequence of
/// context `T` holds `T` token ids and `T - 1` next-token targets (its window overlaps the next one by one
/// token), so it counts `T - 1`: the tokens of the domain's stream it consumes. Budgets, DDO quantities,
/// the sampler's requests, the training log's `tokens` column, `train`'s `result.json` and the report's
/// axes all count this unit (Docs/architecture.md).
///
/// Weights become whole per-domain quantities by ``largestRemainder(_:total:)`` (they sum to the budget
/// exactly); a quantity `q` becomes `round(q / (T - 1))` sequences; a run trains `floor(Σ sequences / B)`
/// steps of `B` sequences.
public struct MixtureBudget: Sendable, Equatable {
    public var domains: [String]
    /// Predicted tokens per domain, in ``domains`` order.
    public var tokens: [Int]

    /// Explicit quantities (a DDO plan's perturbed runs).
    public init(domains: [String], tokens: [Int]) {
        precondition(domains.count == tokens.count, "one quantity per domain")
        self.domains = domains
        self.tokens = tokens
    }

    /// `total · w_d / Σ w` per domain, rounded by largest remainder. Throws a ``FieldError`` on `field` for
    /// weights that are not finite, non-negative and not all zero, or a negative total.
    public init(domains: [String], weights: [Double], total: Int, field: String = "weights") throws {
        guard weights.count == domains.count else {
            throw FieldError(field, "\(weights.count) weights for \(domains.count) domains")
        }
        guard let q = largestRemainder(weights, total: total) else {
            throw FieldError(field, total < 0 ? "the budget must be >= 0, got \(total)"
                                              : "weights must be finite, non-negative and not all zero")
        }
        self.init(domains: domains, tokens: q)
    }

    /// The budget: `Σ tokens`.
    public var total: Int { tokens.reduce(0, +) }

    /// `tokens / total` (zeros for an empty budget).
    public var weights: [Double] {
        let t = Double(total)
        return tokens.map { t > 0 ? Double($0) / t : 0 }
    }

    /// Sequences of `predictedPerSequence` predicted tokens (context minus one) that hold `tokens`:
    /// `round(tokens / predictedPerSequence)`, within half a sequence of the request.
    public static func sequences(tokens: Int, predictedPerSequence t: Int) -> Int {
        precondition(t >= 1, "a sequence predicts at least one token")
        return Int((Double(tokens) / Double(t)).rounded())
    }

    /// ``sequences(tokens:predictedPerSequence:)`` per domain.
    public func sequences(predictedPerSequence t: Int) -> [Int] {
        tokens.map { Self.sequences(tokens: $0, predictedPerSequence: t) }
    }

    /// Optimizer steps of `batchSize` sequences: `floor(Σ sequences / batchSize)` (at most `batchSize - 1`
    /// sequences at the end of the stream are not trained on).
    public func steps(predictedPerSequence t: Int, batchSize: Int) -> Int {
        precondition(batchSize >= 1, "a batch holds at least one sequence")
        return sequences(predictedPerSequence: t).reduce(0, +) / batchSize
    }
}
