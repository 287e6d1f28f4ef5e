import Foundation

/// The ``LanguageModel`` members shared by the concrete models: a flat Float parameter store
/// and the core's forward(+backward) pass.
///
/// Public for a technical reason only (hence the `_`): the public classes ``GPT2LMHeadModel`` and
/// ``BertForMaskedLM`` inherit from it, and a public class needs a public superclass.
public class _CoreBackedModel: LanguageModel {
    let params: ParameterStore<Float>
    private let runCore: (TokenBatch, Float?) throws -> Float
    private let flops: () -> Double

    init(params: ParameterStore<Float>, predictsNextToken: Bool, run: @escaping (TokenBatch, Float?) throws -> Float,
         flops: @escaping () -> Double) {
        self.params = params; self.predictsNextToken = predictsNextToken; self.runCore = run; self.flops = flops
    }
    public var parameterSpecs: [ParameterSpec] { params.specs }
    public var parameters: UnsafeMutableBufferPointer<Float> { params.values.buffer }
    public var gradients: UnsafeMutableBufferPointer<Float> { params.grads.buffer }
    public func forwardBackward(_ batch: TokenBatch, lossScale: Float) throws -> Float { try runCore(batch, lossScale) }
    public func loss(_ batch: TokenBatch) throws -> Float { try runCore(batch, nil) }
    public var trainingFLOPsPerToken: Double { flops() }
    /// Next-token models (GPT-2) have no target at a row's first position; a masked LM (BERT) predicts every
    /// labelled position.
    let predictsNextToken: Bool
    public func predictedPositions(in batch: TokenBatch) -> [Int] {
        guard predictsNextToken, let unpadded = try? GPT2Core<Float>.unpadded(batch) else {
            return batch.labelledPositions(shifted: predictsNextToken)
        }
        return unpadded.labelledPositions(shifted: true)
    }
}

/// A GPT-2 language model with the semantics of Hugging Face `GPT2LMHeadModel` (Float, for training).
public final class GPT2LMHeadModel: _CoreBackedModel {
    let core: GPT2Core<Float>
    /// Fields of the `config.json` this model was loaded from, kept when saving.
    var configBase: JSONObject = [:]
    public var config: GPT2Config { core.config }

    /// A model with GPT-2's random initialization, deterministic in `seed`.
    public init(config: GPT2Config, seed: UInt64 = 0) throws {
        let core = try GPT2Core<Float>(config: config)
        core.initialize(seed: seed)
        self.core = core
        super.init(params: core.params, predictsNextToken: true, run: { try core.run($0, lossScale: $1) },
                   flops: { core.trainingFLOPsPerToken(sequenceLength: config.nPositions) })
    }

    /// `3 x (2·matrix params + 2·C·V + 4·L·C·k̄)` FLOPs per token at sequence length T (k̄: keys per
    /// query in the causal block GEMMs, `(T+64)/2` for T a multiple of 64).
    public func trainingFLOPsPerToken(sequenceLength: Int) -> Double {
        core.trainingFLOPsPerToken(sequenceLength: sequenceLength)
    }

    /// Forward only: every position's loss (B, T) of predicting the next token, `.nan` where there is no
    /// target (the last position, label -100, padding). DoReMi's per-token losses.
    public func tokenLosses(_ batch: TokenBatch) throws -> [Float] { try core.tokenLosses(batch) }

}

/// A BERT masked-LM with the semantics of Hugging Face `BertForMaskedLM` (Float, for training).
public final class BertForMaskedLM: _CoreBackedModel {
    let core: BertCore<Float>
    var configBase: JSONObject = [:]
    public var config: BertConfig { core.config }

    /// A model with BERT's random initialization, deterministic in `seed`.
    public init(config: BertConfig, seed: UInt64 = 0) throws {
        let core = try BertCore<Float>(config: config)
        core.initialize(seed: seed)
        self.core = core
        super.init(params: core.params, predictsNextToken: false, run: { try core.run($0, lossScale: $1) },
                   flops: { core.trainingFLOPsPerToken(sequenceLength: config.maxPositionEmbeddings) })
    }

    public func trainingFLOPsPerToken(sequenceLength: Int, maskedFraction: Double = 0.15) -> Double {
        core.trainingFLOPsPerToken(sequenceLength: sequenceLength, maskedFraction: maskedFraction)
    }

}
