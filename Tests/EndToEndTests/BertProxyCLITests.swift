import Foundation
import Testing
import TestSupport
import Transformer

/// BERT masked-LM proxies (`model.arch: bert`, issue 15) end to end: `train` writes a folder that transformers
/// loads as `BertForMaskedLM` with the loss `autoscale grad` computes (Fixtures/proxies/bert, from
/// Fixtures/gen/proxies_bert.py); `ddo run` and `pipeline` take the proxy, the pipeline's WSD branches giving the
/// run records of separate runs byte for byte; bad configs are one line each.
struct BertProxyCLITests {
    /// The fixture's proxy config (Fixtures/proxies/bert/proxy.yaml).
    static let config = Fixture.url("proxies/bert/proxy.yaml").path

    /// The synthetic corpus of the fixture (``DistributedCLITests/corpus(in:bert:)``), tokenized with a 300-token
    /// tokenizer with (`--bert`) or without the BERT special tokens.
    static func corpus(in dir: URL, bert: Bool = true) throws -> String { try DistributedCLITests.corpus(in: dir, bert: bert) }

    struct Expected: Decodable {
        var loss: Double
        var missingKeys: [String], unexpectedKeys: [String], mismatchedKeys: [String]
        var padTokenID: Int
        enum CodingKeys: String, CodingKey {
            case loss, missingKeys = "missing_keys", unexpectedKeys = "unexpected_keys"
            case mismatchedKeys = "mismatched_keys", padTokenID = "pad_token_id"
        }
    }

