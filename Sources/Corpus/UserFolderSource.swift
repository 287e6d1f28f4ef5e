import Base
import Foundation

/// A user corpus: a folder (searched recursively) of `.txt` files, one document each, and/or `.jsonl` files
/// with one JSON object per line whose string field `text` is a document (RedPajama style). A single file
/// may be given instead of a folder. Blank JSONL lines are skipped; empty files and malformed lines are
/// errors naming the file and line.
public struct UserFolderSource: DocumentSource {
    public let path: URL
    public init(path: URL) { self.path = path }

    public var origin: String { path.path }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        var files = try listFiles(under: path) { ["txt", "jsonl"].contains($0.pathExtension) }
        guard !files.isEmpty else {
            throw CorpusError.badFormat(path: path.path, detail: "no .txt or .jsonl files found")
        }
        var g = SplitMix64(seed: seed)
        g.shuffle(&files)
        for url in files {
            let bytes = try readFileBytes(url)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw CorpusError.empty(path: url.path) }
            if url.pathExtension == "txt" {
                if try !body(RawDocument(bytes: bytes)) { return }
                continue
            }
            var lineNo = 0
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNo += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                let (text, replaced) = try Self.textField(line, path: url.path, line: lineNo)
                if try !body(RawDocument(bytes: text, replacedInvalidUTF8: replaced)) { return }
            }
        }
    }

    /// The UTF-8 bytes of the string field `text` of one JSONL line; invalid UTF-8 in the line is repaired first and counted.
    static func textField(_ line: ArraySlice<UInt8>, path: String, line lineNo: Int) throws -> (text: [UInt8], replaced: Int) {
        let (repaired, replaced) = TextCleaning.repairUTF8(Array(line))
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(repaired), options: [])
        } catch {
            throw CorpusError.badFormat(path: path, detail: "line \(lineNo): not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw CorpusError.badFormat(path: path, detail: "line \(lineNo): expected a JSON object")
        }
        guard let text = dict["text"] as? String else {
            throw CorpusError.badFormat(path: path, detail: "line \(lineNo): field \"text\" is missing or not a string")
        }
        return (Array(text.utf8), replaced)
    }
}
