import Base
import Corpus
import Foundation
import Transformer

/// A model folder that `from_pretrained` users expect: Transformer's ``Checkpoint`` (`config.json`,
/// `model.safetensors`) plus the tokenizer the model was trained with, so `AutoTokenizer.from_pretrained(dir)` and
/// `pipeline("text-generation", model=dir)` work on it without another file (issue 18).
///
/// It lives here because the Transformer module knows no tokenizer and Corpus knows no model; every model folder
/// the project writes (`train --out DIR`: `DIR/model/`; `train --tokens A,B,...`: `DIR/<budget>/model/`) goes
/// through ``save(_:tokenizer:to:)``. The files besides the checkpoint:
/// - `tokenizer.json`: the token folder's tokenizer, byte for byte;
/// - `tokenizer_config.json`: `tokenizer_class` `PreTrainedTokenizerFast` (AutoTokenizer reads `tokenizer.json`
///   with the `tokenizers` library), `model_max_length` = the model's context (`n_positions`, BERT's
///   `max_position_embeddings`), the role tokens, `added_tokens_decoder` (every special token of the tokenizer by
///   id), `clean_up_tokenization_spaces` false (decoding gives the bytes back), and `padding_side`: `left` for
///   GPT-2 (batched generation continues the prompts at their ends), `right` for BERT;
/// - `special_tokens_map.json`: the role tokens;
/// - GPT-2 only: `generation_config.json` with `bos_token_id`, `eos_token_id` and `pad_token_id`.
///
/// Role tokens: GPT-2 uses `<|endoftext|>` (the document separator of the shards) as `bos`, `eos`, `unk` and
/// `pad` token, and `config.json` gets its id as `bos_token_id`, `eos_token_id` and `pad_token_id`; BERT uses
/// `[CLS]` (cls), `[SEP]` (sep), `[PAD]` (pad, also `pad_token_id` in `config.json`), `[MASK]` (mask) and, when
/// the tokenizer has it, `[UNK]` (unk: a byte-level BPE never needs one, and `tokenizer train --bert` adds only the
/// other four). A tokenizer without one of the required ones, or with more ids than the model's vocabulary, is refused with one line
/// naming the tokenizer file before anything is written. Every file is written atomically (temporary file and
/// rename); the callers stage the whole folder and rename it into place.
public enum HFModelFolder {
    /// Which special tokens a folder declares.
    public enum Kind: String, Sendable {
        case gpt2, bert

        /// Roles declared only when the tokenizer has their token.
        public var optionalRoles: Set<String> { self == .bert ? ["unk_token"] : [] }

        /// The (role, content) pairs in the order `special_tokens_map.json` lists them.
        public var roles: [(role: String, content: String)] {
            switch self {
            case .gpt2:
                return ["bos_token", "eos_token", "unk_token", "pad_token"].map { ($0, "<|endoftext|>") }
            case .bert:
                return [("cls_token", "[CLS]"), ("mask_token", "[MASK]"), ("pad_token", "[PAD]"), ("sep_token", "[SEP]"),
                        ("unk_token", "[UNK]")]
            }
        }
    }

    /// The ids of a tokenizer's role tokens.
    public struct SpecialTokens: Sendable, Equatable {
        public var kind: Kind
        /// Role (`bos_token`, `pad_token`, ...) -> token id, for the roles the tokenizer has.
        public var ids: [String: Int]
        /// Every special token of the tokenizer: id -> content.
        public var all: [Int: String]
    }

    /// The role tokens of `model` (read from `file`, named in errors) for a `kind` folder; throws when a required
    /// one is missing.
    public static func specialTokens(_ kind: Kind, of model: BPEModel, file: String) throws -> SpecialTokens {
        var ids: [String: Int] = [:]
        for (role, content) in kind.roles {
            guard let id = model.specialId(content) else {
                if kind.optionalRoles.contains(role) { continue }
                let required = kind.roles.filter { !kind.optionalRoles.contains($0.role) }.map(\.content)
                throw CorpusError.badFormat(path: file, detail: "has no special token \(content) (a \(kind.rawValue) model "
                    + "folder needs " + Set(required).sorted().joined(separator: ", ") + ")")
            }
            ids[role] = Int(id)
        }
        return SpecialTokens(kind: kind, ids: ids,
                             all: Dictionary(uniqueKeysWithValues: model.specials.map { (Int($0.id), $0.content) }))
    }

    public static let tokenizerFile = "tokenizer.json"
    public static let tokenizerConfigFile = "tokenizer_config.json"
    public static let specialTokensMapFile = "special_tokens_map.json"
    public static let generationConfigFile = "generation_config.json"

