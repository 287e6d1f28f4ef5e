import Base
import Cluster
import Corpus
import DataMixing
import Foundation
import LinearAlgebra
import Training
import Transformer

/// `autoscale train`: one proxy trained on a mixture, into an output folder written whole or not at all, and
/// resumable after a kill.
///
/// The folder: `log.csv` (the training log), `result.json` (``Result``), `model/` (a Hugging Face GPT-2 or
/// `BertForMaskedLM` folder: ``HFModelFolder``), `train.json` (``Spec``: what the run depends on), `proxy.txt` and `run.json` (the ``RunCache``
/// fingerprint and record). The run is staged in the hidden sibling `.<name>.partial/` (locked with a
/// ``FolderLock``: a second process into the same `--out` fails with one line) with a checkpoint every
/// `ceil(steps / 10)` steps (the recipe's `checkpoint_interval` when set) in `checkpoints/`; the finished folder
/// is renamed into place (its checkpoints removed first). A process killed in between (kill -9, a power cut)
/// leaves the partial folder: the same command resumes from its last checkpoint to the same bits as an
/// uninterrupted run (the ``Trainer`` restores weights, AdamW moments, RNG, data cursor and counters; the log
/// keeps its rows up to that step). A partial folder of other arguments is discarded. A failure that is
/// reported (bad data, divergence) removes the partial folder: nothing is left. A folder that already holds
/// this run is reused as it is (`cached`); one that holds another run is refused, naming what differs.
public enum TrainRun {
    /// `OUT/result.json` (keys in snake case). Token counts are predicted tokens (Docs/architecture.md).
    public struct Result: Codable, Sendable, Equatable {
        public var domains: [String]
        public var weights: [String: Double]
        /// Requested tokens per domain: the budget split by largest remainder.
        public var tokens: [String: Int]
        public var steps: Int
        /// Predicted tokens trained: steps x batch_size x (context - 1) for GPT-2; BERT's masked positions (about 15%
        /// of the steps x batch_size x (context - 2) text tokens).
        public var trainedTokens: Int
        public var valLoss: [String: Double]
        public var tokensPerSecond: Double
        /// Mean wall-clock seconds of a training step, and of its collectives (0 with one process).
        public var stepSeconds: Double
        public var allreduceSeconds: Double
        public var ranks: Int
        public var threadsPerRank: Int

        public init(domains: [String], weights: [String: Double], tokens: [String: Int], steps: Int, trainedTokens: Int,
                    valLoss: [String: Double], tokensPerSecond: Double, stepSeconds: Double, allreduceSeconds: Double,
                    ranks: Int, threadsPerRank: Int) {
            self.domains = domains; self.weights = weights; self.tokens = tokens; self.steps = steps
            self.trainedTokens = trainedTokens; self.valLoss = valLoss; self.tokensPerSecond = tokensPerSecond
            self.stepSeconds = stepSeconds; self.allreduceSeconds = allreduceSeconds; self.ranks = ranks
            self.threadsPerRank = threadsPerRank
        }

        enum CodingKeys: String, CodingKey {
            case domains, weights, tokens, steps, trainedTokens = "trained_tokens", valLoss = "val_loss"
            case tokensPerSecond = "tokens_per_second", stepSeconds = "step_seconds", allreduceSeconds = "allreduce_seconds"
            case ranks, threadsPerRank = "threads_per_rank"
        }
    }

    /// `OUT/train.json`: everything a run's bits depend on, key by key, so a rerun with other arguments is
    /// refused naming the option that differs.
    public struct Spec: Codable, Sendable, Equatable {
        /// The proxy config's settings and recipe (seed left out).
        public var config: String
        public var seed: UInt64
        /// Vocabulary, tokenizer hash and every domain's shard sizes (the token folder's identity).
        public var corpus: String
        public var tokens: [String: Int]
        public var weights: [String: Double]

        public init(_ trainer: ProxyTrainer, weights: [Double], mixture: MixtureBudget) {
            var recipe = trainer.config.recipe
            recipe.seed = nil
            config = "\(trainer.config.settings) \(recipe)"
            seed = trainer.config.seed
            let m = trainer.store.manifest
            corpus = "vocab \(m.tokenizer.vocabSize) tokenizer \(m.tokenizer.sha256) domains \(m.domains)"
            tokens = Dictionary(uniqueKeysWithValues: zip(mixture.domains, mixture.tokens))
            self.weights = Dictionary(uniqueKeysWithValues: zip(mixture.domains, weights))
        }

