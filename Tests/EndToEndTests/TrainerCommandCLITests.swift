import Foundation
import Testing
import TestSupport

/// `ddo run --trainer-command`: the external-trainer protocol end to end, with the POSIX sh + awk toy trainer
/// `Fixtures/trainers/toy_trainer.sh` (a known loss law with cross-domain transfer; TOY_FAIL injects failures,
/// TOY_LOG counts trainings).
@Suite struct TrainerCommandCLITests {
    static let toy = Fixture.url("trainers/toy_trainer.sh").path
    static let runIDs = ["base", "a-x0.333333", "a-x3", "b-x0.333333", "b-x3", "c-x0.333333", "c-x3"]

    func ddo(_ out: URL, _ extra: [String] = [], env: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run(["ddo", "run", "--domains", "a,b,c", "--tokens", "30k", "--trainer-command", "sh \(Self.toy)",
                     "--out", out.path, "--objective", "mean-loss"] + extra, environment: env)
    }

    func trained(_ log: URL) -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Every run once, with its spec on stdin and its own folder; losses.csv and result.json as for proxies; a
    /// second invocation trains nothing (the run cache).
    @Test func runsCachesAndResumes() throws {
        let dir = try TempDir()
        let out = dir.path("ddo"), log = dir.path("trained.txt")
        let first = try ddo(out, ["--json"], env: ["TOY_LOG": log.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(trained(log).sorted() == Self.runIDs.sorted())
        for id in Self.runIDs {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\(id).json").path), "\(id)")
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\(id)").path, isDirectory: &isDir)
                    && isDir.boolValue, "\(id): the run folder given as `out`")
        }
        let result = try JSONSerialization.jsonObject(with: first.stdoutData) as? [String: Any]
        let weights = try #require(result?["weights"] as? [String: Double])
        #expect(Set(weights.keys) == ["a", "b", "c"])
        #expect(abs(weights.values.reduce(0, +) - 1) <= 1e-12)
        let csv = try String(contentsOf: out.appendingPathComponent("losses.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("run,tokens:a,tokens:b,tokens:c,val:a,val:b,val:c\n") && csv.split(separator: "\n").count == 8)
        // The law is symmetric in the domains: the base run's three losses are one number, and the toy's own
        // formula 1 + 4 (10000 + 0.25 * 20000)^-0.3 gives it.
        let base = try #require(csv.split(separator: "\n").first { $0.hasPrefix("base,") })
        let losses = base.split(separator: ",").suffix(3).compactMap { Double($0) }
        let expected = 1 + 4 * Foundation.pow(15000.0, -0.3)
        #expect(losses.count == 3 && losses.allSatisfy { abs($0 - expected) <= 1e-12 * expected }, "\(losses) vs \(expected)")

        let again = try ddo(out, env: ["TOY_LOG": log.path])
        #expect(again.status == 0 && trained(log).count == Self.runIDs.count, "a rerun trains nothing: \(again.stderr)")
    }

    /// Each failure is one line naming the run and the command; the failed run is not cached, the others are,
    /// and the rerun trains only what is missing.
    @Test func failuresAreOneLineAndNotCached() throws {
        // 1e999 is not a finite JSON number: refused either as not JSON or as a non-finite loss.
        for (mode, why) in [("exit", ["exited with status 3"]), ("nojson", ["did not end with a JSON line"]),
                            ("missing", ["returned no loss for domain a"]), ("negative", ["returned loss -"]),
                            ("nan", ["did not end with a JSON line", "returned loss inf"])] {
            let dir = try TempDir()
            let out = dir.path("ddo"), log = dir.path("trained.txt")
            let r = try ddo(out, ["--quiet"], env: ["TOY_FAIL": "a-x3:\(mode)", "TOY_LOG": log.path])
            #expect(r.status != 0 && !r.crashed, "\(mode)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(mode): \(r.stderr)")
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains("a-x3") && r.stderr.contains("toy_trainer.sh")
                    && why.contains { r.stderr.contains($0) }, "\(mode): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(mode)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/a-x3.json").path), "\(mode)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("result.json").path), "\(mode)")
            // The runs finished before the failure stay cached (the job stops handing out runs after a failure).
            let cached = Self.runIDs.filter { FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\($0).json").path) }
            #expect(!cached.isEmpty && cached.count < Self.runIDs.count, "\(mode): \(cached)")
            let before = trained(log).count
            let fixed = try ddo(out, ["--quiet"], env: ["TOY_LOG": log.path])
            #expect(fixed.status == 0, "\(mode): \(fixed.stderr)")
            let retrained = Array(trained(log).dropFirst(before))
            #expect(Set(retrained) == Set(Self.runIDs).subtracting(cached) && retrained.contains("a-x3"),
                    "\(mode): the rerun trains exactly the runs without a record: \(retrained)")
        }
    }

    /// With --quiet the command's standard error is kept in its run folder.
    @Test func quietKeepsTheTrainersStandardError() throws {
        let dir = try TempDir()
        let out = dir.path("ddo")
        let r = try ddo(out, ["--quiet"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let kept = try String(contentsOf: out.appendingPathComponent("runs/base/stderr.log"), encoding: .utf8)
        #expect(kept == "toy trainer: one run\n")
    }

    /// Bad combinations are one line naming the option.
    @Test func badOptionsGetOneLine() throws {
        let dir = try TempDir()
        let cases: [([String], String)] = [
            (["ddo", "run", "--tokens", "30k", "--trainer-command", "true", "--out", dir.path("x").path],
             "Error: --domains: is required with --trainer-command (d1,d2,...)\n"),
            (["ddo", "run", "--domains", "a,b", "--tokens", "30k", "--trainer-command", "true", "--corpus", "c", "--out",
              dir.path("x").path],
             "Error: --trainer-command: trains the runs itself; give it without --corpus and --config\n"),
            (["ddo", "run", "--domains", "a,b", "--tokens", "30k", "--out", dir.path("x").path],
             "Error: --config: give --corpus and --config (our proxy) or --trainer-command (yours)\n"),
            (["ddo", "run", "--domains", "a,b", "--tokens", "30k", "--trainer-command", " ", "--out", dir.path("x").path],
             "Error: --trainer-command: is empty\n"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            #expect(r.status != 0 && r.stderr == message, "\(args): \(r.stderr)")
        }
    }

    /// `--rounds`: each round a cached DDO folder `round-<r>/`, the answer in result.json and rounds.json, a
    /// rerun trains nothing. The toy law is the same for every domain, so the optimum is uniform (to 0.02).
    @Test func roundsThroughTheRunCache() throws {
        let dir = try TempDir()
        let out = dir.path("ddo"), log = dir.path("trained.txt")
        let r = try ddo(out, ["--rounds", "4", "--json"], env: ["TOY_LOG": log.path])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
        let weights = try #require(result?["weights"] as? [String: Double])
        #expect(weights.count == 3 && weights.values.allSatisfy { abs($0 - 1.0 / 3) <= 0.02 }, "\(weights)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("rounds.json")))
            as? [String: Any]
        let rounds = try #require(summary?["rounds"] as? [[String: Any]])
        #expect((2...4).contains(rounds.count), "\(rounds.count) rounds")
        #expect(trained(log).count == rounds.count * Self.runIDs.count)
        for k in 1...rounds.count {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("round-\(k)/runs/base.json").path))
        }
        let again = try ddo(out, ["--rounds", "4"], env: ["TOY_LOG": log.path])
        #expect(again.status == 0 && trained(log).count == rounds.count * Self.runIDs.count, "\(again.stderr)")
        let bad = try ddo(dir.path("other"), ["--rounds", "3", "--factors", "1/2,2"])
        #expect(bad.status != 0 && bad.stderr == "Error: --factors: do not apply with --rounds (each round sets its own trust region)\n")
    }
}
