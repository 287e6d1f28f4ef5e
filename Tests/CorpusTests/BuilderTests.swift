import Base
import Foundation
import Testing
import TestSupport
@testable import Corpus

struct BuilderTests {
    static func options(val: Int = 2_000, cap: Int = 0, seed: UInt64 = 11) -> CorpusBuilder.Options {
        var o = CorpusBuilder.Options()
        o.validationBytes = val
        o.maxBytesPerDomain = cap
        o.seed = seed
        return o
    }

    static func documents(_ store: CorpusStore, _ domain: String, _ split: CorpusStore.Split) throws -> [String] {
        var out: [String] = []
        try store.forEachDocument(domain: domain, split: split) { out.append(String(decoding: $0, as: UTF8.self)); return true }
        return out
    }

    /// User folders (.txt and .jsonl), dedupe, invalid UTF-8 counting, disjoint splits, determinism.
    @Test func userFoldersBuildDeterministically() throws {
        let tmp = try TempDir()
        for i in 0..<40 { try tmp.write("web/doc\(i).txt", "Document number \(i). " + String(repeating: "word\(i) ", count: 40)) }
        try tmp.write("web/dup.txt", "Document number 3. " + String(repeating: "word3 ", count: 40) + "  \n\n")
        try tmp.write("web/sub/bad.txt", [0x61, 0x62, 0xFF, 0x63, 0x0A] + Array(String(repeating: "z", count: 300).utf8))
        var lines = ""
        for i in 0..<30 { lines += "{\"text\": \"Line \(i) of the jsonl \\u00e9 file \(String(repeating: "x", count: i * 10))\", \"meta\": 1}\n" }
        try tmp.write("books/part.jsonl", Array((lines + "\n").utf8) + Array("{\"text\": \"bad ".utf8) + [0xC3] + Array(" byte and more text\"}\n".utf8))
        let specs = [try DomainSpec.parse("web=\(tmp.path("web").path)"), try DomainSpec.parse("books=\(tmp.path("books").path)")]
        let out1 = tmp.path("c1"), out2 = tmp.path("c2")
        let m1 = try CorpusBuilder(options: Self.options()).build(specs, out: out1)
        let m2 = try CorpusBuilder(options: Self.options()).build(specs, out: out2)
        #expect(m1 == m2)
        for d in ["web", "books"] {
            for s in ["train.txt", "val.txt"] {
                #expect(try readFileBytes(out1.appendingPathComponent("\(d)/\(s)")) == readFileBytes(out2.appendingPathComponent("\(d)/\(s)")))
            }
        }
        let web = try #require(m1.domains.first { $0.name == "web" })
        #expect(web.duplicatesRemoved == 1 && web.invalidUTF8Replaced == 1)
        #expect(web.trainDocuments + web.valDocuments == 41)
        let store = try CorpusStore(out1)
        let train = try Self.documents(store, "web", .train), val = try Self.documents(store, "web", .val)
        #expect(Set(train).isDisjoint(with: val) && train.count == web.trainDocuments && val.count == web.valDocuments)
        #expect(val.reduce(0) { $0 + $1.utf8.count } == web.valBytes && web.valBytes >= 2_000)
        #expect((train + val).contains { $0.hasPrefix("ab\u{FFFD}c") })
        let books = try Self.documents(store, "books", .train) + Self.documents(store, "books", .val)
        #expect(books.count == 31 && books.filter { $0.hasPrefix("Line ") && $0.contains("\u{E9}") }.count == 30)
        #expect(books.contains("bad \u{FFFD} byte and more text") && m1.domains[1].invalidUTF8Replaced == 1)
        let other = try CorpusBuilder(options: Self.options(seed: 12)).build(specs, out: tmp.path("c3"))
        #expect(try Self.documents(CorpusStore(tmp.path("c3")), "web", .val) != val || other != m1)
    }

    @Test func byteCapStopsReading() throws {
        let tmp = try TempDir()
        let m = try CorpusBuilder(options: Self.options(val: 20_000, cap: 100_000))
            .build([DomainSpec(name: "digits", source: SyntheticSource(kind: .digits, bytes: 1_000_000))], out: tmp.path("c"))
        let d = m.domains[0]
        #expect(d.capped && d.trainBytes + d.valBytes >= 100_000 && d.trainBytes + d.valBytes < 100_000 + 3_000)
    }

    @Test func badInputsGiveOneLineErrors() throws {
        let tmp = try TempDir()
        let out = tmp.path("out")
        func build(_ spec: String, val: Int = 10) throws {
            try CorpusBuilder(options: Self.options(val: val)).build([DomainSpec.parse(spec)], out: out)
        }
        try tmp.write("empty/a.txt", "")
        #expect(throws: CorpusError.empty(path: tmp.path("empty/a.txt").path)) { try build("e=\(tmp.path("empty").path)") }
        #expect(throws: CorpusError.unreadable(path: tmp.path("missing").path, reason: "no such file or folder")) {
            try build("m=\(tmp.path("missing").path)")
        }
        try tmp.write("nothing/readme.md", "x")
        #expect(throws: CorpusError.badFormat(path: tmp.path("nothing").path, detail: "no .txt or .jsonl files found")) {
            try build("n=\(tmp.path("nothing").path)")
        }
        try tmp.write("j1/a.jsonl", "{\"text\": \"ok\"}\n{not json\n")
        #expect(throws: CorpusError.badFormat(path: tmp.path("j1/a.jsonl").path, detail: "line 2: not valid JSON")) {
            try build("j=\(tmp.path("j1").path)")
        }
        try tmp.write("j2/a.jsonl", "{\"body\": \"no text field\"}\n")
        #expect(throws: CorpusError.badFormat(path: tmp.path("j2/a.jsonl").path, detail: "line 1: field \"text\" is missing or not a string")) {
            try build("j=\(tmp.path("j2").path)")
        }
        try tmp.write("small/a.txt", "just a little text")
        #expect(throws: CorpusError.tooLittleText(domain: "s", detail: "only 18 bytes of text after cleaning (1 documents); needs at least 2000 (validation split of 1000 bytes and as much for training); add text or lower --val-bytes")) {
            try build("s=\(tmp.path("small").path)", val: 1000)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
        try tmp.write("notcorpus/file.txt", "precious")
        let spec = try DomainSpec.parse("w=\(tmp.path("small").path)")
        #expect(throws: OutputError(path: tmp.path("notcorpus").path, reason: "exists and is not an earlier output (no corpus.json); refusing to replace it")) {
            try CorpusBuilder(options: Self.options(val: 1)).build([spec], out: tmp.path("notcorpus"))
        }
    }
}
