/// The contract between the models (this layer) and the trainer (`Training`).
///
/// A model keeps all of its parameters in one flat `Float` buffer and its gradients in a
/// second buffer of the same length; ``ParameterSpec`` names the views (Hugging Face names).

/// One named tensor inside the flat parameter buffer.
public struct ParameterSpec: Sendable, Equatable {
    /// The Hugging Face parameter name (e.g. `transformer.h.0.attn.c_attn.weight`).
    public var name: String
    /// Shape as stored in the checkpoint (HF layout; GPT-2 Conv1D weights are `[in, out]`).
    public var shape: [Int]
    /// First element in the flat buffer.
    public var offset: Int
    /// Whether AdamW applies weight decay to it by default (matrices yes; biases, LayerNorm, embeddings no).
    public var decay: Bool

    public init(name: String, shape: [Int], offset: Int, decay: Bool) {
        self.name = name; self.shape = shape; self.offset = offset; self.decay = decay
    }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// A batch of `batchSize x sequenceLength` token ids, row-major.
public struct TokenBatch: Sendable {
    public var batchSize: Int
    public var sequenceLength: Int
    public var inputIDs: [Int32]
    /// Targets; `-100` is ignored. GPT-2 shifts them inside (as `GPT2LMHeadModel`); `nil` means `inputIDs`.
    public var labels: [Int32]?
    /// BERT: 1 for real tokens, 0 for padding. `nil` means all ones.
    public var attentionMask: [Int32]?
    /// BERT: segment ids. `nil` means all zeros.
    public var tokenTypeIDs: [Int32]?
    /// GPT-2: one loss weight per sequence (B), finite and >= 0; the loss is then the weighted mean
    /// `sum_n w_b(n) loss_n / sum_n w_b(n)` over the predicted positions (DoReMi's reweighted objective).
    /// `nil`: the plain mean (no extra work). BERT refuses them.
    public var lossWeights: [Float]?

    public init(batchSize: Int, sequenceLength: Int, inputIDs: [Int32], labels: [Int32]? = nil,
                attentionMask: [Int32]? = nil, tokenTypeIDs: [Int32]? = nil, lossWeights: [Float]? = nil) {
        self.batchSize = batchSize; self.sequenceLength = sequenceLength; self.inputIDs = inputIDs
        self.labels = labels; self.attentionMask = attentionMask; self.tokenTypeIDs = tokenTypeIDs
        self.lossWeights = lossWeights
    }
}

/// A model the trainer can optimize: flat parameters, flat gradients, loss and its gradient.
public protocol LanguageModel: AnyObject {
    /// The named views into ``parameters`` (and, at the same offsets, ``gradients``).
    var parameterSpecs: [ParameterSpec] { get }
    /// All parameters, contiguous.
    var parameters: UnsafeMutableBufferPointer<Float> { get }
    /// Gradients, same layout as ``parameters``. ``forwardBackward(_:lossScale:)`` adds to them;
    /// the trainer zeroes them between optimizer steps (gradient accumulation sums micro-batches).
    var gradients: UnsafeMutableBufferPointer<Float> { get }
    /// Runs forward and backward on `batch`, adds `lossScale * d(loss)/d(params)` to ``gradients``,
    /// and returns the mean loss of the batch (unscaled).
    func forwardBackward(_ batch: TokenBatch, lossScale: Float) throws -> Float
    /// Forward only: the mean loss of the batch.
    func loss(_ batch: TokenBatch) throws -> Float
    /// Floating-point operations of one training step (forward + backward) per token, for reporting GFLOP/s.
    var trainingFLOPsPerToken: Double { get }
    /// The number of positions of each row of `batch` whose loss counts (the model's predicted tokens): for a
    /// next-token model (GPT-2) the labels after the first position that are not -100, for a masked LM (BERT)
    /// every label that is not -100. The trainer counts its tokens with it and weights ranks' losses by it.
    func predictedPositions(in batch: TokenBatch) -> [Int]
}

extension TokenBatch {
    /// Per row, the labels (default: the inputs) other than -100, from position `shifted ? 1 : 0` on (a
    /// next-token model has no target for its first position): ``LanguageModel/predictedPositions(in:)``.
    public func labelledPositions(shifted: Bool) -> [Int] {
        let labels = self.labels ?? inputIDs, t = sequenceLength
        return (0..<batchSize).map { row in
            var count = 0
            for i in (shifted ? 1 : 0)..<t where labels[row * t + i] != -100 { count += 1 }
            return count
        }
    }
}
