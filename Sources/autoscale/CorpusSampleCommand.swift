import Base
import ArgumentParser
import Corpus
import Foundation

/// `autoscale corpus sample`: plans a mixture over token shards and prints what the sampler would deliver.
struct CorpusSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Plan a seeded mixture of training sequences over token shards and print per-domain quantities.",
        discussion: """
            Give quantities either as --mix NAME=TOKENS (repeatable) or as --weight NAME=W (repeatable) with --budget. \
            Prints, per domain, the sequences and tokens delivered, the unique tokens and the epochs; repeating a \
            domain prints a warning, more than --max-epochs is an error.
            """)

    @Option(name: .long, help: "Token folder written by `corpus tokenize`.")
    var tokens: String

    @Option(name: .long, help: "NAME=TOKENS: absolute token quantity for a domain (repeatable).")
    var mix: [String] = []

    @Option(name: .long, help: "NAME=W: relative weight of a domain (repeatable; needs --budget).")
    var weight: [String] = []

    @Option(name: .long, help: "Total training tokens to split by --weight.")
    var budget: Int?

    @Option(name: .long, help: "Sequence length T (each sequence has T + 1 tokens).")
    var seqLen = 128

    @Option(name: .long, help: "Seed of the window order and interleaving.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Largest allowed number of passes over a domain's unique tokens.")
    var maxEpochs = 4

    @Option(name: .long, help: "Also print the domains of the first N sequences of the stream.")
    var show = 0

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var progress: ProgressOptions

    static func pairs<T>(_ items: [String], option: String, _ parse: (String) -> T?) throws -> [(String, T)] {
        try items.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let v = parse(parts[1]) else {
                throw CorpusError.invalidArgument("--\(option) '\(item)': expected NAME=NUMBER")
            }
            return (parts[0], v)
        }
    }

    func run() throws {
        let store = try TokenStore(URL(fileURLWithPath: tokens))
        var quantities = try Self.pairs(mix, option: "mix") { Int($0) }
        if !weight.isEmpty {
            guard quantities.isEmpty, let budget else {
                throw CorpusError.invalidArgument("use either --mix, or --weight with --budget")
            }
            let w = try Self.pairs(weight, option: "weight") { Double($0) }
            let mix = try MixtureBudget(domains: w.map(\.0), weights: w.map(\.1), total: budget, field: "weight")
            quantities = Array(zip(mix.domains, mix.tokens))
        }
        guard !quantities.isEmpty else { throw CorpusError.invalidArgument("give --mix NAME=TOKENS or --weight NAME=W with --budget") }
        let domains = try quantities.map { (name: $0.0, shard: try store.shard($0.0, split: .train), tokens: $0.1) }
        let sampler = try MixtureSampler(domains: domains, sequenceLength: seqLen, seed: seed, maxEpochs: maxEpochs)
        for w in sampler.warnings { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        let order = (0..<min(show, sampler.count)).map { sampler.plans[sampler.domainIndex(at: $0)].domain }
        if json {
            struct Row: Encodable { var domain: String; var requested, sequences, tokens, unique, epochs: Int }
            struct Out: Encodable { var sequenceLength: Int; var sequences: Int; var domains: [Row]; var first: [String] }
            let rows = sampler.plans.map { Row(domain: $0.domain, requested: $0.requestedTokens, sequences: $0.sequences,
                                               tokens: $0.sequences * seqLen, unique: $0.uniqueTokens, epochs: $0.epochs) }
            let e = JSONEncoder()
            e.keyEncodingStrategy = .convertToSnakeCase  // sequence_length
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(Out(sequenceLength: seqLen, sequences: sampler.count, domains: rows, first: order)), as: UTF8.self))
            return
        }
        let rows = sampler.plans.map { p in
            [p.domain, "\(p.requestedTokens)", "\(p.sequences)", "\(p.sequences * seqLen)", "\(p.uniqueTokens)", "\(p.epochs)"]
        }
        print(renderTable(["domain", "requested", "sequences", "tokens", "unique", "epochs"], rows))
        if !order.isEmpty { print("first \(order.count): " + order.joined(separator: " ")) }
    }
}
