import Foundation
import Transformer

/// The held-out loss of one evaluation set.
public struct EvaluationResult: Sendable, Equatable {
    public var name: String
    /// Mean loss over the set's batches, each weighted by its `batchSize * sequenceLength` tokens
    /// (the plain mean of batch losses when all batches have one shape); a batch with explicit labels (a masked
    /// LM's) by its labelled positions (``LanguageModel/predictedPositions(in:)``), so the mean is per masked token.
    public var meanLoss: Double
    /// `exp(meanLoss)`.
    public var perplexity: Double { Foundation.exp(meanLoss) }
    public var batches: Int
    public var tokens: Int
}

/// Evaluates `model` (forward only) on every batch of `set`.
public func evaluate(_ model: any LanguageModel, on set: EvaluationSet) throws -> EvaluationResult {
    var weighted = 0.0, tokens = 0, batches = 0
    try set.source.forEachEvaluationBatch { b in
        let n = b.labels == nil ? b.batchSize * b.sequenceLength : model.predictedPositions(in: b).reduce(0, +)
        weighted += Double(try model.loss(b)) * Double(n)
        tokens += n; batches += 1
    }
    guard tokens > 0 else { throw TrainingError.data("evaluation set '\(set.name)' has no tokens") }
    return EvaluationResult(name: set.name, meanLoss: weighted / Double(tokens), batches: batches, tokens: tokens)
}
