import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

@Suite struct CheckpointTests {
    /// The checkpoint's safetensors reader reads a file written by the `safetensors` library
    /// (Fixtures/gen/training_safetensors.py) exactly, metadata included.
    @Test func readsReferenceSafetensors() throws {
        struct Entry: Decodable { var shape: [Int]; var values: [Float] }
        let expected = try Fixture.json([String: Entry].self, "training/reference_state.json")
        let file = try _TensorFile.read(Fixture.url("training/reference_state.safetensors"))
        #expect(file.metadata == ["step": "7"])
        #expect(Set(file.tensors.keys) == Set(expected.keys))
        for (name, e) in expected {
            #expect(file.tensors[name]?.shape == e.shape)
            #expect(file.tensors[name]?.values == e.values)
        }
    }

    /// Written files read back bit for bit; the header is 8-byte aligned as the format asks.
    @Test func roundTrip() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("x.safetensors")
        let a: [Float] = [1, -2.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0, .pi]
        try _TensorFile.write([("a", [2, 3], a), ("empty", [0], []), ("b", [1], [7])], metadata: ["k": "v"], to: url)
        let data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0 && data.count == 8 + headerLength + 4 * 7)
        let back = try _TensorFile.read(url)
        #expect(back.tensors["a"]!.values.map(\.bitPattern) == a.map(\.bitPattern))
        #expect(back.tensors["a"]!.shape == [2, 3] && back.tensors["empty"]!.values.isEmpty)
        #expect(back.tensors["b"]!.values == [7] && back.metadata == ["k": "v"])
    }

    /// Truncated and malformed files fail with one line naming the file and the problem.
    @Test func rejectsBrokenFiles() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("x.safetensors")
        try _TensorFile.write([("a", [4], [1, 2, 3, 4])], metadata: [:], to: url)
        let good = try Data(contentsOf: url)
        func reason(_ bytes: Data) -> String {
            try? bytes.write(to: url)
            do { _ = try _TensorFile.read(url); return "accepted" } catch { return "\(error)" }
        }
        #expect(reason(good.prefix(good.count - 1)).contains("tensor \"a\" ends at byte 16 but the data has 15 bytes: truncated"))
        #expect(reason(good.prefix(5)).contains("5 bytes, shorter than the 8-byte header length"))
        #expect(reason(good.prefix(20)).contains("runs past the end of the file (20 bytes): truncated"))
        var garbage = good
        garbage[9] = UInt8(ascii: "!")
        #expect(reason(garbage).contains("header is not a JSON object"))
        let i32 = String(decoding: good, as: UTF8.self).replacingOccurrences(of: "F32", with: "I32")
        #expect(reason(Data(i32.utf8)).contains("unsupported dtype I32"))
        #expect(reason(good.prefix(3)).hasPrefix("checkpoint \(url.path): "))
        #expect(!reason(good.prefix(3)).contains("\n"))
    }

    /// A checkpoint holds the documented files, and restoring into a model of another shape, from a
    /// damaged checkpoint, or with another optimizer configuration fails clearly.
    @Test func layoutAndMismatches() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (t, _) = try makeTrainer(steps: 4, averaging: AveragingConfig(emaDecay: 0.9))
        _ = try t.run()
        let ckpt = dir.url.appendingPathComponent("ckpt")
        try t.saveCheckpoint(to: ckpt)
        try t.saveCheckpoint(to: ckpt)  // replacing an existing checkpoint works
        let files = try FileManager.default.contentsOfDirectory(atPath: ckpt.path).sorted()
        #expect(files == ["model", "optimizer.safetensors", "trainer_state.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["ckpt"])
        let opt = try _TensorFile.read(ckpt.appendingPathComponent("optimizer.safetensors"))
        #expect(Set(opt.tensors.keys) == ["exp_avg", "exp_avg_sq", "ema"] && opt.metadata["step"] == "4")

        let small = BigramModel(vocab: 5, dim: 6, seed: 1)
        let other = try Trainer(model: small, data: RandomTokenSource(vocab: 5, batch: 1, length: 4),
                                optimizer: OptimizerConfig(weightDecay: 0.1), schedule: t.schedule,
                                config: t.config)
        #expect { try other.restoreCheckpoint(from: ckpt) } throws: {
            "\($0)".contains("another parameter layout")
        }
        let (noEMA, _) = try makeTrainer(steps: 4)
        #expect(throws: TrainingError.self) { try noEMA.restoreCheckpoint(from: ckpt) }

        var config = t.optimizer.config
        config.weightDecay = 0.2
        let (same, sameModel) = try makeTrainer(steps: 4, averaging: AveragingConfig(emaDecay: 0.9))
        let differentOptimizer = try Trainer(model: sameModel, data: same.data, optimizer: config,
                                             schedule: same.schedule, config: same.config)
        #expect { try differentOptimizer.restoreCheckpoint(from: ckpt) } throws: {
            "\($0)".contains("another optimizer configuration")
        }

        let optURL = ckpt.appendingPathComponent("optimizer.safetensors")
        let bytes = try Data(contentsOf: optURL)
        try bytes.prefix(bytes.count - 8).write(to: optURL)
        #expect { try same.restoreCheckpoint(from: ckpt) } throws: { "\($0)".contains("truncated") }
        #expect(same.step == 0, "a failed restore leaves the trainer untouched")
    }

    /// 64-bit values (seed, RNG words) survive the JSON state exactly.
    @Test func largeSeedRoundTrips() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let seed = UInt64.max - 12_345
        let (a, _) = try makeTrainer(steps: 4, seed: seed)
        try a.trainStep()
        try a.saveCheckpoint(to: dir.url.appendingPathComponent("c"))
        let (b, _) = try makeTrainer(steps: 4, seed: seed)
        try b.restoreCheckpoint(from: dir.url.appendingPathComponent("c"))
        #expect(b.rng == a.rng && b.config.seed == seed && b.step == 1)
        #expect(try b.trainStep().loss == (try a.trainStep()).loss)
    }

    /// The default weight store writes one `parameters` tensor that restores bit for bit.
    @Test func flatWeightsStore() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let a = BigramModel(vocab: 7, dim: 4, seed: 5), b = BigramModel(vocab: 7, dim: 4, seed: 6)
        try FlatWeightsStore().saveWeights(of: a, to: dir.url)
        try FlatWeightsStore().loadWeights(into: b, from: dir.url)
        #expect(Array(a.parameters) == Array(b.parameters))
        let c = BigramModel(vocab: 8, dim: 4, seed: 6)
        #expect(throws: TrainingError.self) { try FlatWeightsStore().loadWeights(into: c, from: dir.url) }
    }
}
