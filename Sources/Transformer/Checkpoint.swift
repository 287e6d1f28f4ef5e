import Foundation

/// Hugging Face model directories: `config.json` + `model.safetensors` (or a sharded
/// `model.safetensors.index.json` with its shards).
///
/// Loading accepts what transformers saves: the tied copies (`lm_head.weight`,
/// `cls.predictions.decoder.weight`, `cls.predictions.decoder.bias`) may be present or absent (they
/// are ignored); a GPT-2 with `tie_word_embeddings: false` has `lm_head.weight` as its own parameter, required on
/// load and saved (BERT's `tie_word_embeddings: false` is refused: its decoder is tied), GPT-2's
/// non-persistent attention buffers (`attn.bias`, `attn.masked_bias`) are ignored, and GPT-2 names without the
/// `transformer.` prefix (original OpenAI checkpoints) are accepted. A `BertForPreTraining` checkpoint (the usual
/// Hub layout) loads as `BertForMaskedLM` with its pooler and next-sentence head ignored (one warning); a
/// `BertModel` (no masked-LM head) is refused saying what is missing; a folder with PyTorch pickles only
/// (`pytorch_model.bin`) is refused saying safetensors is needed. Every parameter must be present with its exact
/// shape and finite values (a NaN or infinite weight is named with its tensor, not reported later as a batch
/// problem); any other tensor is an error. Saving writes exactly the keys `save_pretrained` writes (tied copies
/// left out), F32, with
/// `__metadata__ = {"format": "pt"}`, each file through a temporary file and a rename.
public enum Checkpoint {
    /// Loads a GPT-2 or BERT model from an HF directory, by `model_type` in `config.json`; `warn` receives
    /// one line per thing the load ignored on purpose (a BertForPreTraining checkpoint's extra heads).
    public static func load(_ directory: URL, warn: (String) -> Void = { _ in }) throws -> any LanguageModel {
        let configURL = directory.appendingPathComponent("config.json")
        let json = try ConfigIO.read(configURL)
        switch json["model_type"] as? String {
        case "gpt2": return try loadGPT2(directory)
        case "bert": return try loadBert(directory, warn: warn)
        case let t?:
            throw ModelError.config(file: configURL.path, message: "model_type \"\(t)\" is not supported (gpt2, bert)")
        case nil: throw ModelError.config(file: configURL.path, message: "missing field \"model_type\"")
        }
    }

    public static func loadGPT2(_ directory: URL) throws -> GPT2LMHeadModel {
        let (json, file) = try readConfig(directory)
        let model = try GPT2LMHeadModel(config: GPT2Config(json: json, file: file), seed: 0)
        model.configBase = json
        let (tensors, source) = try weights(directory)
        try fillParameters(model.core.params, from: tensors, file: source,
                           ignored: model.config.tieWordEmbeddings ? ["lm_head.weight"] : [],
                           ignoredSuffixes: [".attn.bias", ".attn.masked_bias"],
                           prefix: "transformer.")
        return model
    }

    /// Tensors of a BertForPreTraining checkpoint that a masked LM does not use.
    static let preTrainingOnly = ["bert.pooler.", "cls.seq_relationship."]

