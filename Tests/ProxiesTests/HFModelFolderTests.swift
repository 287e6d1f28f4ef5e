import Base
import Corpus
import Foundation
import Testing
import TestSupport
import Transformer
@testable import Proxies

/// Model folders with their tokenizer (issue 18): the files transformers' AutoTokenizer and pipeline read.
struct HFModelFolderTests {
    /// A BPE tokenizer file of `vocab` tokens with `specials` (trained on a few sentences).
    static func tokenizer(in dir: URL, vocab: Int, specials: [String]) throws -> URL {
        var o = BPETrainer.Options(); o.vocabSize = vocab; o.specialTokens = specials
        var bpe = BPETrainer(options: o)
        for _ in 0..<20 { bpe.add("hello world, the tokenizer of a model folder travels with it. ") }
        let url = dir.appendingPathComponent("tok.json")
        try TokenizerJSON.save(try bpe.train(), to: url)
        return url
    }

    static func object(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func gpt2FolderDeclaresEndOfTextAndTheContext() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try Self.tokenizer(in: dir, vocab: 270, specials: ["<|endoftext|>"])
        let eot = try #require(try TokenizerJSON.load(tok).specialId("<|endoftext|>"))
        let model = try GPT2LMHeadModel(config: GPT2Config(vocabSize: 270, nPositions: 24, nEmbd: 8, nLayer: 1, nHead: 2))
        let out = dir.appendingPathComponent("model")
        let specials = try HFModelFolder.save(model, tokenizer: tok, to: out)
        #expect(specials.ids == ["bos_token": Int(eot), "eos_token": Int(eot), "unk_token": Int(eot), "pad_token": Int(eot)])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)) == [
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "generation_config.json"])
        #expect(try Data(contentsOf: out.appendingPathComponent("tokenizer.json")) == (try Data(contentsOf: tok)))
        let config = try Self.object(out.appendingPathComponent("config.json"))
        for k in ["bos_token_id", "eos_token_id", "pad_token_id"] { #expect(config[k] as? Int == Int(eot), "\(k)") }
        #expect(config["n_positions"] as? Int == 24 && config["model_type"] as? String == "gpt2")
        let tc = try Self.object(out.appendingPathComponent("tokenizer_config.json"))
        #expect(Set(tc.keys) == ["added_tokens_decoder", "bos_token", "clean_up_tokenization_spaces", "eos_token",
                                 "model_max_length", "pad_token", "padding_side", "tokenizer_class", "unk_token"])
        for k in ["bos_token", "eos_token", "unk_token", "pad_token"] { #expect(tc[k] as? String == "<|endoftext|>", "\(k)") }
        #expect(tc["model_max_length"] as? Int == 24 && tc["tokenizer_class"] as? String == "PreTrainedTokenizerFast")
        #expect(tc["padding_side"] as? String == "left" && tc["clean_up_tokenization_spaces"] as? Bool == false)
        let decoder = try #require(tc["added_tokens_decoder"] as? [String: [String: Any]])
        #expect(Array(decoder.keys) == [String(eot)])
        #expect(decoder[String(eot)]?["content"] as? String == "<|endoftext|>" && decoder[String(eot)]?["special"] as? Bool == true)
        let map = try Self.object(out.appendingPathComponent("special_tokens_map.json"))
        #expect(NSDictionary(dictionary: map) == NSDictionary(dictionary: ["bos_token": "<|endoftext|>",
            "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]))
        let gen = try Self.object(out.appendingPathComponent("generation_config.json"))
        #expect(NSDictionary(dictionary: gen) == NSDictionary(dictionary: ["bos_token_id": Int(eot), "eos_token_id": Int(eot),
                                                                          "pad_token_id": Int(eot)]))
        // The folder loads back with the same weights and the ids kept.
        let back = try Checkpoint.loadGPT2(out)
        #expect(back.config.eosTokenID == Int(eot) && Array(back.parameters) == Array(model.parameters))
    }

    @Test func bertFolderDeclaresItsFiveTokens() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        let tok = try Self.tokenizer(in: dir, vocab: 280, specials: names)
        let bpe = try TokenizerJSON.load(tok)
        let model = try BertForMaskedLM(config: BertConfig(vocabSize: 280, hiddenSize: 8, numHiddenLayers: 1,
                                                           numAttentionHeads: 2, maxPositionEmbeddings: 16))
        let out = dir.appendingPathComponent("bert")
        try HFModelFolder.save(model, tokenizer: tok, to: out)
        let tc = try Self.object(out.appendingPathComponent("tokenizer_config.json"))
        for (k, v) in [("cls_token", "[CLS]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("mask_token", "[MASK]"),
                       ("unk_token", "[UNK]")] { #expect(tc[k] as? String == v, "\(k)") }
        #expect(tc["bos_token"] == nil && tc["model_max_length"] as? Int == 16 && tc["padding_side"] as? String == "right")
        let decoder = try #require(tc["added_tokens_decoder"] as? [String: [String: Any]])
        #expect(Set(decoder.keys) == Set(names.map { String(bpe.specialId($0)!) }))
        let config = try Self.object(out.appendingPathComponent("config.json"))
        #expect(config["pad_token_id"] as? Int == Int(bpe.specialId("[PAD]")!))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("generation_config.json").path))
        // `tokenizer train --bert`'s four (no [UNK]): the folder declares those four and no unk_token.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("four"), withIntermediateDirectories: true)
        let four = try Self.tokenizer(in: dir.appendingPathComponent("four"), vocab: 280, specials: ["[PAD]", "[CLS]", "[SEP]", "[MASK]"])
        let out4 = dir.appendingPathComponent("bert4")
        try HFModelFolder.save(model, tokenizer: four, to: out4)
        let tc4 = try Self.object(out4.appendingPathComponent("tokenizer_config.json"))
        #expect(tc4["unk_token"] == nil && tc4["mask_token"] as? String == "[MASK]")
        #expect(Set(try Self.object(out4.appendingPathComponent("special_tokens_map.json")).keys)
                == ["cls_token", "mask_token", "pad_token", "sep_token"])
    }

    /// A tokenizer without a role token, or with more ids than the model, is refused before anything is written.
    @Test func missingTokensAreOneLineAndWriteNothing() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try Self.tokenizer(in: dir, vocab: 270, specials: ["<|endoftext|>"])
        let bert = try BertForMaskedLM(config: BertConfig(vocabSize: 270, hiddenSize: 8, numHiddenLayers: 1,
                                                          numAttentionHeads: 2, maxPositionEmbeddings: 16))
        let small = try GPT2LMHeadModel(config: GPT2Config(vocabSize: 260, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2))
        let cases: [(any LanguageModel, String)] = [
            (bert, "\(tok.path): has no special token [CLS] (a bert model folder needs [CLS], [MASK], [PAD], [SEP])"),
            (small, "\(tok.path): has 270 tokens, more than the model's vocabulary of 260"),
        ]
        for (model, message) in cases {
            let out = dir.appendingPathComponent("out")
            let e = #expect(throws: CorpusError.self) { try HFModelFolder.save(model, tokenizer: tok, to: out) }
            #expect(e?.description == message)
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    /// The folder `autoscale train` wrote for Fixtures/hf/gpt2-tiny: transformers 5 (Fixtures/gen/hf_folder.py)
    /// recorded what AutoTokenizer makes of it; our tokenizer encodes the same texts to the same ids, and the files
    /// say what transformers read from them.
    @Test func transformersReadsTheCommittedTrainFolderAsWeDo() throws {
        struct Expected: Decodable {
            var texts: [String]
            var ids: [[Int]]
            var bosTokenID: Int, eosTokenID: Int, padTokenID: Int
            var modelMaxLength: Int
            var tokenizerClass: String
            var generated: [[Int]]
            enum CodingKeys: String, CodingKey {
                case texts, ids, bosTokenID = "bos_token_id", eosTokenID = "eos_token_id", padTokenID = "pad_token_id"
                case modelMaxLength = "model_max_length", tokenizerClass = "tokenizer_class", generated
            }
        }
        let expected = try Fixture.json(Expected.self, "hf/gpt2-tiny-expected.json")
        let folder = Fixture.url("hf/gpt2-tiny")
        let tokenizer = BPETokenizer(model: try TokenizerJSON.load(folder.appendingPathComponent("tokenizer.json")))
        #expect(expected.texts.contains("hello world") && expected.texts.count == expected.ids.count)
        for (text, ids) in zip(expected.texts, expected.ids) { #expect(tokenizer.encode(text).map(Int.init) == ids, "\(text)") }
        let config = try Self.object(folder.appendingPathComponent("config.json"))
        #expect(config["bos_token_id"] as? Int == expected.bosTokenID && config["eos_token_id"] as? Int == expected.eosTokenID)
        #expect(config["pad_token_id"] as? Int == expected.padTokenID && config["n_positions"] as? Int == expected.modelMaxLength)
        let tc = try Self.object(folder.appendingPathComponent("tokenizer_config.json"))
        #expect(tc["model_max_length"] as? Int == expected.modelMaxLength)
        // transformers 5 maps tokenizer_class PreTrainedTokenizerFast to its tokenizers-backed class.
        #expect(tc["tokenizer_class"] as? String == "PreTrainedTokenizerFast" && expected.tokenizerClass == "TokenizersBackend")
        // The pipeline ran batched on two prompts, each continued by its 6 new tokens (greedy; ids in the vocabulary).
        #expect(expected.generated.count == 2 && expected.generated.allSatisfy { $0.count == 6 && $0.allSatisfy { (0..<300).contains($0) } })
    }
}
