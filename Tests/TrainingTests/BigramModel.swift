import Base
import Foundation
import Training
import Transformer

/// A tiny language model for testing the trainer without the real models (mirrored by
/// Fixtures/gen/training_adamw.py): parameters `wte` [V, D] (no decay), `proj.weight` [D, D]
/// (decay), `bias` [V] (no decay), laid out in that order in one flat buffer. For each position
/// `t < T - 1` whose target `labels[t + 1] != -100` (labels default to the inputs, shifted as
/// GPT-2): `logits = (wte[x_t] proj) wte^T + bias`, loss = mean cross-entropy. The output layer is
/// tied to the embedding, so `wte` collects two gradient contributions, as GPT-2's `wte` does.
final class BigramModel: LanguageModel {
    let vocab: Int, dim: Int
    let parameterSpecs: [ParameterSpec]
    let parameters: UnsafeMutableBufferPointer<Float>
    let gradients: UnsafeMutableBufferPointer<Float>
    var wte: Int { 0 }
    var proj: Int { vocab * dim }
    var bias: Int { vocab * dim + dim * dim }
    /// Next-token targets, as GPT-2: no target at a row's first position.
    func predictedPositions(in batch: TokenBatch) -> [Int] { batch.labelledPositions(shifted: true) }

    init(vocab: Int, dim: Int) {
        self.vocab = vocab; self.dim = dim
        parameterSpecs = [
            ParameterSpec(name: "wte.weight", shape: [vocab, dim], offset: 0, decay: false),
            ParameterSpec(name: "proj.weight", shape: [dim, dim], offset: vocab * dim, decay: true),
            ParameterSpec(name: "bias", shape: [vocab], offset: vocab * dim + dim * dim, decay: false),
        ]
        let n = vocab * dim + dim * dim + vocab
        parameters = .allocate(capacity: n); parameters.initialize(repeating: 0)
        gradients = .allocate(capacity: n); gradients.initialize(repeating: 0)
    }

    /// Deterministic N(0, std) initialization from `seed` (Box-Muller on `TrainingRNG`).
    convenience init(vocab: Int, dim: Int, seed: UInt64) {
        self.init(vocab: vocab, dim: dim)
        var rng = TrainingRNG(seed: seed)
        for i in 0..<parameters.count {
            let u1 = (Double(rng.next() >> 11) + 1) * 0x1p-53, u2 = Double(rng.next() >> 11) * 0x1p-53
            parameters[i] = Float(0.3 * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }

    deinit { parameters.deallocate(); gradients.deallocate() }

    var trainingFLOPsPerToken: Double { Double(6 * (dim * dim + vocab * dim)) }

    func loss(_ batch: TokenBatch) throws -> Float { try run(batch, lossScale: nil) }

    func forwardBackward(_ batch: TokenBatch, lossScale: Float) throws -> Float { try run(batch, lossScale: lossScale) }

    private func run(_ batch: TokenBatch, lossScale: Float?) throws -> Float {
        let (B, T) = (batch.batchSize, batch.sequenceLength)
        let labels = batch.labels ?? batch.inputIDs
        var targets: [(x: Int, y: Int)] = []
        for b in 0..<B {
            for t in 0..<(T - 1) where labels[b * T + t + 1] != -100 {
                targets.append((Int(batch.inputIDs[b * T + t]), Int(labels[b * T + t + 1])))
            }
        }
        guard !targets.isEmpty else { return .nan }
        let p = parameters, g = gradients
        var total: Float = 0
        let scale = (lossScale ?? 0) / Float(targets.count)
        var u = [Float](repeating: 0, count: dim), z = [Float](repeating: 0, count: vocab)
        for (x, y) in targets {
            for j in 0..<dim {
                var s: Float = 0
                for i in 0..<dim { s += p[wte + x * dim + i] * p[proj + i * dim + j] }
                u[j] = s
            }
            var zmax = -Float.infinity
            for v in 0..<vocab {
                var s = p[bias + v]
                for j in 0..<dim { s += u[j] * p[wte + v * dim + j] }
                z[v] = s; zmax = max(zmax, s)
            }
            var sum: Float = 0
            for v in 0..<vocab { z[v] = exp(z[v] - zmax); sum += z[v] }
            total += log(sum) - log(z[y])
            guard lossScale != nil else { continue }
            // dz = (softmax - onehot) * scale
            var du = [Float](repeating: 0, count: dim)
            for v in 0..<vocab {
                let dz = (z[v] / sum - (v == y ? 1 : 0)) * scale
                g[bias + v] += dz
                for j in 0..<dim {
                    g[wte + v * dim + j] += dz * u[j]
                    du[j] += dz * p[wte + v * dim + j]
                }
            }
            for i in 0..<dim {
                var dh: Float = 0
                for j in 0..<dim {
                    g[proj + i * dim + j] += p[wte + x * dim + i] * du[j]
                    dh += du[j] * p[proj + i * dim + j]
                }
                g[wte + x * dim + i] += dh
            }
        }
        return total / Float(targets.count)
    }
}

/// Random token batches drawn from the trainer's RNG (so RNG checkpointing matters); its own state
/// is a counter of batches served.
final class RandomTokenSource: TrainingBatchSource {
    let vocab: Int, batch: Int, length: Int
    var served = 0
    init(vocab: Int, batch: Int, length: Int) { self.vocab = vocab; self.batch = batch; self.length = length }

    func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        served += 1
        // A learnable pattern: token t+1 = (token t + 1) mod V half the time.
        var ids = [Int32](repeating: 0, count: batch * length)
        for b in 0..<batch {
            ids[b * length] = Int32(rng.next() % UInt64(vocab))
            for t in 1..<length {
                ids[b * length + t] = rng.next() % 2 == 0 ? (ids[b * length + t - 1] + 1) % Int32(vocab)
                    : Int32(rng.next() % UInt64(vocab))
            }
        }
        return TokenBatch(batchSize: batch, sequenceLength: length, inputIDs: ids)
    }

    func checkpointState() throws -> Data { Data(String(served).utf8) }
    func restore(checkpointState: Data) throws { served = Int(String(decoding: checkpointState, as: UTF8.self)) ?? -1 }
}
