import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The memory a GPT-2 or BERT training needs, computed from the shapes before anything is allocated (so an absurd config
/// such as `n_embd: 1048576` or `n_layer: 1000000000` is refused with numbers instead of trapping in the allocator).
///
/// In 4-byte floats, with `P` parameters, a batch of `B` sequences of `T` tokens (`N = B·T`), width `C`, `H` heads,
/// inner width `I`, `L` layers, vocabulary `V` and `W` kernel workers:
/// - parameters and gradients `2P`, AdamW's two moments `2P`, the other workers' gradient slices `(W - 1)·P`;
/// - activations (the model's arena, `GPT2Core.Acts`): `L·(8·N·C + 4·N + B·H·T² + 2·N·I) + 4·N·C + 2·N + N·max(I, 3C)`
///   plus, per worker, an LM-head chunk `min(ceil(B / W)·T, 256)·V` (the head runs in chunks of 256 rows) and an
///   attention scratch `H·T²`.
/// That is the model's and optimizer's buffers to the arena's 16-float alignment of each slice (checked against the
/// arena a model allocates: `ReliabilityModelTests`); it leaves out SWA/EMA copies, the token data and the
/// evaluation sets, so the true peak is somewhat higher.
/// Computed in `Double`, so no shape overflows.
public struct MemoryEstimate: Sendable, Equatable {
    public var parameters: Double
    /// Parameters, gradients, AdamW moments and worker gradient slices, in bytes.
    public var stateBytes: Double
    /// The forward/backward arena for the batch, in bytes.
    public var activationBytes: Double
    public var batch: Int, sequence: Int
    public var totalBytes: Double { stateBytes + activationBytes }

    /// The estimate for training `config` on batches of `batch` sequences of `sequence` tokens with `workers`
    /// kernel threads.
    /// Rows of one LM-head chunk (`GPT2Core.headRows`' default).
    static let headRows = 256

    public static func gpt2Training(_ c: GPT2Config, batch: Int, sequence: Int, workers: Int = 1) -> MemoryEstimate {
        let C = Double(c.nEmbd), L = Double(c.nLayer), H = Double(c.nHead), V = Double(c.vocabSize)
        let I = Double(c.nInner ?? 4 * c.nEmbd), Tp = Double(c.nPositions)
        let B = Double(batch), T = Double(sequence), N = B * T, W = Double(max(1, workers))
        let perLayer = 4 * C * C + 2 * C * I + 9 * C + I
        let P = V * C * (c.tieWordEmbeddings ? 1 : 2) + Tp * C + L * perLayer + 2 * C
        let arena = L * (8 * N * C + 4 * N + B * H * T * T + 2 * N * I) + 4 * N * C + 2 * N + N * max(I, 3 * C)
            + W * (min((B / W).rounded(.up) * T, Double(headRows)) * V + H * T * T)
        return MemoryEstimate(parameters: P, stateBytes: 4 * P * (4 + W - 1), activationBytes: 4 * arena,
                              batch: batch, sequence: sequence)
    }

    /// The estimate for training a BERT (`BertCore`) on batches of `batch` sequences of `sequence` tokens with
    /// `workers` kernel threads: the same state as GPT-2's (`P` counts the token-type embeddings, the MLM
    /// transform and the decoder bias), the arena `2N + (L+1)·N·C + L·(7·N·C + B·H·T² + 4·N + N·I) + N·max(I, 4C)
    /// + 2·N·C + N` plus, per worker, an attention scratch `H·T²` and an MLM head for every row of its slice
    /// labelled (`8·M·C + 2·M + min(M, 128)·V` with `M = ceil(B / W)·T`; dynamic masking labels about 15%, so this
    /// term is an upper bound).
    public static func bertTraining(_ c: BertConfig, batch: Int, sequence: Int, workers: Int = 1) -> MemoryEstimate {
        let C = Double(c.hiddenSize), L = Double(c.numHiddenLayers), H = Double(c.numAttentionHeads)
        let V = Double(c.vocabSize), I = Double(c.intermediateSize), Tp = Double(c.maxPositionEmbeddings)
        let B = Double(batch), T = Double(sequence), N = B * T, W = Double(max(1, workers))
        let perLayer = 4 * C * C + 2 * C * I + 9 * C + I
        let P = V * C + Tp * C + Double(c.typeVocabSize) * C + 2 * C + L * perLayer + C * C + 3 * C + V
        let M = (B / W).rounded(.up) * T
        let arena = 2 * N + (L + 1) * N * C + L * (7 * N * C + B * H * T * T + 4 * N + N * I) + N * max(I, 4 * C)
            + 2 * N * C + N + W * (H * T * T + 8 * M * C + 2 * M + min(M, Double(bertHeadRows)) * V)
        return MemoryEstimate(parameters: P, stateBytes: 4 * P * (4 + W - 1), activationBytes: 4 * arena,
                              batch: batch, sequence: sequence)
    }

    /// Rows of one BERT MLM-decoder chunk (`BertCore.headRows`' default).
    static let bertHeadRows = 128

    /// The machine's physical memory in bytes and where it was read: `/proc/meminfo` `MemTotal`, else
    /// `sysconf(_SC_PHYS_PAGES) x _SC_PAGESIZE`; nil when neither is available.
    /// ``machineMemory()`` read once per process (every model build checks against it).
    public static let machine = machineMemory()

    public static func machineMemory() -> (bytes: Double, source: String)? {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return (kb * 1024, "/proc/meminfo MemTotal")
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return (Double(pages) * Double(size), "sysconf")
    }

    /// `1.23 GB` (decimal units).
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var v = bytes, u = 0
        while v >= 999.5 && u < units.count - 1 { v /= 1000; u += 1 }
        return u < units.count - 1 || v < 1000 ? String(format: "%.3g %@", v, units[u])
            : String(format: "%.3g B", bytes)
    }

    /// Throws a ``MemoryError`` naming `what` (the config) when the estimate exceeds the machine's memory.
    public func check(_ what: String,
                      machine: (bytes: Double, source: String)? = MemoryEstimate.machine) throws {
        guard let machine, !(totalBytes <= machine.bytes) else { return }
        throw MemoryError(message: "\(what): training this model needs about \(Self.format(totalBytes)) ("
            + String(format: "%.3g", parameters) + " parameters: \(Self.format(stateBytes)) of weights, gradients and "
            + (batch > 0 ? "AdamW moments; \(Self.format(activationBytes)) of activations for a batch of "
                + "\(batch) x \(sequence) tokens) "
               : "AdamW moments, before any activations) ")
            + "but this machine has \(Self.format(machine.bytes)) (\(machine.source)); "
            + "make the model or the batch smaller")
    }
}

/// A training that cannot fit in the machine's memory (``MemoryEstimate/check(_:machine:)``); one line.
public struct MemoryError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    public var message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}
