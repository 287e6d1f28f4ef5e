import Base
import Corpus
import DataMixing
import Foundation
import Pipelines
@testable import Proxies
import ScalingLaws
import Testing
import TestSupport
import Transformer

/// A seeded mutational fuzzer over the parsers (`make fuzz SECONDS=N`; skipped unless `AUTOSCALE_FUZZ_SECONDS`
/// is set, so never in CI). Each round takes a valid seed input of one parser (the committed fixtures and small
/// hand-written files), applies 1-8 random mutations (byte flips, inserted bytes from an interesting set: NUL,
/// CR, quotes, separators, digits; deleted, duplicated or spliced ranges; numbers such as 1e308, -1, nan,
/// 99999999999999999999) and parses it. A parser may accept or throw; the fuzzer fails on an error message that
/// spans several lines or echoes a raw CR or NUL, and a trap ends the process with the input left in
/// `FUZZ_DIR/last-<parser>` (written before each parse) to commit as a regression input.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AUTOSCALE_FUZZ_SECONDS"] != nil, "set AUTOSCALE_FUZZ_SECONDS (make fuzz)"))
struct ParserFuzzTests {
    struct Target {
        var name: String
        var seeds: [[UInt8]]
        /// Parses a file at the given path.
        var parse: (URL) throws -> Void
    }

    static func fixture(_ path: String) -> [UInt8] { (try? readFileBytes(Fixture.url(path))) ?? [] }

