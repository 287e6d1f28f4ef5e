import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// Consistency of the benchmark report (no timing thresholds: speed is `make bench`'s job).
@Suite struct BenchmarkTests {
    @Test func reportIsConsistent() throws {
        let model = BigramModel(vocab: 11, dim: 6, seed: 1)
        let batch = TokenBatch(batchSize: 2, sequenceLength: 6, inputIDs: (0..<12).map { Int32($0 % 11) })
        let before = Array(model.parameters)
        let r = try TrainingBenchmark.measure(model: model, batch: batch, steps: 3, warmup: 1)
        #expect(r.steps == 3 && r.warmupSteps == 1 && r.tokensPerStep == 12)
        #expect(r.secondsPerStep > 0 && abs(r.tokensPerSecond * r.secondsPerStep - 12) < 1e-9)
        #expect(abs(r.gflops - r.tokensPerSecond * model.trainingFLOPsPerToken / 1e9) <= 1e-12 * r.gflops)
        #expect(r.sgemmPeakGFLOPs > 0 && abs(r.peakFraction - r.gflops / r.sgemmPeakGFLOPs) <= 1e-12)
        #expect(r.optimizerStateBytes == 16 * model.parameters.count)
        #expect(r.peakResidentBytes.map { $0 > r.optimizerStateBytes } ?? true)
        #expect(Array(model.parameters) != before, "the benchmark trains")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        #expect(json["tokens_per_s"] is Double && json["gflops"] is Double && json["peak_fraction"] is Double)
    }

    @Test func closureStoreIsUsedByCheckpoints() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        final class Calls: @unchecked Sendable { var saved = 0, loaded = 0 }
        let calls = Calls()
        let (t, _) = try makeTrainer(steps: 4)
        t.weightsStore = ClosureWeightsStore(
            save: { m, d in calls.saved += 1; try FlatWeightsStore().saveWeights(of: m, to: d) },
            load: { m, d in calls.loaded += 1; try FlatWeightsStore().loadWeights(into: m, from: d) })
        _ = try t.run()
        try t.saveCheckpoint(to: dir.url.appendingPathComponent("c"))
        try t.restoreCheckpoint(from: dir.url.appendingPathComponent("c"))
        #expect(calls.saved == 1 && calls.loaded == 1)
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("c/model/model.safetensors").path))
    }
}
