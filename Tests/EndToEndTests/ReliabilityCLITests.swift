import Foundation
import Testing
import TestSupport

/// Reliability end to end (Docs/reliability.md): locked output folders under racing commands, `train` resumed
/// after kill -9 to the same bits, reruns with other arguments refused, failures that leave nothing, and the
/// one-line errors of issue 17.
@Suite(.serialized) struct ReliabilityCLITests {
    static let config = DistributedCLITests.proxyConfig

    /// A tiny synthetic corpus with its token folder (`dir/corpus/tokens`).
    static func corpus(_ dir: URL) throws -> String { try DistributedCLITests.corpus(in: dir) }

    static func oneLine(_ r: CLI.Result) -> Bool {
        r.status != 0 && !r.crashed && r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1
    }

    /// Two `ddo run`s with different seeds into one --out, started together, 5 times: exactly one trains; the
    /// other fails with one line (the lock, or the fingerprint when it started after the first had finished);
    /// the folder's fingerprint and every record are the winner's, as in a run of that seed alone (losses to
    /// 1e-9 nats; another seed moves them by ~1e-2).
    @Test func racingDDORunsNeverMixTheCache() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        func args(_ seed: Int, _ out: URL) -> [String] {
            ["ddo", "run", "--corpus", corpus, "--config", Self.config, "--tokens", "15k", "--domains", "digits,templates",
             "--seed", "\(seed)", "--threads", "1", "--out", out.path, "--quiet", "--json"]
        }
        var reference: [Int: (proxy: String, losses: [String: [String: Double]])] = [:]
        func state(_ out: URL) throws -> (proxy: String, losses: [String: [String: Double]]) {
            let runs = out.appendingPathComponent("runs")
            var losses: [String: [String: Double]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: runs.path) where name.hasSuffix(".json") {
                let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: runs.appendingPathComponent(name))) as? [String: Any])
                losses[name] = try #require(j["losses"] as? [String: Double])
            }
            return (try String(contentsOf: out.appendingPathComponent("proxy.txt"), encoding: .utf8), losses)
        }
        for seed in [1, 2] {
            let out = tmp.path("ref\(seed)")
            let r = try CLI.run(args(seed, out))
            try #require(r.status == 0, "\(r.stderr)")
            reference[seed] = try state(out)
        }
        #expect(reference[1]!.proxy != reference[2]!.proxy)
        for trial in 0..<5 {
            let out = tmp.path("race\(trial)")
            final class Box: @unchecked Sendable { var results: [CLI.Result?] = [nil, nil] }
            let box = Box()
            let both = [args(1, out), args(2, out)]
            DispatchQueue.concurrentPerform(iterations: 2) { i in box.results[i] = try? CLI.run(both[i]) }
            let results = try box.results.map { try #require($0) }
            let winners = results.indices.filter { results[$0].status == 0 }
            #expect(winners.count == 1, "trial \(trial): \(results.map(\.stderr))")
            guard winners.count == 1, let w = winners.first else { continue }
            let loser = results[1 - w]
            #expect(Self.oneLine(loser), "\(loser.stderr)")
            #expect(loser.stderr.contains("in use by another autoscale process (pid ") || loser.stderr.contains("proxy.txt"),
                    "\(loser.stderr)")
            let got = try state(out), ref = reference[w + 1]!
            #expect(got.proxy == ref.proxy)
            #expect(got.losses.keys.sorted() == ref.losses.keys.sorted())
            for (name, losses) in got.losses {
                for (d, v) in losses { #expect(abs(v - (ref.losses[name]?[d] ?? .nan)) <= 1e-9, "\(name) \(d)") }
            }
        }
    }
}
