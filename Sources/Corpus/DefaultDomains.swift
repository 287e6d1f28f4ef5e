import Foundation

/// A named domain and where its documents come from.
public struct DomainSpec: Sendable {
    public let name: String
    public let source: any DocumentSource
    public init(name: String, source: any DocumentSource) { self.name = name; self.source = source }

    /// Parses `NAME=PATH` (the `--domain` option); names are `[A-Za-z0-9_-]+`.
    public static func parse(_ s: String) throws -> DomainSpec {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex, s.index(after: eq) != s.endIndex else {
            throw CorpusError.invalidArgument("--domain '\(s)': expected NAME=PATH")
        }
        let name = String(s[..<eq])
        try validateName(name)
        return DomainSpec(name: name, source: UserFolderSource(path: URL(fileURLWithPath: String(s[s.index(after: eq)...]))))
    }

    static func validateName(_ name: String) throws {
        let ok = !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
        guard ok else { throw CorpusError.invalidArgument("domain name '\(name)': use letters, digits, '-' and '_' only") }
    }
}

/// The default corpus: six domains from text that Debian packages install (`make data`).
public enum DefaultDomains {
    /// Files the default corpus reads; `check` reports the first one missing.
    public static func requiredFiles(root: URL = URL(fileURLWithPath: "/")) -> [String] {
        ["usr/share/dictd/gcide.dict.dz", "usr/share/dictd/wn.dict.dz", "usr/share/dictd/foldoc.dict.dz",
         "usr/share/dictd/jargon.dict.dz", "usr/share/games/fortunes/fortunes", "var/lib/dpkg/info/manpages.list",
         "var/lib/dpkg/info/manpages-dev.list"].map { root.appendingPathComponent($0).path }
    }

    /// Throws a one-line error naming the first missing input of the default corpus.
    public static func check(root: URL = URL(fileURLWithPath: "/")) throws {
        for path in requiredFiles(root: root) where !FileManager.default.fileExists(atPath: path) {
            throw CorpusError.unreadable(path: path, reason: "missing; the default corpus needs the Debian text packages (run `make data`)")
        }
    }

    /// `root` is the file-system root (tests may point it elsewhere).
    public static func specs(root: URL = URL(fileURLWithPath: "/")) -> [DomainSpec] {
        let dictd = root.appendingPathComponent("usr/share/dictd")
        let pythonRoots = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("usr/lib").path)) ?? [])
            .filter { $0.hasPrefix("python3.") }.sorted()
            .map { root.appendingPathComponent("usr/lib/\($0)") }
        return [
            DomainSpec(name: "dictionary", source: DictdSource(dictFiles: [dictd.appendingPathComponent("gcide.dict.dz")])),
            DomainSpec(name: "lexicon", source: DictdSource(dictFiles: [dictd.appendingPathComponent("wn.dict.dz")])),
            DomainSpec(name: "computing", source: DictdSource(dictFiles: [dictd.appendingPathComponent("foldoc.dict.dz"),
                                                                       dictd.appendingPathComponent("jargon.dict.dz")])),
            DomainSpec(name: "code", source: SourceFilesSource(
                roots: pythonRoots.isEmpty ? [root.appendingPathComponent("usr/lib/python3")] : pythonRoots,
                fileExtension: "py", excludedComponents: ["site-packages", "dist-packages", "__pycache__"])),
            DomainSpec(name: "quotes", source: FortuneSource(folder: root.appendingPathComponent("usr/share/games/fortunes"))),
            DomainSpec(name: "manuals", source: ManPageSource(packages: ["manpages", "manpages-dev"],
                                                              dpkgInfo: root.appendingPathComponent("var/lib/dpkg/info"), root: root)),
        ]
    }
}
