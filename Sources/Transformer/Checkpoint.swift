import Foundation

/// Hugging Face model directories: `config.json` + `model.safetensors`.
///
/// Loading accepts what transformers saves: the tied copies (`lm_head.weight`,
/// `cls.predictions.decoder.weight`, `cls.predictions.decoder.bias`) may be present or absent (they
/// are ignored), GPT-2's non-persistent attention buffers (`attn.bias`, `attn.masked_bias`) are
/// ignored, and GPT-2 names without the `transformer.` prefix (original OpenAI checkpoints) are
/// accepted. Every parameter must be present with its exact shape and finite values (a NaN or infinite weight is
/// named with its tensor, not reported later as a batch problem); any other tensor is an error.
/// Saving writes exactly the keys `save_pretrained` writes (tied copies left out), F32, with
/// `__metadata__ = {"format": "pt"}`, each file through a temporary file and a rename.
public enum Checkpoint {
    /// Loads a GPT-2 or BERT model from an HF directory, by `model_type` in `config.json`.
    public static func load(_ directory: URL) throws -> any LanguageModel {
        let configURL = directory.appendingPathComponent("config.json")
        let json = try ConfigIO.read(configURL)
        switch json["model_type"] as? String {
        case "gpt2": return try loadGPT2(directory)
        case "bert": return try loadBert(directory)
        case let t?:
            throw ModelError.config(file: configURL.path, message: "model_type \"\(t)\" is not supported (gpt2, bert)")
        case nil: throw ModelError.config(file: configURL.path, message: "missing field \"model_type\"")
        }
    }

    public static func loadGPT2(_ directory: URL) throws -> GPT2LMHeadModel {
        let (json, file) = try readConfig(directory)
        let model = try GPT2LMHeadModel(config: GPT2Config(json: json, file: file), seed: 0)
        model.configBase = json
        try fillParameters(model.core.params, from: directory.appendingPathComponent("model.safetensors"),
                           ignored: ["lm_head.weight"], ignoredSuffixes: [".attn.bias", ".attn.masked_bias"],
                           prefix: "transformer.")
        return model
    }

    public static func loadBert(_ directory: URL) throws -> BertForMaskedLM {
        let (json, file) = try readConfig(directory)
        let model = try BertForMaskedLM(config: BertConfig(json: json, file: file), seed: 0)
        model.configBase = json
        try fillParameters(model.core.params, from: directory.appendingPathComponent("model.safetensors"),
                           ignored: ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias",
                                     "bert.embeddings.position_ids"],
                           ignoredSuffixes: [], prefix: nil)
        return model
    }

    static func readConfig(_ directory: URL) throws -> (JSONObject, String) {
        let url = directory.appendingPathComponent("config.json")
        return (try ConfigIO.read(url), url.path)
    }

    /// Saves `model` (a GPT-2 or BERT model of this module) into `directory` (created if needed).
    public static func save(_ model: any LanguageModel, to directory: URL) throws {
        let config: JSONObject
        switch model {
        case let g as GPT2LMHeadModel: config = g.config.json(base: g.configBase)
        case let b as BertForMaskedLM: config = b.config.json(base: b.configBase)
        default:
            throw ModelError.io(file: directory.path, message: "only GPT2LMHeadModel and BertForMaskedLM can be saved")
        }
        var full = config
        full["dtype"] = "float32"
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw ModelError.io(file: directory.path, message: "cannot create directory: \(error.localizedDescription)")
        }
        try SafeTensors.write(tensors(of: model.parameterSpecs, in: UnsafeBufferPointer(model.parameters)),
                              to: directory.appendingPathComponent("model.safetensors"))
        let url = directory.appendingPathComponent("config.json")
        do { try ConfigIO.encode(full).write(to: url, options: .atomic) } catch {
            throw ModelError.io(file: url.path, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// The named tensors of a flat buffer (parameters or gradients), sorted by name as transformers does.
    public static func tensors(
        of specs: [ParameterSpec], in buffer: UnsafeBufferPointer<Float>
    ) -> [(name: String, tensor: SafeTensors.Tensor)] {
        specs.sorted { $0.name < $1.name }.map { s in
            (s.name, SafeTensors.Tensor(shape: s.shape, values: Array(buffer[s.offset..<(s.offset + s.count)])))
        }
    }

    static func fillParameters<F: ModelScalar>(_ params: ParameterStore<F>, from url: URL, ignored: Set<String>,
                                               ignoredSuffixes: [String], prefix: String?) throws {
        let (tensors, _) = try SafeTensors.read(url)
        var seen = Set<String>()
        for (rawName, t) in tensors.sorted(by: { $0.key < $1.key }) {
            if ignored.contains(rawName) || ignoredSuffixes.contains(where: { rawName.hasSuffix($0) }) { continue }
            var name = rawName
            if params.spec(name) == nil, let prefix, params.spec(prefix + name) != nil { name = prefix + name }
            guard let s = params.spec(name) else {
                throw ModelError.checkpoint(file: url.path,
                    message: "unexpected tensor \"\(rawName)\" (not a parameter of this model)")
            }
            guard t.shape == s.shape else {
                throw ModelError.checkpoint(file: url.path,
                    message: "tensor \"\(rawName)\" has shape \(t.shape), the config needs \(s.shape)")
            }
            guard seen.insert(name).inserted else {
                throw ModelError.checkpoint(file: url.path, message: "tensor \"\(name)\" appears twice")
            }
            if let i = t.values.firstIndex(where: { !$0.isFinite }) {
                throw ModelError.checkpoint(file: url.path, message: "tensor \"\(rawName)\" holds a non-finite weight "
                    + "(\(t.values[i]) at flat index \(i)): the checkpoint is corrupt or from a diverged run")
            }
            for i in 0..<s.count { params.values.pointer[s.offset + i] = F(t.values[i]) }
        }
        if let missing = params.specs.first(where: { !seen.contains($0.name) }) {
            throw ModelError.checkpoint(file: url.path, message: "missing tensor \"\(missing.name)\"")
        }
    }
}
