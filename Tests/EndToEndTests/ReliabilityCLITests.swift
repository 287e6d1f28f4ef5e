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

    /// result.json without its timing keys.
    static func resultWithoutTiming(_ url: URL) throws -> NSDictionary {
        let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return j.filter { !["tokens_per_second", "step_seconds", "allreduce_seconds"].contains($0.key) } as NSDictionary
    }

    /// log.csv without its last column, tokens_per_s (a timing).
    static func logWithoutTiming(_ url: URL) throws -> [[Substring]] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasSuffix(",tokens_per_s") == true)
        return lines.map { Array($0.split(separator: ",", omittingEmptySubsequences: false).dropLast()) }
    }

    /// `train` killed with SIGKILL after its first checkpoint appeared, then rerun with the same arguments:
    /// it resumes from that checkpoint (not step 1) and ends with the uninterrupted run's result.json (timing
    /// keys aside), log.csv (tokens_per_s aside) and model.safetensors, byte for byte. A third run is cached.
    @Test func trainResumesAfterKill9ToTheSameBits() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        func args(_ out: URL) -> [String] {
            ["train", "--corpus", corpus, "--config", Self.config, "--tokens", "100k", "--threads", "1", "--out", out.path]
        }
        let whole = tmp.path("whole"), killed = tmp.path("killed")
        let reference = try CLI.run(args(whole) + ["--quiet"])
        try #require(reference.status == 0, "\(reference.stderr)")

        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args(killed) + ["--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let checkpoints = tmp.path(".killed.partial/checkpoints")
        func hasCheckpoint() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).contains {
                $0.hasPrefix("step-") && FileManager.default.fileExists(
                    atPath: checkpoints.appendingPathComponent($0).appendingPathComponent("trainer_state.json").path)
            }
        }
        while p.isRunning && !hasCheckpoint() { usleep(2000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try #require(p.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: killed.path), "a killed run leaves no --out")
        #expect(FileManager.default.fileExists(atPath: tmp.path(".killed.partial/train.json").path))

        let rerun = try CLI.run(args(killed))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let resumed = rerun.stderr.split(separator: "\n").first { $0.hasPrefix("resuming ") }
        #expect(resumed != nil && !(resumed?.contains("at step 0 ") ?? true), "\(rerun.stderr.prefix(300))")
        #expect(!rerun.stderr.contains("step 10/198"), "the rerun trained from its checkpoint, not from step 1")
        #expect(try Self.resultWithoutTiming(killed.appendingPathComponent("result.json"))
                == Self.resultWithoutTiming(whole.appendingPathComponent("result.json")))
        #expect(try Self.logWithoutTiming(killed.appendingPathComponent("log.csv"))
                == Self.logWithoutTiming(whole.appendingPathComponent("log.csv")))
        #expect(try Data(contentsOf: killed.appendingPathComponent("model/model.safetensors"))
                == Data(contentsOf: whole.appendingPathComponent("model/model.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: tmp.path(".killed.partial").path))
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("checkpoints").path))
        let third = try CLI.run(args(killed))
        #expect(third.status == 0 && third.stdout.hasPrefix("cached: "), "\(third.stdout)")
    }

    /// `pipeline` killed with SIGKILL once two DDO run records are on disk, then rerun with the same config: it
    /// resumes from its caches (fewer runs trained than the whole job; the finished ones `cached`) and ends with
    /// the uninterrupted job's folder, file for file and byte for byte (training logs without tokens_per_s).
    @Test func pipelineResumesAfterKill9ToTheSameBits() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        func config(_ name: String) throws -> (String, URL) {
            let out = tmp.path(name)
            return (try PipelineCLITests.config(corpus: corpus, out: out, domains: ["digits", "markov-words", "templates"],
                                                extra: "validation: {seeds: [1], evaluations: 3}"), out)
        }
        let (wholeConfig, whole) = try config("whole")
        let reference = try CLI.run(["pipeline", wholeConfig, "--threads", "1"])
        try #require(reference.status == 0, "\(reference.stderr)")
        let trainedWhole = reference.stderr.components(separatedBy: ": training on").count - 1

        let (killedConfig, killed) = try config("killed")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["pipeline", killedConfig, "--threads", "1", "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let runs = killed.appendingPathComponent("ddo-6k/runs")
        func records() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).filter { $0.hasSuffix(".json") }.count
        }
        while p.isRunning && records() < 2 { usleep(2000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try #require(p.terminationReason == .uncaughtSignal, "the pipeline ended before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("report.json").path))

        let rerun = try CLI.run(["pipeline", killedConfig, "--threads", "1"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let trained = rerun.stderr.components(separatedBy: ": training on").count - 1
        #expect(trained < trainedWhole && rerun.stderr.contains("cached"), "trained \(trained) of \(trainedWhole)")
        #expect(rerun.stdout.replacingOccurrences(of: killed.path, with: whole.path) == reference.stdout)
        let files = try PipelineTrainerCLITests.files(whole)
        #expect(try PipelineTrainerCLITests.files(killed) == files)
        #expect(files.contains("report.json") && files.contains("ddo-12k/result.json") && files.count >= 10, "\(files)")
        for f in files {
            let a = killed.appendingPathComponent(f), b = whole.appendingPathComponent(f)
            let head = (try? String(contentsOf: b, encoding: .utf8))?.prefix { $0 != "\n" } ?? ""
            if f.hasSuffix(".csv") && head.hasSuffix(",tokens_per_s") {
                #expect(try Self.logWithoutTiming(a) == Self.logWithoutTiming(b), "\(f)")
            } else {
                // The folder's own path appears in the report; the two jobs differ only there.
                let ours = try String(decoding: Data(contentsOf: a), as: UTF8.self).replacingOccurrences(of: killed.path, with: whole.path)
                #expect(ours == String(decoding: try Data(contentsOf: b), as: UTF8.self), "\(f)")
            }
        }
    }

    /// A rerun into a finished --out with other arguments is refused, naming each option that differs, and
    /// changes nothing; a failed train (a budget below one batch, an --out that is a file) leaves nothing.
    @Test func trainRefusesOtherArgumentsAndLeavesNothingOnFailure() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        let out = tmp.path("out")
        let base = ["train", "--corpus", corpus, "--config", Self.config, "--threads", "1", "--out", out.path, "--quiet"]
        let first = try CLI.run(base + ["--tokens", "20k"])
        try #require(first.status == 0, "\(first.stderr)")
        let model = try Data(contentsOf: out.appendingPathComponent("model/model.safetensors"))
        for (extra, named) in [(["--tokens", "30k"], "--tokens (20000, asked 30000)"), (["--tokens", "20k", "--seed", "9"], "--seed (1, asked 9)"),
                               (["--tokens", "20k", "--weights", "digits=1,copies=1"], "--weights (")] {
            let r = try CLI.run(base + extra)
            #expect(Self.oneLine(r) && r.stderr.contains("holds a run of other arguments") && r.stderr.contains(named), "\(r.stderr)")
        }
        #expect(try Data(contentsOf: out.appendingPathComponent("model/model.safetensors")) == model)

        let small = tmp.path("small")
        let tooSmall = try CLI.run(["train", "--corpus", corpus, "--config", Self.config, "--tokens", "100", "--out", small.path])
        #expect(Self.oneLine(tooSmall) && tooSmall.stderr.contains("fewer than one batch"), "\(tooSmall.stderr)")
        let file = try tmp.write("file", "x")
        let intoFile = try CLI.run(["train", "--corpus", corpus, "--config", Self.config, "--tokens", "20k", "--out", file.path])
        #expect(Self.oneLine(intoFile) && intoFile.stderr.contains("\(file.path): exists and is a file"), "\(intoFile.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted()
        #expect(left == ["corpus", "file", "out", "tok.json"], "nothing left by the failures: \(left)")
    }

    /// Issue 17's traps and wrong blame through the CLI, each one line and nonzero (never a trap): a model too large
    /// for the machine (refused before allocating, with the estimate and the machine's memory, nothing left), an
    /// unknown eval domain refused before the first run trains, eval_tokens above a validation split warned with
    /// both numbers, `predict --tokens 1e300` naming the option, and `-o` into a missing folder naming the path.
    @Test func trapsAndWrongBlameAreOneLine() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        let yaml = try String(contentsOfFile: Self.config, encoding: .utf8)
        for (name, from, to) in [("wide.yaml", "n_embd: 64", "n_embd: 1048576"), ("deep.yaml", "n_layer: 2", "n_layer: 1000000000")] {
            let c = try tmp.write(name, yaml.replacingOccurrences(of: from, with: to))
            for cmd in [["train", "--out", tmp.path("t-\(name)").path], ["ddo", "run", "--out", tmp.path("d-\(name)").path]] {
                let r = try CLI.run(cmd + ["--corpus", corpus, "--config", c.path, "--tokens", "20k"])
                #expect(Self.oneLine(r) && r.stderr.contains("\(name): training this model needs about ")
                        && r.stderr.contains("but this machine has "), "\(r.stderr)")
                #expect(!FileManager.default.fileExists(atPath: cmd[cmd.count - 1]), "nothing left behind")
            }
        }
        let ddo = try CLI.run(["ddo", "run", "--corpus", corpus, "--config", Self.config, "--tokens", "15k", "--domains",
                               "digits,templates", "--eval-domains", "digits,copies", "--out", tmp.path("ev").path])
        #expect(Self.oneLine(ddo) && ddo.stderr.contains("--eval-domains: unknown domain 'copies'"), "\(ddo.stderr)")
        #expect(!ddo.stderr.contains("training on") && !FileManager.default.fileExists(atPath: tmp.path("ev").path))

        let wide = try tmp.write("eval.yaml", yaml.replacingOccurrences(of: "eval_tokens: 4096", with: "eval_tokens: 40000"))
        let warned = try CLI.run(["train", "--corpus", corpus, "--config", wide.path, "--tokens", "10k", "--weights", "digits=1",
                                  "--out", tmp.path("w").path])
        #expect(warned.status == 0, "\(warned.stderr)")
        let line = warned.stderr.split(separator: "\n").first { $0.hasPrefix("warning: ") } ?? ""
        #expect(line.contains("eval_tokens 40000 is more than the validation split of digits holds (")
                && line.contains("; evaluating on "), "\(warned.stderr.prefix(400))")

        let csv = Fixture.url("ddo/losses_3domains.csv").path
        let f1 = tmp.path("f1.json").path, f2 = tmp.path("f2.json").path
        #expect(try CLI.run(["ddo", "fit", csv, "-o", f1]).status == 0)
        #expect(try CLI.run(["ddo", "fit", csv, "--budget", "2M", "-o", f2]).status == 0)
        // 1e300 extrapolates to finite tokens today: valid JSON (no raw EncodingError) and a %g table, not 300 digits.
        let huge = try CLI.run(["predict", f1, f2, "--tokens", "1e300", "--quiet", "--json", "-o", tmp.path("h.json").path])
        #expect(huge.status == 0 && !huge.stderr.contains("EncodingError"), "\(huge.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: huge.stdoutData)) != nil)
        let table = try CLI.run(["predict", f1, f2, "--tokens", "1e300", "--quiet"])
        #expect(table.status == 0 && table.stdout.contains("1e+300") && table.stdout.split(separator: "\n").allSatisfy { $0.count < 200 },
                "\(table.stdout)")
        let inf = try CLI.run(["predict", f1, f2, "--tokens", "1e309"])
        #expect(Self.oneLine(inf) && inf.stderr.hasPrefix("Error: --tokens: "), "\(inf.stderr)")
        let missing = tmp.path("no/such/r.json").path
        for cmd in [["ddo", "fit", csv, "--quiet", "-o", missing], ["predict", f1, f2, "--tokens", "1e9", "--quiet", "-o", missing]] {
            let r = try CLI.run(cmd)
            #expect(Self.oneLine(r) && r.stderr.contains("\(missing): cannot write: folder ") && !r.stderr.contains("NSCocoa"),
                    "\(r.stderr)")
        }
    }

    /// A `ddo run` that fails before any run finished leaves nothing (issue 17: it left `proxy.txt` and an empty
    /// `runs/`): a new --out is gone, one budget or a list; an --out that existed keeps exactly what it held. A run
    /// whose trainer left a file (its `stderr.log` under --quiet) keeps the folder: that file explains the failure.
    @Test func failedDDORunLeavesNothing() throws {
        let tmp = try TempDir()
        func ddo(_ out: URL, tokens: String = "2k", _ extra: [String] = []) throws -> CLI.Result {
            try CLI.run(["ddo", "run", "--trainer-command", "exit 3", "--domains", "a,b", "--tokens", tokens,
                         "--out", out.path] + extra)
        }
        // Progress lines, then ONE error line, exit 1.
        func failed(_ r: CLI.Result) -> Bool {
            let lines = r.stderr.split(separator: "\n")
            return r.status == 1 && !r.crashed && lines.last?.hasPrefix("Error: ") == true
                && lines.filter { $0.hasPrefix("Error: ") }.count == 1
        }
        for tokens in ["2k", "2k,4k"] {
            let out = tmp.path("new-\(tokens)")
            let r = try ddo(out, tokens: tokens)
            #expect(failed(r) && r.stderr.contains("exited with status 3"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(tokens): left \(FailureCleanupList.tree(out))")
        }
        let kept = tmp.path("kept")
        _ = try tmp.write("kept/notes.txt", "mine")
        let r = try ddo(kept)
        #expect(failed(r), "\(r.stderr)")
        #expect(FailureCleanupList.tree(kept) == ["notes.txt"])
        let quiet = tmp.path("quiet")
        let q = try ddo(quiet, ["--quiet"])
        #expect(failed(q), "\(q.stderr)")
        let left = FailureCleanupList.tree(quiet)
        #expect(left.contains("proxy.txt") && left.contains { $0.hasPrefix("runs/") && $0.hasSuffix("/stderr.log") }, "\(left)")
    }

    /// Why `mix fit -o` takes no folder lock: it writes ONE file by an atomic rename after all its reading and
    /// fitting, with no read-modify-write, so writers racing on one path can only leave one writer's whole file (as
    /// if they had run one after another), never a mixture. 8 racing `mix fit -o` (two mixtures) 5 times: every one
    /// exits 0, the file is byte for byte one of the two references, and no temporary file is left.
    /// (`mix plan` has no `-o`: it prints only.)
    @Test func racingMixFitOutputsAreWholeFiles() throws {
        let tmp = try TempDir()
        func args(_ w: String, _ out: URL) -> [String] {
            ["mix", "fit", "--method", "given", "--domains", "a,b", "--budget", "1000", "--weights", w, "--quiet", "-o", out.path]
        }
        let mixtures = ["a=0.3,b=0.7", "a=0.6,b=0.4"]
        var refs: [Data] = []
        for (i, w) in mixtures.enumerated() {
            let out = tmp.path("ref\(i).json")
            let r = try CLI.run(args(w, out))
            try #require(r.status == 0, "\(r.stderr)")
            refs.append(try Data(contentsOf: out))
        }
        #expect(refs[0] != refs[1])
        for trial in 0..<5 {
            let dir = tmp.path("race\(trial)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let out = dir.appendingPathComponent("r.json")
            final class Box: @unchecked Sendable { var status: [Int32] = Array(repeating: -1, count: 8) }
            let box = Box()
            let all = (0..<8).map { args(mixtures[$0 % 2], out) }
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                box.status[i] = (try? CLI.run(all[i]))?.status ?? -1
            }
            #expect(box.status.allSatisfy { $0 == 0 }, "trial \(trial): \(box.status)")
            let got = try Data(contentsOf: out)
            #expect(got == refs[0] || got == refs[1], "trial \(trial): \(String(decoding: got, as: UTF8.self))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["r.json"])
        }
    }

    /// One convention for invalid values: `Error: --option: ...` on one line, exit 1, nothing left behind
    /// (`--threads 0` was an ArgumentParser usage error, exit 64 with the usage text); real usage errors (an
    /// unknown option, a missing argument) keep exit 64.
    @Test func invalidValuesAreOneLineExitOne() throws {
        let tmp = try TempDir()
        let corpus = try Self.corpus(tmp.url)
        let out = tmp.path("t").path
        let train = try CLI.run(["train", "--corpus", corpus, "--config", Self.config, "--tokens", "10k", "--weights",
                                 "digits=1", "--threads", "0", "--out", out])
        #expect(Self.oneLine(train) && train.status == 1 && train.stderr.hasPrefix("Error: --threads: "), "\(train.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing left behind")
        for bad in [["--threads", "0"], ["--shapes", "8x8"]] {
            let r = try CLI.run(["bench-gemm"] + bad)
            #expect(Self.oneLine(r) && r.status == 1 && r.stderr.hasPrefix("Error: \(bad[0]): "), "\(r.stderr)")
        }
        let unknown = try CLI.run(["train", "--no-such-option"])
        #expect(unknown.status == 64 && !unknown.crashed, "\(unknown.stderr.prefix(300))")
    }
}

/// The files under a folder, relative and sorted (what a command left behind).
enum FailureCleanupList {
    static func tree(_ url: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return e.compactMap { $0 as? String }.filter { p in
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent(p).path, isDirectory: &d) && !d.boolValue
        }.sorted()
    }
}