    static func targets(_ dir: URL) -> [Target] {
        let csv = Array("N,D,loss\n1e6,2e9,3.1\n2e6,4e9,2.9\n\"3e6\",8e9, 2.7 \r\n".utf8)
        let proxy = (try? readFileBytes(Fixture.root.deletingLastPathComponent().appendingPathComponent("Docs/examples/proxy-tiny.yaml"))) ?? []
        let result = Array(#"{"domains": ["a", "b"], "budget": 400, "tokens": {"a": 300, "b": 100}, "weights": {"a": 0.75, "b": 0.25}, "fits": {"a": {"a": 1, "b": 0.5, "c": 0}, "b": {"a": 2, "b": 0.1, "c": 0.1}}}"#.utf8)
        let manifest = Array(#"{"format": "autoscale-tokens", "version": 1, "tokenWidth": 2, "tokenizer": {"file": "tok.json", "sha256": "00", "vocabSize": 300, "endOfTextId": 0}, "domains": [{"name": "a", "train": {"file": "a/train.bin", "documents": 1, "tokens": 3, "bytes": 9}, "val": {"file": "a/val.bin", "documents": 1, "tokens": 3, "bytes": 9}}]}"#.utf8)
        let shard = Array((try? TokenShard.encode([1, 2, 3, 299], width: 2)) ?? Data())
        var safetensors: [UInt8] = []
        if let model = try? GPT2LMHeadModel(config: GPT2Config(vocabSize: 20, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2), seed: 1) {
            let st = dir.appendingPathComponent("seed.safetensors")
            try? SafeTensors.write(Checkpoint.tensors(of: model.parameterSpecs, in: UnsafeBufferPointer(model.parameters)), to: st)
            safetensors = (try? readFileBytes(st)) ?? []
        }
        return [
            Target(name: "table", seeds: [csv, fixture("ddo/losses_3domains.csv")]) { _ = try Table.read(path: $0.path) },
            Target(name: "losses", seeds: [fixture("ddo/losses_3domains.csv"), fixture("ddo/notebook_losses.csv")]) {
                _ = try LossTable.read(path: $0.path)
            },
            Target(name: "result", seeds: [result]) { _ = try MixtureResult.read(path: $0.path) },
            Target(name: "proxy-yaml", seeds: [proxy]) { _ = try ProxyConfig.load(path: $0.path) },
            Target(name: "pipeline-yaml", seeds: [Array("corpus: c\nout: o\nproxy: p.yaml\nbudgets: [1k, 2k]\ntarget: 4k\n".utf8)]) {
                _ = try PipelineConfig.load(path: $0.path)
            },
            Target(name: "safetensors", seeds: [safetensors]) { _ = try SafeTensors.decode(Data(try readFileBytes($0)), file: $0.path) },
            Target(name: "tokenizer", seeds: [fixture("corpus/tokenizer.json")]) { _ = try TokenizerJSON.load(bytes: try readFileBytes($0), path: $0.path) },
            Target(name: "manifest", seeds: [manifest]) { url in
                let d = url.deletingLastPathComponent().appendingPathComponent("m-\(url.lastPathComponent)")
                try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
                try Data(try readFileBytes(url)).write(to: d.appendingPathComponent("manifest.json"))
                _ = try ShardManifest.load(d)
            },
            Target(name: "shard", seeds: [shard]) { _ = try TokenShard($0) },
            Target(name: "batch", seeds: [Array(#"{"input_ids": [[1, 2, 3], [4, 5, 6]], "labels": [[-100, 2, -100], [4, -100, 6]], "attention_mask": [[1, 1, 1], [1, 1, 0]], "token_type_ids": [[0, 0, 1], [0, 1, 1]]}"#.utf8)]
                   + ["gpt2_padded", "bert_pretraining"].map { fixture("engine/\($0)/batch.json") }.filter { !$0.isEmpty }) {
                _ = try TokenBatch.fromJSON(Data(try readFileBytes($0)), file: $0.path)
            },
            Target(name: "fit", seeds: [Array(#"{"law": "chinchilla", "params": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}, "points": 20}"#.utf8)]) {
                _ = try ComputeOptimal.load(fitFile: $0.path)
            },
            Target(name: "trainer-reply", seeds: [Array("progress 1/2\n{\"losses\": {\"a\": 2.5, \"b\": 3.25}}\n".utf8)]) { url in
                _ = try CommandTrainer.losses(fromOutput: Data(try readFileBytes(url)), domains: ["a", "b"]) {
                    DataMixingError.invalidArgument("run r: trainer command 'x' \($0)")
                }
            },
        ]
    }

    static let interesting: [[UInt8]] = ["\u{0}", "\r", "\r\r\n", "\"", ",", "\n", "{", "}", "[", "]", ":", "-", "1e308", "-1", "nan",
                                         "inf", "99999999999999999999", "0", "\u{FEFF}", "\\u0000", "  "].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64, corpus: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0...rng.below(8) {
            let i = rng.below(max(b.count, 1))
            switch rng.below(6) {
            case 0 where !b.isEmpty: b[i] ^= UInt8(1 << rng.below(8))
            case 1: b.insert(contentsOf: interesting[rng.below(interesting.count)], at: min(i, b.count))
            case 2 where !b.isEmpty: b.removeSubrange(i..<min(b.count, i + 1 + rng.below(16)))
            case 3 where !b.isEmpty: b.insert(contentsOf: Array(b[i..<min(b.count, i + 1 + rng.below(32))]), at: rng.below(b.count))
            case 4:
                let other = corpus[rng.below(corpus.count)]
                if !other.isEmpty { b = Array(b.prefix(i)) + Array(other[rng.below(other.count)...]) }
            default: if !b.isEmpty { b[i] = UInt8(truncatingIfNeeded: rng.below(256)) }
            }
        }
        return b
    }

    @Test func parsersNeverTrapAndErrorsAreOneLine() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["AUTOSCALE_FUZZ_SECONDS"] ?? "") ?? 10
        let seed = UInt64(ProcessInfo.processInfo.environment["AUTOSCALE_FUZZ_SEED"] ?? "") ?? 1
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FUZZ_DIR"] ?? NSTemporaryDirectory())
            .appendingPathComponent("autoscale-fuzz")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let targets = Self.targets(dir)
        // A missing or renamed seed file must not silently switch a target off.
        for t in targets { try #require(t.seeds.contains { !$0.isEmpty }, "fuzz target \(t.name) has no seed input") }
        var rng = SplitMix64(seed: seed)
        let start = Date()
        var rounds = 0, rejected = 0, accepted = 0
        var bad: [String] = []
        while Date().timeIntervalSince(start) < seconds {
            let t = targets[rounds % targets.count]
            rounds += 1
            guard !t.seeds.isEmpty, case let s = t.seeds[rng.below(t.seeds.count)], !s.isEmpty else { continue }
            let input = Self.mutate(s, &rng, corpus: targets.flatMap(\.seeds))
            let url = dir.appendingPathComponent("last-\(t.name)")
            try Data(input).write(to: url)
            do { try t.parse(url); accepted += 1 } catch {
                rejected += 1
                let text = "\(error)"
                if text.contains("\n") || text.contains("\r") || text.contains("\u{0}") {
                    let keep = dir.appendingPathComponent("bad-\(t.name)-\(rounds)")
                    try? Data(input).write(to: keep)
                    bad.append("\(t.name): \(keep.path): \(text.prefix(200).debugDescription)")
                }
            }
        }
        print("fuzz: \(rounds) inputs in \(String(format: "%.0f", seconds)) s (seed \(seed)): \(accepted) accepted, \(rejected) refused, "
              + "\(bad.count) multi-line or raw-control-character errors")
        for b in bad.prefix(20) { print("fuzz: " + b) }
        #expect(bad.isEmpty)
    }
}
