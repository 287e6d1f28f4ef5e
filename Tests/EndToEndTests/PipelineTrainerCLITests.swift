import Foundation
import Testing
import TestSupport

/// `autoscale pipeline` with `trainer: {command: ...}` in place of `proxy:` (issue 13 item 1), through the POSIX
/// sh + awk toy trainer `Fixtures/trainers/toy_trainer.sh` (its law: `L_d = 1 + 4 (N_d + 0.25 Σ_{e≠d} N_e)^-0.3`;
/// TOY_FAIL injects failures, TOY_LOG counts trainings): DDO at each budget and the validation runs at the
/// target through the command, the cache, the DDO folders against `ddo run --trainer-command`, one-line errors.
@Suite struct PipelineTrainerCLITests {
    static let toy = Fixture.url("trainers/toy_trainer.sh").path
    static let command = "sh \(toy)"
    static let runIDs = ["base", "a-x0.333333", "a-x3", "b-x0.333333", "b-x3", "c-x0.333333", "c-x3"]

    /// The toy's loss of domain `d` for the quantities `tokens` (its documented law, computed here independently).
    static func toyLoss(_ d: String, _ tokens: [String: Int]) -> Double {
        let total = Double(tokens.values.reduce(0, +)), own = Double(tokens[d]!)
        return 1 + 4 * Foundation.pow(own + 0.25 * (total - own), -0.3)
    }