        /// The options whose values differ from `other`'s, with both values where they are short.
        public func differences(from other: Spec) -> [String] {
            var out: [String] = []
            if config != other.config { out.append("--config (another proxy config)") }
            if seed != other.seed { out.append("--seed (\(other.seed), asked \(seed))") }
            if corpus != other.corpus { out.append("--corpus (another token folder or tokenizer)") }
            let total = tokens.values.reduce(0, +), otherTotal = other.tokens.values.reduce(0, +)
            if total != otherTotal { out.append("--tokens (\(otherTotal), asked \(total))") }
            if weights != other.weights || (total == otherTotal && tokens != other.tokens) {
                out.append("--weights (" + Self.mix(other.weights) + ", asked " + Self.mix(weights) + ")")
            }
            return out
        }

        static func mix(_ w: [String: Double]) -> String {
            w.sorted { $0.key < $1.key }.map { "\($0.key)=" + String(format: "%.4g", $0.value) }.joined(separator: ",")
        }
    }

    public static let specFileName = "train.json"

    /// The hidden staging folder of `out`: `.<name>.partial` beside it.
    public static func partialFolder(_ out: URL) -> URL {
        let o = out.standardizedFileURL
        return o.deletingLastPathComponent().appendingPathComponent(".\(o.lastPathComponent).partial")
    }

    /// Steps between checkpoints of a run of `steps` steps: the recipe's interval when set, else `ceil(steps / 10)`.
    public static func checkpointInterval(steps: Int, recipe: Int?) -> Int {
        if let r = recipe, r > 0 { return r }
        return max(1, (steps + 9) / 10)
    }

    /// Trains `trainer` on `mixture` into `out` (or returns the folder's cached result) and returns the
    /// result and whether it was cached (a resume says where it starts through `progress`). Every rank calls it alike;
    /// only rank 0 locks and writes. `progress` receives the resume line.
    /// `weights` are the mixture as given (normalized); the sampler draws from them (``ProxyTrainer/run(weights:budget:log:communicator:)``),
    /// so a branch of a multi-budget run and a separate run of one budget see the same stream.
    public static func train(_ trainer: ProxyTrainer, weights: [Double], mixture: MixtureBudget, out: URL,
                             communicator: any Communicator = LocalCommunicator(),
                             progress: (String) -> Void = { _ in })
        throws -> (result: Result, cached: Bool) {
        let out = out.standardizedFileURL
        let spec = Spec(trainer, weights: weights, mixture: mixture)
        let partial = partialFolder(out), checkpoints = partial.appendingPathComponent("checkpoints")
        let fm = FileManager.default
        var lock: FolderLock?
        var cached: Result?
        try Cluster.onRankZero(communicator) {
            let l = try FolderLock(folder: partial, display: out.path)
            do {
                cached = try existing(out, spec: spec, trainer: trainer)
            } catch {
                discard(partial, lock: l)
                throw error
            }
            if cached != nil { discard(partial, lock: l); return }
            lock = l
            try prepare(partial, spec: spec, lock: l, progress: progress)
        }
        if communicator.size > 1 {
            // Every rank learns whether the run is cached (rank 0 checked it under the lock).
            let flag = try communicator.broadcast(cached == nil ? [0] : [1], root: 0)
            if flag == [1], communicator.rank != 0 {
                let data = try Data(contentsOf: out.appendingPathComponent("result.json"))
                cached = try JSONDecoder().decode(Result.self, from: data)
            }
        }
        if let cached { return (cached, true) }

        defer { lock?.release() }
        do {
            var resume = 0
            let run = try trainer.run(
                weights: weights, budget: mixture.total,
                log: communicator.rank == 0 ? partial.appendingPathComponent("log.csv") : nil, communicator: communicator,
                checkpoints: .init(folder: checkpoints) {
                    checkpointInterval(steps: $0, recipe: trainer.config.recipe.checkpointInterval)
                }) { step, steps in
                    resume = step
                    progress("resuming \(out.path) from its checkpoint at step \(step) of \(steps)")
                }
            let s = run.summary
            let trainedSteps = max(1, s.steps - resume)
            let result = Result(
                domains: mixture.domains, weights: spec.weights, tokens: spec.tokens, steps: s.steps,
                trainedTokens: s.tokens, valLoss: run.losses, tokensPerSecond: s.tokensPerSecond,
                stepSeconds: run.stepSeconds,
                allreduceSeconds: run.communicationSeconds / Double(trainedSteps),
                ranks: communicator.size, threadsPerRank: BLASThreads.count)
            try Cluster.onRankZero(communicator) {
                try? fm.removeItem(at: checkpoints)
                try HFModelFolder.save(run.model, tokenizer: trainer.store.tokenizerURL,
                                        to: partial.appendingPathComponent("model"))
                try AtomicFile.write(prettyJSON(result), to: partial.appendingPathComponent("result.json"))
                let cache = RunCache(folder: partial)
                try cache.claim(fingerprint: trainer.fingerprint)
                try cache.store(RunRecord(id: "run", tokens: spec.tokens, losses: run.losses))
                try commit(partial, to: out, lock: lock!)
            }
            return (result, false)
        } catch {
            // A reported failure leaves nothing: the partial run is removed (a killed process leaves it to resume).
            if let lock { discard(partial, lock: lock, all: true) }
            throw error
        }
    }