    /// `train` with the fixture's command: the weights equal the committed folder's (to 1e-4 absolute: the same
    /// run, bit for bit on the machine and build that made it; another CPU's BLAS kernels may sum in another order,
    /// and the AVX2+FMA build rounds `exp` and `erf` once per fused step; the attention key biases, whose gradient
    /// is zero analytically, only to their rounding-noise floor),
    /// transformers loaded that folder with no missing, unexpected or mismatched key, and `autoscale grad` gives transformers' loss on the fixture batch
    /// (padding, token types, masked labels) to 1e-5 relative on the committed folder, 1e-4 on the retrained one.
    @Test func trainedFolderLoadsInTransformersWithTheSameLoss() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir)
        let out = dir.appendingPathComponent("bert")
        let r = try CLI.run(["train", "--corpus", corpus, "--config", Self.config, "--tokens", "24k", "--threads", "1",
                             "--out", out.path, "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let losses = try #require(result["val_loss"] as? [String: Double])
        #expect(losses.count == 5)
        // Trained: below the loss of a uniform guess over the 300 ids (ln 300 = 5.70) on every domain.
        for (d, l) in losses { #expect(l > 0 && l < 5.0, "\(d): \(l)") }

        let expected = try Fixture.json(Expected.self, "proxies/bert/expected.json")
        #expect(expected.missingKeys.isEmpty && expected.unexpectedKeys.isEmpty && expected.mismatchedKeys.isEmpty)
        let config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("model/config.json"))) as? [String: Any])
        #expect(config["model_type"] as? String == "bert" && config["architectures"] as? [String] == ["BertForMaskedLM"])
        #expect(config["max_position_embeddings"] as? Int == 32 && config["pad_token_id"] as? Int == expected.padTokenID)

        let ours = try SafeTensors.read(out.appendingPathComponent("model/model.safetensors")).tensors
        let committed = try SafeTensors.read(Fixture.url("proxies/bert/model/model.safetensors")).tensors
        #expect(Set(ours.keys) == Set(committed.keys))
        for (name, t) in committed {
            let o = try #require(ours[name])
            #expect(o.shape == t.shape)
            if name.hasSuffix("attention.self.key.bias") {
                // The key bias adds q·b_k to every score of a query row, which softmax cancels: its gradient is
                // zero analytically, so what AdamW makes of it is rounding noise (the committed values are below
                // 7e-5, where trained biases reach 4e-2 to 9e-2; the AVX2+FMA build's rounding moves them by up to
                // 1.3e-4, every other tensor by at most 2.4e-6). Checked: both stay at that noise floor.
                #expect(o.values.allSatisfy { abs($0) <= 1e-3 } && t.values.allSatisfy { abs($0) <= 1e-3 }, "\(name)")
            } else {
                #expect(zip(o.values, t.values).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(name)")
            }
        }
        for (model, tolerance) in [(Fixture.url("proxies/bert/model").path, 1e-5), (out.appendingPathComponent("model").path, 1e-4)] {
            let g = try CLI.run(["grad", "--model", model, "--batch", Fixture.url("proxies/bert/batch.json").path,
                                 "--out", dir.appendingPathComponent("g.safetensors").path, "--json"])
            try #require(g.status == 0, "\(g.stderr)")
            let loss = try #require((try JSONSerialization.jsonObject(with: g.stdoutData) as? [String: Any])?["loss"] as? Double)
            #expect(abs(loss - expected.loss) / expected.loss < tolerance, "\(model): \(loss) against \(expected.loss)")
        }
    }

    /// `ddo run` trains the BERT proxy's 5 runs, and `pipeline` with two budgets branches each mixture's WSD trunk:
    /// its run records and loss table at each budget equal `ddo run` at that budget byte for byte, and a second
    /// pipeline invocation trains nothing.
    @Test func ddoRunAndBranchedPipeline() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir)
        let out = dir.appendingPathComponent("report")
        let pipeline = dir.appendingPathComponent("pipeline.yaml")
        try Data("""
            corpus: \(corpus)
            out: \(out.path)
            domains: [digits, templates]
            proxy: \(Self.config)
            budgets: [6k, 12k]
            factors: [0.5, 2]
            target: 24k
            validation: {seeds: [1], evaluations: 2}

            """.utf8).write(to: pipeline)
        let r = try CLI.run(["pipeline", pipeline.path, "--json", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        // One trunk per DDO mixture (5, not one run per mixture and budget), then the 3 validation mixtures.
        let trainings = r.stderr.split(separator: "\n").filter { $0.contains(": training on") }
        #expect(trainings.filter { $0.contains(" DDO mixture ") }.count == 5, "one trunk per mixture: \(trainings)")
        #expect(trainings.filter { $0.contains(" validation ") }.count == 3 && trainings.count == 8, "\(trainings)")
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect((report["ddo"] as? [[String: Any]])?.map { $0["folder"] as? String } == ["ddo-6k", "ddo-12k"])
        for label in ["6k", "12k"] {
            let one = dir.appendingPathComponent("one-\(label)")
            let s = try CLI.run(["ddo", "run", "--corpus", corpus, "--config", Self.config, "--factors", "0.5,2",
                                 "--domains", "digits,templates", "--threads", "1", "--tokens", label, "--out", one.path, "--quiet"])
            try #require(s.status == 0, "\(s.stderr)")
            let names = try DDOBudgetsCLITests.files(one).filter { $0 != "result.json" }
            #expect(names.count == 6)
            for f in names {
                #expect(try Data(contentsOf: out.appendingPathComponent("ddo-\(label)/\(f)")) == Data(contentsOf: one.appendingPathComponent(f)),
                        "\(label): \(f)")
            }
            let rows = try DDORunCLITests.lossRows(one.appendingPathComponent("losses.csv"))
            #expect(rows.count == 6)
            for row in rows.dropFirst() {
                #expect(row.suffix(2).allSatisfy { Double($0).map { $0 > 0 && $0 < 6 } ?? false }, "\(row)")
            }
        }
        let again = try CLI.run(["pipeline", pipeline.path, "--json", "--threads", "1"])
        #expect(again.status == 0 && !again.stderr.contains(": training on"), "\(again.stderr)")
        #expect(again.stdout == r.stdout)
    }

    /// A BERT proxy on a tokenizer without `[PAD] [CLS] [SEP] [MASK]`, `n_embd` not a multiple of `n_head`, and a
    /// context above the model's position table: one line each, naming the file and how to fix it, from `train`
    /// and `ddo run`, with nothing written.
    @Test func badBertConfigsAreOneLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try Self.corpus(in: dir, bert: false)
        let rest = "batch_size: 4\neval_tokens: 256\nschedule: {kind: constant, peak_lr: 1.0e-3}\n"
        let cases: [(yaml: String, fragments: [String])] = [
            ("model: {arch: bert, n_layer: 1, n_embd: 16, n_head: 2}\ncontext: 16\n" + rest,
             ["tok.json", "[PAD] [CLS] [SEP] [MASK]", "autoscale tokenizer train --bert"]),
            ("model: {arch: bert, n_layer: 1, n_embd: 30, n_head: 4}\ncontext: 16\n" + rest,
             ["c1.yaml", "model.n_embd: 30 is not a multiple of model.n_head (4)"]),
            ("model: {arch: bert, n_layer: 1, n_embd: 16, n_head: 2, max_positions: 16}\ncontext: 32\n" + rest,
             ["c2.yaml", "context: 32 is above model.max_positions (16)"]),
            ("model: {arch: bert, n_layer: 1, n_embd: 16, n_head: 2}\ncontext: 2\n" + rest,
             ["c3.yaml", "context: must be >= 3"]),
        ]
        for (i, c) in cases.enumerated() {
            let path = dir.appendingPathComponent("c\(i).yaml")
            try Data(c.yaml.utf8).write(to: path)
            for command in [["train", "--tokens", "2k"], ["ddo", "run", "--tokens", "2k"]] {
                let out = dir.appendingPathComponent("o\(i)")
                let r = try CLI.run(command + ["--corpus", plain, "--config", path.path, "--out", out.path])
                #expect(r.status != 0)
                #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                for f in c.fragments { #expect(r.stderr.contains(f), "\(command[0]) \(i): \(r.stderr)") }
                #expect(!FileManager.default.fileExists(atPath: out.path), "\(command[0]) \(i)")
            }
        }
    }

    /// A BERT proxy too large for the machine (`n_embd: 1048576`) is refused by `train` and `ddo run` before
    /// anything is allocated, with the estimate and the machine's memory (it trapped in the allocator), nothing written.
    @Test func hugeBertIsRefusedWithTheEstimate() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir, bert: true)
        let yaml = try String(contentsOfFile: Self.config, encoding: .utf8)
            .replacingOccurrences(of: "n_embd: 32", with: "n_embd: 1048576")
        let path = dir.appendingPathComponent("huge.yaml")
        try Data(yaml.utf8).write(to: path)
        for command in [["train", "--tokens", "2k"], ["ddo", "run", "--tokens", "2k"]] {
            let out = dir.appendingPathComponent("o-\(command[0])")
            let r = try CLI.run(command + ["--corpus", corpus, "--config", path.path, "--out", out.path])
            #expect(r.status == 1 && !r.crashed, "\(command[0]): \(r.stderr)")
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains("huge.yaml: training this model needs about ")
                    && r.stderr.contains("but this machine has ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(command[0])")
        }
    }
}
