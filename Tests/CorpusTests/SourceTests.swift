import Foundation
import Testing
import TestSupport
@testable import Corpus

struct SourceTests {
    struct MiniExpected: Decodable { var definitions: [String]; var text_length: Int }

    /// Our zlib reader and dictd index parser against a database written by Python (Fixtures/gen/corpus_dictd.py).
    @Test func dictdIndexAndGzipMembers() throws {
        let expected = try Fixture.json(MiniExpected.self, "corpus/mini_expected.json")
        let text = try Gzip.readMaybeCompressed(Fixture.url("corpus/mini.dict.dz"))
        #expect(text.count == expected.text_length)
        let ranges = try DictdSource.parseIndex(Fixture.url("corpus/mini.index"), textCount: text.count)
        #expect(ranges.map { String(decoding: text[$0], as: UTF8.self) } == expected.definitions)
        var docs: [String] = []
        try DictdSource(dictFiles: [Fixture.url("corpus/mini.dict.dz")]).forEachDocument(seed: 1) { d in
            docs.append(String(decoding: d.bytes, as: UTF8.self)); return true
        }
        #expect(docs.count == 4)
        let apple = try #require(docs.first { $0.hasPrefix("apple") })
        #expect(apple == "apple\n   A fruit of the tree Malus.\n\n   2. A second sense. [Obs.]\n\n")
    }

    @Test func dictdBadIndexNamesLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dictd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("word\tA\tB\nbroken line\n".utf8).write(to: dir.appendingPathComponent("x.index"))
        #expect(throws: CorpusError.badFormat(path: dir.appendingPathComponent("x.index").path,
                                              detail: "line 2: expected headword<TAB>offset<TAB>length")) {
            try DictdSource.parseIndex(dir.appendingPathComponent("x.index"), textCount: 10)
        }
        try Data([0x1F, 0x8B, 0x08, 0x00, 0x01]).write(to: dir.appendingPathComponent("bad.gz"))
        #expect(throws: CorpusError.self) { try Gzip.readMaybeCompressed(dir.appendingPathComponent("bad.gz")) }
    }

    @Test func normalizeRules() {
        func n(_ s: String, dedent: Bool = false) -> String {
            String(decoding: TextCleaning.normalize(Array(s.utf8), dedent: dedent), as: UTF8.self)
        }
        #expect(n("a\r\nb\rc") == "a\nb\nc")
        #expect(n("x  \t\ny") == "x\ny")
        #expect(n("\n\n  a\n\n\n\n\nb\n\n") == "  a\n\nb")
        #expect(n("a\u{0}b\u{7}c\u{7F}d\u{0C}e\tf") == "abcde\tf")
        #expect(n("  a\n    b", dedent: true) == "a\nb")
        #expect(n("    def f():\n        return 1\n") == "    def f():\n        return 1")
        #expect(n(" \n\t\n") == "")
    }

    @Test func roffToText() {
        let roff = """
        .\\" comment
        .TH LS 1 2024
        .SH NAME
        ls \\- list directory contents
        .SH SYNOPSIS
        .B ls
        .RI [ OPTION ]...
        .PP
        Use \\fB\\-a\\fR to show \\(lqhidden\\(rq files\\(em all of them.
        .de XX
        ignored macro body
        ..
        .BR grep (1),
        .I "two words"
        """
        let text = String(decoding: RoffText.plainText(Array(roff.utf8)), as: UTF8.self)
        #expect(text == "\nNAME\nls - list directory contents\n\nSYNOPSIS\nls\n[OPTION]...\n\nUse -a to show \u{201C}hidden\u{201D} files\u{2014} all of them.\ngrep(1),\ntwo words\n")
        let table = ".TS\nallbox;\nlb lb\nl l.\nInterface\tValue\nT{\nf()\nT}\tT{\nMT-Safe\nT}\n.TE\nafter\n"
        #expect(String(decoding: RoffText.plainText(Array(table.utf8)), as: UTF8.self)
                == "\nInterface\tValue\nf()\n\t\nMT-Safe\n\nafter\n\n")
        #expect(RoffText.isRedirect(Array(".\\\" x\n.so man3/foo.3\n".utf8)))
        #expect(!RoffText.isRedirect(Array(roff.utf8)))
    }

    @Test func domainSpecParsing() throws {
        let s = try DomainSpec.parse("web=/data/web")
        #expect(s.name == "web" && s.source.origin == "/data/web")
        #expect(throws: CorpusError.invalidArgument("--domain 'web': expected NAME=PATH")) { try DomainSpec.parse("web") }
        #expect(throws: CorpusError.invalidArgument("domain name 'a b': use letters, digits, '-' and '_' only")) {
            try DomainSpec.parse("a b=/x")
        }
    }

    /// Synthetic domains have the documented structure.
    @Test func syntheticStructure() throws {
        func docs(_ k: SyntheticSource.Kind, seed: UInt64 = 5) throws -> [[UInt8]] {
            var out: [[UInt8]] = []
            try SyntheticSource(kind: k, bytes: 50_000).forEachDocument(seed: seed) { out.append($0.bytes); return true }
            return out
        }
        let digits = try docs(.digits).joined()
        #expect(digits.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x20 || $0 == 0x0A })
        // order-2 character chain: each 2-character context has at most 3 successors
        var next: [UInt16: Set<UInt8>] = [:]
        for d in try docs(.markovChars) { for i in 2..<d.count { next[UInt16(d[i - 2]) << 8 | UInt16(d[i - 1]), default: []].insert(d[i]) } }
        #expect(next.values.allSatisfy { $0.count <= 3 } && next.values.contains { $0.count == 3 })
        // order-1 word chain: each word has at most 4 successors
        var succ: [String: Set<String>] = [:]
        for d in try docs(.markovWords) {
            let w = String(decoding: d, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            for i in 1..<w.count { succ[w[i - 1], default: []].insert(w[i]) }
        }
        #expect(succ.count <= 64 && succ.values.allSatisfy { $0.count <= 4 })
        #expect(try docs(.copies, seed: 9) == docs(.copies, seed: 9))
        #expect(try docs(.copies, seed: 9) != docs(.copies, seed: 10))
    }
}
