import Foundation
import Testing
import TestSupport

/// `autoscale pipeline` end to end on a tiny synthetic corpus: two small DDOs, the prediction, validation at
/// the target with two seeds, the report folder, the cache on a rerun, and one-line config errors.
struct PipelineCLITests {
    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static let proxy = """
        proxy:
          model: {arch: gpt2, n_layer: 1, n_embd: 32, n_head: 2}
          context: 32
          batch_size: 4
          eval_tokens: 500
          seed: 1
          schedule: {kind: cosine, peak_lr: 3.0e-3, warmup_steps: 2, final_fraction: 0.1}
        """

    /// Writes `<out>.yaml` next to `out`: the tiny corpus, `out`, `domains`, the inline proxy, budgets 6k and
    /// 12k, target 30k, then `extra` lines; returns its path.
    static func config(corpus: String, out: URL, domains: [String], extra: String) throws -> String {
        let path = out.deletingLastPathComponent().appendingPathComponent(out.lastPathComponent + ".yaml")
        try Data("""
            corpus: \(corpus)
            out: \(out.path)
            domains: [\(domains.joined(separator: ", "))]
            \(proxy)
            budgets: [6k, 12k]
            target: 30k
            \(extra)

            """.utf8).write(to: path)
        return path.path
    }

    @Test func runsTheWholeJobAndReusesItsCache() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let out = dir.appendingPathComponent("report")
        let config = try Self.config(corpus: corpus, out: out, domains: ["digits", "markov-words", "templates"],
                                     extra: "validation: {seeds: [1, 2], evaluations: 3}")

