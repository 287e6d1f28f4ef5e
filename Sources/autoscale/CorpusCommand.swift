import ArgumentParser
import Base
import Corpus
import Foundation

/// `autoscale corpus build|tokenize`.
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Build multi-domain text corpora and tokenize them into token shards.",
        subcommands: [CorpusBuildCommand.self, CorpusTokenizeCommand.self, CorpusSampleCommand.self])
}

/// Progress lines go to stderr unless `--quiet`.
/// `--quiet`, which every command takes (ConventionsCLITests): commands that write no progress accept it too, so a
/// script can pass it everywhere; warnings and errors still go to stderr.
struct ProgressOptions: ParsableArguments {
    @Flag(name: .long, help: "Print no progress on stderr.")
    var quiet = false

    func report(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// The command's progress bar (drawn when stderr is a terminal; silent with `--quiet`).
    func bar() -> ProgressBar { ProgressBar(quiet: quiet) }
}

/// Renders a left-aligned text table (first column) with right-aligned numbers.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return c == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// The per-domain table shared by `corpus build` and `corpus tokenize`.
struct CorpusTableRow: Encodable {
    var domain: String
    var trainDocuments: Int
    var valDocuments: Int
    var trainBytes: Int
    var valBytes: Int
    var trainTokens: Int?
    var valTokens: Int?
    var duplicatesRemoved: Int?
    var invalidUTF8Replaced: Int?

    static func rows(corpus: CorpusManifest?, tokens: ShardManifest?) -> [CorpusTableRow] {
        if let corpus {
            return corpus.domains.map { d in
                let t = tokens?.domains.first { $0.name == d.name }
                return CorpusTableRow(domain: d.name, trainDocuments: d.trainDocuments, valDocuments: d.valDocuments,
                                      trainBytes: d.trainBytes, valBytes: d.valBytes, trainTokens: t?.train.tokens,
                                      valTokens: t?.val.tokens, duplicatesRemoved: d.duplicatesRemoved,
                                      invalidUTF8Replaced: d.invalidUTF8Replaced)
            }
        }
        return (tokens?.domains ?? []).map { t in
            CorpusTableRow(domain: t.name, trainDocuments: t.train.documents, valDocuments: t.val.documents,
                           trainBytes: t.train.bytes, valBytes: t.val.bytes, trainTokens: t.train.tokens, valTokens: t.val.tokens)
        }
    }

