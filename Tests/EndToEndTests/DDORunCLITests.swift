import Foundation
import Testing
import TestSupport

/// `autoscale ddo run` end to end on a tiny synthetic corpus with the shipped tiny proxy: 3 domains, a
/// 15k-token budget (7 runs), the outputs, the run cache, resuming and the config guard.
struct DDORunCLITests {
    typealias CLI = CorpusCLITests

    static func lossRows(_ url: URL) throws -> [[String]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
    }

    @Test func trainsFitsAndReusesTheCache() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path, tok = dir.appendingPathComponent("tok.json").path
        #expect(try CLI.run(["corpus", "build", "--out", corpus, "--synthetic", "--synthetic-bytes", "150000",
                             "--val-bytes", "30000", "--quiet"]).status == 0)
        #expect(try CLI.run(["tokenizer", "train", "--corpus", corpus, "--vocab-size", "300", "--out", tok, "--quiet"]).status == 0)
        #expect(try CLI.run(["corpus", "tokenize", "--corpus", corpus, "--tokenizer", tok, "--min-val-tokens", "1000", "--quiet"]).status == 0)
        let config = Fixture.root.deletingLastPathComponent().appendingPathComponent("Docs/examples/proxy-tiny.yaml").path
        let out = dir.appendingPathComponent("ddo")
        let args = ["ddo", "run", "--corpus", corpus, "--config", config, "--tokens", "15k", "--factors", "0.333,3",
                    "--domains", "digits,markov-words,templates", "--seed", "3", "--out", out.path]

        let first = try CLI.run(args + ["--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.components(separatedBy: ": training on").count - 1 == 7)
        let rows = try Self.lossRows(out.appendingPathComponent("losses.csv"))
        #expect(rows.count == 1 + 7)   // header + 2m+1 runs
        #expect(rows[0] == ["run", "tokens:digits", "tokens:markov-words", "tokens:templates", "val:digits", "val:markov-words", "val:templates"])
        for r in rows.dropFirst() {
            #expect(r.count == 7)
            #expect(r.suffix(3).allSatisfy { Double($0).map { $0.isFinite && $0 > 0 } ?? false }, "\(r)")
        }
        #expect(rows[1].prefix(4) == ["base", "5000", "5000", "5000"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("result.json"))) as? [String: Any])
        let weights = try #require(result["weights"] as? [String: Double])
        #expect(Set(weights.keys) == ["digits", "markov-words", "templates"])
        #expect(abs(weights.values.reduce(0, +) - 1) < 1e-9)
        #expect(weights.values.allSatisfy { $0 > 0 })
        let printed = try #require(try JSONSerialization.jsonObject(with: first.stdout) as? [String: Any])
        #expect((printed["weights"] as? [String: Double]) == weights)

        // Second invocation: every run comes from the cache, nothing is trained, the outputs are the same.
        let csvBefore = try Data(contentsOf: out.appendingPathComponent("losses.csv"))
        let second = try CLI.run(args)
        #expect(second.status == 0)
        #expect(second.stderr.components(separatedBy: ": cached").count - 1 == 7)
        #expect(!second.stderr.contains("training on") && !second.stderr.contains("step "))
        #expect(try Data(contentsOf: out.appendingPathComponent("losses.csv")) == csvBefore)

        // Resume: a missing run record is retrained (same seed: same losses, to 1e-4 nats) and only it.
        try FileManager.default.removeItem(at: out.appendingPathComponent("runs/templates-x3.json"))
        let third = try CLI.run(args + ["--quiet"])
        #expect(third.status == 0 && third.stderr.isEmpty)
        let again = try Self.lossRows(out.appendingPathComponent("losses.csv"))
        #expect(again.count == rows.count)
        for (a, b) in zip(again, rows) {
            #expect(a.prefix(4) == b.prefix(4))
            for (x, y) in zip(a.suffix(3), b.suffix(3)) where a[0] != "run" {
                #expect(abs(Double(x)! - Double(y)!) < 1e-4, "\(a[0])")
            }
        }

        // Another seed must not reuse this folder's runs.
        var otherSeed = args
        otherSeed[otherSeed.firstIndex(of: "--seed")! + 1] = "4"
        let mixed = try CLI.run(otherSeed + ["--quiet"])
        #expect(mixed.status != 0 && mixed.stderr.hasPrefix("Error: ") && mixed.stderr.contains("proxy.txt"))
        #expect(mixed.stderr.split(separator: "\n").count == 1)
    }

    @Test func badConfigIsOneLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            ("model: {arch: gpt2, n_layer: 1, n_embd: 16, n_head: 2}\ncontext: 16\nbatch_size: 2\neval_tokens: 64\nsteps: 5\nschedule: {kind: constant, peak_lr: 1.0e-3}\n", "steps: not allowed"),
            ("model: {arch: t5, n_layer: 1, n_embd: 16, n_head: 2}\ncontext: 16\nbatch_size: 2\neval_tokens: 64\nschedule: {kind: constant, peak_lr: 1.0e-3}\n", "model.arch"),
            ("model: {arch: gpt2, n_layer: 1, n_embd: 16, n_head: 2, layers: 3}\ncontext: 16\nbatch_size: 2\neval_tokens: 64\nschedule: {kind: constant, peak_lr: 1.0e-3}\n", "model.layers: unknown key"),
            ("model: {arch: gpt2, n_layer: 1, n_embd: 16, n_head: 2}\ncontext: 16\nbatch_size: 2\neval_tokens: 64\nschedule: {kind: constant, peak_lr: 1.0e-3}\nlearning_rate: 3\n", "learning_rate"),
        ]
        for (i, (yaml, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("c\(i).yaml")
            try Data(yaml.utf8).write(to: path)
            let r = try CLI.run(["ddo", "run", "--corpus", dir.path, "--config", path.path, "--tokens", "1000", "--out",
                                 dir.appendingPathComponent("o\(i)").path])
            #expect(r.status != 0)
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(expected) && r.stderr.contains(path.lastPathComponent), "\(r.stderr)")
        }
    }
}
