import Base
import Foundation

/// Source files (e.g. the Python standard library), one document per file, indentation kept.
/// Files are visited in a seeded order so a byte cap keeps a seeded sample of whole files.
public struct SourceFilesSource: DocumentSource {
    public let roots: [URL]
    public let fileExtension: String
    /// Path components that exclude a file (third-party `site-packages`, byte-code caches).
    public let excludedComponents: Set<String>
    public init(roots: [URL], fileExtension: String, excludedComponents: Set<String> = []) {
        self.roots = roots; self.fileExtension = fileExtension; self.excludedComponents = excludedComponents
    }

    public var origin: String { roots.map { $0.path + "/**/*." + fileExtension }.joined(separator: ", ") }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        var files: [URL] = []
        for root in roots {
            files += try listFiles(under: root) { url in
                url.pathExtension == fileExtension && excludedComponents.isDisjoint(with: url.pathComponents)
            }
        }
        var g = SplitMix64(seed: seed)
        g.shuffle(&files)
        for url in files {
            if try !body(RawDocument(bytes: try readFileBytes(url))) { return }
        }
    }
}

/// fortune(6) databases: files of cookies separated by lines holding a single `%`; one document per cookie.
/// The `.dat` index files and symbolic links (`*.u8`) are skipped.
public struct FortuneSource: DocumentSource {
    public let folder: URL
    public init(folder: URL) { self.folder = folder }

    public var origin: String { folder.path }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        let files = try listFiles(under: folder) { $0.pathExtension != "dat" && $0.deletingLastPathComponent() == folder }
        var cookies: [[UInt8]] = []
        for url in files {
            let bytes = try readFileBytes(url)
            var current: [UInt8] = []
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if line.count == 1 && line.first == 0x25 {
                    if !current.isEmpty { cookies.append(current) }
                    current = []
                } else {
                    current += line
                    current.append(0x0A)
                }
            }
            if !current.isEmpty { cookies.append(current) }
        }
        var g = SplitMix64(seed: seed)
        g.shuffle(&cookies)
        for c in cookies where try !body(RawDocument(bytes: c)) { return }
    }
}

/// Manual pages (gzipped roff) rendered to plain text by `RoffText`; one document per page.
///
/// The pages are those the listed Debian packages install under `/usr/share/man/man1`..`man8` (read from
/// dpkg's file lists, so other software's pages on the machine do not change the corpus); translations,
/// symbolic links and pages that only redirect (`.so other.1`) are skipped.
public struct ManPageSource: DocumentSource {
    public let packages: [String]
    public let dpkgInfo: URL
    public let root: URL
    public init(packages: [String], dpkgInfo: URL = URL(fileURLWithPath: "/var/lib/dpkg/info"), root: URL = URL(fileURLWithPath: "/")) {
        self.packages = packages; self.dpkgInfo = dpkgInfo; self.root = root
    }

    public var origin: String { "man pages of Debian packages " + packages.joined(separator: ", ") }

    func pageFiles() throws -> [URL] {
        var files: [URL] = []
        for p in packages {
            let list = dpkgInfo.appendingPathComponent("\(p).list")
            guard let bytes = try? readFileBytes(list) else {
                throw CorpusError.unreadable(path: list.path, reason: "Debian package \(p) is not installed (run `make data`)")
            }
            for line in bytes.split(separator: 0x0A) {
                let path = String(decoding: line, as: UTF8.self)
                let parts = path.split(separator: "/")
                guard parts.count == 5, path.hasPrefix("/usr/share/man/man"), parts[3].count == 4 else { continue }
                let url = root.appendingPathComponent(String(path.dropFirst()))
                let v = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
                if v?.isRegularFile == true && v?.isSymbolicLink != true { files.append(url) }
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        var files = try pageFiles()
        var g = SplitMix64(seed: seed)
        g.shuffle(&files)
        for url in files {
            let roff = try Gzip.readMaybeCompressed(url)
            if RoffText.isRedirect(roff) { continue }
            if try !body(RawDocument(bytes: RoffText.plainText(roff))) { return }
        }
    }
}
