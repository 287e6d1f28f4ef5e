import Base
import Cluster
import Foundation
import Testing
@testable import Training
import Transformer

/// The data-parallel step of ``Trainer`` (``Trainer/communicator``) with ranks simulated by threads of this
/// process (`Cluster.ThreadCommunicator`), against the one-process trainer on the same global batches. The real
/// MPI path is tested end to end in EndToEndTests/DistributedCLITests.
@Suite struct DataParallelTests {
    /// Global batches of 4 rows x 9 tokens from ``RandomTokenSource``; rows 0-1 (rank 0's half with 2 ranks)
    /// have every third label ignored, so the ranks predict different token counts (12 vs 16 per micro-batch).
    final class UnevenSource: TrainingBatchSource {
        let inner = RandomTokenSource(vocab: 11, batch: 4, length: 9)
        func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
            var b = try inner.nextBatch(using: &rng)
            var labels = b.inputIDs
            for row in 0..<2 { for t in stride(from: 0, to: 9, by: 3) { labels[row * 9 + t] = -100 } }
            b.labels = labels
            return b
        }
        func checkpointState() throws -> Data { Data() }
        func restore(checkpointState: Data) throws {}
    }

    static func trainer(_ source: any TrainingBatchSource, steps: Int) throws -> (Trainer, BigramModel) {
        let model = BigramModel(vocab: 11, dim: 6, seed: 3)
        let t = try Trainer(model: model, data: source, optimizer: OptimizerConfig(weightDecay: 0.1, maxGradNorm: 0.5),
                            schedule: .wsd(peak: 0.05, warmup: 2, totalSteps: steps, cooldownFraction: 0.25),
                            config: TrainingConfig(steps: steps, accumulationSteps: 2, evaluationInterval: 0, seed: 42))
        t.progress.quiet = true
        return (t, model)
    }

    @Test func predictedTokensAndRowSlices() {
        let batch = TokenBatch(batchSize: 2, sequenceLength: 3, inputIDs: [1, 2, 3, 4, 5, 6], labels: [1, -100, 3, 4, 5, -100],
                               attentionMask: [1, 1, 1, 1, 1, 0], tokenTypeIDs: [0, 0, 0, 1, 1, 1])
        #expect(batch.labelledPositions(shifted: true) == [1, 1])    // positions 1..2 of each row: 3, 5
        #expect(batch.labelledPositions(shifted: false) == [2, 2])
        let row1 = Trainer._rows(batch, 1..<2)
        #expect(row1.batchSize == 1 && row1.inputIDs == [4, 5, 6] && row1.labels == [4, 5, -100])
        #expect(row1.attentionMask == [1, 1, 0] && row1.tokenTypeIDs == [1, 1, 1])
    }

    /// Two thread-ranks equal the one-process trainer: losses to 1e-6 relative, weights to 1e-6 absolute
    /// (only the float summation order differs), and the two ranks hold bit-identical weights.
    @Test func twoRanksEqualOneProcessWithUnevenTokenCounts() throws {
        let steps = 8
        let (single, singleModel) = try Self.trainer(UnevenSource(), steps: steps)
        let reference = try single.run()

        let outcomes = ThreadCommunicator.run(ranks: 2) { comm -> (TrainingSummary, [Float], Double) in
            let (t, m) = try Self.trainer(UnevenSource(), steps: steps)
            t.communicator = comm
            let s = try t.run()
            return (s, Array(m.parameters), t.communicationSeconds)
        }
        let r0 = try outcomes[0].get(), r1 = try outcomes[1].get()
        #expect(r0.1 == r1.1)
        #expect(r0.0.losses == r1.0.losses && r0.0.tokens == reference.tokens && r0.0.steps == steps)
        #expect(r0.2 > 0)
        for (a, b) in zip(reference.losses, r0.0.losses) { #expect(abs(a - b) <= 1e-6 * abs(a), "\(a) vs \(b)") }
        let w = Array(singleModel.parameters)
        #expect(zip(w, r0.1).map { abs($0 - $1) }.max()! <= 1e-6)
    }

    @Test func aBatchThatDoesNotSplitIsASharedError() throws {
        let group = ThreadCommunicator.Group(size: 2)
        let (t, _) = try Self.trainer(RandomTokenSource(vocab: 11, batch: 3, length: 8), steps: 8)
        t.communicator = ThreadCommunicator(rank: 0, group: group)
        #expect {
            try t.trainStep()
        } throws: { error in
            guard let e = error as? SharedError else { return false }
            return e.description.contains("a global batch of 3 sequences does not split over 2 ranks")
        }
    }
}
