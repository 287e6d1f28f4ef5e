import Foundation
import Testing
import TestSupport
@testable import Corpus

struct ShardTests {
    @Test(arguments: [2, 4])
    func roundTrip(width: Int) throws {
        let tmp = try TempDir()
        let tokens: [Int32] = width == 2 ? [0, 1, 65535, 300, 7] : [0, 70000, Int32.max, 5]
        let url = try tmp.write("s.bin", [UInt8](TokenShard.encode(tokens, width: width)))
        let shard = try TokenShard(url)
        #expect(shard.count == tokens.count && shard.width == width)
        #expect(shard.tokens(0..<tokens.count) == tokens && shard.tokens(1..<3) == Array(tokens[1..<3]))
        let bytes = try readFileBytes(url)
        #expect(Array(bytes[0..<8]) == [0x41, 0x53, 0x54, 0x4B, 1, 0, UInt8(width), 0])
        #expect(bytes.count == 16 + width * tokens.count)
    }

    @Test func badHeadersAndTruncation() throws {
        let tmp = try TempDir()
        let good = [UInt8](try TokenShard.encode([1, 2, 3], width: 2))
        func check(_ name: String, _ bytes: [UInt8], _ detail: String) throws {
            let url = try tmp.write(name, bytes)
            #expect(throws: CorpusError.badShard(path: url.path, detail: detail)) { try TokenShard(url) }
        }
        try check("short.bin", Array(good[0..<10]), "file is 10 bytes, shorter than the 16-byte header")
        try check("magic.bin", [0x58] + good.dropFirst(), "wrong magic (not an autoscale token shard)")
        var v = good; v[4] = 9
        try check("version.bin", v, "unsupported version 9")
        var w = good; w[6] = 3
        try check("width.bin", w, "token width 3 (must be 2 or 4)")
        try check("trunc.bin", Array(good.dropLast()), "header says 3 tokens (22 bytes) but the file has 21 bytes (truncated or corrupt)")
        #expect(throws: CorpusError.invalidArgument("token 70000 does not fit in 16 bits")) { try TokenShard.encode([70000], width: 2) }
        let missing = tmp.path("none.bin")
        #expect(throws: CorpusError.unreadable(path: missing.path, reason: "no such file")) { try TokenShard(missing) }
    }

    @Test func tokenizerFileErrors() throws {
        let tmp = try TempDir()
        func check(_ text: String, _ detail: String) throws {
            let url = try tmp.write("t\(UUID().uuidString).json", text)
            #expect(throws: CorpusError.badFormat(path: url.path, detail: detail)) { try TokenizerJSON.load(url) }
        }
        try check("[1, 2]", "not a JSON object (expected a Hugging Face tokenizers file)")
        try check("{\"model\": {\"type\": \"WordPiece\"}}", "model.type is WordPiece, expected \"BPE\"")
        try check("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Whitespace\"}}",
                  "pre_tokenizer must be {\"type\": \"ByteLevel\", ...}")
        var vocab = (0..<256).map { "\(TokenizerJSON.quoted(ByteLevel.tokenString([UInt8($0)]))): \($0)" }
        let pre = "\"pre_tokenizer\": {\"type\": \"ByteLevel\"}"
        try check("{\"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab.dropLast().joined(separator: ","))}, \"merges\": []}, \(pre)}",
                  "model.vocab lacks the token for byte 0xFF")
        vocab.append("\"ab\": 256")
        try check("{\"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab.joined(separator: ","))}, \"merges\": [\"a c\"]}, \(pre)}",
                  "model.merges[0]: \"a\" + \"c\" or their concatenation is not in the vocabulary")
        try check("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \(pre), \"post_processor\": {\"type\": \"TemplateProcessing\"}}",
                  "post_processor TemplateProcessing is not supported (it would add tokens); use null or ByteLevel")
        try check("{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"lstrip\": true}], \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \(pre)}",
                  "added_tokens[0]: lstrip true is not supported")
        let empty = try tmp.write("empty.json", "")
        #expect(throws: CorpusError.empty(path: empty.path)) { try TokenizerJSON.load(empty) }
        // a well-formed minimal file loads, with "a b" string merges
        let ok = try tmp.write("ok.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab.joined(separator: ","))}, \"merges\": [\"a b\"]}, \(pre)}")
        #expect(BPETokenizer(model: try TokenizerJSON.load(ok)).encode("abab") == [256, 256])
    }
}
