import Base
import Foundation

/// Reading and writing the Hugging Face `tokenizers` JSON format for byte-level BPE.
///
/// Written: `version` "1.0", `added_tokens` (special, not normalized), no normalizer, a ByteLevel
/// pre-tokenizer (add_prefix_space false, use_regex true), ByteLevel post-processor and decoder, and a
/// `BPE` model with `vocab` (token string -> id, ids in increasing order) and `merges` as `[left, right]`
/// pairs in rank order. Read: the same, also accepting `"left right"` merge strings (older files).
public enum TokenizerJSON {
    /// Serialises a model (deterministic bytes).
    public static func encode(_ model: BPEModel) -> Data {
        var s = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        let specialIds = Set(model.specials.map(\.id))
        for (i, sp) in model.specials.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "    {\"id\": \(sp.id), \"content\": \(quoted(sp.content)), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        s += model.specials.isEmpty ? "],\n" : "\n  ],\n"
        s += "  \"normalizer\": null,\n"
        s += "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
        s += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n"
        s += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        s += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        s += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
        s += "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {"
        for (id, bytes) in model.tokens.enumerated() {
            s += id == 0 ? "\n" : ",\n"
            let text = specialIds.contains(Int32(id)) ? String(decoding: bytes, as: UTF8.self) : ByteLevel.tokenString(bytes)
            s += "      \(quoted(text)): \(id)"
        }
        s += "\n    },\n    \"merges\": ["
        for (i, m) in model.merges.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "      [\(quoted(ByteLevel.tokenString(model.tokens[Int(m.left)]))), \(quoted(ByteLevel.tokenString(model.tokens[Int(m.right)])))]"
        }
        s += model.merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return Data(s.utf8)
    }

    /// Writes a model to `url` atomically.
    public static func save(_ model: BPEModel, to url: URL) throws {
        do { try encode(model).write(to: url, options: .atomic) } catch {
            throw CorpusError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    static func quoted(_ s: String) -> String { JSONValue.quoted(s) }

    /// Loads a tokenizer file; every shape problem is reported as one line naming the file and field.
    public static func load(_ url: URL) throws -> BPEModel {
        try load(bytes: readFileBytes(url), path: url.path)
    }

    /// ``load(_:)`` on bytes already read from `path` (named in errors), so a caller that also hashes
    /// the file reads it once.
    public static func load(bytes: [UInt8], path: String) throws -> BPEModel {
        guard !bytes.isEmpty else { throw CorpusError.empty(path: path) }
        func bad(_ detail: String) -> CorpusError { .badFormat(path: path, detail: detail) }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw bad("not a JSON object (expected a Hugging Face tokenizers file)")
        }
        guard let model = root["model"] as? [String: Any] else { throw bad("missing object 'model'") }
        guard (model["type"] as? String) == "BPE" else {
            throw bad("model.type is \(String(describing: model["type"] ?? "missing")), expected \"BPE\"")
        }
        guard let pre = root["pre_tokenizer"] as? [String: Any], (pre["type"] as? String) == "ByteLevel" else {
            throw bad("pre_tokenizer must be {\"type\": \"ByteLevel\", ...}")
        }
        guard (pre["add_prefix_space"] as? Bool) != true else { throw bad("pre_tokenizer.add_prefix_space true is not supported") }
        guard (pre["use_regex"] as? Bool) != false else { throw bad("pre_tokenizer.use_regex false is not supported") }
        guard root["normalizer"] == nil || root["normalizer"] is NSNull else { throw bad("normalizers are not supported (normalizer must be null)") }
        if let d = model["dropout"], !(d is NSNull) { throw bad("model.dropout must be null") }
        if let post = root["post_processor"] as? [String: Any], (post["type"] as? String) != "ByteLevel" {
            throw bad("post_processor \(post["type"] ?? "?") is not supported (it would add tokens); use null or ByteLevel")
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw bad("missing object 'model.vocab'") }
        guard let mergesRaw = model["merges"] as? [Any] else { throw bad("missing array 'model.merges'") }

        var added: [String: Int] = [:]
        for (i, item) in ((root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let t = item as? [String: Any], let content = t["content"] as? String, let id = (t["id"] as? NSNumber)?.intValue else {
                throw bad("added_tokens[\(i)]: needs 'id' and 'content'")
            }
            for flag in ["lstrip", "rstrip", "single_word"] where (t[flag] as? Bool) == true {
                throw bad("added_tokens[\(i)]: \(flag) true is not supported")
            }
            added[content] = id
        }
        var tokens: [[UInt8]?] = []
        func place(_ id: Int, _ b: [UInt8], _ name: String) throws {
            if id >= tokens.count { tokens += [[UInt8]?](repeating: nil, count: id + 1 - tokens.count) }
            if let existing = tokens[id], existing != b { throw bad("id \(id) is used by two tokens (\(name))") }
            tokens[id] = b
        }
        for (text, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue, id >= 0, id < 10_000_000 else { throw bad("model.vocab[\(quoted(text))]: id must be a non-negative integer") }
            if added[text] != nil { continue }
            guard let b = ByteLevel.bytes(ofToken: text) else { throw bad("model.vocab[\(quoted(text))]: not a byte-level token") }
            try place(id, b, text)
        }
        for (content, id) in added { try place(id, Array(content.utf8), content) }
        if let gap = tokens.firstIndex(where: { $0 == nil }) {
            throw bad("vocabulary ids are not contiguous (id \(gap) is missing)")
        }
        let tokenBytes = tokens.map { $0! }
        var idOf: [String: Int32] = [:]
        for (text, value) in vocab where added[text] == nil { idOf[text] = Int32((value as! NSNumber).intValue) }
        var byteIds = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            guard let id = idOf[ByteLevel.tokenString([UInt8(b)])] else {
                throw bad(String(format: "model.vocab lacks the token for byte 0x%02X", b))
            }
            byteIds[b] = id
        }
        var merges: [BPEModel.Merge] = []
        merges.reserveCapacity(mergesRaw.count)
        for (i, m) in mergesRaw.enumerated() {
            let parts: [String]
            if let pair = m as? [String], pair.count == 2 { parts = pair }
            else if let str = m as? String, case let p = str.split(separator: " ", omittingEmptySubsequences: false), p.count == 2 {
                parts = p.map(String.init)
            } else { throw bad("model.merges[\(i)]: expected [\"left\", \"right\"] or \"left right\"") }
            guard let l = idOf[parts[0]], let r = idOf[parts[1]], let z = idOf[parts[0] + parts[1]] else {
                throw bad("model.merges[\(i)]: \(quoted(parts[0])) + \(quoted(parts[1])) or their concatenation is not in the vocabulary")
            }
            merges.append(.init(left: l, right: r, result: z))
        }
        let specials = added.map { BPEModel.Special(content: $0.key, id: Int32($0.value)) }.sorted { $0.id < $1.id }
        do {
            return try BPEModel(tokens: tokenBytes, byteIds: byteIds, merges: merges, specials: specials)
        } catch let e as CorpusError {
            throw bad(e.description)
        }
    }
}
