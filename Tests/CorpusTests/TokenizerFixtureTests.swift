import Base
import Foundation
import Testing
import TestSupport
@testable import Corpus

/// Our encoder against ids produced by Hugging Face `tokenizers` from OUR saved tokenizer files
/// (Fixtures/gen/corpus_tokenizer.py). Tolerance: exact equality of every id.
struct TokenizerFixtureTests {
    struct Entry: Decodable { var ids: [Int32]; var decoded: String; var text: String }
    struct Reference: Decodable { var tokenizers: [String: [String: Entry]] }
    struct Samples: Decodable { var domains: [String: String]; var edge: [String: String]; var invalid_utf8: [String: [UInt8]] }

    static func reference() throws -> Reference { try Fixture.shared(Reference.self, "corpus/hf_ids.json") }
    static func samples() throws -> Samples { try Fixture.shared(Samples.self, "corpus/samples.json") }

    static func tokenizer(_ name: String) throws -> BPETokenizer {
        BPETokenizer(model: try TokenizerJSON.load(Fixture.url("corpus/\(name)")))
    }

    @Test(arguments: ["tokenizer.json", "tokenizer_bert.json", "hf_trained_tokenizer.json"])
    func idsEqualHuggingFace(file: String) throws {
        let tok = try Self.tokenizer(file)
        let entries = try #require(try Self.reference().tokenizers[file])
        #expect(entries.count == 53)
        for (key, e) in entries.sorted(by: { $0.key < $1.key }) {
            let ids = tok.encode(e.text)
            #expect(ids == e.ids, "\(file) \(key)")
            #expect(try tok.decode(ids) == e.decoded, "\(file) \(key)")
        }
    }

    @Test func everyDomainIsCovered() throws {
        let domains = Set(try Self.samples().domains.keys.map { String($0.split(separator: "_")[0]) })
        #expect(domains == ["dictionary", "lexicon", "computing", "code", "quotes", "manuals"])
    }

    /// Raw invalid UTF-8: our replacement (maximal subparts) gives Python's `errors="replace"` text and HF's ids.
    @Test func invalidUTF8IsReplacedLikePython() throws {
        let tok = try Self.tokenizer("tokenizer.json")
        let entries = try #require(try Self.reference().tokenizers["tokenizer.json"])
        for (name, bytes) in try Self.samples().invalid_utf8 {
            let e = try #require(entries["invalid/\(name)"])
            let (repaired, count) = TextCleaning.repairUTF8(bytes)
            #expect(repaired == Array(e.text.utf8), "\(name)")
            #expect(count == e.text.unicodeScalars.filter { $0 == "\u{FFFD}" }.count && count > 0, "\(name)")
            let (ids, replaced) = tok.encode(utf8: bytes)
            #expect(ids == e.ids && replaced == count, "\(name)")
        }
    }

    @Test func roundTripOnEverySample() throws {
        let tok = try Self.tokenizer("tokenizer.json")
        for text in Array(try Self.samples().domains.values) + Array(try Self.samples().edge.values) {
            #expect(try tok.decode(tok.encode(text)) == text)
        }
    }

    /// Every byte value: its token decodes to it, and byte strings covering 0...255 survive encode/decode.
    @Test func allBytesRoundTrip() throws {
        let tok = try Self.tokenizer("tokenizer.json")
        for b in 0..<256 {
            #expect(try tok.decodeBytes([tok.model.byteIds[b]]) == [UInt8(b)])
        }
        let ascii = (0..<128).map { UInt8($0) }
        #expect(try tok.decodeBytes(tok.encode(utf8: ascii).ids) == ascii)
        let latin1 = String(String.UnicodeScalarView((0..<256).map { Unicode.Scalar(UInt8($0)) }))
        let bytes = Array(latin1.utf8)  // contains every lead and continuation byte 0x80...0xC3 used by U+0080...U+00FF
        #expect(try tok.decodeBytes(tok.encode(utf8: bytes).ids) == bytes)
        #expect(Set(ascii + bytes).count == 128 + 64 + 2)
    }

    @Test func specialTokensAreAtomic() throws {
        let tok = try Self.tokenizer("tokenizer_bert.json")
        let ids = tok.encode("[CLS]x[SEP]<|endoftext|>[MASK][PAD]")
        let special = tok.model.specials.map(\.content)
        #expect(special == ["<|endoftext|>", "[PAD]", "[CLS]", "[SEP]", "[MASK]"])
        #expect(ids.filter { id in tok.model.specials.contains { $0.id == id } }.count == 5)
        #expect(tok.model.vocabSize == 1024)
    }

    /// Saving and reloading gives the same model and byte-identical files.
    @Test func jsonRoundTrip() throws {
        let url = Fixture.url("corpus/tokenizer.json")
        let model = try TokenizerJSON.load(url)
        let again = TokenizerJSON.encode(model)
        #expect(again == Data(try readFileBytes(url)))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try TokenizerJSON.save(model, to: tmp)
        #expect(try TokenizerJSON.load(tmp) == model)
    }

    /// Long pieces (merged with a heap) against the plain rule: merge the lowest-rank adjacent pair, leftmost first.
    @Test func longPiecesMatchPlainMergeRule() throws {
        let tok = try Self.tokenizer("tokenizer.json")
        var rank: [[Int32]: (Int, Int32)] = [:]
        for (r, m) in tok.model.merges.enumerated() where rank[[m.left, m.right]] == nil { rank[[m.left, m.right]] = (r, m.result) }
        func plain(_ bytes: [UInt8]) -> [Int32] {
            var s = bytes.map { tok.model.byteIds[Int($0)] }
            while true {
                var best: (Int, Int, Int32)? = nil
                for i in 0..<max(0, s.count - 1) {
                    if let (r, z) = rank[[s[i], s[i + 1]]], r < (best?.0 ?? Int.max) { best = (r, i, z) }
                }
                guard let (_, i, z) = best else { return s }
                s[i] = z
                s.remove(at: i + 1)
            }
        }
        var g = SplitMix64(seed: 42)
        let letters = Array("etaoinshrdlucmfw".utf8)
        for n in [64, 65, 100, 257, 1000] {
            let word = (0..<n).map { _ in letters[g.below(letters.count)] }
            #expect(tok.encode(utf8: word).ids == plain(word), "length \(n)")
        }
        let spaces = [UInt8](repeating: 0x20, count: 5000)  // one piece of 5000 spaces at the end of the text
        #expect(tok.encode(utf8: spaces).ids == plain(spaces))
    }
}