    /// Writes `name.yaml` in `dir`: the toy trainer, domains a, b, c, budgets 10k and 30k, target 120k,
    /// objective mean-loss, out `dir/name`, then `extra` lines.
    static func config(_ dir: URL, _ name: String, _ extra: String) throws -> (config: String, out: URL) {
        let out = dir.appendingPathComponent(name)
        let path = dir.appendingPathComponent("\(name).yaml")
        try Data("""
            out: \(out.path)
            trainer: {command: '\(command)'}
            domains: [a, b, c]
            budgets: [10k, 30k]
            target: 120k
            objective: mean-loss
            \(extra)

            """.utf8).write(to: path)
        return (path.path, out)
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func trained(_ log: URL) -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Every regular file under `folder`, as paths relative to it, sorted.
    static func files(_ folder: URL) throws -> [String] {
        let e = try #require(FileManager.default.enumerator(atPath: folder.path))
        var out: [String] = []
        while let f = e.nextObject() as? String {
            var isDir: ObjCBool = false
            let path = folder.appendingPathComponent(f).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
        }
        return out.sorted()
    }

    /// `folder` and `reference` hold the same files with the same bytes (except `skip`); returns how many compared.
    static func sameFiles(_ folder: URL, _ reference: URL, skip: Set<String> = []) throws -> Int {
        let names = try files(reference).filter { !skip.contains($0) }
        #expect(try files(folder).filter { !skip.contains($0) } == names, "\(folder.lastPathComponent)")
        for f in names {
            let ours = try Data(contentsOf: folder.appendingPathComponent(f))
            #expect(try ours == Data(contentsOf: reference.appendingPathComponent(f)), "\(folder.path): \(f)")
        }
        return names.count
    }

    /// The whole job through the command: DDO at 10k and 30k (each folder byte for byte `ddo run
    /// --trainer-command` at that budget, seed 0), the prediction (`predict` on those results), validation at 120k
    /// with 2 seeds (run id = the mixture, `out` = `validation/seed-<s>/<mixture>/`, losses the toy's law, each curve
    /// its final point only), report.json and report.html say so; a rerun trains nothing and writes the same report.
    @Test func runsTheWholeJobThroughTheCommand() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let log = dir.path("trained.txt")
        let (config, out) = try Self.config(dir.url, "report", "validation: {seeds: [1, 2]}")
        let first = try CLI.run(["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.isEmpty, "--quiet: the command's stderr kept in its run folders")
        #expect(first.stdout.contains("autoscale - uniform: "))
        #expect(first.stdout.contains("report: \(out.path)/report.html"))
        let validationIDs = ["uniform", "ddo-30k", "autoscale"]
        #expect(Self.trained(log).sorted() == (Self.runIDs + Self.runIDs + validationIDs + validationIDs).sorted())

        // Each DDO folder is `ddo run --trainer-command` at that budget (seed 0, no caps), file for file.
        for label in ["10k", "30k"] {
            let one = dir.path("one-\(label)")
            let r = try CLI.run(["ddo", "run", "--domains", "a,b,c", "--tokens", label,
                                 "--trainer-command", Self.command, "--objective", "mean-loss",
                                 "--out", one.path, "--quiet"])
            try #require(r.status == 0, "\(r.stderr)")
            let n = try Self.sameFiles(out.appendingPathComponent("ddo-\(label)"), one)
            // proxy.txt, losses.csv, result.json, 7 records and 7 run folders' stderr.log
            #expect(n == 3 + 2 * Self.runIDs.count, "\(label): \(n) files")
        }

        let report = try Self.json(out.appendingPathComponent("report.json"))
        #expect(report["trainer_command"] as? String == Self.command)
        #expect(report["budgets"] as? [Int] == [10000, 30000] && report["target"] as? Int == 120_000)
        let prediction = try #require(report["prediction"] as? [String: Any])
        #expect(prediction["caps"] == nil, "no corpus, no caps key: no caps")
        let predicted = try CLI.run(["predict", out.appendingPathComponent("ddo-10k/result.json").path,
                                     out.appendingPathComponent("ddo-30k/result.json").path,
                                     "--tokens", "120k", "--json"])
        try #require(predicted.status == 0, "\(predicted.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: predicted.stdoutData) as? [String: Any])
        let weights = try #require(prediction["weights"] as? [String: Double])
        let expected = try #require(reference["weights"] as? [String: Double])
        #expect(weights.count == 3 && Set(weights.keys) == Set(expected.keys))
        for (d, w) in weights { #expect(abs(w - expected[d]!) <= 1e-12, "\(d)") }

        let validation = try #require(report["validation"] as? [String: Any])
        #expect(validation["curves"] as? String == "final")
        let mixtures = try #require(validation["mixtures"] as? [[String: Any]])
        #expect(mixtures.map { $0["name"] as? String } == validationIDs)
        var tokensOf: [String: [String: Int]] = [:]
        for m in mixtures { tokensOf[try #require(m["name"] as? String)] = try #require(m["tokens"] as? [String: Int]) }
        let runs = try #require(validation["runs"] as? [[String: Any]])
        #expect(runs.count == 6)
        for r in runs {
            let name = try #require(r["mixture"] as? String), seed = try #require(r["seed"] as? Int)
            let tokens = try #require(tokensOf[name])
            #expect(tokens.values.reduce(0, +) == 120_000)
            let losses = try #require(r["losses"] as? [String: Double])
            #expect(losses.count == 3)
            for (d, v) in losses {
                let law = Self.toyLoss(d, tokens)
                #expect(abs(v - law) <= 1e-12 * law, "\(name) seed \(seed) \(d): \(v) vs \(law)")
            }
            let mean = losses.values.reduce(0, +) / 3
            #expect(abs(try #require(r["mean_loss"] as? Double) - mean) <= 1e-12)
            let curve = try #require(r["curve"] as? [[String: Any]])
            #expect(curve.count == 1 && curve[0]["tokens"] as? Int == 120_000, "\(curve)")
            #expect(abs(try #require(curve[0]["mean_loss"] as? Double) - mean) <= 1e-12)
            #expect(r["log"] == nil)
            let folder = "validation/seed-\(seed)/\(name)"
            #expect(r["folder"] as? String == folder)
            let kept = try String(contentsOf: out.appendingPathComponent("\(folder)/stderr.log"), encoding: .utf8)
            #expect(kept == "toy trainer: one run\n")
            let record = out.appendingPathComponent("validation/seed-\(seed)/\(name).json")
            #expect(FileManager.default.fileExists(atPath: record.path))
        }
        let fingerprint = try String(contentsOf: out.appendingPathComponent("validation/seed-2/proxy.txt"),
                                     encoding: .utf8)
        #expect(fingerprint == "command \(Self.command) seed 2 domains [\"a\", \"b\", \"c\"]\n")

        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Final validation loss at 120k tokens") && html.contains("reports only final losses"))
        #expect(html.contains("<circle data-series=\"uniform seed 1\""))
        #expect(!html.contains("<polyline data-series=\"uniform seed 1\""))
        #expect(html.contains("href=\"validation/seed-1/autoscale\""))

        let before = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let again = try CLI.run(["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.trained(log).count == 2 * Self.runIDs.count + 6, "a rerun trains nothing")
        #expect(try Data(contentsOf: out.appendingPathComponent("report.json")) == before)
        #expect(again.stdout == first.stdout)
    }

    /// `ddo_seeds` become the spec's `seed`: each seed's folder is `ddo run --trainer-command --seed <s>` (runs and
    /// loss table byte for byte; result.json carries the `caps:` given); the budgets carry replicate intervals,
    /// drawn as error bars in report.html. Never branched: the command trains each budget's runs separately.
    @Test func ddoSeedsAndCapsKey() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let log = dir.path("trained.txt")
        let (config, out) = try Self.config(dir.url, "report", "ddo_seeds: [3, 5]\ncaps: {a: 1M, c: 2.5M}")
        let r = try CLI.run(["pipeline", config, "--json", "--quiet"], environment: ["TOY_LOG": log.path])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(Self.trained(log).count == 2 * 2 * Self.runIDs.count)
        let caps = ["a": 1_000_000.0, "c": 2_500_000.0]
        for label in ["10k", "30k"] {
            for seed in [3, 5] {
                let one = dir.path("one-\(label)-\(seed)")
                let s = try CLI.run(["ddo", "run", "--domains", "a,b,c", "--tokens", label,
                                     "--trainer-command", Self.command, "--objective", "mean-loss",
                                     "--seed", "\(seed)", "--out", one.path, "--quiet"])
                try #require(s.status == 0, "\(s.stderr)")
                let folder = out.appendingPathComponent("ddo-\(label)/seed-\(seed)")
                #expect(try Self.sameFiles(folder, one, skip: ["result.json"]) == 2 + 2 * Self.runIDs.count)
                let spec = try String(contentsOf: folder.appendingPathComponent("proxy.txt"), encoding: .utf8)
                #expect(spec.contains(" seed \(seed) "))
                let result = try Self.json(folder.appendingPathComponent("result.json"))
                #expect(result["caps"] as? [String: Double] == caps)
            }
        }
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        let prediction = try #require(report["prediction"] as? [String: Any])
        #expect(prediction["caps"] as? [String: Double] == caps)
        for entry in try #require(report["ddo"] as? [[String: Any]]) {
            let intervals = try #require((entry["result"] as? [String: Any])?["intervals"] as? [String: Any])
            #expect(intervals["method"] as? String == "replicates")
            #expect((intervals["weights"] as? [String: [Double]])?.count == 3)
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("trunks").path))
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        // Three domains at two budgets and the target.
        #expect(html.components(separatedBy: "<line class=\"errorbar\"").count - 1 == 3 * 3)
    }

    /// With a corpus, the trainer's caps come from its manifest: `(n - 1) · 4` predicted tokens for a training
    /// split of `n` tokens (each token after the first predicted once per epoch, 4 epochs).
    @Test func capsFromACorpusManifest() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let out = dir.appendingPathComponent("report")
        let config = dir.appendingPathComponent("p.yaml")
        try Data("""
            corpus: \(corpus)
            out: \(out.path)
            trainer: {command: '\(Self.command)'}
            domains: [digits, templates]
            budgets: [10k, 30k]
            target: 120k

            """.utf8).write(to: config)
        let r = try CLI.run(["pipeline", config.path, "--json", "--quiet"])
        try #require(r.status == 0, "\(r.stderr)")
        let root = URL(fileURLWithPath: corpus)
        let manifestURL = try #require(["manifest.json", "tokens/manifest.json"].map { root.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) })
        var expected: [String: Double] = [:]
        for d in try #require(try Self.json(manifestURL)["domains"] as? [[String: Any]]) {
            guard let name = d["name"] as? String, ["digits", "templates"].contains(name) else { continue }
            expected[name] = Double((try #require((d["train"] as? [String: Any])?["tokens"] as? Int) - 1) * 4)
        }
        #expect(expected.count == 2)
        let report = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect((report["prediction"] as? [String: Any])?["caps"] as? [String: Double] == expected)
        let result = try Self.json(out.appendingPathComponent("ddo-10k/result.json"))
        #expect(result["caps"] as? [String: Double] == expected)
    }

    /// A failing command is one line naming the stage, the run and the command; the failed run is not cached, and
    /// the rerun trains only what is missing.
    @Test func failingCommandIsOneLine() throws {
        let failed = "trainer command '\(Self.command)' exited with status 3"
        for (id, stage) in [("a-x3", "ddo-10k: run a-x3: \(failed)"),
                            ("autoscale", "validation seed 1: run autoscale: \(failed)")] {
            let dir = try TempDir()
            defer { dir.cleanup() }
            let log = dir.path("trained.txt")
            let (config, out) = try Self.config(dir.url, "report", "validation: {seeds: [1, 2]}")
            let r = try CLI.run(["pipeline", config, "--quiet"],
                                environment: ["TOY_FAIL": "\(id):exit", "TOY_LOG": log.path])
            #expect(r.status != 0 && !r.crashed, "\(id)")
            #expect(r.stderr == "Error: \(stage)\n", "\(id): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
            let record = id == "autoscale" ? "validation/seed-1/autoscale.json" : "ddo-10k/runs/a-x3.json"
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(record).path), "\(id)")
            let before = Self.trained(log)
            let fixed = try CLI.run(["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
            #expect(fixed.status == 0, "\(id): \(fixed.stderr)")
            let retrained = Array(Self.trained(log).dropFirst(before.count))
            // Every run is trained exactly once over the two invocations, the failed one twice.
            let all = Self.runIDs + Self.runIDs + ["uniform", "ddo-30k", "autoscale", "uniform", "ddo-30k", "autoscale"]
            #expect((before + retrained).sorted() == (all + [id]).sorted(), "\(id): \(before) then \(retrained)")
        }
    }

    /// Under `mpirun -np 2` (with `ddo_seeds`, so each budget reads its seeds' loss tables after rank 0 wrote
    /// them) every run is trained exactly once over the ranks, and report.json is byte for byte the one-process one.
    @Test(.enabled(if: CLI.mpiBuild, "needs mpirun and an autoscale built with --traits MPI"))
    func overMPIRanksEqualsOneProcess() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let log = dir.path("trained.txt")
        let extra = "ddo_seeds: [1, 2]\nvalidation: {seeds: [1, 2]}"
        let (config, out) = try Self.config(dir.url, "mpi", extra)
        let r = try CLI.mpi(ranks: 2, ["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
        try #require(r.status == 0, "\(r.stderr)")
        let validationIDs = ["uniform", "ddo-30k", "autoscale"]
        let every = Array(repeating: Self.runIDs, count: 4).joined() + validationIDs + validationIDs
        #expect(Self.trained(log).sorted() == every.sorted())
        let (single, one) = try Self.config(dir.url, "one", extra)
        let s = try CLI.run(["pipeline", single, "--quiet"])
        try #require(s.status == 0, "\(s.stderr)")
        let report = try Data(contentsOf: out.appendingPathComponent("report.json"))
        #expect(try report == Data(contentsOf: one.appendingPathComponent("report.json")))
        #expect(r.stdout == s.stdout.replacingOccurrences(of: one.path, with: out.path))
    }

    /// Bad trainer configurations are one line naming the file and the key.
    /// `rounds: 3`: DDO at each budget in rounds, each budget's folder byte for byte `ddo run --trainer-command
    /// --rounds 3` at that budget (round folders, result.json, rounds.json); the prediction uses the rounds'
    /// answers; a rerun trains nothing.
    @Test func roundsAtEachBudget() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let log = dir.path("trained.txt")
        let (config, out) = try Self.config(dir.url, "rounds", "rounds: 3")
        let first = try CLI.run(["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
        try #require(first.status == 0, "\(first.stderr)")
        let trained = Self.trained(log).count
        var answers: [[String: Double]] = []
        for label in ["10k", "30k"] {
            let one = dir.path("one-\(label)")
            let r = try CLI.run(["ddo", "run", "--domains", "a,b,c", "--tokens", label, "--rounds", "3",
                                 "--trainer-command", Self.command, "--objective", "mean-loss",
                                 "--out", one.path, "--quiet"])
            try #require(r.status == 0, "\(r.stderr)")
            let n = try Self.sameFiles(out.appendingPathComponent("ddo-\(label)"), one)
            let rounds = try #require(try Self.json(one.appendingPathComponent("rounds.json"))["rounds"] as? [Any])
            // per round: proxy.txt, losses.csv, result.json, 7 records, 7 stderr.log; then result.json, rounds.json
            #expect(rounds.count >= 2 && n == rounds.count * (3 + 2 * Self.runIDs.count) + 2, "\(label): \(n) files")
            answers.append(try #require(try Self.json(one.appendingPathComponent("result.json"))["weights"] as? [String: Double]))
        }
        let report = try Self.json(out.appendingPathComponent("report.json"))
        let ddo = try #require(report["ddo"] as? [[String: Any]])
        for (entry, w) in zip(ddo, answers) {
            #expect((entry["result"] as? [String: Any])?["weights"] as? [String: Double] == w)
        }
        let again = try CLI.run(["pipeline", config, "--quiet"], environment: ["TOY_LOG": log.path])
        #expect(again.status == 0 && Self.trained(log).count == trained, "\(again.stderr)")
    }

    @Test func badConfigsAreOneLine() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let tail = "budgets: [10k, 30k]\ntarget: 120k\n"
        let trainer = "out: o\ntrainer: {command: 'true'}\n"
        let cases: [(String, String)] = [
            ("corpus: c\nout: o\nproxy: {model: {arch: gpt2, n_layer: 1, n_embd: 32, n_head: 2}, context: 32, "
                + "batch_size: 4, eval_tokens: 500}\ntrainer: {command: 'true'}\ndomains: [a]\n" + tail,
             "trainer: give proxy (our proxy model) or trainer (your command), not both"),
            (trainer + tail, "domains: required with trainer (the domains your command trains on)"),
            ("out: o\ntrainer: {command: 'true', cmd: x}\ndomains: [a, b]\n" + tail,
             "trainer.cmd: unknown key (expected command)"),
            ("out: o\ntrainer: {}\ndomains: [a, b]\n" + tail,
             "trainer.command: missing (the command that trains one run)"),
            ("out: o\ntrainer: {command: ' '}\ndomains: [a, b]\n" + tail,
             "trainer.command: expected a non-empty command line"),
            ("out: o\ntrainer: 'true'\ndomains: [a, b]\n" + tail,
             "trainer: expected a mapping, e.g. {command: 'python3 train.py'}"),
            ("out: o\ndomains: [a, b]\n" + tail,
             "proxy: missing (a proxy config file or an inline mapping, or trainer: {command: ...})"),
            (trainer + "domains: [a, b]\ncaps: {z: 1M}\n" + tail, "caps.z: not one of the domains"),
            (trainer + "domains: [a, b]\ncaps: {a: lots}\n" + tail, "caps.a: 'lots' is not a positive token count"),
            (trainer + "corpus: c\ndomains: [a, b]\ncaps: {a: 1M}\n" + tail,
             "caps: give caps or a corpus (whose manifest gives the caps), not both"),
            (trainer + "domains: [a, b]\n" + tail + "validation: {seeds: [1], evaluations: 3}\n",
             "validation.evaluations: applies to the proxy only (a trainer command reports final losses)"),
            (trainer + "domains: [a, b]\n" + tail + "rounds: 0\n", "rounds: must be an integer >= 1, got '0'"),
            (trainer + "domains: [a, b]\n" + tail + "rounds: 3\nfactors: [1/2, 2]\n",
             "factors: do not apply with rounds (each round sets its own trust region)"),
            (trainer + "domains: [a, b]\n" + tail + "rounds: 3\nddo_seeds: [1, 2]\n",
             "rounds: apply with one DDO seed (ddo_seeds has 2)"),
        ]
        for (i, (yaml, expected)) in cases.enumerated() {
            let path = dir.path("p\(i).yaml")
            try Data(yaml.utf8).write(to: path)
            let r = try CLI.run(["pipeline", path.path])
            #expect(r.status != 0 && !r.crashed, "\(i)")
            #expect(r.stderr.hasPrefix("Error: \(path.path): ") && r.stderr.split(separator: "\n").count == 1,
                    "\(i): \(r.stderr)")
            #expect(r.stderr.contains(expected), "\(i): \(r.stderr)")
        }
    }
}
