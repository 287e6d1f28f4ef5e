import Foundation
import Testing
import TestSupport

/// The progress bar end to end (issue 18): under a pseudo-terminal (`script` from util-linux, `make setup`) stderr
/// is a terminal, so `train`, `ddo run` and `tokenizer train` draw `\r` frames with an ETA (`ddo run` with its
/// overall run count); through a pipe the plain lines appear and no `\r` at all; `--quiet` silences both.
@Suite(.serialized) struct ProgressCLITests {
    static let script = URL(fileURLWithPath: "/usr/bin/script")

    /// `autoscale ARGS` under a pseudo-terminal: what the terminal showed (stdout and stderr, `\n` as `\r\n`).
    static func underTerminal(_ args: [String]) throws -> (status: Int32, screen: String) {
        try #require(FileManager.default.isExecutableFile(atPath: script.path), "script (util-linux) is missing: make setup")
        let command = ([CLI.binary.path] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        let r = try CLI.run(["-qfec", command, "/dev/null"], executable: script)
        return (r.status, r.stdout + r.stderr)
    }

    /// The bar's frames: what follows each `\r[` up to its clear-to-end-of-line.
    static func frames(_ screen: String) -> [String] {
        screen.components(separatedBy: "\r[").dropFirst().map { "[" + ($0.components(separatedBy: "\u{1B}[K").first ?? "") }
    }

    @Test func barOnATerminalPlainLinesThroughAPipe() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DistributedCLITests.corpus(in: dir)
        let cfg = dir.appendingPathComponent("tiny.yaml")
        try TrainModelFolderCLITests.config.write(to: cfg, atomically: true, encoding: .utf8)
        let train = ["train", "--corpus", corpus, "--config", cfg.path, "--weights", "digits=1,templates=1",
                     "--threads", "1", "--tokens", "4k"]

        // A terminal: frames with the step count and an ETA, no plain step lines, the final frame at the last step.
        let tty = try Self.underTerminal(train + ["--out", dir.appendingPathComponent("tty").path])
        try #require(tty.status == 0, "\(tty.screen)")
        let frames = Self.frames(tty.screen)
        #expect(frames.count >= 2 && frames.allSatisfy { $0.contains("]  step ") && $0.contains("  ETA ") }, "\(frames)")
        #expect(frames.last?.hasPrefix("[====================]  step 21/21  ETA 0s") == true, "\(frames)")
        #expect(!tty.screen.contains("\nstep ") && tty.screen.contains("eval step 2: "), "\(tty.screen)")

        // A pipe: the plain lines, not one carriage return.
        let pipe = try CLI.run(train + ["--out", dir.appendingPathComponent("pipe").path])
        try #require(pipe.status == 0, "\(pipe.stderr)")
        #expect(!pipe.stderr.contains("\r") && !pipe.stderr.contains("ETA ?"), "\(pipe.stderr)")
        #expect(pipe.stderr.contains("\nstep 10/21  loss ") && pipe.stderr.contains("\nstep 21/21  loss "), "\(pipe.stderr)")

        // --quiet on a terminal: no frames, no progress lines.
        let quiet = try Self.underTerminal(train + ["--out", dir.appendingPathComponent("quiet").path, "--quiet"])
        try #require(quiet.status == 0, "\(quiet.screen)")
        #expect(Self.frames(quiet.screen).isEmpty && !quiet.screen.contains("\nstep ") && !quiet.screen.contains("ETA"), "\(quiet.screen)")

        // ddo run over two domains: 5 runs, the overall count in the frames.
        let ddo = ["ddo", "run", "--corpus", corpus, "--config", cfg.path, "--domains", "digits,templates",
                   "--threads", "1", "--tokens", "2k", "--out", dir.appendingPathComponent("ddo").path]
        let d = try Self.underTerminal(ddo)
        try #require(d.status == 0, "\(d.screen)")
        let runs = Self.frames(d.screen)
        for k in 1...5 { #expect(runs.contains { $0.contains("]  run \(k)/5  step ") }, "run \(k): \(runs)") }
        #expect(runs.last?.hasPrefix("[====================]  run 5/5  step ") == true, "\(runs)")
        #expect(d.screen.contains("ddo run 1/5 ") && d.screen.contains(": training on "), "\(d.screen)")

        // tokenizer train: the merges.
        let tok = try Self.underTerminal(["tokenizer", "train", "--corpus", corpus, "--vocab-size", "400",
                                          "--out", dir.appendingPathComponent("tok400.json").path])
        try #require(tok.status == 0, "\(tok.screen)")
        let merges = Self.frames(tok.screen)
        // 400 - 256 bytes - 1 special = 143 merges at most (fewer if the pairs run out).
        #expect(merges.count >= 2 && merges.allSatisfy { $0.contains("]  merges ") && $0.contains("/143  ETA ") }, "\(merges)")

        // corpus tokenize: the documents; in a pipe its --json rows.
        let tokenize = ["corpus", "tokenize", "--corpus", corpus, "--tokenizer", dir.appendingPathComponent("tok.json").path,
                        "--min-val-tokens", "1000"]
        let tt = try Self.underTerminal(tokenize + ["--out", dir.appendingPathComponent("tokens-tty").path])
        try #require(tt.status == 0, "\(tt.screen)")
        #expect(Self.frames(tt.screen).last?.hasPrefix("[====================]  documents ") == true, "\(tt.screen)")
        let rows = try CLI.run(tokenize + ["--out", dir.appendingPathComponent("tokens-json").path, "--json", "--quiet"])
        try #require(rows.status == 0 && rows.stderr.isEmpty, "\(rows.stderr)")
        let table = try JSONSerialization.jsonObject(with: rows.stdoutData)
        #expect(Self.keys(table).isSuperset(of: ["train_tokens", "val_tokens", "invalid_utf8_replaced"]), "\(Self.keys(table))")

        // One key convention: every object key of every JSON these commands wrote is snake_case (the tokenizer
        // files are Hugging Face's format, their vocabulary data).
        var camel: [String] = []
        let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)!
        for case let url as URL in files where url.pathExtension == "json"
            && !["tok.json", "tok400.json", "tokenizer.json"].contains(url.lastPathComponent) {
            let k = Self.keys(try JSONSerialization.jsonObject(with: Data(contentsOf: url)))
            camel += k.filter(Self.isCamel).map { "\(url.path): \($0)" }
        }
        camel += Self.keys(table).filter(Self.isCamel)
        #expect(camel.isEmpty, "\(camel)")
    }

    /// Every object key in a JSON value.
    static func keys(_ value: Any) -> Set<String> {
        if let o = value as? [String: Any] { return Set(o.keys).union(o.values.flatMap { keys($0) }) }
        if let a = value as? [Any] { return Set(a.flatMap { keys($0) }) }
        return []
    }

    static func isCamel(_ key: String) -> Bool { key.range(of: "[a-z0-9][A-Z]", options: .regularExpression) != nil }
}
