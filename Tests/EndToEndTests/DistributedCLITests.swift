import Foundation
import Testing
import TestSupport

/// Distributed runs under `mpirun -np 2` against the one-process runs (issue 7). They run only when
/// `mpirun` is on PATH and the binary was built with the MPI trait (`make test` does both); otherwise they
/// are skipped with that reason.
@Suite(.enabled(if: CLI.mpiBuild, "needs mpirun and an autoscale built with --traits MPI"), .serialized)
struct DistributedCLITests {

    static let proxyConfig = Fixture.root.deletingLastPathComponent().appendingPathComponent("Docs/examples/proxy-tiny.yaml").path

    /// A tiny synthetic corpus (as DDORunCLITests builds it): 5 domains, a 300-token BPE (with `bert`: `tokenizer train
    /// --bert`, the BERT special tokens), token shards.
    static func corpus(in dir: URL, bert: Bool = false) throws -> String {
        let corpus = dir.appendingPathComponent("corpus").path, tok = dir.appendingPathComponent("tok.json").path
        for args in [["corpus", "build", "--out", corpus, "--synthetic", "--synthetic-bytes", "150000", "--val-bytes", "30000"],
                     ["tokenizer", "train", "--corpus", corpus, "--vocab-size", "300", "--out", tok] + (bert ? ["--bert"] : []),
                     ["corpus", "tokenize", "--corpus", corpus, "--tokenizer", tok, "--min-val-tokens", "1000"]] {
            let r = try CLI.run(args + ["--quiet"])
            try #require(r.status == 0, "\(args[0]) \(args[1]): \(r.stderr)")
        }
        return corpus
    }

    /// `mpirun -np ranks autoscale ...` with extra environment (CLI.mpi's options).
    static func mpi(_ ranks: Int, _ args: [String], env: [String: String] = [:]) throws -> CLI.Result {
        try #require(CLI.mpirun != nil)
        return try CLI.mpi(ranks: ranks, args, environment: env)
    }

    static func csv(_ url: URL) throws -> [[String]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Float32 tensors of a safetensors file by name (the format: u64 header length, JSON header, data).
    static func safetensors(_ url: URL) throws -> [String: [Float]] {
        let data = try Data(contentsOf: url)
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        var out: [String: [Float]] = [:]
        for (name, v) in header where name != "__metadata__" {
            let info = try #require(v as? [String: Any]), range = try #require(info["data_offsets"] as? [Int])
            try #require(info["dtype"] as? String == "F32")
            out[name] = data.subdata(in: (8 + n + range[0])..<(8 + n + range[1])).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        return out
    }

    /// `autoscale pipeline` under 2 ranks writes the same report.json (byte for byte: DDO fits, prediction,
    /// validation losses and curves) and prints the same tables as one process, with one BLAS thread each.
    @Test func distributedPipelineEqualsOneProcess() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir)
        func config(_ out: URL) throws -> String {
            try PipelineCLITests.config(corpus: corpus, out: out, domains: ["digits", "templates"],
                                        extra: "validation: {seeds: [1, 2], evaluations: 3}")
        }
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two")
        let r1 = try CLI.run(["pipeline", try config(one), "--threads", "1"])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try Self.mpi(2, ["pipeline", try config(two)])
        #expect(r2.status == 0, "\(r2.stderr)")
        // The trainings are spread, not repeated: as many over both ranks as in one process (2 x 5 DDO + 6).
        let trained = { (r: CLI.Result) in r.stderr.components(separatedBy: ": training on").count - 1 }
        #expect(trained(r1) == 16 && trained(r2) == 16)
        #expect(r2.stderr.contains("rank 0: pipeline") && r2.stderr.contains("rank 1: pipeline"))
        #expect(try Data(contentsOf: one.appendingPathComponent("report.json")) == Data(contentsOf: two.appendingPathComponent("report.json")))
        #expect(r1.stdout.replacingOccurrences(of: one.path, with: "OUT") == r2.stdout.replacingOccurrences(of: two.path, with: "OUT"))
    }

