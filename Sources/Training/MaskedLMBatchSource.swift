import Base
import Foundation
import Transformer

/// BERT's masked-LM training data: every batch drawn from `tokens` (any token-sequence source; its
/// labels are ignored) is masked afresh by ``DynamicMasking`` with the trainer's generator, so the
/// same sequences get new masks each time they come round (RoBERTa-style dynamic masking).
///
/// Deterministic: a batch is a function of the inner source's state and the generator only (the
/// inner source draws first, then the masking), and the checkpoint state is the inner source's, so
/// a resumed run (the trainer saves the generator) masks exactly as the uninterrupted one.
///
/// A batch in which no position happens to be selected (likely only for tiny batches: probability
/// 0.85^n for n eligible positions) would have no defined loss; then one eligible position, drawn
/// uniformly, is selected (and masked 80/10/10 as usual). A batch with no eligible position at all
/// is an error naming the batch.
public final class MaskedLMBatchSource: TrainingBatchSource {
    public let tokens: any TrainingBatchSource
    public let masking: DynamicMasking
    /// Batches served (for error messages; not part of the state, which is the inner source's).
    public private(set) var served = 0

    public init(tokens: any TrainingBatchSource, masking: DynamicMasking) {
        self.tokens = tokens; self.masking = masking
    }

    public func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        served += 1
        let raw = try tokens.nextBatch(using: &rng)
        var out = masking.apply(to: raw, using: &rng)
        guard var labels = out.labels, !labels.contains(where: { $0 != -100 }) else { return out }
        let eligible = raw.inputIDs.indices.filter { masking.isEligible(raw, at: $0) }
        guard let i = eligible.randomElement(using: &rng) else {
            throw TrainingError.data("masked-LM batch \(served): no maskable position (every token is special, padding "
                                     + "or masked out by the attention mask)")
        }
        masking._select(i, in: &out, labels: &labels, using: &rng)
        out.labels = labels
        return out
    }

    public func checkpointState() throws -> Data { try tokens.checkpointState() }

    public func restore(checkpointState: Data) throws { try tokens.restore(checkpointState: checkpointState) }
}
