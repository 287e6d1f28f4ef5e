import Foundation
import Testing
import TestSupport
@testable import Training
import Transformer

/// Fixtures/training/averaging.json (Fixtures/gen/training_averaging.py, torch AveragedModel).
struct AveragingFixture: Decodable {
    struct Window: Decodable { var step: Int; var average: [Float] }
    var count: Int, window: Int, interval: Int, ema_decay: Double
    var iterates: [[Float]]
    var swa_windows: [Window]
    var ema: [[Float]]
}

@Suite struct WeightAveragingTests {
    let fixture: AveragingFixture
    init() throws { fixture = try Fixture.json(AveragingFixture.self, "training/averaging.json") }

    /// Windowed SWA (h = 6, k = 2) over 24 iterates: each completed window's mean equals torch's
    /// AveragedModel to 1e-6 (Float running means of O(1) values; measured 2.4e-7), and no average exists
    /// before the first window closes.
    @Test func windowedSWAMatchesTorch() {
        let swa = WindowedAverage(parameterCount: fixture.count, window: fixture.window, interval: fixture.interval)
        var windows = fixture.swa_windows.makeIterator()
        for (i, p) in fixture.iterates.enumerated() {
            let n = i + 1
            p.withUnsafeBufferPointer { swa.observe($0, afterStep: n) }
            if n < fixture.window { #expect(!swa.hasAverage) }
            if n % fixture.window == 0 {
                let expected = windows.next()!
                #expect(expected.step == n && swa.completedAtStep == n)
                #expect(maxAbsDiff(swa.completed, expected.average) <= 1e-6, "window ending at \(n)")
            }
        }
        #expect(windows.next() == nil)
    }

    /// EMA (decay 0.9, first iterate copied) equals torch's EMA AveragedModel after every step to 1e-6 (measured 1.8e-7).
    @Test func emaMatchesTorch() {
        let ema = ExponentialAverage(parameterCount: fixture.count, decay: fixture.ema_decay)
        for (i, p) in fixture.iterates.enumerated() {
            p.withUnsafeBufferPointer { ema.observe($0) }
            #expect(maxAbsDiff(ema.average, fixture.ema[i]) <= 1e-6, "step \(i + 1)")
        }
    }

    /// Evaluating swapped-in weights gives the loss of a model holding those weights, and both
    /// buffers are restored exactly afterwards, also when the body throws.
    @Test func swapEvaluatesAndRestores() throws {
        let model = BigramModel(vocab: 7, dim: 3, seed: 1)
        let other = BigramModel(vocab: 7, dim: 3, seed: 2)
        let batch = TokenBatch(batchSize: 2, sequenceLength: 5, inputIDs: [1, 2, 3, 4, 5, 6, 0, 1, 2, 3])
        let original = Array(model.parameters)
        var weights = Array(other.parameters)
        let swapped = try withSwappedWeights(model, &weights) { try model.loss(batch) }
        #expect(swapped == (try other.loss(batch)))
        #expect(swapped != (try model.loss(batch)))
        #expect(Array(model.parameters) == original && weights == Array(other.parameters))
        struct Boom: Error {}
        #expect(throws: Boom.self) { try withSwappedWeights(model, &weights) { throw Boom() } }
        #expect(Array(model.parameters) == original && weights == Array(other.parameters))
    }

    @Test func configValidation() {
        #expect(throws: TrainingError.self) { try AveragingConfig(swaWindow: 10, swaInterval: 3).validate() }
        #expect(throws: TrainingError.self) { try AveragingConfig(emaDecay: 1).validate() }
        #expect(throws: Never.self) { try AveragingConfig(swaWindow: 10, swaInterval: 5, emaDecay: 0.99).validate() }
    }
}
