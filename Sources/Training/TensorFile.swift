import Foundation
import Transformer

/// The safetensors files of a checkpoint (optimizer state, the default flat weight file): F32 tensors
/// written and read with the model layer's ``SafeTensors`` (one format, one reader), whose errors are
/// rethrown as ``TrainingError/checkpoint(path:reason:)`` so a broken checkpoint reads as one line
/// `checkpoint <file>: <reason>`.
enum _TensorFile {
    typealias Tensor = SafeTensors.Tensor

    /// Writes `tensors` (name, shape, values) atomically to `url`, in the order given.
    static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                      metadata: [String: String], to url: URL) throws {
        try _rethrow(url) {
            try SafeTensors.write(tensors.map { ($0.name, Tensor(shape: $0.shape, values: $0.values)) }, to: url, metadata: metadata)
        }
    }

    /// Reads every tensor and the metadata of `url`, rejecting truncated or malformed files.
    static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try _rethrow(url) { try SafeTensors.read(url) }
    }

    private static func _rethrow<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ModelError {
            let reason: String
            switch error {
            case .safetensors(_, let m): reason = "not a valid safetensors file: \(m)"
            case .io(_, let m), .checkpoint(_, let m), .config(_, let m): reason = m
            case .batch(let m): reason = m
            }
            throw TrainingError.checkpoint(path: url.path, reason: reason)
        }
    }
}
