import Base
import Testing
import Training
import Transformer

/// BERT dynamic masking: exact invariants (special, pad and masked-out positions never selected;
/// labels = original id where selected, -100 elsewhere; unselected inputs unchanged), the 15% and
/// 80/10/10 proportions within 5 standard deviations of a binomial count, and determinism in the seed.
struct DynamicMaskingTests {
    static let V = 1000, B = 64, T = 512
    static let cls: Int32 = 1, sep: Int32 = 2, mask: Int32 = 3, pad: Int32 = 0

    /// Rows [CLS] ... [SEP] [PAD]*, row b has `b` pads (attention mask 0 there).
    static func batch() -> TokenBatch {
        var rng = TrainingRNG(seed: 99)
        var ids: [Int32] = [], attention: [Int32] = []
        for b in 0..<B {
            let real = T - b
            for t in 0..<T {
                let id: Int32 = t >= real ? pad : t == 0 ? cls : t == real - 1 ? sep : Int32(4 + rng.below(V - 4))
                ids.append(id); attention.append(t < real ? 1 : 0)
            }
        }
        return TokenBatch(batchSize: B, sequenceLength: T, inputIDs: ids, attentionMask: attention)
    }

    static func masking() throws -> DynamicMasking {
        try DynamicMasking(maskTokenID: mask, vocabSize: V, padTokenID: pad, specialTokenIDs: [cls, sep, mask])
    }

    /// `|count - n p| <= 5 sqrt(n p (1 - p))`.
    func withinFiveSigma(_ count: Int, _ n: Int, _ p: Double) -> Bool {
        abs(Double(count) - Double(n) * p) <= 5 * (Double(n) * p * (1 - p)).squareRoot()
    }

    @Test func invariantsAndProportions() throws {
        let input = Self.batch()
        var rng = TrainingRNG(seed: 7)
        let out = try Self.masking().apply(to: input, using: &rng)
        let labels = try #require(out.labels)
        var eligible = 0, selected = 0, masked = 0, replaced = 0, kept = 0
        for i in input.inputIDs.indices {
            let id = input.inputIDs[i]
            let isEligible = id != Self.cls && id != Self.sep && id != Self.pad
            if isEligible { eligible += 1 }
            if labels[i] == -100 {
                #expect(out.inputIDs[i] == id)
                continue
            }
            #expect(isEligible, "selected a special or pad position \(i)")
            #expect(labels[i] == id)
            selected += 1
            let o = out.inputIDs[i]
            #expect((0..<Int32(Self.V)).contains(o))
            if o == Self.mask { masked += 1 } else if o == id { kept += 1 } else { replaced += 1 }
        }
        #expect(out.attentionMask == input.attentionMask)
        #expect(eligible == Self.B * (Self.T - 2) - (0..<Self.B).reduce(0, +))
        #expect(withinFiveSigma(selected, eligible, 0.15), "selected \(selected) of \(eligible)")
        // A random draw equals the original id (counted as kept) or [MASK] (counted as masked) with
        // probability 1/V each: the expected fractions include those terms.
        let pr = 0.1 * (1 - 2.0 / Double(Self.V))
        #expect(withinFiveSigma(masked, selected, 0.8 + 0.1 / Double(Self.V)), "masked \(masked) of \(selected)")
        #expect(withinFiveSigma(replaced, selected, pr), "replaced \(replaced) of \(selected)")
        #expect(withinFiveSigma(kept, selected, 0.1 + 0.1 / Double(Self.V)), "kept \(kept) of \(selected)")
    }

    @Test func deterministicInTheSeed() throws {
        let input = Self.batch(), m = try Self.masking()
        var a = TrainingRNG(seed: 5), b = TrainingRNG(seed: 5), c = TrainingRNG(seed: 6)
        let x = m.apply(to: input, using: &a), y = m.apply(to: input, using: &b), z = m.apply(to: input, using: &c)
        #expect(x.inputIDs == y.inputIDs && x.labels == y.labels)
        #expect(x.labels != z.labels)
        // Fresh masks per call: the generator advances, so the next batch is masked differently.
        let x2 = m.apply(to: input, using: &a)
        #expect(x2.labels != x.labels)
    }

    @Test func rejectsBadConfiguration() {
        #expect(throws: TrainingError.self) { try DynamicMasking(maskTokenID: 10, vocabSize: 10) }
        #expect(throws: TrainingError.self) { try DynamicMasking(maskTokenID: 3, vocabSize: 10, selectProbability: 1.5) }
    }
}
