import ArgumentParser
import Cluster
import Corpus
import DataMixing
import Foundation
import LinearAlgebra
import Training
import Transformer

/// `autoscale train`: trains one GPT-2 proxy on a mixture of the corpus's domains, data-parallel under
/// `mpirun -np K` (each rank takes 1/K of every global batch; one gradient allreduce per step).
struct TrainCommand: RankedCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one proxy model on a data mixture (data-parallel under mpirun/srun); writes log.csv, result.json, model/.",
        discussion: """
            --tokens 12k,24k,48k (a list; the config's schedule must be wsd): one constant-rate trunk with a WSD \
            cooldown branched off at each budget; each budget's output (log.csv, result.json, model/) goes to \
            OUT/<budget>/ and equals `train --tokens <budget>`; OUT/trunk/ keeps the trunk's log and its \
            evaluations at each budget (raw, and SWA/EMA when the config averages); OUT/branches.json sums it up. \
            Rerunning a killed list resumes from the last trunk checkpoint and keeps the finished budgets. \
            --config is a proxy config as for `ddo run` (Docs/examples/proxy-tiny.yaml). Domain d gets \
            N_d = round(w_d * N) tokens with the --weights normalized to sum 1 (default: equal weights over \
            every domain of the token folder); the run trains floor(sequences / batch_size) steps and evaluates \
            every mixed domain's validation split. Under mpirun -np K the batch size must be a multiple of K; \
            the loss curve equals the one-process run to float tolerance. OUT/log.csv is the training log, \
            OUT/result.json the final validation losses and timings, OUT/model/ the weights as a Hugging Face \
            GPT-2 directory. See Docs/cluster.md.
            """)

    @Option(help: "Token folder, or a corpus folder with tokens/ inside.") var corpus: String
    @Option(help: "Proxy config YAML (see Docs/examples/proxy-tiny.yaml).") var config: String
    @Option(help: "Training tokens N, e.g. 300000 or 300k; a list 12k,24k,48k with a wsd schedule trains one trunk with a cooldown branched at each budget (OUT/<budget>/ each).")
    var tokens: String
    @Option(help: "Mixture d1=w1,d2=w2,... (normalized; default: equal weights over every domain).") var weights: String?
    @Option(help: "Seed of the weights and data order (default: the config's seed, else 0).") var seed: UInt64?
    @Option(help: "Output folder (log.csv, result.json, model/).") var out: String
    @Option(help: "OpenBLAS threads per process (default: OPENBLAS_NUM_THREADS, else cores / MPI ranks on the node).")
    var threads: Int?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    /// `OUT/result.json` (keys in snake case).
    struct Result: Codable {
        var domains: [String]
        var weights: [String: Double]
        /// Requested tokens per domain, round(w_d * N).
        var tokens: [String: Int]
        var steps: Int
        /// Tokens of the trained sequences (batch_size * context per step).
        var trainedTokens: Int
        var valLoss: [String: Double]
        var tokensPerSecond: Double
        /// Mean wall-clock seconds of a training step, and of its collectives (0 with one process).
        var stepSeconds: Double
        var allreduceSeconds: Double
        var ranks: Int
        var threadsPerRank: Int

        enum CodingKeys: String, CodingKey {
            case domains, weights, tokens, steps, trainedTokens = "trained_tokens", valLoss = "val_loss"
            case tokensPerSecond = "tokens_per_second", stepSeconds = "step_seconds", allreduceSeconds = "allreduce_seconds"
            case ranks, threadsPerRank = "threads_per_rank"
        }
    }

    func run(_ comm: any Communicator) throws {
        if tokens.contains(",") { return try runBranches(comm) }
        let say = RankOutput(comm, quiet: quiet || comm.rank != 0)
        let (trainer, mix) = try Cluster.onEveryRank(comm) { () throws -> (ProxyTrainer, [(String, Double, Int)]) in
            try RankOutput.setThreads(threads, comm)
            var proxy = try ProxyConfig.load(path: config)
            if let seed { proxy.recipe.seed = seed }
            if comm.size > 1, proxy.settings.batchSize % comm.size != 0 {
                throw DataMixingError.invalidInput(location: config, message: "batch_size: \(proxy.settings.batchSize) sequences "
                    + "do not split over \(comm.size) MPI ranks; use a multiple of \(comm.size)")
            }
            let total = try DDOArguments.tokens(tokens, option: "--tokens")
            let store = try TokenStore(resolving: corpus)
            let mix = try Self.mixture(weights, store: store, tokens: total)
            return (try ProxyTrainer(config: proxy, store: store, domains: mix.map(\.0), progress: say.training(every: 10)), mix)
        }
        let outURL = URL(fileURLWithPath: out)
        try Cluster.onRankZero(comm) { try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true) }
        let budget = mix.reduce(0) { $0 + $1.2 }
        let run = try trainer.run(weights: mix.map(\.1), budget: budget, log: outURL.appendingPathComponent("log.csv"), communicator: comm)
        guard comm.rank == 0 else { return }
        let s = run.summary
        let result = Result(
            domains: mix.map(\.0), weights: Dictionary(uniqueKeysWithValues: mix.map { ($0.0, $0.1) }),
            tokens: Dictionary(uniqueKeysWithValues: mix.map { ($0.0, $0.2) }), steps: s.steps, trainedTokens: s.tokens,
            valLoss: run.losses, tokensPerSecond: s.tokensPerSecond, stepSeconds: run.stepSeconds,
            allreduceSeconds: s.steps > 0 ? run.communicationSeconds / Double(s.steps) : 0,
            ranks: comm.size, threadsPerRank: BLASThreads.count)
        try Self.saveModel(run.model, to: outURL.appendingPathComponent("model"))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(result)
        try data.write(to: outURL.appendingPathComponent("result.json"), options: .atomic)
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("trained \(s.steps) steps, \(s.tokens) tokens on \(comm.size) rank(s) x \(BLASThreads.count) thread(s): "
                + String(format: "%.0f tok/s, %.4f s/step (allreduce %.4f s)", s.tokensPerSecond, result.stepSeconds, result.allreduceSeconds))
            for d in result.domains {
                let loss = run.losses[d] ?? .nan
                print("  \(d)  tokens \(result.tokens[d] ?? 0)  " + String(format: "val loss %.4f  ppl %.2f", loss, exp(loss)))
            }
            print("wrote \(out)/log.csv, result.json, model/")
        }
    }

    /// Domains, normalized weights and tokens round(w_d * N): from `--weights`, else every domain equally.
    static func mixture(_ spec: String?, store: TokenStore, tokens: Double) throws -> [(String, Double, Int)] {
        let names: [String], raw: [Double]
        if let spec {
            (names, raw) = try DDOObjective.parseDomains(spec, option: "--weights")
        } else {
            names = store.manifest.domains.map(\.name)
            raw = names.map { _ in 1 }
        }
        for d in names { _ = try store.manifest.domain(d) }
        let sum = raw.reduce(0, +)
        let q = try MixtureSampler.quantities(weights: zip(names, raw).map { ($0, $1 / sum) }, budget: Int(tokens.rounded()))
        return zip(zip(names, raw), q).map { p, q in (p.0, p.1 / sum, q.1) }
    }

    /// Saves into a fresh sibling folder, then swaps it in: `model/` is never half written.
    static func saveModel(_ model: GPT2LMHeadModel, to url: URL) throws {
        let fm = FileManager.default
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: partial)
        try Checkpoint.save(model, to: partial)
        if fm.fileExists(atPath: url.path) {
            _ = try fm.replaceItemAt(url, withItemAt: partial)
        } else {
            try fm.moveItem(at: partial, to: url)
        }
    }
}