    static func print(_ rows: [CorpusTableRow], json: Bool) throws {
        if json {
            let e = JSONEncoder()
            e.keyEncodingStrategy = .convertToSnakeCase  // train_tokens, invalid_utf8_replaced, ...
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            Swift.print(String(decoding: try e.encode(rows), as: UTF8.self))
            return
        }
        let header = ["domain", "docs train", "docs val", "bytes train", "bytes val", "tokens train", "tokens val"]
        let body = rows.map { r in
            [r.domain, "\(r.trainDocuments)", "\(r.valDocuments)", "\(r.trainBytes)", "\(r.valBytes)",
             r.trainTokens.map(String.init) ?? "-", r.valTokens.map(String.init) ?? "-"]
        }
        let total = ["total", "\(rows.map(\.trainDocuments).reduce(0, +))", "\(rows.map(\.valDocuments).reduce(0, +))",
                     "\(rows.map(\.trainBytes).reduce(0, +))", "\(rows.map(\.valBytes).reduce(0, +))",
                     rows.allSatisfy { $0.trainTokens != nil } ? "\(rows.compactMap(\.trainTokens).reduce(0, +))" : "-",
                     rows.allSatisfy { $0.valTokens != nil } ? "\(rows.compactMap(\.valTokens).reduce(0, +))" : "-"]
        Swift.print(renderTable(header, body + [total]))
    }
}

struct CorpusBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Assemble a corpus folder: clean, deduplicate, shuffle and split each domain into train/val.",
        discussion: """
            Without --domain or --synthetic, builds the default corpus (six domains from Debian text packages; \
            run `make data` first). See Docs/data.md.
            """)

    @Option(name: .long, help: "Output corpus folder.")
    var out: String

    @Option(name: .customLong("domain"), help: "A user domain NAME=PATH: a folder of .txt files or .jsonl files with a \"text\" field (repeatable).")
    var domains: [String] = []

    @Flag(name: .customLong("default"), help: "Also include the default domains when --domain or --synthetic is given.")
    var includeDefault = false

    @Flag(name: .long, help: "Include the synthetic domains (known entropy; for fast tests).")
    var synthetic = false

    @Option(name: .long, help: "Bytes of text per synthetic domain.")
    var syntheticBytes = 3_000_000

    @Option(name: .long, help: "Seed of the shuffles and splits.")
    var seed: UInt64 = 20_240_729

    @Option(name: .long, help: "Bytes of cleaned text per validation split.")
    var valBytes = 1_000_000

    @Option(name: .long, help: "Cap on cleaned text per domain in MB (0 = no cap).")
    var maxMBPerDomain = 16.0

    @Option(name: .long, help: "Tokenizer file: also tokenize into OUT/tokens and show token counts.")
    var tokenizer: String?

    @Flag(name: .long, help: "Print the table as JSON.")
    var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard valBytes > 0, syntheticBytes > 0, maxMBPerDomain >= 0 else {
            throw CorpusError.invalidArgument("--val-bytes and --synthetic-bytes must be > 0 and --max-mb-per-domain >= 0")
        }
        var specs = try domains.map(DomainSpec.parse)
        if synthetic { specs += SyntheticSource.specs(bytes: syntheticBytes) }
        if specs.isEmpty || includeDefault {
            try DefaultDomains.check()
            specs = DefaultDomains.specs() + specs
        }
        var options = CorpusBuilder.Options()
        options.seed = seed
        options.validationBytes = valBytes
        options.maxBytesPerDomain = Int(maxMBPerDomain * 1e6)
        let outURL = URL(fileURLWithPath: out)
        let bar = progress.bar()
        defer { bar.finish() }
        let manifest = try CorpusBuilder(options: options).build(specs, out: outURL, progress: bar.line) {
            bar.update($0, of: $1, unit: "domains")
        }
        var tokens: ShardManifest? = nil
        if let tokenizer {
            tokens = try CorpusTokenization().run(corpus: CorpusStore(outURL), tokenizerFile: URL(fileURLWithPath: tokenizer),
                                                  out: outURL.appendingPathComponent("tokens"), progress: bar.line) {
                bar.update($0, of: $1, unit: "documents")
            }
        }
        bar.finish()
        try CorpusTableRow.print(CorpusTableRow.rows(corpus: manifest, tokens: tokens), json: json)
    }
}

struct CorpusTokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize a built corpus into per-domain train.bin/val.bin shards and a manifest.json.")

    @Option(name: .long, help: "Corpus folder written by `corpus build`.")
    var corpus: String

    @Option(name: .long, help: "Tokenizer file (Hugging Face tokenizers JSON, byte-level BPE).")
    var tokenizer: String

    @Option(name: .long, help: "Output folder for the shards (default: CORPUS/tokens).")
    var out: String?

    @Option(name: .long, help: "Minimum tokens in each validation split.")
    var minValTokens = 200_000

    @Flag(name: .long, help: "Print the table as JSON.")
    var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let corpusURL = URL(fileURLWithPath: corpus)
        let store = try CorpusStore(corpusURL)
        var t = CorpusTokenization()
        t.minValidationTokens = minValTokens
        let outURL = out.map { URL(fileURLWithPath: $0) } ?? corpusURL.appendingPathComponent("tokens")
        let bar = progress.bar()
        defer { bar.finish() }
        let manifest = try t.run(corpus: store, tokenizerFile: URL(fileURLWithPath: tokenizer), out: outURL, progress: bar.line) {
            bar.update($0, of: $1, unit: "documents")
        }
        bar.finish()
        try CorpusTableRow.print(CorpusTableRow.rows(corpus: store.manifest, tokens: manifest), json: json)
    }
}
