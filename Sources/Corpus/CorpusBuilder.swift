import Base
import Foundation

/// Assembles a corpus folder from domain sources: clean, deduplicate, seeded shuffle, train/validation split.
///
/// Per domain: raw documents are read in the source's seeded order; each is UTF-8-repaired (replacements
/// counted), normalised (`TextCleaning.normalize`), dropped when empty or an exact duplicate of an earlier
/// one, until `maxBytesPerDomain` cleaned bytes are kept. The kept documents are shuffled with a seed derived
/// from the master seed and the domain name; the first documents up to `validationBytes` form the
/// validation split, the rest the training split, so no validation document (nor a duplicate of one) is
/// ever in training.
public struct CorpusBuilder {
    public struct Options: Sendable {
        public var seed: UInt64 = 20_240_729
        /// Bytes of cleaned text per validation split (~1 MB gives >= 200k tokens at 4k-vocabulary BPE).
        public var validationBytes = 1_000_000
        /// Cap on kept cleaned bytes per domain (0 = no cap).
        public var maxBytesPerDomain = 16_000_000
        public init() {}
    }

    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    /// One domain's documents, split.
    struct BuiltDomain {
        var entry: CorpusManifest.Domain
        var train: [[UInt8]]
        var val: [[UInt8]]
    }

    /// Reads, cleans, deduplicates and splits one domain.
    func buildDomain(_ spec: DomainSpec) throws -> BuiltDomain {
        let seed = derivedSeed(options.seed, spec.name)
        var seen = Set<[UInt8]>()
        var docs: [[UInt8]] = []
        var bytes = 0, duplicates = 0, replaced = 0, capped = false
        let cap = options.maxBytesPerDomain
        try spec.source.forEachDocument(seed: seed) { raw in
            if cap > 0 && bytes >= cap { capped = true; return false }
            let (valid, r) = TextCleaning.repairUTF8(raw.bytes)
            replaced += r + raw.replacedInvalidUTF8
            let clean = TextCleaning.normalize(valid, dedent: raw.dedent)
            if clean.isEmpty { return true }
            guard seen.insert(clean).inserted else { duplicates += 1; return true }
            bytes += clean.count
            docs.append(clean)
            return true
        }
        var g = SplitMix64(seed: seed ^ 0x5EED)
        g.shuffle(&docs)
        var valCount = 0, valBytes = 0
        while valCount < docs.count && valBytes < options.validationBytes {
            valBytes += docs[valCount].count
            valCount += 1
        }
        let trainBytes = bytes - valBytes
        guard valBytes >= options.validationBytes, trainBytes >= options.validationBytes else {
            throw CorpusError.tooLittleText(domain: spec.name, detail:
                "only \(bytes) bytes of text after cleaning (\(docs.count) documents); needs at least "
                + "\(2 * options.validationBytes) (validation split of \(options.validationBytes) bytes and as much for training); "
                + "add text or lower --val-bytes")
        }
        let entry = CorpusManifest.Domain(
            name: spec.name, origin: spec.source.origin, trainDocuments: docs.count - valCount, valDocuments: valCount,
            trainBytes: trainBytes, valBytes: valBytes, duplicatesRemoved: duplicates, invalidUTF8Replaced: replaced, capped: capped)
        return BuiltDomain(entry: entry, train: Array(docs[valCount...]), val: Array(docs[..<valCount]))
    }

    /// Builds every domain and writes the corpus folder `out` (atomically: staged, then renamed). `progress` gets a
    /// line per domain, `advance(built, domains)` before the first and after each (a progress bar).
    @discardableResult
    public func build(_ specs: [DomainSpec], out: URL, progress: (String) -> Void = { _ in },
                      advance: (_ built: Int, _ domains: Int) -> Void = { _, _ in }) throws -> CorpusManifest {
        guard !specs.isEmpty else { throw CorpusError.invalidArgument("no domains to build") }
        var names = Set<String>()
        for s in specs {
            try DomainSpec.validateName(s.name)
            guard names.insert(s.name).inserted else { throw CorpusError.invalidArgument("domain '\(s.name)' is given twice") }
        }
        let stage = try StagedDirectory(target: out, marker: CorpusManifest.fileName)
        do {
            var entries: [CorpusManifest.Domain] = []
            advance(0, specs.count)
            for spec in specs {
                let start = Date()
                let built = try buildDomain(spec)
                try stage.write(Self.joined(built.train), to: "\(spec.name)/train.txt")
                try stage.write(Self.joined(built.val), to: "\(spec.name)/val.txt")
                entries.append(built.entry)
                progress(String(format: "corpus: %@: %d documents, %.1f MB (%.1f s)", spec.name,
                                built.entry.trainDocuments + built.entry.valDocuments,
                                Double(built.entry.trainBytes + built.entry.valBytes) / 1e6, Date().timeIntervalSince(start)))
                advance(entries.count, specs.count)
            }
            let manifest = CorpusManifest(seed: options.seed, validationBytes: options.validationBytes,
                                          maxBytesPerDomain: options.maxBytesPerDomain, domains: entries)
            try stage.write(prettyJSON(manifest), to: CorpusManifest.fileName)
            try stage.commit()
            return manifest
        } catch {
            stage.abandon()
            throw error
        }
    }

    /// Documents joined by single NUL bytes.
    static func joined(_ docs: [[UInt8]]) -> Data {
        var d = Data(capacity: docs.reduce(0) { $0 + $1.count + 1 })
        for (i, doc) in docs.enumerated() {
            if i > 0 { d.append(0) }
            d.append(contentsOf: doc)
        }
        return d
    }
}
