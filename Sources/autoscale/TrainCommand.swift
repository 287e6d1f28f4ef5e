import ArgumentParser
import Base
import Cluster
import Corpus
import DataMixing
import Proxies
import Foundation
import LinearAlgebra
import Training
import Transformer

/// `autoscale train`: trains one GPT-2 or BERT proxy on a mixture of the corpus's domains, data-parallel under
/// `mpirun -np K` (each rank takes 1/K of every global batch; one gradient allreduce per step).
struct TrainCommand: RankedCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one proxy model on a data mixture (data-parallel under mpirun/srun); writes log.csv, result.json, model/.",
        discussion: """
            --config is a proxy config as for `ddo run` (Docs/examples/proxy-tiny.yaml). Domain d gets \
            N_d = w_d * N tokens (largest-remainder rounding, summing to N) with the --weights normalized to sum 1 (default: equal weights over \
            every domain of the token folder); the run trains floor(sequences / batch_size) steps and evaluates \
            every mixed domain's validation split. Under mpirun -np K the batch size must be a multiple of K; \
            the loss curve equals the one-process run to float tolerance. OUT/log.csv is the training log, \
            OUT/result.json the final validation losses and timings, OUT/model/ the weights as a Hugging Face \
            GPT-2 or BertForMaskedLM directory (model.arch: bert needs a tokenizer with [PAD] [CLS] [SEP] [MASK]). \
            See Docs/cluster.md.
            """)

    @Option(help: "Token folder, or a corpus folder with tokens/ inside.") var corpus: String
    @Option(help: "Proxy config YAML (see Docs/examples/proxy-tiny.yaml).") var config: String
    @Option(help: "Training tokens N, e.g. 300000 or 300k.") var tokens: String
    @Option(help: "Mixture d1=w1,d2=w2,... (normalized; default: equal weights over every domain).") var weights: String?
    @Option(help: "Seed of the weights and data order (default: the config's seed, else 0).") var seed: UInt64?
    @Option(help: "Output folder (log.csv, result.json, model/).") var out: String
    @Option(help: "OpenBLAS threads per process (default: OPENBLAS_NUM_THREADS, else cores / MPI ranks on the node).")
    var threads: Int?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func run(_ comm: any Communicator) throws {
        if tokens.contains(",") { return try runBranches(comm) }
        let say = RankOutput(comm, quiet: quiet || comm.rank != 0)
        defer { say.bar.finish() }
        let (trainer, mix) = try Cluster.onEveryRank(comm) { () throws -> (ProxyTrainer, Mixture) in
            try RankOutput.setThreads(threads, comm)
            let proxy = try loadProxy(comm)
            let total = try DDOArguments.tokens(tokens, option: "--tokens")
            let store = try TokenStore(resolving: corpus)
            let mix = try Self.mixture(weights, store: store, tokens: total)
            try prepare(proxy, store: store, domains: mix.budget.domains, say: say)
            return (try ProxyTrainer(config: proxy, store: store, domains: mix.budget.domains, progress: say.training(every: 10)), mix)
        }
        let (result, cached) = try TrainRun.train(trainer, weights: mix.weights, mixture: mix.budget,
                                                     out: URL(fileURLWithPath: out), communicator: comm,
                                                     progress: say.progress)
        say.bar.finish()
        guard comm.rank == 0 else { return }
        if json {
            print(String(decoding: try prettyJSON(result), as: UTF8.self))
            return
        }
        print((cached ? "cached: \(out) already holds this run; " : "") + "trained \(result.steps) steps, "
            + "\(result.trainedTokens) tokens on \(result.ranks) rank(s) x \(result.threadsPerRank) thread(s): "
            + String(format: "%.0f tok/s, %.4f s/step (allreduce %.4f s)", result.tokensPerSecond, result.stepSeconds,
                     result.allreduceSeconds))
        for d in result.domains {
            let loss = result.valLoss[d] ?? .nan
            print("  \(d)  tokens \(result.tokens[d] ?? 0)  " + String(format: "val loss %.4f  ppl %.2f", loss, exp(loss)))
        }
        print("wrote \(out)/log.csv, result.json, model/")
    }

    /// Before any model is allocated: the memory check, and the eval_tokens warnings (rank 0).
    func prepare(_ proxy: ProxyConfig, store: TokenStore, domains: [String], say: RankOutput) throws {
        try DDOArguments.checkMemory(proxy, vocabSize: store.manifest.tokenizer.vocabSize)
        for w in try DDOArguments.evalTokenWarnings(proxy, store: store, domains: domains) { say.progress(w) }
    }

    /// The proxy config with `--seed` applied; its batch must split over the MPI ranks.
    func loadProxy(_ comm: any Communicator) throws -> ProxyConfig {
        var proxy = try ProxyConfig.load(path: config)
        if let seed { proxy.recipe.seed = seed }
        if comm.size > 1, proxy.settings.batchSize % comm.size != 0 {
            throw DataMixingError.invalidInput(location: config, message: "batch_size: \(proxy.settings.batchSize) sequences "
                + "do not split over \(comm.size) MPI ranks; use a multiple of \(comm.size)")
        }
        return proxy
    }

    /// The mixture as given (`--weights` normalized, else every domain equally: the sampler draws from these
    /// exact values, so a branch and a separate run of one budget see the same stream) and its tokens split by
    /// largest remainder.
    struct Mixture { var weights: [Double]; var budget: MixtureBudget }

    static func mixture(_ spec: String?, store: TokenStore, tokens: Double) throws -> Mixture {
        let names: [String], raw: [Double]
        if let spec {
            (names, raw) = try DDOObjective.parseDomains(spec, field: "weights")
        } else {
            names = store.manifest.domains.map(\.name)
            raw = names.map { _ in 1 }
        }
        for d in names { _ = try store.manifest.domain(d) }
        guard tokens < Double(Int.max / 2) else { throw FieldError("tokens", "\(tokens) tokens is beyond any budget this tool trains") }
        let sum = raw.reduce(0, +)
        return Mixture(weights: raw.map { $0 / sum }, budget: try MixtureBudget(domains: names, weights: raw, total: Int(tokens.rounded())))
    }
}