    /// The cached result of `out` when it holds exactly this run; nil when `out` is absent or an empty folder;
    /// otherwise an error naming what differs (or why `out` is not a `train` output).
    static func existing(_ out: URL, spec: Spec, trainer: ProxyTrainer) throws -> Result? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: out.path, isDirectory: &isDir) else { return nil }
        guard isDir.boolValue else {
            throw OutputError(path: out.path, reason: "exists and is a file; --out names the output folder")
        }
        let contents = ((try? fm.contentsOfDirectory(atPath: out.path)) ?? []).filter { $0 != FolderLock.fileName }
        if contents.isEmpty { return nil }
        guard contents.contains("result.json") else {
            throw OutputError(path: out.path, reason: "exists and is not an earlier train output (no result.json); "
                              + "refusing to replace it")
        }
        let old: Spec? = (try? Data(contentsOf: out.appendingPathComponent(specFileName)))
            .flatMap { try? JSONDecoder().decode(Spec.self, from: $0) }
        if let old, old != spec {
            throw OutputError(path: out.path, reason: "holds a run of other arguments: "
                              + spec.differences(from: old).joined(separator: "; ") + "; use another --out")
        }
        let cache = RunCache(folder: out)
        let fingerprint = try? String(contentsOf: cache.fingerprintURL, encoding: .utf8)
        guard fingerprint == trainer.fingerprint + "\n" else {
            throw OutputError(path: out.path,
                              reason: "holds a run of another proxy config, seed or corpus; use another --out")
        }
        guard cache.cached("run", tokens: spec.tokens) != nil else {
            throw OutputError(path: out.path, reason: "holds a run of other --tokens or --weights; use another --out")
        }
        guard fm.fileExists(atPath: out.appendingPathComponent("model/config.json").path),
              let data = try? Data(contentsOf: out.appendingPathComponent("result.json")),
              let r = try? JSONDecoder().decode(Result.self, from: data) else {
            throw OutputError(path: out.path, reason: "is an incomplete train output (result.json or model/ "
                              + "unreadable); remove it or use another --out")
        }
        return r
    }

    /// Makes the locked `partial` folder ready: kept (to resume) when it holds a run of `spec`, else emptied
    /// (but for the lock) and given `spec`.
    static func prepare(_ partial: URL, spec: Spec, lock: FolderLock, progress: (String) -> Void) throws {
        let fm = FileManager.default
        let specURL = partial.appendingPathComponent(specFileName)
        if let data = try? Data(contentsOf: specURL), let old = try? JSONDecoder().decode(Spec.self, from: data),
           old == spec {
            return
        }
        let contents = ((try? fm.contentsOfDirectory(atPath: partial.path)) ?? []).filter { $0 != FolderLock.fileName }
        if contents.contains(specFileName) {
            progress("\(partial.path): discarding an interrupted run of other arguments")
        }
        for name in contents { try? fm.removeItem(at: partial.appendingPathComponent(name)) }
        try AtomicFile.write(prettyJSON(spec), to: specURL)
    }

    /// Moves the finished `partial` into place (replacing an empty `out`), then drops the lock.
    static func commit(_ partial: URL, to out: URL, lock: FolderLock) throws {
        let fm = FileManager.default
        unlink(lock.fileURL.path)
        if fm.fileExists(atPath: out.path) { try? fm.removeItem(at: out) }
        do { try fm.moveItem(at: partial, to: out) } catch {
            throw OutputError.diagnose(out, fallback: "cannot move the finished output into place")
        }
        lock.release()
    }

    /// Removes `partial` (everything when `all`, else only when it holds nothing but the lock) and drops the lock.
    static func discard(_ partial: URL, lock: FolderLock, all: Bool = false) {
        let fm = FileManager.default
        let rest = ((try? fm.contentsOfDirectory(atPath: partial.path)) ?? []).filter { $0 != FolderLock.fileName }
        // Removed while still locked, so no other process can lock the folder in between and lose its files.
        if all || rest.isEmpty { try? fm.removeItem(at: partial) }
        lock.release()
    }
}
