import Foundation
import Testing
import TestSupport

/// `autoscale train --tokens` lists: one WSD trunk with a cooldown branched at each budget (issue 14).
@Suite(.serialized) struct TrainBranchesCLITests {
    static let wsdConfig = """
        model: {arch: gpt2, n_layer: 2, n_embd: 64, n_head: 2}
        context: 64
        batch_size: 8
        eval_tokens: 2048
        seed: 1
        evaluation_interval: 5
        schedule: {kind: wsd, peak_lr: 3.0e-3, warmup_steps: 2, cooldown_fraction: 0.2, shape: 1-sqrt}
        optimizer: {weight_decay: 0.1, max_grad_norm: 1.0}
        averaging: {ema_decay: 0.9}
        """

    /// Every branch's result.json, log.csv and model equal `train --tokens <budget>` with the same config (bit for bit,
    /// one process, the same threads); the list trains fewer steps than the separate runs; a rerun trains nothing.
    @Test func branchesEqualSeparateTrainRuns() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let config = dir.appendingPathComponent("wsd.yaml")
        try Self.wsdConfig.write(to: config, atomically: true, encoding: .utf8)
        let base = ["train", "--corpus", corpus, "--config", config.path, "--weights", "digits=1,templates=2", "--threads", "1", "--quiet"]
        let out = dir.appendingPathComponent("list")
        let r = try CLI.run(base + ["--tokens", "6k,12k,3k", "--out", out.path, "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let budgets = try #require(summary["budgets"] as? [[String: Any]])
        #expect(budgets.map { $0["label"] as? String } == ["3k", "6k", "12k"])
        let trained = try #require(summary["trained_steps"] as? Int), separate = try #require(summary["separate_steps"] as? Int)
        #expect(trained < separate && summary["steps_this_run"] as? Int == trained)
        for b in budgets {
            let label = try #require(b["label"] as? String)
            let one = dir.appendingPathComponent("one-\(label)")
            let s = try CLI.run(base + ["--tokens", label, "--out", one.path])
            try #require(s.status == 0, "\(s.stderr)")
            let branch = out.appendingPathComponent(label)
            func json(_ url: URL) throws -> [String: Any] {
                var j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url.appendingPathComponent("result.json"))) as? [String: Any])
                for k in ["tokens_per_second", "step_seconds"] { j[k] = nil }
                return j
            }
            let a = try json(branch), c = try json(one)
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: c), "\(label)")
            #expect(try Data(contentsOf: branch.appendingPathComponent("model/model.safetensors"))
                    == (try Data(contentsOf: one.appendingPathComponent("model/model.safetensors"))))
            let strip = { (u: URL) throws -> [[String]] in
                let rows = try DistributedCLITests.csv(u.appendingPathComponent("log.csv"))
                let i = try #require(rows.first?.firstIndex(of: "tokens_per_s"))
                return rows.map { var x = $0; x.remove(at: i); return x }
            }
            #expect(try strip(branch) == (try strip(one)), "\(label)")
            #expect((b["ema_val_loss"] as? [String: Double])?.count == 2 && (b["trunk_val_loss"] as? [String: Double])?.count == 2)
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("trunk/checkpoints").path))
        let again = try CLI.run(base + ["--tokens", "6k,12k,3k", "--out", out.path, "--json"])
        #expect(again.status == 0)
        let j = try #require(try JSONSerialization.jsonObject(with: again.stdoutData) as? [String: Any])
        #expect(j["steps_this_run"] as? Int == 0)
    }

    /// A list with a cosine schedule, a repeated or empty budget: one line naming the option, nonzero exit, no output.
    @Test func badListsRefused() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let config = dir.appendingPathComponent("wsd.yaml")
        try Self.wsdConfig.write(to: config, atomically: true, encoding: .utf8)
        let cases: [(String, String, String)] = [
            (DistributedCLITests.proxyConfig, "6k,12k", "schedule.kind: several run lengths from one trunk need a wsd schedule"),
            (config.path, "6k,6k", "--tokens: budget 6k (6000 tokens) is listed twice"),
            (config.path, "6k,,12k", "--tokens: '6k,,12k' has an empty or malformed budget ''"),
        ]
        for (cfg, list, message) in cases {
            let out = dir.appendingPathComponent("out")
            let r = try CLI.run(["train", "--corpus", corpus, "--config", cfg, "--tokens", list, "--out", out.path, "--quiet"])
            #expect(r.status != 0 && r.stderr.contains(message), "\(list): \(r.stderr)")
            #expect(r.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }
}
