import Base
import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// Held-out batches drawn once from their own seed.
func heldOut(seed: UInt64, batches: Int, vocab: Int = 11) throws -> ArrayBatchSource {
    let src = RandomTokenSource(vocab: vocab, batch: 2, length: 9)
    var rng = TrainingRNG(seed: seed)
    return try ArrayBatchSource((0..<batches).map { _ in try src.nextBatch(using: &rng) })
}

/// A bigram model on random-pattern batches with two evaluation sets; `modelSeed` sets the
/// initial weights (restored checkpoints overwrite them).
func makeTrainer(steps: Int, seed: UInt64 = 42, modelSeed: UInt64 = 3, schedule: Schedule? = nil,
                 checkpoints: URL? = nil, checkpointInterval: Int = 0, averaging: AveragingConfig = .init(),
                 evaluationInterval: Int = 4) throws -> (Trainer, BigramModel) {
    let model = BigramModel(vocab: 11, dim: 6, seed: modelSeed)
    let trainer = try Trainer(
        model: model, data: RandomTokenSource(vocab: 11, batch: 3, length: 8),
        optimizer: OptimizerConfig(weightDecay: 0.1, maxGradNorm: 1.0),
        schedule: schedule ?? .wsd(peak: 0.02, warmup: 2, totalSteps: steps, cooldownFraction: 0.25),
        config: TrainingConfig(steps: steps, accumulationSteps: 2, evaluationInterval: evaluationInterval,
                               checkpointInterval: checkpointInterval, checkpointDirectory: checkpoints?.path,
                               seed: seed, averaging: averaging),
        evaluationSets: [EvaluationSet(name: "web", source: try heldOut(seed: 100, batches: 3)),
                         EvaluationSet(name: "code", source: try heldOut(seed: 200, batches: 2))])
    trainer.progress.quiet = true
    return (trainer, model)
}

/// Drops the last (wall-clock) column group `tokens_per_s` from every CSV line.
func csvWithoutThroughput(_ url: URL) throws -> [[String]] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    guard let i = lines.first?.firstIndex(of: "tokens_per_s") else { return lines }
    return lines.map { var l = $0; l.remove(at: i); return l }
}

/// A model whose losses follow a script (then the wrapped bigram's), to drive the divergence guard.
final class ScriptedLossModel: LanguageModel {
    let inner = BigramModel(vocab: 5, dim: 2, seed: 9)
    var script: [Float]
    var calls = 0
    init(_ script: [Float]) { self.script = script }
    var parameterSpecs: [ParameterSpec] { inner.parameterSpecs }
    var parameters: UnsafeMutableBufferPointer<Float> { inner.parameters }
    var gradients: UnsafeMutableBufferPointer<Float> { inner.gradients }
    var trainingFLOPsPerToken: Double { inner.trainingFLOPsPerToken }
    func forwardBackward(_ batch: TokenBatch, lossScale: Float) throws -> Float {
        let l = try inner.forwardBackward(batch, lossScale: lossScale)
        defer { calls += 1 }
        return calls < script.count ? script[calls] : l
    }
    func loss(_ batch: TokenBatch) throws -> Float { try inner.loss(batch) }
    func predictedPositions(in batch: TokenBatch) -> [Int] { inner.predictedPositions(in: batch) }
}
