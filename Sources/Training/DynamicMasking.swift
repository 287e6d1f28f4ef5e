import Base
import Transformer

/// BERT's dynamic masking (Devlin et al.; as `transformers.DataCollatorForLanguageModeling`), applied
/// afresh to every batch the trainer draws.
///
/// Every eligible position (token not in ``specialTokenIDs``, not ``padTokenID``, attention mask not 0)
/// is selected independently with probability ``selectProbability`` (0.15). A selected position gets
/// label = its original id and its input becomes ``maskTokenID`` with probability 0.8, a token drawn
/// uniformly from `0..<vocabSize` with probability 0.1 (it may equal the original, as in HF), and stays
/// unchanged with probability 0.1. Every other position gets label -100 and keeps its input.
/// Deterministic in the generator, on every platform and Swift version (Base's own ``SeededRandomGenerator/unit()``
/// and ``SeededRandomGenerator/below(_:)``, not the standard library's `random(in:using:)`): the draws are, per
/// position in row-major order, one uniform Double for selection and, if selected, one for the 80/10/10 choice and one id when random.
public struct DynamicMasking: Sendable, Equatable {
    public var maskTokenID: Int32
    public var vocabSize: Int
    public var padTokenID: Int32?
    /// Never selected ([CLS], [SEP], [MASK], ...; the pad id need not be listed).
    public var specialTokenIDs: Set<Int32>
    public var selectProbability: Double

    public init(maskTokenID: Int32, vocabSize: Int, padTokenID: Int32? = nil, specialTokenIDs: Set<Int32> = [],
                selectProbability: Double = 0.15) throws {
        guard vocabSize > 0, (0..<Int32(clamping: vocabSize)).contains(maskTokenID) else {
            throw TrainingError.invalidConfiguration(field: "mask_token_id",
                                                     reason: "must be in 0..<\(vocabSize), got \(maskTokenID)")
        }
        guard selectProbability >= 0, selectProbability <= 1 else {
            throw TrainingError.invalidConfiguration(field: "mlm_probability",
                                                     reason: "must be in [0, 1], got \(selectProbability)")
        }
        self.maskTokenID = maskTokenID; self.vocabSize = vocabSize; self.padTokenID = padTokenID
        self.specialTokenIDs = specialTokenIDs; self.selectProbability = selectProbability
    }

    /// `batch` with masked inputs and MLM labels (any labels it had are replaced).
    public func apply(to batch: TokenBatch, using rng: inout TrainingRNG) -> TokenBatch {
        var out = batch
        var labels = [Int32](repeating: -100, count: batch.inputIDs.count)
        for i in batch.inputIDs.indices where isEligible(batch, at: i) {
            guard rng.unit() < selectProbability else { continue }
            _select(i, in: &out, labels: &labels, using: &rng)
        }
        out.labels = labels
        return out
    }

    /// Whether position `i` may be selected: not a special or pad token, attention mask not 0.
    public func isEligible(_ batch: TokenBatch, at i: Int) -> Bool {
        let id = batch.inputIDs[i]
        return !(specialTokenIDs.contains(id) || id == padTokenID || batch.attentionMask?[i] == 0)
    }

    /// Selects position `i`: label = its id; input -> [MASK] (0.8), a uniform random id (0.1), or kept (0.1).
    func _select(_ i: Int, in out: inout TokenBatch, labels: inout [Int32], using rng: inout TrainingRNG) {
        labels[i] = out.inputIDs[i]
        let u = rng.unit()
        if u < 0.8 {
            out.inputIDs[i] = maskTokenID
        } else if u < 0.9 {
            out.inputIDs[i] = Int32(rng.below(vocabSize))
        }
    }
}
