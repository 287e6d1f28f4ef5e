import Base
import Foundation
import Transformer

/// How a checkpoint stores the model's weights: the trainer hands it a directory of its own
/// (`<checkpoint>/model`). The model layer's Hugging Face save/load plugs in here; the default is
/// ``FlatWeightsStore``. Loading must restore every parameter bit for bit for exact resume.
public protocol ModelWeightsStore {
    func saveWeights(of model: any LanguageModel, to directory: URL) throws
    func loadWeights(into model: any LanguageModel, from directory: URL) throws
}

/// Writes the whole flat parameter buffer as one F32 tensor `parameters` in `model.safetensors`
/// (safetensors format), with the layout fingerprint in its metadata; loading checks the
/// fingerprint, so weights never load into a model of another shape.
public struct FlatWeightsStore: ModelWeightsStore {
    public init() {}
    public static let fileName = "model.safetensors"

    public func saveWeights(of model: any LanguageModel, to directory: URL) throws {
        try _TensorFile.write([("parameters", [model.parameters.count], Array(model.parameters))],
                              metadata: ["layout": _layoutFingerprint(model)],
                              to: directory.appendingPathComponent(Self.fileName))
    }

    public func loadWeights(into model: any LanguageModel, from directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        let file = try _TensorFile.read(url)
        guard file.metadata["layout"] == _layoutFingerprint(model) else {
            throw TrainingError.checkpoint(path: url.path, reason: "weights were saved from a model with another parameter layout")
        }
        guard let t = file.tensors["parameters"], t.values.count == model.parameters.count else {
            throw TrainingError.checkpoint(path: url.path, reason: "no 'parameters' tensor of \(model.parameters.count) elements")
        }
        _ = t.values.withUnsafeBufferPointer { model.parameters.update(fromContentsOf: $0) }
    }
}

/// SHA-256 of every spec's name, shape and offset and the buffer length, in hex.
func _layoutFingerprint(_ model: any LanguageModel) -> String {
    let text = model.parameterSpecs.map { "\($0.name):\($0.shape):\($0.offset)" }.joined(separator: ";")
        + "#\(model.parameters.count)"
    return SHA256.hex(Array(text.utf8))
}

/// A ``ModelWeightsStore`` from two closures, e.g. the model layer's Hugging Face checkpoint
/// writer and a loader that copies a loaded checkpoint's parameters into the model.
public struct ClosureWeightsStore: ModelWeightsStore {
    let save: (any LanguageModel, URL) throws -> Void
    let load: (any LanguageModel, URL) throws -> Void
    public init(save: @escaping (any LanguageModel, URL) throws -> Void,
                load: @escaping (any LanguageModel, URL) throws -> Void) {
        self.save = save; self.load = load
    }
    public func saveWeights(of model: any LanguageModel, to directory: URL) throws { try save(model, directory) }
    public func loadWeights(into model: any LanguageModel, from directory: URL) throws { try load(model, directory) }
}