    /// (a) 2-rank data-parallel `autoscale train` equals the 1-rank run (one BLAS thread each) step by step:
    /// tokens and learning rate exactly, train loss to 1e-5 relative per step (measured: ~1e-7), final
    /// validation losses to 1e-5 relative, final weights to 1e-4 absolute (only the float summation order
    /// of the split batch differs; AdamW amplifies it a little over 39 steps).
    @Test func dataParallelTrainingMatchesOneProcess() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir)
        let args = ["train", "--corpus", corpus, "--config", Self.proxyConfig, "--tokens", "20k",
                    "--weights", "digits=1,templates=2", "--seed", "5", "--json", "--quiet"]
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two")
        let r1 = try CLI.run(args + ["--out", one.path, "--threads", "1"])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try Self.mpi(2, args + ["--out", two.path])
        #expect(r2.status == 0, "\(r2.stderr)")

        let a = try Self.csv(one.appendingPathComponent("log.csv")), b = try Self.csv(two.appendingPathComponent("log.csv"))
        #expect(a[0] == ["step", "tokens", "lr", "train_loss", "val_loss:digits", "val_loss:templates", "tokens_per_s"])
        #expect(a.count == 40 && b.count == a.count)   // 20k tokens: 312 sequences of 63 predicted tokens, 39 steps of 8
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            #expect(x.prefix(3) == y.prefix(3))
            let lx = try #require(Double(x[3])), ly = try #require(Double(y[3]))
            #expect(abs(lx - ly) <= 1e-5 * abs(lx), "step \(x[0]): \(lx) vs \(ly)")
        }
        let j1 = try #require(try JSONSerialization.jsonObject(with: r1.stdoutData) as? [String: Any])
        let j2 = try #require(try JSONSerialization.jsonObject(with: r2.stdoutData) as? [String: Any])
        #expect(j1["ranks"] as? Int == 1 && j2["ranks"] as? Int == 2)
        #expect(j1["steps"] as? Int == 39 && j2["steps"] as? Int == 39)
        #expect((j1["tokens"] as? [String: Int]) == ["digits": 6667, "templates": 13333])
        #expect((j2["allreduce_seconds"] as? Double).map { $0 > 0 } == true && (j1["allreduce_seconds"] as? Double) == 0)
        let v1 = try #require(j1["val_loss"] as? [String: Double]), v2 = try #require(j2["val_loss"] as? [String: Double])
        #expect(v1.keys.sorted() == ["digits", "templates"] && v2.keys.sorted() == v1.keys.sorted())
        for (d, l) in v1 { #expect(abs(l - v2[d]!) <= 1e-5 * l, "\(d)") }
        #expect(try Data(contentsOf: one.appendingPathComponent("result.json")) == r1.stdoutData.dropLast())

        let w1 = try Self.safetensors(one.appendingPathComponent("model/model.safetensors"))
        let w2 = try Self.safetensors(two.appendingPathComponent("model/model.safetensors"))
        #expect(w1.keys.sorted() == w2.keys.sorted() && w1.count >= 10)
        for (name, x) in w1 { #expect(maxAbsDiff(x, w2[name] ?? []) <= 1e-4, "\(name)") }
    }

    /// A global batch that does not split over the ranks is one clear error, before any training.
    @Test func batchMustSplitOverTheRanks() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("odd.yaml")
        try Data(String(contentsOfFile: Self.proxyConfig, encoding: .utf8)
            .replacingOccurrences(of: "batch_size: 8", with: "batch_size: 7").utf8).write(to: config)
        let r = try Self.mpi(2, ["train", "--corpus", dir.path, "--config", config.path, "--tokens", "20k",
                                 "--out", dir.appendingPathComponent("o").path])
        #expect(r.status != 0)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 1, "\(r.stderr)")
        #expect(errors.first?.contains("odd.yaml: batch_size: 7 sequences do not split over 2 MPI ranks") == true, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o/result.json").path))
    }

    /// (b) 2-rank `ddo run` writes byte-identical losses.csv, result.json and run records to the 1-rank run;
    /// (c) rank 1 killed after its first run (test hook AUTOSCALE_TEST_KILL_AFTER_RUNS=1) ends the job nonzero
    /// with a line naming the rank and the run, leaves only complete records, and a rerun resumes to the same
    /// outputs.
    @Test func distributedDDOEqualsOneProcessAndSurvivesAKilledRank() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try Self.corpus(in: dir)
        let args = ["ddo", "run", "--corpus", corpus, "--config", Self.proxyConfig, "--tokens", "15k", "--factors", "0.333,3",
                    "--domains", "digits,markov-words,templates", "--seed", "3", "--threads", "1"]
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two"), killed = dir.appendingPathComponent("killed")
        let r1 = try CLI.run(args + ["--out", one.path, "--json"])
        #expect(r1.status == 0, "\(r1.stderr)")
        let r2 = try Self.mpi(2, args + ["--out", two.path, "--json"])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.stdout == r1.stdout)   // only rank 0 prints
        let records = try FileManager.default.contentsOfDirectory(atPath: one.appendingPathComponent("runs").path)
        #expect(records.count == 7)
        for f in ["losses.csv", "result.json"] + records.map({ "runs/" + $0 }) {
            #expect(try Data(contentsOf: two.appendingPathComponent(f)) == Data(contentsOf: one.appendingPathComponent(f)), "\(f)")
        }
        // Both ranks trained runs, each announcing itself with its rank.
        #expect(r2.stderr.contains("rank 0: ddo run ") && r2.stderr.contains("rank 1: ddo run "))
        #expect(r2.stderr.components(separatedBy: ": training on").count - 1 == 7)

        let dead = try Self.mpi(2, args + ["--out", killed.path, "--quiet"], env: ["AUTOSCALE_TEST_KILL_AFTER_RUNS": "1"])
        #expect(dead.status != 0)
        #expect(dead.stderr.contains("rank 1: AUTOSCALE_TEST_KILL_AFTER_RUNS=1: killed after run "), "\(dead.stderr)")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("losses.csv").path))
        let left = try FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("runs").path)
        #expect(!left.isEmpty && left.count < 7, "\(left)")
        for f in left {
            #expect(f.hasSuffix(".json") && !f.hasPrefix("."), "\(f)")   // no temporary files
            #expect(try Data(contentsOf: killed.appendingPathComponent("runs/" + f)) == Data(contentsOf: one.appendingPathComponent("runs/" + f)), "\(f)")
        }
        let resumed = try Self.mpi(2, args + ["--out", killed.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.components(separatedBy: ": cached").count - 1 == left.count)
        #expect(resumed.stderr.components(separatedBy: ": training on").count - 1 == 7 - left.count)
        for f in ["losses.csv", "result.json"] {
            #expect(try Data(contentsOf: killed.appendingPathComponent(f)) == Data(contentsOf: one.appendingPathComponent(f)), "\(f)")
        }
    }

    /// (d) distributedMap over 2 ranks: ordered results, and a job that throws on one rank reaches every rank
    /// as the same error (no deadlock).
    @Test func distributedMapPropagatesAFailure() throws {
        let r = try Self.mpi(2, ["cluster", "check", "--json", "--tickets", "40", "--fail-job", "13"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(j["ranks"] as? Int == 2 && j["map_ok"] as? Bool == true && j["map_failure_ok"] as? Bool == true)
        let failure = try #require(j["map_failure"] as? String)
        #expect(failure.hasPrefix("job 13 failed on rank ") && failure.hasSuffix(": self-check failure injected at job 13"))
    }
}
