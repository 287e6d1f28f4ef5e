import Foundation
import Testing
import TestSupport

/// Drives the built `autoscale` binary: corpus build/tokenize and tokenizer train/encode/decode on
/// synthetic and user domains, and the one-line errors for bad inputs.
struct CorpusCLITests {
    struct Run { var status: Int32; var stdout: Data; var stderr: String; var out: String { String(decoding: stdout, as: UTF8.self) } }

    static func run(_ args: [String], stdin: Data = Data()) throws -> Run {
        let r = try CLI.run(args, stdinData: stdin)
        return Run(status: r.status, stdout: r.stdoutData, stderr: r.stderr)
    }

    static func tempDir() throws -> URL { try CLI.tempDir() }

    @Test func syntheticPipelineThroughTheCLI() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus").path, tok = dir.appendingPathComponent("tok.json").path
        let build = try Self.run(["corpus", "build", "--out", corpus, "--synthetic", "--synthetic-bytes", "150000",
                                  "--val-bytes", "30000", "--quiet"])
        #expect(build.status == 0 && build.stderr.isEmpty)
        let lines = build.out.split(separator: "\n")
        #expect(lines.first?.hasPrefix("domain") == true && lines.count == 7 && lines.last?.hasPrefix("total") == true)
        let train = try Self.run(["tokenizer", "train", "--corpus", corpus, "--vocab-size", "500", "--out", tok, "--json", "--quiet"])
        #expect(train.status == 0 && train.out.contains("\"vocab_size\": 500"))
        let tokenize = try Self.run(["corpus", "tokenize", "--corpus", corpus, "--tokenizer", tok, "--min-val-tokens", "1000", "--json"])
        #expect(tokenize.status == 0 && tokenize.stderr.contains("tokenize: digits"))
        let rows = try #require(try JSONSerialization.jsonObject(with: tokenize.stdout) as? [[String: Any]])
        #expect(rows.count == 5 && rows.allSatisfy { ($0["val_tokens"] as? Int ?? 0) >= 1000 })
        // mixture plan: quantities within one sequence, epochs warned about, error above the limit
        let tokensDir = dir.appendingPathComponent("corpus/tokens").path
        let digitsTrain = try #require(rows.first { $0["domain"] as? String == "digits" }?["train_tokens"] as? Int)
        let sample = try Self.run(["corpus", "sample", "--tokens", tokensDir, "--mix", "copies=3000", "--mix", "digits=\(digitsTrain * 2)",
                                   "--seq-len", "64", "--json"])
        #expect(sample.status == 0 && sample.stderr.hasPrefix("warning: domain 'digits':") && sample.stderr.contains("over 3 epochs"))
        let plan = try #require(try JSONSerialization.jsonObject(with: sample.stdout) as? [String: Any])
        let planRows = try #require(plan["domains"] as? [[String: Any]])
        #expect(planRows.count == 2 && abs((planRows[0]["tokens"] as? Int ?? 0) - 3000) <= 32)
        let tooMuch = try Self.run(["corpus", "sample", "--tokens", tokensDir, "--mix", "digits=\(digitsTrain * 9)", "--seq-len", "64"])
        #expect(tooMuch.status != 0 && tooMuch.stderr.hasPrefix("Error: domain 'digits': ") && tooMuch.stderr.contains("above the limit of 4"))
        // encode / decode through stdin, including invalid UTF-8 (replaced, counted on stderr)
        let text = "The 3 report says that x will meet y next week.\n\u{1F600} caf\u{E9}"
        let enc = try Self.run(["tokenizer", "encode", "--tokenizer", tok], stdin: Data(text.utf8))
        #expect(enc.status == 0 && enc.out.hasPrefix("["))
        let dec = try Self.run(["tokenizer", "decode", "--tokenizer", tok], stdin: enc.stdout)
        #expect(dec.status == 0 && dec.out == text)
        let bad = try Self.run(["tokenizer", "encode", "--tokenizer", tok], stdin: Data([0x61, 0xFF, 0x62]))
        #expect(bad.status == 0 && bad.stderr.contains("replaced 1 invalid UTF-8 sequence"))
        let badDec = try Self.run(["tokenizer", "decode", "--tokenizer", tok], stdin: Data("[1, 99999]".utf8))
        #expect(badDec.status != 0 && badDec.stderr == "Error: id 99999 at position 1 is outside the vocabulary (size 500)\n")
    }

    @Test func badInputsExitNonzeroWithOneLine() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("web"), withIntermediateDirectories: true)
        try Data().write(to: dir.appendingPathComponent("web/empty.txt"))
        let out = dir.appendingPathComponent("out").path
        let r1 = try Self.run(["corpus", "build", "--out", out, "--domain", "web=\(dir.appendingPathComponent("web").path)"])
        #expect(r1.status != 0 && r1.stderr == "Error: \(dir.appendingPathComponent("web/empty.txt").path): file is empty\n")
        #expect(!fm.fileExists(atPath: out))
        let notTok = dir.appendingPathComponent("x.json")
        try Data("{\"model\": {\"type\": \"Unigram\"}}".utf8).write(to: notTok)
        let r2 = try Self.run(["tokenizer", "encode", "--tokenizer", notTok.path])
        #expect(r2.status != 0 && r2.stderr == "Error: \(notTok.path): model.type is Unigram, expected \"BPE\"\n")
        let r3 = try Self.run(["corpus", "tokenize", "--corpus", dir.path, "--tokenizer", notTok.path])
        #expect(r3.status != 0 && r3.stderr == "Error: \(dir.appendingPathComponent("corpus.json").path): cannot read: no such file\n")
        let r4 = try Self.run(["corpus", "build", "--out", out, "--domain", "web"])
        #expect(r4.status != 0 && r4.stderr == "Error: --domain 'web': expected NAME=PATH\n")
    }
}
