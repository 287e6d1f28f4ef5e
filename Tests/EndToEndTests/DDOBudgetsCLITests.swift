import Foundation
import Testing
import TestSupport

/// `autoscale ddo run --tokens` lists with a WSD proxy: every mixture one trunk with a cooldown branched at each
/// budget (issue 14 items 3 and 5).
@Suite(.serialized) struct DDOBudgetsCLITests {
    static let budgets = ["4k", "8k", "16k"]

    static func args(_ corpus: String, _ config: URL) -> [String] {
        ["ddo", "run", "--corpus", corpus, "--config", config.path, "--factors", "0.5,2", "--domains", "digits,templates",
         "--threads", "1"]
    }

    static func setUp(_ dir: URL) throws -> (corpus: String, config: URL) {
        let corpus = try DistributedCLITests.corpus(in: dir)
        let config = dir.appendingPathComponent("wsd.yaml")
        try TrainBranchesCLITests.wsdConfig.write(to: config, atomically: true, encoding: .utf8)
        return (corpus, config)
    }

    /// The files of a `ddo run` folder: losses.csv, result.json and every run record.
    static func files(_ folder: URL) throws -> [String] {
        ["losses.csv", "result.json"] + (try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path))
            .filter { $0.hasSuffix(".json") }.sorted().map { "runs/" + $0 }
    }

    /// Each budget's folder of the list is byte for byte the folder of a single-budget `ddo run` (one process, one
    /// thread: bit-equal losses); the trunks' checkpoints are gone; budgets.json names the folders; a rerun
    /// trains nothing.
    @Test func branchFoldersEqualSingleBudgetRuns() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, config) = try Self.setUp(dir)
        let multi = dir.appendingPathComponent("multi")
        let r = try CLI.run(Self.args(corpus, config) + ["--tokens", "16k,4k,8k", "--out", multi.path, "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: ": training on").count - 1 == 5)
        let results = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [[String: Any]])
        #expect(results.count == 3)
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: multi.appendingPathComponent("budgets.json"))) as? [String: Any])
        let listed = try #require(summary["budgets"] as? [[String: Any]])
        #expect(listed.map { $0["folder"] as? String } == Self.budgets.map { "ddo-\($0)" })
        #expect(!FileManager.default.fileExists(atPath: multi.appendingPathComponent("trunks/base").path))
        for label in Self.budgets {
            let one = dir.appendingPathComponent("one-\(label)")
            let s = try CLI.run(Self.args(corpus, config) + ["--tokens", label, "--out", one.path, "--quiet"])
            try #require(s.status == 0, "\(s.stderr)")
            let branch = multi.appendingPathComponent("ddo-\(label)")
            let names = try Self.files(one)
            let listed = try Self.files(branch)
            #expect(names.count == 7 && listed == names)
            for f in names {
                #expect(try Data(contentsOf: branch.appendingPathComponent(f)) == Data(contentsOf: one.appendingPathComponent(f)),
                        "\(label)/\(f)")
            }
        }
        let again = try CLI.run(Self.args(corpus, config) + ["--tokens", "4k,8k,16k", "--out", multi.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.components(separatedBy: ": cached").count - 1 == 5, "\(again.stderr)")
        #expect(!again.stderr.contains(": training on"))
    }

    /// Rank 1 of a 2-rank job killed right after the second branch record it wrote (mid-mixture: one branch left,
    /// the trunk's checkpoints on disk): the rerun keeps the finished records, trains only what is missing, and
    /// ends with every budget's losses.csv and result.json equal to an uninterrupted one-process run.
    @Test(.enabled(if: CLI.mpiBuild, "needs mpirun and an autoscale built with --traits MPI"))
    func killedRunResumesToTheSameNumbers() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, config) = try Self.setUp(dir)
        let whole = dir.appendingPathComponent("whole"), killed = dir.appendingPathComponent("killed")
        let list = ["--tokens", "4k,8k,16k"]
        let r = try CLI.run(Self.args(corpus, config) + list + ["--out", whole.path, "--quiet"])
        try #require(r.status == 0, "\(r.stderr)")
        let dead = try DistributedCLITests.mpi(2, Self.args(corpus, config) + list + ["--out", killed.path, "--quiet"],
                                               env: ["AUTOSCALE_TEST_KILL_AFTER_RUNS": "2"])
        #expect(dead.status != 0)
        #expect(dead.stderr.contains("rank 1: AUTOSCALE_TEST_KILL_AFTER_RUNS=2: killed after run "), "\(dead.stderr)")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("budgets.json").path))
        let trunks = try FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("trunks").path)
        #expect(!trunks.isEmpty, "the killed mixture's trunk checkpoints stay for the resume")
        // The records written before the kill (at least rank 1's two) are kept as they are: not trained again.
        func records() throws -> [String: Date] {
            var out: [String: Date] = [:]
            for label in Self.budgets {
                let runs = killed.appendingPathComponent("ddo-\(label)/runs")
                for f in (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? [] where f.hasSuffix(".json") {
                    let url = runs.appendingPathComponent(f)
                    out["\(label)/\(f)"] = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
                }
            }
            return out
        }
        let before = try records()
        #expect(before.count >= 2, "\(before.keys.sorted())")
        let resumed = try CLI.run(Self.args(corpus, config) + list + ["--out", killed.path])
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let after = try records()
        for (name, date) in before { #expect(after[name] == date, "\(name) was written again") }
        for label in Self.budgets {
            let a = whole.appendingPathComponent("ddo-\(label)"), b = killed.appendingPathComponent("ddo-\(label)")
            for f in try Self.files(a) {
                #expect(try Data(contentsOf: b.appendingPathComponent(f)) == Data(contentsOf: a.appendingPathComponent(f)), "\(label)/\(f)")
            }
        }
    }

    /// A list with a cosine proxy, a list with --rounds, a budget given twice: one line naming the option, nonzero
    /// exit, nothing written.
    @Test func badListsRefused() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (corpus, config) = try Self.setUp(dir)
        let cosine = URL(fileURLWithPath: DistributedCLITests.proxyConfig)
        for (extra, c, message) in [(["--tokens", "4k,8k"], cosine, "--tokens: a list of budgets needs a proxy config whose schedule is kind: wsd"),
                                    (["--tokens", "4k,8k", "--rounds", "2"], config, "--rounds: takes one --tokens budget, not a list"),
                                    (["--tokens", "4k,4000"], config, "--tokens: budget 4000 (4000 tokens) is listed twice")] {
            let out = dir.appendingPathComponent("o")
            let r = try CLI.run(Self.args(corpus, c) + extra + ["--out", out.path])
            #expect(r.status != 0)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
            #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("budgets.json").path))
        }
    }
}