    /// Writes `model`'s checkpoint and the tokenizer files of `tokenizer` (a `tokenizers` JSON file) into
    /// `directory` (created if needed); returns the role tokens' ids.
    @discardableResult
    public static func save(_ model: any LanguageModel, tokenizer: URL, to directory: URL) throws -> SpecialTokens {
        let kind: Kind, context: Int, vocab: Int
        switch model {
        case let g as GPT2LMHeadModel: (kind, context, vocab) = (.gpt2, g.config.nPositions, g.config.vocabSize)
        case let b as BertForMaskedLM: (kind, context, vocab) = (.bert, b.config.maxPositionEmbeddings, b.config.vocabSize)
        default: throw OutputError(path: directory.path, reason: "only GPT-2 and BERT models have Hugging Face model folders")
        }
        let bytes = try readFileBytes(tokenizer)
        let bpe = try TokenizerJSON.load(bytes: bytes, path: tokenizer.path)
        guard bpe.vocabSize <= vocab else {
            throw CorpusError.badFormat(path: tokenizer.path, detail: "has \(bpe.vocabSize) tokens, more than the "
                + "model's vocabulary of \(vocab)")
        }
        let specials = try specialTokens(kind, of: bpe, file: tokenizer.path)
        var fields: [String: Any] = ["pad_token_id": specials.ids["pad_token"]!]
        if kind == .gpt2 {
            fields["bos_token_id"] = specials.ids["bos_token"]!
            fields["eos_token_id"] = specials.ids["eos_token"]!
        }
        try Checkpoint.save(model, to: directory, configFields: fields)
        try writeTokenizerFiles(Data(bytes), specials: specials, contextLength: context, to: directory)
        return specials
    }

    /// Writes `tokenizer.json` (`tokenizerBytes` as they are), `tokenizer_config.json`, `special_tokens_map.json`
    /// and, for GPT-2, `generation_config.json` into the existing `directory`.
    public static func writeTokenizerFiles(_ tokenizerBytes: Data, specials: SpecialTokens, contextLength: Int,
                                           to directory: URL) throws {
        try AtomicFile.write(tokenizerBytes, to: directory.appendingPathComponent(tokenizerFile))
        let roles = Dictionary(uniqueKeysWithValues: specials.kind.roles.filter { specials.ids[$0.role] != nil }
            .map { ($0.role, $0.content) })
        let config = TokenizerConfig(
            roles: roles,
            addedTokensDecoder: Dictionary(uniqueKeysWithValues: specials.all.map { (String($0.key), AddedToken(content: $0.value)) }),
            modelMaxLength: contextLength, paddingSide: specials.kind == .gpt2 ? "left" : "right")
        try AtomicFile.write(prettyJSON(config), to: directory.appendingPathComponent(tokenizerConfigFile))
        try AtomicFile.write(prettyJSON(roles), to: directory.appendingPathComponent(specialTokensMapFile))
        if specials.kind == .gpt2 {
            let ids = ["bos_token_id": specials.ids["bos_token"]!, "eos_token_id": specials.ids["eos_token"]!,
                       "pad_token_id": specials.ids["pad_token"]!]
            try AtomicFile.write(prettyJSON(ids), to: directory.appendingPathComponent(generationConfigFile))
        }
    }

    /// An `added_tokens_decoder` entry: a special token, matched as written.
    struct AddedToken: Encodable {
        var content: String
        var lstrip = false, normalized = false, rstrip = false, singleWord = false, special = true
        enum CodingKeys: String, CodingKey {
            case content, lstrip, normalized, rstrip, singleWord = "single_word", special
        }
    }

    /// `tokenizer_config.json`: the role tokens at the top level beside the fixed keys.
    struct TokenizerConfig: Encodable {
        var roles: [String: String]
        var addedTokensDecoder: [String: AddedToken]
        var modelMaxLength: Int
        var paddingSide: String

        struct Key: CodingKey {
            var stringValue: String
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (role, content) in roles { try c.encode(content, forKey: Key(role)) }
            try c.encode(addedTokensDecoder, forKey: Key("added_tokens_decoder"))
            try c.encode(false, forKey: Key("clean_up_tokenization_spaces"))
            try c.encode(modelMaxLength, forKey: Key("model_max_length"))
            try c.encode(paddingSide, forKey: Key("padding_side"))
            try c.encode("PreTrainedTokenizerFast", forKey: Key("tokenizer_class"))
        }
    }
}
