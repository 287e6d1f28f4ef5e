import Foundation
import Testing
import TestSupport
@testable import Transformer

/// The checkpoint layouts Hub users have (Fixtures/engine/{gpt2_padded,gpt2_sharded,gpt2_bin_only,bert_pretraining,
/// bert_model_only}, written by transformers in Fixtures/gen/engine_models.py `hub`). The loss and gradients of the
/// loadable ones are checked against PyTorch in `ModelFixtureTests`; here: what is ignored, refused and said.
struct HubLayoutTests {
    func copy(_ fixture: String) throws -> URL {
        let dir = try makeTemporaryDirectory("hub-layout").appendingPathComponent(fixture)
        try FileManager.default.copyItem(at: Fixture.url("engine/\(fixture)"), to: dir)
        return dir
    }

    func refusal(_ dir: URL) -> String {
        do { _ = try Checkpoint.load(dir); return "loaded" } catch { return "\(error)" }
    }

    /// BertForPreTraining: one warning naming the pooler and NSP tensors; the MLM weights load.
    @Test func bertForPreTrainingLoadsItsMaskedLMHead() throws {
        var warnings: [String] = []
        let model = try Checkpoint.load(Fixture.url("engine/bert_pretraining")) { warnings.append($0) }
        #expect(model is BertForMaskedLM)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("ignoring the pooler and next-sentence head of a BertForPreTraining checkpoint (4 "
                                         + "tensors: bert.pooler.dense.bias, bert.pooler.dense.weight, "
                                         + "cls.seq_relationship.bias, cls.seq_relationship.weight)") == true, "\(warnings)")
    }

    @Test func refusesWhatCannotBeUsed() throws {
        let bertModel = refusal(Fixture.url("engine/bert_model_only"))
        #expect(bertModel.hasSuffix("model.safetensors: a BertModel checkpoint has no masked-LM head (no cls.predictions.* "
                                    + "tensors); autoscale needs BertForMaskedLM or BertForPreTraining weights"), "\(bertModel)")
        let pickle = refusal(Fixture.url("engine/gpt2_bin_only"))
        #expect(pickle.hasSuffix("gpt2_bin_only: has PyTorch pickle weights only (pytorch_model.bin); autoscale reads "
                                 + "safetensors: save with save_pretrained(dir, safe_serialization=True)"), "\(pickle)")
        let empty = try copy("gpt2_bin_only")
        try FileManager.default.removeItem(at: empty.appendingPathComponent("pytorch_model.bin"))
        #expect(refusal(empty).hasSuffix("gpt2_bin_only: no model.safetensors or model.safetensors.index.json"))
    }

    /// A sharded folder: every shard read; a missing shard, a tensor the index maps elsewhere, a tensor missing
    /// from its shard are one line each naming the file.
    @Test func shardedIndexIsCheckedAgainstItsShards() throws {
        let good = try Checkpoint.weights(Fixture.url("engine/gpt2_sharded"))
        let map = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf:
            Fixture.url("engine/gpt2_sharded/model.safetensors.index.json"))) as? [String: Any])
        let weightMap = try #require(map["weight_map"] as? [String: String])
        #expect(Set(weightMap.values).count >= 2, "the fixture is sharded")
        #expect(Set(good.tensors.keys) == Set(weightMap.keys))
        func withIndex(_ edit: (inout [String: String]) -> Void) throws -> URL {
            let dir = try copy("gpt2_sharded")
            var m = weightMap
            edit(&m)
            try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": m])
                .write(to: dir.appendingPathComponent("model.safetensors.index.json"))
            return dir
        }
        let shards = Set(weightMap.values).sorted(), name = weightMap.keys.sorted()[0]
        let moved = try withIndex { $0[name] = shards.first { $0 != weightMap[name] }! }
        #expect(refusal(moved).contains("is not mapped to this shard") || refusal(moved).contains("has no tensor \"\(name)\""))
        let missing = try withIndex { $0[name] = "model-09-of-09.safetensors" }
        #expect(refusal(missing).contains("model-09-of-09.safetensors: shard named by model.safetensors.index.json is missing"))
        let unlisted = try withIndex { $0[name] = nil }
        #expect(refusal(unlisted).contains("tensor \"\(name)\" is not mapped to this shard"))
    }

    /// GPT-2 with an attention mask: all ones is the unmasked batch bit for bit; right padding labels the pads -100
    /// (and counts only real positions); left padding, a non-binary mask, a label at a pad are refused.
    @Test func gpt2AttentionMasks() throws {
        let model = try Checkpoint.load(Fixture.url("engine/gpt2_odd"))
        let plain = try ModelFixtureTests.batch("gpt2_odd")
        var ones = plain
        ones.attentionMask = [Int32](repeating: 1, count: plain.inputIDs.count)
        #expect(try model.loss(ones) == model.loss(plain))
        let T = plain.sequenceLength
        var padded = plain
        padded.labels = nil
        padded.attentionMask = (0..<plain.inputIDs.count).map { $0 / T == 1 && $0 % T >= 6 ? 0 : 1 }
        var explicit = plain
        explicit.labels = plain.inputIDs.enumerated().map { $0.offset / T == 1 && $0.offset % T >= 6 ? -100 : $0.element }
        #expect(try model.loss(padded) == model.loss(explicit))
        #expect(model.predictedPositions(in: padded) == [T - 1, 5, T - 1])
        func refused(_ b: TokenBatch) -> String {
            do { _ = try model.loss(b); return "accepted" } catch { return "\(error)" }
        }
        var left = plain
        left.attentionMask = (0..<plain.inputIDs.count).map { $0 / T == 0 && $0 % T < 2 ? 0 : 1 }
        #expect(refused(left).contains("attention_mask[0] is not right padding (a 1 after a 0)"), "\(refused(left))")
        var two = ones
        two.attentionMask![3] = 2
        #expect(refused(two).contains("attention_mask[0] has values other than 0 and 1"))
        var labelled = padded
        labelled.labels = plain.inputIDs
        #expect(refused(labelled).contains("labels[1][6] = \(plain.inputIDs[T + 6]) at a padded position"))
    }
}
