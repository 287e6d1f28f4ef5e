import Base
import Corpus
import Foundation
import Testing
import TestSupport
import Training
@testable import DataMixing
import Proxies

/// The proxy's training batches are the mixture sampler's sequences in stream order, B at a time, and
/// a checkpointed cursor resumes exactly.
struct MixtureBatchSourceTests {
    @Test func batchesFollowTheSamplerAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mbs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var shards: [TokenShard] = []
        for (k, name) in ["a", "b"].enumerated() {
            let url = dir.appendingPathComponent("\(name).bin")
            try TokenShard.encode((0..<500).map { Int32(k * 1000 + $0) }, width: 2).write(to: url)
            shards.append(try TokenShard(url))
        }
        let sampler = try MixtureSampler(domains: [("a", shards[0], 210), ("b", shards[1], 70)], sequenceLength: 7, seed: 5)
        #expect(sampler.count == 40)
        let source = MixtureBatchSource(sampler: sampler, batchSize: 4)
        var rng = TrainingRNG(seed: 0)
        var seen: [[Int32]] = []
        for k in 0..<10 {
            let b = try source.nextBatch(using: &rng)
            #expect(b.batchSize == 4 && b.sequenceLength == 8 && b.labels == nil)
            #expect(b.inputIDs == (4 * k..<4 * k + 4).flatMap { sampler.sequence(at: $0) })
            seen.append(b.inputIDs)
        }
        // Stream proportions: 30 sequences of a (ids < 1000), 10 of b.
        let starts = seen.flatMap { ids in stride(from: 0, to: ids.count, by: 8).map { ids[$0] } }
        #expect(starts.filter { $0 < 1000 }.count == 30 && starts.filter { $0 >= 1000 }.count == 10)
        // Past the end it starts over; a restored cursor gives the same next batch.
        #expect(try source.nextBatch(using: &rng).inputIDs == seen[0])
        let state = try source.checkpointState()
        let next = try source.nextBatch(using: &rng).inputIDs
        _ = try source.nextBatch(using: &rng)
        try source.restore(checkpointState: state)
        #expect(try source.nextBatch(using: &rng).inputIDs == next && next == seen[1])
        #expect(throws: TrainingError.self) { try source.restore(checkpointState: Data("40".utf8)) }
    }
}
