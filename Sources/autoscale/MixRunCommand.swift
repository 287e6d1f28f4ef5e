import ArgumentParser
import Base
import Cluster
import Corpus
import DataMixing
import Foundation
import Proxies

/// `autoscale mix run --method doremi`: the online method, trained by our proxy trainer (``DoReMiRun``).
struct MixRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train an online mixing method with the proxy: doremi (a reference run, then a proxy whose domain "
            + "weights follow DoReMi's exponentiated-gradient steps); result.json in mix fit's shape.",
        discussion: """
            doremi trains the --config proxy (GPT-2 only) for --tokens N on the --reference mixture (default: \
            uniform) into OUT/reference/, then a fresh proxy for N tokens sampled uniformly over the domains: each \
            batch, the per-domain excess loss max(loss_proxy - loss_ref, 0) moves the weights alpha by an \
            exponentiated-gradient step (--eta, --smoothing) and the proxy trains on the alpha-weighted loss. The \
            answer is alpha averaged over the steps. OUT/result.json, OUT/weights.csv (alpha per step), \
            OUT/reference/ and OUT/proxy/log.csv; a rerun of the same arguments is cached. One process (not under \
            mpirun). See Docs/mixing-methods.md.
            """)

    @Option(help: "doremi.") var method: String
    @Option(help: "Proxy config YAML (a gpt2 model; see Docs/examples/proxy-tiny.yaml).") var config: String
    @Option(help: "Token folder, or a corpus folder with tokens/ inside.") var corpus: String
    @Option(help: "Tokens of the reference run and of the proxy run, each, e.g. 300000 or 300k.") var tokens: String
    @Option(help: "Output folder (result.json, weights.csv, reference/, proxy/).") var out: String
    @Option(help: "Reference mixture d1=w1,d2=w2,... over every domain (default: uniform; alpha starts there).")
    var reference: String?
    @Option(help: "Seed of the proxy's weights and data order (default: the config's seed, else 0).") var seed: UInt64?
    @Option(help: "Step size of the exponentiated-gradient update (default 1).") var eta: String?
    @Option(help: "Smoothing c toward uniform, in [0, 1] (default 1e-3).") var smoothing: String?
    @Option(help: "OpenBLAS threads (default: OPENBLAS_NUM_THREADS, else OpenBLAS's own default).") var threads: Int?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        _ = try MixRunCommand.method(method)
        let eta = try self.eta.map { try MixFitCommand.number($0, field: "eta") } ?? 1
        let smoothing = try self.smoothing.map { try MixFitCommand.number($0, field: "smoothing", allowZero: true) } ?? 1e-3
        guard smoothing <= 1 else { throw FieldError("smoothing", "must be in [0, 1], got \(smoothing)") }
        let comm = try Cluster.world()
        guard comm.size == 1 else {
            throw DataMixingError.invalidArgument("mix run: doremi trains in one process; run it without mpirun")
        }
        let say = RankOutput(comm, quiet: quiet)
        try RankOutput.setThreads(threads, comm)
        var proxy = try ProxyConfig.load(path: config)
        if let seed { proxy.recipe.seed = seed }
        try DoReMiRun.refuseBert(proxy)
        let total = try DDOArguments.tokens(tokens, option: "--tokens")
        guard total < 9e15 else { throw FieldError("tokens", "\(tokens) is too large") }
        let store = try TokenStore(resolving: corpus)
        let domains = store.manifest.domains.map(\.name)
        let weights = try reference.map { try Self.referenceWeights($0, domains: domains) }
        try DDOArguments.checkMemory(proxy, vocabSize: store.manifest.tokenizer.vocabSize)
        for w in try DDOArguments.evalTokenWarnings(proxy, store: store, domains: domains) { say.progress(w) }
        let trainer = try ProxyTrainer(config: proxy, store: store, domains: domains, progress: say.training(every: 10))
        let run = try DoReMiRun(trainer: trainer, tokens: Int(total.rounded()), referenceWeights: weights, eta: eta,
                                smoothing: smoothing, out: URL(fileURLWithPath: out))
        let outcome = try run.run(progress: say.progress)
        try DDOArguments.emit({ try prettyJSON(outcome.result) }, json: json, output: nil) { Self.describe(outcome, out: out) }
    }

    /// `--method`: only doremi trains here (the loss-table methods are `mix fit`'s).
    static func method(_ text: String) throws -> String {
        guard text == "doremi" else {
            throw FieldError("method", "'\(text)' is not an online method (doremi); the loss-table methods are `mix fit --method`")
        }
        return text
    }

    /// `--reference d=w,...`: one weight > 0 for every domain of the token folder, in the folder's order.
    static func referenceWeights(_ text: String, domains: [String]) throws -> [Double] {
        let (names, raw) = try DDOObjective.parseDomains(text, field: "reference")
        let given = Dictionary(zip(names, raw), uniquingKeysWith: { a, _ in a })
        if let extra = names.first(where: { !domains.contains($0) }) {
            throw FieldError("reference", "'\(extra)' is not a domain of the token folder (" + domains.joined(separator: ", ") + ")")
        }
        return try domains.map { d in
            guard let w = given[d], w > 0 else { throw FieldError("reference", "needs a weight > 0 for every domain; \(d) has none") }
            return w
        }
    }

    static func describe(_ o: DoReMiRun.Outcome, out: String) -> String {
        let r = o.result.result, d = o.result.details
        var text = (o.proxyCached ? "cached: \(out) already holds this run; " : "")
            + "doremi mixture (mean alpha over \(d.steps) steps, eta \(d.eta), smoothing \(d.smoothing)), "
            + "proxy compute \(d.proxyComputeTokens) tokens (reference \(d.referenceTokens) + proxy \(d.proxyTokens)), "
            + String(format: "%.1f s\n", d.wallSeconds)
        text += DDOArguments.table(["domain", "weight", "final alpha", "reference", "ref val", "proxy val"], r.domains.map { dom in
            [dom, String(format: "%.4f", r.weights[dom] ?? .nan), String(format: "%.4f", d.finalWeights[dom] ?? .nan),
             String(format: "%.4f", d.referenceWeights[dom] ?? .nan), String(format: "%.4f", d.referenceValLoss[dom] ?? .nan),
             String(format: "%.4f", d.proxyValLoss[dom] ?? .nan)]
        })
        return text + "wrote \(out)/result.json, weights.csv, reference/, proxy/log.csv\n"
    }
}
