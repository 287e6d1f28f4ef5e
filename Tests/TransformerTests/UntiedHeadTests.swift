import Foundation
import Testing
import TestSupport
@testable import Transformer

/// GPT-2 with `tie_word_embeddings: false` (issue 18): `lm_head.weight` is its own (V, C) parameter. Against the
/// tied model on the same weights with `lm_head = wte`: the loss is bit-identical, every other gradient is
/// bit-identical, and the two head gradients add up to the tied `wte` gradient (to 1e-6 of its largest entry:
/// the tied sum adds the head and embedding parts in one buffer, Float rounding). PyTorch's own untied model is
/// `ModelFixtureTests`' `gpt2_untied` case.
struct UntiedHeadTests {
    static func models() throws -> (tied: GPT2LMHeadModel, untied: GPT2LMHeadModel, batch: TokenBatch) {
        let tied = try Checkpoint.loadGPT2(Fixture.url("engine/gpt2_odd"))
        var c = tied.config
        c.tieWordEmbeddings = false
        let untied = try GPT2LMHeadModel(config: c, seed: 1)
        let byName = Dictionary(uniqueKeysWithValues: tied.parameterSpecs.map { ($0.name, $0) })
        for s in untied.parameterSpecs {
            let src = try #require(byName[s.name == "lm_head.weight" ? "transformer.wte.weight" : s.name], "\(s.name)")
            for i in 0..<s.count { untied.parameters[s.offset + i] = tied.parameters[src.offset + i] }
        }
        return (tied, untied, try ModelFixtureTests.batch("gpt2_odd"))
    }

    static func tensor(_ m: GPT2LMHeadModel, _ name: String, grad: Bool = true) -> [Float] {
        let s = m.parameterSpecs.first { $0.name == name }!
        return Array((grad ? m.gradients : m.parameters)[s.offset..<(s.offset + s.count)])
    }

    @Test func untiedWithHeadEqualToWteSplitsTheTiedGradient() throws {
        let (tied, untied, batch) = try Self.models()
        #expect(untied.parameterSpecs.count == tied.parameterSpecs.count + 1)
        #expect(untied.parameterSpecs.contains { $0.name == "lm_head.weight" && $0.shape == [53, 30] && $0.decay })
        let lt = try tied.forwardBackward(batch, lossScale: 1), lu = try untied.forwardBackward(batch, lossScale: 1)
        #expect(lt == lu && lt.isFinite, "tied \(lt) untied \(lu)")
        for s in tied.parameterSpecs where s.name != "transformer.wte.weight" {
            #expect(Self.tensor(tied, s.name) == Self.tensor(untied, s.name), "\(s.name)")
        }
        let wteT = Self.tensor(tied, "transformer.wte.weight")
        let sum = zip(Self.tensor(untied, "transformer.wte.weight"), Self.tensor(untied, "lm_head.weight")).map { $0 + $1 }
        let scale = Double(wteT.map { abs($0) }.max()!)
        #expect(scale > 0 && maxAbsDiff(sum, wteT) <= 1e-6 * scale, "\(maxAbsDiff(sum, wteT)) of \(scale)")
        // The head part is not zero (the split is real): the embedding part alone differs from the tied gradient.
        #expect(maxAbsDiff(Self.tensor(untied, "transformer.wte.weight"), wteT) > 1e-3 * scale)
    }

    /// Save writes `lm_head.weight` and `tie_word_embeddings: false`; loading gives the same bits and loss; a few
    /// gradient steps on the untied model (both heads move) lower the loss.
    @Test func saveLoadRoundTripAndTraining() throws {
        let (_, untied, batch) = try Self.models()
        let lr: Float = 0.05
        let first = try untied.loss(batch)
        for _ in 0..<5 {
            for i in untied.gradients.indices { untied.gradients[i] = 0 }
            _ = try untied.forwardBackward(batch, lossScale: 1)
            for i in untied.parameters.indices { untied.parameters[i] -= lr * untied.gradients[i] }
        }
        let trained = try untied.loss(batch)
        #expect(trained < first - 0.01, "loss \(first) -> \(trained)")
        #expect(Self.tensor(untied, "lm_head.weight", grad: false) != Self.tensor(untied, "transformer.wte.weight", grad: false))
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(untied, to: dir)
        let saved = try SafeTensors.read(dir.appendingPathComponent("model.safetensors")).tensors
        #expect(saved["lm_head.weight"]?.shape == [53, 30])
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(config["tie_word_embeddings"] as? Bool == false)
        let back = try Checkpoint.loadGPT2(dir)
        #expect(!back.config.tieWordEmbeddings && back.parameterSpecs.map(\.name) == untied.parameterSpecs.map(\.name))
        #expect(Array(back.parameters) == Array(untied.parameters))
        #expect(try back.loss(batch) == trained)
        // An untied folder without its head is refused (the head is a parameter, not an ignored copy).
        var noHead = saved
        noHead["lm_head.weight"] = nil
        try SafeTensors.write(noHead.map { (name: $0.key, tensor: $0.value) }.sorted { $0.name < $1.name }, to: dir.appendingPathComponent("model.safetensors"))
        #expect(throws: ModelError.self) { try Checkpoint.loadGPT2(dir) }
    }
}
