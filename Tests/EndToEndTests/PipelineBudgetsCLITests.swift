import Foundation
import Testing
import TestSupport

/// `autoscale pipeline` with a WSD proxy: every DDO mixture is one trunk with a cooldown branched at each budget
/// (issue 14 item 3); each budget's (and seed's) folder holds the run records and loss table of
/// `ddo run --tokens <budget> --seed <s>`, byte for byte.
struct PipelineBudgetsCLITests {
    @Test func branchedDDOEqualsSeparateRuns() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let proxy = dir.appendingPathComponent("wsd.yaml")
        try TrainBranchesCLITests.wsdConfig.write(to: proxy, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("report")
        let config = dir.appendingPathComponent("pipeline.yaml")
        try Data("""
            corpus: \(corpus)
            out: \(out.path)
            domains: [digits, templates]
            proxy: \(proxy.path)
            budgets: [4k, 8k, 16k]
            factors: [0.5, 2]
            target: 32k
            ddo_seeds: [1, 2]

            """.utf8).write(to: config)
        let r = try CLI.run(["pipeline", config.path, "--json", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: ": training on").count - 1 == 2 * 5, "one trunk per mixture and seed")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("trunks").path))
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect((report["ddo"] as? [[String: Any]])?.map { $0["folder"] as? String } == ["ddo-4k", "ddo-8k", "ddo-16k"])
        for label in DDOBudgetsCLITests.budgets {
            for seed in [1, 2] {
                let one = dir.appendingPathComponent("one-\(label)-\(seed)")
                let s = try CLI.run(["ddo", "run", "--corpus", corpus, "--config", proxy.path, "--factors", "0.5,2",
                                     "--domains", "digits,templates", "--threads", "1", "--tokens", label, "--seed", "\(seed)",
                                     "--out", one.path, "--quiet"])
                try #require(s.status == 0, "\(s.stderr)")
                let folder = out.appendingPathComponent("ddo-\(label)/seed-\(seed)")
                // The trainings (run records, loss table); result.json differs by design: the pipeline allocates
                // under the corpus's caps (windows x max_epochs), `ddo run` without them.
                let names = try DDOBudgetsCLITests.files(one).filter { $0 != "result.json" }
                #expect(names.count == 6)
                for f in names {
                    #expect(try Data(contentsOf: folder.appendingPathComponent(f)) == Data(contentsOf: one.appendingPathComponent(f)),
                            "\(label) seed \(seed): \(f)")
                }
            }
        }
        let again = try CLI.run(["pipeline", config.path, "--json", "--threads", "1"])
        #expect(again.status == 0 && !again.stderr.contains(": training on"), "\(again.stderr)")
        #expect(again.stdout == r.stdout)
    }
}