        let first = try CLI.run(["pipeline", config])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.components(separatedBy: ": training on").count - 1 == 2 * 7 + 2 * 3)
        #expect(first.stdout.contains("autoscale - uniform: ") && first.stdout.contains("autoscale - ddo-12k: "))
        #expect(first.stdout.contains("report: \(out.appendingPathComponent("report.html").path)"))

        let report = try Self.json(out.appendingPathComponent("report.json"))
        #expect(report["budgets"] as? [Int] == [6000, 12000] && report["target"] as? Int == 30000)
        // The prediction is fitted to the two DDO results in budget order and spends the target exactly; the
        // same numbers as `autoscale predict` on those results (a plumbing check: both call one predictor).
        let prediction = try #require(report["prediction"] as? [String: Any])
        #expect((prediction["predictor"] as? [String: Any])?["sources"] as? [String] == ["ddo-6k", "ddo-12k"])
        #expect(abs(try #require(prediction["tokens"] as? [String: Double]).values.reduce(0, +) - 30000) <= 1e-6)
        // Caps from the token folder's manifest: a domain's training windows of T - 1 = 31 predicted tokens
        // times max_epochs (default 4); the same caps in every DDO result.
        let root = URL(fileURLWithPath: corpus)
        let manifestURL = [root.appendingPathComponent("manifest.json"), root.appendingPathComponent("tokens/manifest.json")]
            .first { FileManager.default.fileExists(atPath: $0.path) }
        let manifest = try Self.json(try #require(manifestURL))
        let shards = try #require(manifest["domains"] as? [[String: Any]])
        var expectedCaps: [String: Double] = [:]
        for d in shards where ["digits", "markov-words", "templates"].contains(d["name"] as? String) {
            let train = try #require((d["train"] as? [String: Any])?["tokens"] as? Int)
            expectedCaps[try #require(d["name"] as? String)] = Double((train - 1) / 31 * 31 * 4)
        }
        #expect(expectedCaps.count == 3 && prediction["caps"] as? [String: Double] == expectedCaps, "\(prediction["caps"] ?? "none")")
        #expect(try Self.json(out.appendingPathComponent("ddo-6k/result.json"))["caps"] as? [String: Double] == expectedCaps)
        let predicted = try CLI.run(["predict", out.appendingPathComponent("ddo-6k/result.json").path,
                                     out.appendingPathComponent("ddo-12k/result.json").path, "--tokens", "30k", "--json"])
        #expect(predicted.status == 0)
        let reference = try #require(try JSONSerialization.jsonObject(with: predicted.stdoutData) as? [String: Any])
        let weights = try #require((report["prediction"] as? [String: Any])?["weights"] as? [String: Double])
        let expected = try #require(reference["weights"] as? [String: Double])
        #expect(Set(weights.keys) == Set(expected.keys))
        for (d, w) in weights { #expect(abs(w - expected[d]!) <= 1e-12) }

        let validation = try #require(report["validation"] as? [String: Any])
        let mixtures = try #require(validation["mixtures"] as? [[String: Any]])
        #expect(mixtures.map { $0["name"] as? String } == ["uniform", "ddo-12k", "autoscale"])
        for m in mixtures {
            let tokens = try #require(m["tokens"] as? [String: Int])
            let w = try #require(m["weights"] as? [String: Double])
            #expect(tokens.values.reduce(0, +) == 30000)
            for (d, n) in tokens { #expect(abs(Double(n) - 30000 * w[d]!) <= 1, "\(d)") }
        }
        let runs = try #require(validation["runs"] as? [[String: Any]])
        #expect(runs.count == 6)
        var mean: [String: Double] = [:]
        for r in runs {
            let losses = try #require(r["losses"] as? [String: Double])
            let m = losses.values.reduce(0, +) / 3
            #expect(abs(try #require(r["mean_loss"] as? Double) - m) <= 1e-12)
            // The curve is read back from the CSV log: its last point is the final evaluation.
            let curve = try #require(r["curve"] as? [[String: Any]])
            #expect(curve.count >= 3)
            #expect(abs(try #require(curve.last?["mean_loss"] as? Double) - m) <= 1e-12)
            let log = try #require(r["log"] as? String)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(log).path))
            mean["\(r["mixture"]!)/\(r["seed"]!)"] = m
        }
        // Paired comparison, autoscale minus uniform, per seed.
        let comparisons = try #require(validation["comparisons"] as? [[String: Any]])
        let diffs = try #require(comparisons.first { $0["against"] as? String == "uniform" }?["differences"] as? [Double])
        #expect(diffs.count == 2)
        for (i, s) in [1, 2].enumerated() { #expect(abs(diffs[i] - (mean["autoscale/\(s)"]! - mean["uniform/\(s)"]!)) <= 1e-12) }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("templates"))

        // A rerun trains nothing and writes the same report.
        let before = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let second = try CLI.run(["pipeline", config])
        #expect(second.status == 0)
        #expect(!second.stderr.contains("training on") && second.stderr.contains("cached"))
        #expect(try Data(contentsOf: out.appendingPathComponent("report.json")) == before)
        #expect(second.stdout == first.stdout)
    }

    /// `methods: [uniform, doremi, autoscale]`: DoReMi's reference and proxy runs train at the largest DDO budget
    /// into methods/doremi (its `mix run` folder layout); the report's doremi entry carries that result's weights
    /// (to 1e-12) and proxy compute, its weights are validated at the target and ranked; a rerun trains nothing.
    @Test func doremiIsAMethodOfThePipeline() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let out = dir.appendingPathComponent("report")
        let config = try Self.config(corpus: corpus, out: out, domains: ["digits", "markov-words", "templates"],
                                     extra: "validation: {seeds: [1], evaluations: 2}\nmethods: [uniform, doremi, autoscale]")
        let first = try CLI.run(["pipeline", config])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("doremi: proxy run (12000 tokens"))
        let report = try Self.json(out.appendingPathComponent("report.json"))
        let methods = try #require(report["methods"] as? [[String: Any]])
        #expect(methods.map { $0["method"] as? String } == ["uniform", "doremi", "autoscale"])
        let entry = try #require(methods.first { $0["method"] as? String == "doremi" })
        let saved = try Self.json(out.appendingPathComponent("methods/doremi/result.json"))
        let w = try #require(entry["weights"] as? [String: Double]), expected = try #require(saved["weights"] as? [String: Double])
        #expect(Set(w.keys) == Set(expected.keys) && w.keys.allSatisfy { abs(w[$0]! - expected[$0]!) <= 1e-12 })
        #expect(abs(w.values.reduce(0, +) - 1) <= 1e-12)
        let details = try #require(saved["details"] as? [String: Any])
        #expect(entry["proxy_tokens"] as? Int == details["proxy_compute_tokens"] as? Int && entry["proxy_runs"] as? Int == 2)
        #expect(entry["fitted_at"] as? Int == 12000 && entry["source"] as? String == "methods/doremi/result.json")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("methods/doremi/weights.csv").path))
        let ranking = try #require(report["ranking"] as? [[String: Any]])
        #expect(Set(ranking.compactMap { $0["method"] as? String }) == ["uniform", "doremi", "autoscale"])
        let mixtures = try #require((report["validation"] as? [String: Any])?["mixtures"] as? [[String: Any]])
        let validated = try #require(mixtures.first { $0["name"] as? String == "doremi" }?["weights"] as? [String: Double])
        #expect(validated.keys.allSatisfy { abs(validated[$0]! - w[$0]!) <= 1e-12 })

        let second = try CLI.run(["pipeline", config])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("training on") && !second.stderr.contains("doremi: proxy run"))
        let again = try #require(try Self.json(out.appendingPathComponent("report.json"))["methods"] as? [[String: Any]])
        #expect(again.first { $0["method"] as? String == "doremi" }?["weights"] as? [String: Double] == w)
    }

    /// DDO replicates: each budget's losses.csv is the mean over the seed folders, and its result is `ddo fit` of it.
    @Test func averagesDDOReplicates() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let out = dir.appendingPathComponent("report")
        let config = try Self.config(corpus: corpus, out: out, domains: ["digits", "templates"], extra: "ddo_seeds: [1, 2]")
        let r = try CLI.run(["pipeline", config, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: ": training on").count - 1 == 2 * 2 * 5)
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(report["validation"] == nil)
        let ddo = try #require(report["ddo"] as? [[String: Any]])
        #expect(ddo.count == 2)
        for entry in ddo {
            let folder = out.appendingPathComponent(try #require(entry["folder"] as? String))
            #expect(entry["seeds"] as? [Int] == [1, 2])
            #expect((entry["seed_weights"] as? [[String: Double]])?.count == 2)
            let mean = try DDORunCLITests.lossRows(folder.appendingPathComponent("losses.csv"))
            let s1 = try DDORunCLITests.lossRows(folder.appendingPathComponent("seed-1/losses.csv"))
            let s2 = try DDORunCLITests.lossRows(folder.appendingPathComponent("seed-2/losses.csv"))
            #expect(mean.count == 6 && s1.count == 6 && s2.count == 6)
            for (m, (a, b)) in zip(mean.dropFirst(), zip(s1.dropFirst(), s2.dropFirst())) {
                #expect(m.prefix(3) == a.prefix(3) && a.prefix(3) == b.prefix(3))
                for j in 3..<5 { #expect(abs(Double(m[j])! - (Double(a[j])! + Double(b[j])!) / 2) <= 1e-12) }
                #expect(a.suffix(2) != b.suffix(2))   // the seeds differ
            }
            let fit = try CLI.run(["ddo", "fit", folder.appendingPathComponent("losses.csv").path, "--json", "--quiet"])
            let fitted = try #require(try JSONSerialization.jsonObject(with: fit.stdoutData) as? [String: Any])
            let w = try #require((entry["result"] as? [String: Any])?["weights"] as? [String: Double])
            let expected = try #require(fitted["weights"] as? [String: Double])
            for (d, v) in w { #expect(abs(v - expected[d]!) <= 1e-12, "\(d)") }
            // Intervals from the two seeds' weights: inside their range, around nothing narrower.
            let intervals = try #require((entry["result"] as? [String: Any])?["intervals"] as? [String: Any])
            #expect(intervals["method"] as? String == "replicates")
            let bounds = try #require(intervals["weights"] as? [String: [Double]])
            let seedWeights = try #require(entry["seed_weights"] as? [[String: Double]])
            for (d, lohi) in bounds {
                let seen = seedWeights.compactMap { $0[d] }
                #expect(lohi.count == 2 && seen.count == 2, "\(d)")
                #expect(lohi[0] <= lohi[1] && lohi[0] >= seen.min()! - 1e-12 && lohi[1] <= seen.max()! + 1e-12, "\(d): \(lohi) vs \(seen)")
            }
        }
        let predicted = try #require((report["prediction"] as? [String: Any])?["intervals"] as? [String: Any])
        #expect((predicted["weights"] as? [String: [Double]])?.count == 2, "the prediction carries the seeds' intervals")
    }

    @Test func badConfigIsOneLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = "corpus: \(dir.path)\nout: \(dir.path)/o\n\(Self.proxy)\n"
        let cases: [(String, String)] = [
            (base + "budgets: [6k]\ntarget: 30k\n", "budgets: need two or more"),
            (base + "budgets: [6k, 12k]\ntarget: 10k\n", "target: 10000 tokens is not above"),
            (base + "budgets: [6k, 12k]\ntarget: 30k\nvalidation: {seeds: [1, x]}\n", "validation.seeds: 'x' is not a seed"),
            (base + "budgets: [6k, 12k]\ntarget: 30k\nbudget: 3\n", "budget: unknown key"),
            (base + "budgets: [6k, lots]\ntarget: 30k\n", "budgets: 'lots' is not a positive token count"),
            (base + "budgets: [6k, 12k]\ntarget: 30k\nfactors: [3]\n", "factors: need at least two distinct"),
            (base + "budgets: [6k, 12k]\ntarget: 30k\nddo_seeds: [1, 1]\n", "ddo_seeds: must be distinct"),
            ("corpus: \(dir.path)\nout: o\nproxy: {model: {arch: gpt2, n_layer: 1, n_embd: 32, n_head: 2}, context: 32, batch_size: 4, eval_tokens: 500, steps: 3, schedule: {kind: constant, peak_lr: 1.0e-3}}\nbudgets: [6k, 12k]\ntarget: 30k\n", "proxy: steps: not allowed"),
            ("corpus: \(dir.path)\nout: o\nproxy: \(dir.path)/missing.yaml\nbudgets: [6k, 12k]\ntarget: 30k\n", "missing.yaml: no such file"),
        ]
        for (i, (yaml, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("p\(i).yaml")
            try Data(yaml.utf8).write(to: path)
            let r = try CLI.run(["pipeline", path.path])
            #expect(r.status != 0)
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(expected), "\(i): \(r.stderr)")
        }
    }
}