    public static func loadBert(_ directory: URL, warn: (String) -> Void = { _ in }) throws -> BertForMaskedLM {
        let (json, file) = try readConfig(directory)
        let model = try BertForMaskedLM(config: BertConfig(json: json, file: file), seed: 0)
        model.configBase = json
        var (tensors, source) = try weights(directory)
        guard tensors.keys.contains(where: { $0.hasPrefix("cls.predictions.") }) else {
            let kind = tensors.keys.contains(where: { $0.hasPrefix("embeddings.") || $0.hasPrefix("bert.") })
                ? "a BertModel checkpoint" : "this checkpoint"
            throw ModelError.checkpoint(file: source, message: "\(kind) has no masked-LM head (no cls.predictions.* "
                + "tensors); autoscale needs BertForMaskedLM or BertForPreTraining weights")
        }
        let extra = tensors.keys.filter { k in preTrainingOnly.contains { k.hasPrefix($0) } }.sorted()
        if !extra.isEmpty {
            for k in extra { tensors[k] = nil }
            warn("\(source): ignoring the pooler and next-sentence head of a BertForPreTraining checkpoint "
                 + "(\(extra.count) tensors: \(extra.joined(separator: ", "))); the masked-LM head is used")
        }
        try fillParameters(model.core.params, from: tensors, file: source,
                           ignored: ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias",
                                     "bert.embeddings.position_ids"],
                           ignoredSuffixes: [], prefix: nil)
        return model
    }

    /// The weights of `directory`: `model.safetensors`, or every shard of `model.safetensors.index.json`
    /// (its `weight_map`: tensor name -> shard file; a tensor must be in the shard the map names, and every
    /// tensor of a shard in the map). Returns the tensors and the path that errors should name.
    public static func weights(_ directory: URL) throws -> (tensors: [String: SafeTensors.Tensor], file: String) {
        let fm = FileManager.default
        let single = directory.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: single.path) { return (try SafeTensors.read(single).tensors, single.path) }
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        guard fm.fileExists(atPath: index.path) else {
            for pickle in ["pytorch_model.bin", "pytorch_model.bin.index.json"]
            where fm.fileExists(atPath: directory.appendingPathComponent(pickle).path) {
                throw ModelError.io(file: directory.path, message: "has PyTorch pickle weights only (\(pickle)); "
                    + "autoscale reads safetensors: save with save_pretrained(dir, safe_serialization=True)")
            }
            throw ModelError.io(file: directory.path, message: "no model.safetensors or model.safetensors.index.json")
        }
        let json = try ConfigIO.read(index)
        guard let map = json["weight_map"] as? [String: Any], !map.isEmpty else {
            throw ModelError.checkpoint(file: index.path, message: "missing or empty \"weight_map\"")
        }
        var byShard: [String: [String]] = [:]
        for (name, shard) in map {
            guard let shard = shard as? String, !shard.isEmpty, !shard.contains("/") else {
                throw ModelError.checkpoint(file: index.path, message: "weight_map[\"\(name)\"] is not a shard file name")
            }
            byShard[shard, default: []].append(name)
        }
        for shard in byShard.keys.sorted() where !fm.fileExists(atPath: directory.appendingPathComponent(shard).path) {
            throw ModelError.io(file: directory.appendingPathComponent(shard).path,
                                message: "shard named by \(index.lastPathComponent) is missing")
        }
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (shard, names) in byShard.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(shard)
            let got = try SafeTensors.read(url).tensors
            for name in names.sorted() where got[name] == nil {
                throw ModelError.checkpoint(file: url.path, message: "has no tensor \"\(name)\" (the index maps it here)")
            }
            for (name, t) in got {
                guard map[name] as? String == shard else {
                    throw ModelError.checkpoint(file: url.path, message: "tensor \"\(name)\" is not mapped to this shard "
                        + "by \(index.lastPathComponent)")
                }
                tensors[name] = t
            }
        }
        return (tensors, index.path)
    }

    static func readConfig(_ directory: URL) throws -> (JSONObject, String) {
        let url = directory.appendingPathComponent("config.json")
        return (try ConfigIO.read(url), url.path)
    }

    /// Saves `model` (a GPT-2 or BERT model of this module) into `directory` (created if needed). `configFields`
    /// are set in `config.json` over the model's own (e.g. `bos_token_id`, `eos_token_id`, `pad_token_id`: the
    /// tokenizer knows them, this module does not).
    public static func save(_ model: any LanguageModel, to directory: URL, configFields: [String: Any] = [:]) throws {
        let config: JSONObject
        switch model {
        case let g as GPT2LMHeadModel: config = g.config.json(base: g.configBase)
        case let b as BertForMaskedLM: config = b.config.json(base: b.configBase)
        default:
            throw ModelError.io(file: directory.path, message: "only GPT2LMHeadModel and BertForMaskedLM can be saved")
        }
        var full = config.merging(configFields) { $1 }
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

    static func fillParameters<F: ModelScalar>(_ params: ParameterStore<F>, from tensors: [String: SafeTensors.Tensor],
                                               file: String, ignored: Set<String>, ignoredSuffixes: [String],
                                               prefix: String?) throws {
        var seen = Set<String>()
        for (rawName, t) in tensors.sorted(by: { $0.key < $1.key }) {
            if ignored.contains(rawName) || ignoredSuffixes.contains(where: { rawName.hasSuffix($0) }) { continue }
            var name = rawName
            if params.spec(name) == nil, let prefix, params.spec(prefix + name) != nil { name = prefix + name }
            guard let s = params.spec(name) else {
                throw ModelError.checkpoint(file: file,
                    message: "unexpected tensor \"\(rawName)\" (not a parameter of this model)")
            }
            guard t.shape == s.shape else {
                throw ModelError.checkpoint(file: file,
                    message: "tensor \"\(rawName)\" has shape \(t.shape), the config needs \(s.shape)")
            }
            guard seen.insert(name).inserted else {
                throw ModelError.checkpoint(file: file, message: "tensor \"\(name)\" appears twice")
            }
            if let i = t.values.firstIndex(where: { !$0.isFinite }) {
                throw ModelError.checkpoint(file: file, message: "tensor \"\(rawName)\" holds a non-finite weight "
                    + "(\(t.values[i]) at flat index \(i)): the checkpoint is corrupt or from a diverged run")
            }
            for i in 0..<s.count { params.values.pointer[s.offset + i] = F(t.values[i]) }
        }
        if let missing = params.specs.first(where: { !seen.contains($0.name) }) {
            throw ModelError.checkpoint(file: file, message: "missing tensor \"\(missing.name)\"")
        }
    }
}
