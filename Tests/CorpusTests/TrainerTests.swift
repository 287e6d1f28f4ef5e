import Foundation
import Testing
import TestSupport
@testable import Corpus

/// The incremental trainer against a naive reference that recounts every pair before each merge.
struct TrainerTests {
    /// Naive BPE: count pairs over all pieces from scratch each step; pick max count, ties smaller (left, right).
    static func naiveMerges(_ texts: [String], merges: Int) -> [(Int32, Int32)] {
        var counts: [[UInt8]: Int] = [:]
        for t in texts {
            var s = t
            s.withUTF8 { buf in PreTokenizer.split(buf) { a, b in counts[Array(buf[a..<b]), default: 0] += 1 } }
        }
        var words = counts.map { (syms: $0.key.map { Int32($0) }, count: $0.value) }
        var out: [(Int32, Int32)] = []
        for step in 0..<merges {
            var pairs: [UInt64: Int] = [:]
            for w in words where w.syms.count > 1 {
                for i in 0..<(w.syms.count - 1) { pairs[UInt64(UInt32(w.syms[i])) << 32 | UInt64(UInt32(w.syms[i + 1])), default: 0] += w.count }
            }
            guard let best = pairs.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }), best.value >= 2 else { break }
            let a = Int32(best.key >> 32), b = Int32(best.key & 0xFFFF_FFFF), z = Int32(256 + step)
            out.append((a, b))
            for k in words.indices {
                var n: [Int32] = []
                var i = 0
                let s = words[k].syms
                while i < s.count {
                    if i + 1 < s.count && s[i] == a && s[i + 1] == b { n.append(z); i += 2 } else { n.append(s[i]); i += 1 }
                }
                words[k].syms = n
            }
        }
        return out
    }

    static func corpusTexts() throws -> [String] {
        let samples = try Fixture.json(TokenizerFixtureTests.Samples.self, "corpus/samples.json")
        var texts = Array(samples.domains.values).sorted()
        var produced: [String] = []
        try SyntheticSource(kind: .markovWords, bytes: 20_000).forEachDocument(seed: 1) { d in
            produced.append(String(decoding: d.bytes, as: UTF8.self)); return true
        }
        texts += produced
        texts.append("aaaa aaaaaaa abababab " + String(repeating: "ab", count: 50))
        return texts
    }

    @Test func incrementalEqualsNaiveRecount() throws {
        let texts = try Self.corpusTexts()
        var options = BPETrainer.Options()
        options.vocabSize = 256 + 300 + 1
        var trainer = BPETrainer(options: options)
        for t in texts { trainer.add(t) }
        let model = try trainer.train()
        let naive = Self.naiveMerges(texts, merges: 300)
        #expect(model.merges.count == naive.count)
        #expect(model.merges.map { [$0.left, $0.right] } == naive.map { [$0.0, $0.1] })
        #expect(model.vocabSize == options.vocabSize)
        #expect(model.specials == [.init(content: "<|endoftext|>", id: Int32(options.vocabSize - 1))])
    }

    @Test func trainingIsDeterministicAndStopsAtMinFrequency() throws {
        let texts = try Self.corpusTexts()
        func train(_ vocab: Int) throws -> BPEModel {
            var o = BPETrainer.Options(); o.vocabSize = vocab
            var t = BPETrainer(options: o)
            for s in texts { t.add(s) }
            return try t.train()
        }
        #expect(try train(600) == train(600))
        var tiny = BPETrainer()
        tiny.add("ab cd")  // no pair occurs twice
        #expect(try tiny.train().merges.isEmpty)
        var o = BPETrainer.Options(); o.vocabSize = 200
        #expect(throws: CorpusError.invalidArgument("vocabulary size 200 is below 256 byte tokens + 1 special tokens")) {
            try BPETrainer(options: o).train()
        }
    }
}
