import Base
import Foundation

/// One raw document as a source yields it, before cleaning (bytes may be invalid UTF-8).
public struct RawDocument: Sendable {
    public var bytes: [UInt8]
    /// Whether leading indentation carries no meaning here (dictionary layout) and may be removed.
    public var dedent: Bool
    /// Invalid UTF-8 sequences the source already replaced (e.g. inside a JSONL line), to be counted.
    public var replacedInvalidUTF8: Int
    public init(bytes: [UInt8], dedent: Bool = false, replacedInvalidUTF8: Int = 0) {
        self.bytes = bytes; self.dedent = dedent; self.replacedInvalidUTF8 = replacedInvalidUTF8
    }
}

/// A producer of raw documents for one domain. Sources yield documents in an order fixed by `seed`,
/// so that stopping early at a byte cap still selects a seeded sample; `body` returns false to stop.
public protocol DocumentSource: Sendable {
    /// Where the text comes from, for the corpus manifest and the table.
    var origin: String { get }
    func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws
}

/// FNV-1a 64-bit hash of bytes (used to derive per-domain seeds from names and for hash tables).
@inline(__always)
public func fnv1a64<C: Collection>(_ bytes: C, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 where C.Element == UInt8 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// A seed for one named stream derived from a master seed (independent of the order domains are listed in).
public func derivedSeed(_ seed: UInt64, _ name: String) -> UInt64 {
    var g = SplitMix64(seed: seed ^ fnv1a64(Array(name.utf8)))
    return g.next()
}

/// Regular files under `root` (recursively) accepted by `include`, sorted by path; symbolic links are skipped
/// (they duplicate other files).
func listFiles(under root: URL, include: (URL) -> Bool) throws -> [URL] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir) else {
        throw CorpusError.unreadable(path: root.path, reason: "no such file or folder")
    }
    guard isDir.boolValue else { return include(root) ? [root] : [] }
    guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey],
                                                  options: [], errorHandler: { _, _ in true }) else {
        throw CorpusError.unreadable(path: root.path, reason: "cannot list folder")
    }
    var out: [URL] = []
    for case let url as URL in e {
        let v = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
        if v?.isSymbolicLink == true || v?.isRegularFile != true { continue }
        if include(url) { out.append(url) }
    }
    return out.sorted { $0.path < $1.path }
}
