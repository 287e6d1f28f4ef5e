import Foundation
import Testing
import TestSupport

/// The model folders `autoscale train` writes carry the tokenizer files `from_pretrained` users expect (issue 18;
/// Docs/training.md, Model folders), and `fit` reads the run's own log.csv.
@Suite(.serialized) struct TrainModelFolderCLITests {
    static let config = """
        model: {arch: gpt2, n_layer: 1, n_embd: 32, n_head: 2}
        context: 48
        batch_size: 4
        eval_tokens: 1024
        seed: 2
        evaluation_interval: 2
        schedule: {kind: wsd, peak_lr: 3.0e-3, warmup_steps: 2, cooldown_fraction: 0.25, shape: 1-sqrt}
        """

    static func object(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// `folder` holds the checkpoint and the tokenizer files for `tokenizer` (the corpus's) at context 48.
    static func checkFolder(_ folder: URL, tokenizer: URL, endOfText: Int) throws {
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "generation_config.json"], "\(folder.path)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("tokenizer.json")) == (try Data(contentsOf: tokenizer)))
        let config = try object(folder.appendingPathComponent("config.json"))
        for k in ["bos_token_id", "eos_token_id", "pad_token_id"] { #expect(config[k] as? Int == endOfText, "\(k)") }
        #expect(config["n_positions"] as? Int == 48 && config["vocab_size"] as? Int == 300)
        let tc = try object(folder.appendingPathComponent("tokenizer_config.json"))
        for k in ["bos_token", "eos_token", "unk_token", "pad_token"] { #expect(tc[k] as? String == "<|endoftext|>", "\(k)") }
        #expect(tc["model_max_length"] as? Int == 48 && tc["tokenizer_class"] as? String == "PreTrainedTokenizerFast")
        let decoder = try #require(tc["added_tokens_decoder"] as? [String: [String: Any]])
        #expect(Array(decoder.keys) == [String(endOfText)] && decoder[String(endOfText)]?["content"] as? String == "<|endoftext|>")
        let map = try object(folder.appendingPathComponent("special_tokens_map.json"))
        #expect(Set(map.keys) == ["bos_token", "eos_token", "unk_token", "pad_token"])
        let gen = try object(folder.appendingPathComponent("generation_config.json"))
        #expect(gen["eos_token_id"] as? Int == endOfText && gen["pad_token_id"] as? Int == endOfText)
    }

    @Test func trainAndBranchFoldersCarryTheTokenizerAndFitReadsTheLog() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let manifest = try Self.object(URL(fileURLWithPath: corpus).appendingPathComponent("tokens/manifest.json"))
        let eot = try #require((manifest["tokenizer"] as? [String: Any])?["end_of_text_id"] as? Int)
        let tokenizer = dir.appendingPathComponent("tok.json")
        let cfg = dir.appendingPathComponent("tiny.yaml")
        try Self.config.write(to: cfg, atomically: true, encoding: .utf8)
        let base = ["train", "--corpus", corpus, "--config", cfg.path, "--weights", "digits=1,templates=1", "--threads", "1",
                    "--quiet"]
        let out = dir.appendingPathComponent("one")
        let r = try CLI.run(base + ["--tokens", "4k", "--out", out.path])
        try #require(r.status == 0, "\(r.stderr)")
        try Self.checkFolder(out.appendingPathComponent("model"), tokenizer: tokenizer, endOfText: eot)
        let list = dir.appendingPathComponent("list")
        let b = try CLI.run(base + ["--tokens", "2k,4k", "--out", list.path])
        try #require(b.status == 0, "\(b.stderr)")
        for label in ["2k", "4k"] {
            try Self.checkFolder(list.appendingPathComponent("\(label)/model"), tokenizer: tokenizer, endOfText: eot)
        }
        // The run's own log: validation cells on every 2nd step only; fit skips the rest and says how many.
        let log = out.appendingPathComponent("log.csv")
        let rows = try DistributedCLITests.csv(log)
        let column = try #require(rows.first?.firstIndex(of: "val_loss:digits"))
        let empty = rows.dropFirst().filter { $0[column].isEmpty }.count
        try #require(empty > 0 && rows.count - 1 - empty >= 4, "\(rows.count) rows, \(empty) without evaluation")
        let fit = try CLI.run(["fit", log.path, "--law", "power", "--x", "tokens", "--y", "val_loss:digits", "--json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stderr.contains("skipped \(empty) of \(rows.count - 1) rows of \(log.path) with an empty \"val_loss:digits\" cell"))
        let j = try ScalingCLI.json(fit.stdout)
        #expect(j["points"] as? Int == rows.count - 1 - empty)
    }
}
