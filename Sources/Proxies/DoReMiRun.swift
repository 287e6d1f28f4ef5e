import Base
import Corpus
import DataMixing
import Foundation
import Training
import Transformer

/// The DoReMi proxy run's batches (Xie et al. 2023, Algorithm 1, as sangmichaelxie/doremi's `doremiv1` trains):
/// sequences drawn uniformly over the domains (``MixtureSampler`` with equal weights: Webster's order, so every
/// batch holds each domain `B/k` times to within one), and for each batch, before the proxy trains on it: the
/// reference model's and the proxy's per-token losses (two forward passes), one ``DoReMiUpdate`` step on them,
/// and the new α as each sequence's loss weight (``TokenBatch/lossWeights``). The proxy then trains on
/// `Σ_n α_d(n) ℓ_n / Σ_n α_d(n)`: with uniform sampling, `Σ_i α_i L_i` up to the batch's domain counts (the
/// public code's normalizer). The RNG is not used.
final class DoReMiBatchSource: TrainingBatchSource {
    let sampler: MixtureSampler
    let batchSize: Int
    let reference: GPT2LMHeadModel
    let proxy: GPT2LMHeadModel
    private(set) var update: DoReMiUpdate
    private(set) var cursor = 0
    /// α after each step, one row per step.
    private(set) var trajectory: [[Double]] = []

    init(sampler: MixtureSampler, batchSize: Int, reference: GPT2LMHeadModel, proxy: GPT2LMHeadModel, update: DoReMiUpdate) {
        self.sampler = sampler; self.batchSize = batchSize; self.reference = reference; self.proxy = proxy
        self.update = update
    }

    func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        var ids: [Int32] = [], domains: [Int] = []
        ids.reserveCapacity(batchSize * (sampler.sequenceLength + 1))
        for _ in 0..<batchSize {
            ids += sampler.sequence(at: cursor)
            domains.append(sampler.domainIndex(at: cursor))
            cursor = (cursor + 1) % sampler.count
        }
        var batch = TokenBatch(batchSize: batchSize, sequenceLength: sampler.sequenceLength + 1, inputIDs: ids)
        let own = try proxy.tokenLosses(batch), ref = try reference.tokenLosses(batch)
        let t = batch.sequenceLength
        var p: [Double] = [], r: [Double] = [], d: [Int] = []
        p.reserveCapacity(own.count); r.reserveCapacity(own.count); d.reserveCapacity(own.count)
        for n in own.indices where !own[n].isNaN {
            p.append(Double(own[n])); r.append(Double(ref[n])); d.append(domains[n / t])
        }
        try update.step(proxyLoss: p, referenceLoss: r, domain: d)
        trajectory.append(update.weights)
        batch.lossWeights = domains.map { Float(update.weights[$0]) }
        return batch
    }

    func checkpointState() throws -> Data {
        throw TrainingError.data("a doremi proxy run does not checkpoint (an interrupted run is trained again)")
    }

    func restore(checkpointState: Data) throws {
        throw TrainingError.data("a doremi proxy run does not checkpoint (an interrupted run is trained again)")
    }
}

/// DoReMi inside our proxy trainer: a reference run (the usual ``TrainRun`` of the proxy on the reference mixture,
/// uniform by default, into `OUT/reference/`: cached and resumable like `train`), then the DoReMi proxy run
/// (``DoReMiBatchSource``: a fresh proxy of the same config and seed, its domain weights α following
/// exponentiated-gradient steps on the per-domain excess loss over the reference; α starts at the reference
/// mixture). The answer is the mean of α over the proxy's steps.
///
/// `OUT/`: `result.json` (``Result``: `mix fit`'s shape with `method: doremi`), `weights.csv` (α after every step),
/// `reference/` (a `train` output folder: log.csv, result.json, model/), `proxy/log.csv` (the proxy's training log:
/// its `train_loss` is the reweighted objective, its validation losses unweighted) and `proxy/proxy.txt`,
/// `proxy/doremi.json` (the ``RunCache`` fingerprint and record: a rerun of the same arguments trains nothing).
/// `OUT` is locked (``FolderLock``) while running; every file is written atomically. GPT-2 proxies only, one process.
///
/// Cost: the reference run trains `N` tokens; the proxy run trains `N` tokens and runs two extra forward passes
/// over them (the reference model's and the proxy's own per-token losses, before its training step): about
/// `2 + 2/3` trainings of `N` tokens in all.
public struct DoReMiRun {
    /// `OUT/result.json`: the ``MixtureResult`` (`method: doremi`, `weights` the mean α, `tokens` the weights at the
    /// run's budget) and `details`.
    public struct Result: Codable, Sendable, Equatable {
        public struct Details: Codable, Sendable, Equatable {
            public var eta: Double
            public var smoothing: Double
            public var steps: Int
            /// The reference run's mixture (α's start) and α after the last step.
            public var referenceWeights: [String: Double]
            public var finalWeights: [String: Double]
            /// Predicted tokens trained by the reference and by the proxy, their sum (the proxy compute spent), and
            /// the tokens of the proxy run's extra forward-only passes (reference and proxy, 2 per trained token).
            public var referenceTokens: Int
            public var proxyTokens: Int
            public var proxyComputeTokens: Int
            public var forwardOnlyTokens: Int
            /// Wall-clock seconds of the two runs (of the invocation that trained them).
            public var wallSeconds: Double
            public var referenceValLoss: [String: Double]
            public var proxyValLoss: [String: Double]

            enum CodingKeys: String, CodingKey {
                case eta, smoothing, steps, referenceWeights = "reference_weights", finalWeights = "final_weights"
                case referenceTokens = "reference_tokens", proxyTokens = "proxy_tokens"
                case proxyComputeTokens = "proxy_compute_tokens", forwardOnlyTokens = "forward_only_tokens"
                case wallSeconds = "wall_seconds", referenceValLoss = "reference_val_loss", proxyValLoss = "proxy_val_loss"
            }
        }

        public var result: MixtureResult
        public var details: Details

        enum CodingKeys: String, CodingKey { case details }

        public init(result: MixtureResult, details: Details) { self.result = result; self.details = details }

        public init(from decoder: Decoder) throws {
            result = try MixtureResult(from: decoder)
            details = try decoder.container(keyedBy: CodingKeys.self).decode(Details.self, forKey: .details)
        }

        public func encode(to encoder: Encoder) throws {
            try result.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(details, forKey: .details)
        }
    }

    /// What ``run(progress:)`` returns: the result, α per step, and whether each run came from the cache.
    public struct Outcome {
        public var result: Result
        public var trajectory: [[Double]]
        public var referenceCached: Bool
        public var proxyCached: Bool
        public var weights: [String: Double] { result.result.weights }
        public var proxyTokens: Int { result.details.proxyComputeTokens }
        public var wallSeconds: Double { result.details.wallSeconds }
    }

    public let trainer: ProxyTrainer
    /// Tokens of each of the two runs (predicted tokens).
    public let tokens: Int
    /// The reference mixture, normalized, in ``ProxyTrainer/domains`` order.
    public let referenceWeights: [Double]
    public let eta: Double
    public let smoothing: Double
    public let out: URL

    public static let recordID = "doremi"

    /// Checks everything before any file is written: a GPT-2 proxy (BERT is refused), `eta` and `smoothing`
    /// (``DoReMiUpdate``'s rules, named as the CLI options), the reference weights, and that `tokens` gives at
    /// least one batch.
    public init(trainer: ProxyTrainer, tokens: Int, referenceWeights: [Double]? = nil, eta: Double = 1,
                smoothing: Double = 1e-3, out: URL) throws {
        try Self.refuseBert(trainer.config)
        let k = trainer.domains.count
        let w = referenceWeights ?? Array(repeating: 1, count: k)
        guard w.count == k, w.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw FieldError("reference", "needs \(k) finite weights > 0, one per domain (got \(w.count))")
        }
        let sum = w.reduce(0, +)
        self.referenceWeights = w.map { $0 / sum }
        _ = try DoReMiUpdate(domains: k, eta: eta, smoothing: smoothing, initial: self.referenceWeights)
        _ = try trainer._steps(weights: Array(repeating: 1, count: k), budget: tokens)
        _ = try trainer._steps(weights: self.referenceWeights, budget: tokens)
        self.trainer = trainer; self.tokens = tokens; self.eta = eta; self.smoothing = smoothing
        self.out = out.standardizedFileURL
    }

    /// A BERT proxy is refused (one line naming the config): DoReMi here needs next-token per-token losses and
    /// per-sequence loss weights, which only the GPT-2 engine has.
    public static func refuseBert(_ config: ProxyConfig) throws {
        guard !config.isBert else {
            throw DataMixingError.invalidInput(location: config.source, message:
                "model.arch: bert: doremi trains GPT-2 proxies only (per-token next-token losses, loss weights); use a gpt2 proxy")
        }
    }

    /// Everything the proxy run's result depends on (the run cache's fingerprint of `OUT/proxy/`).
    public var fingerprint: String {
        trainer.fingerprint + " doremi eta \(eta) smoothing \(smoothing) reference \(referenceWeights) tokens \(tokens)"
    }

    var domainTokens: [String: Int] {
        let k = trainer.domains.count
        let b = try! MixtureBudget(domains: trainer.domains, weights: Array(repeating: 1, count: k), total: tokens)
        return Dictionary(uniqueKeysWithValues: zip(b.domains, b.tokens))
    }

    /// The reference run, then the DoReMi proxy run (see the type's documentation); a rerun of the same arguments
    /// returns the cached result and trains nothing. `progress` receives one line per phase.
    public func run(progress: (String) -> Void = { _ in }) throws -> Outcome {
        do { return try _run(progress: progress) } catch { throw trainer.config.located(error) }
    }

    func _run(progress: (String) -> Void) throws -> Outcome {
        let lock = try FolderLock(folder: out)
        defer { lock.release() }
        let proxyFolder = out.appendingPathComponent("proxy"), cache = RunCache(folder: proxyFolder, recordsIn: nil)
        let resultURL = out.appendingPathComponent("result.json"), weightsURL = out.appendingPathComponent("weights.csv")
        if let old = try? String(contentsOf: cache.fingerprintURL, encoding: .utf8), old != fingerprint + "\n" {
            throw OutputError(path: out.path, reason: "holds a doremi run of other arguments (proxy config, seed, corpus, "
                              + "--tokens, --reference, --eta or --smoothing); use another --out")
        }
        if cache.cached(Self.recordID, tokens: domainTokens) != nil,
           let data = try? Data(contentsOf: resultURL), let r = try? JSONDecoder().decode(Result.self, from: data),
           let csv = try? String(contentsOf: weightsURL, encoding: .utf8) {
            progress("cached: \(out.path) already holds this doremi run")
            return Outcome(result: r, trajectory: Self.parseTrajectory(csv), referenceCached: true, proxyCached: true)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let k = trainer.domains.count
        let refBudget = try MixtureBudget(domains: trainer.domains, weights: referenceWeights, total: tokens)
        progress("doremi: reference run (\(tokens) tokens) into \(out.path)/reference")
        let (ref, refCached) = try TrainRun.train(trainer, weights: referenceWeights, mixture: refBudget,
                                                  out: out.appendingPathComponent("reference"), progress: progress)
        if refCached { progress("doremi: the reference run is cached") }
        let referenceModel = try Checkpoint.loadGPT2(out.appendingPathComponent("reference/model"))

        progress("doremi: proxy run (\(tokens) tokens, eta \(eta), smoothing \(smoothing))")
        let uniform = Array(repeating: 1.0, count: k)
        let steps = try trainer._steps(weights: uniform, budget: tokens)
        var recipe = trainer.config.recipe
        recipe.steps = steps
        var (optimizer, schedule, training) = try recipe.make()
        training.checkpointDirectory = nil  // the proxy run does not checkpoint (a recipe's checkpoint_dir is the reference's)
        guard let model = try trainer.makeModel() as? GPT2LMHeadModel else {
            throw DataMixingError.invalidArgument("doremi: the proxy is not a GPT-2 model")
        }
        let source = DoReMiBatchSource(
            sampler: try trainer._sampler(weights: uniform, sequences: steps * trainer.config.settings.batchSize),
            batchSize: trainer.config.settings.batchSize, reference: referenceModel, proxy: model,
            update: try DoReMiUpdate(domains: k, eta: eta, smoothing: smoothing, initial: referenceWeights))
        let loop = try Trainer(model: model, data: source, optimizer: optimizer, schedule: schedule, config: training,
                               evaluationSets: trainer.evaluationSets)
        loop.progress = trainer.progress
        try RunCache.makeFolder(proxyFolder)
        let logURL = proxyFolder.appendingPathComponent("log.csv"), partialLog = proxyFolder.appendingPathComponent(".log.csv.partial")
        let summary: TrainingSummary
        do {
            try loop.logCSV(to: partialLog)
            summary = try loop.run()
        } catch {
            try? FileManager.default.removeItem(at: partialLog)
            throw error
        }
        let losses = Dictionary(uniqueKeysWithValues: summary.evaluation.map { ($0.name, $0.meanLoss) })
        let update = source.update
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let names = trainer.domains
        func named(_ v: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(names, v)) }
        let average = update.averageWeights
        var mixture = MixtureResult(domains: names, budget: Double(tokens),
                                    tokens: named(average.map { $0 * Double(tokens) }), weights: named(average))
        mixture.method = "doremi"
        let details = Result.Details(
            eta: eta, smoothing: smoothing, steps: summary.steps, referenceWeights: named(referenceWeights),
            finalWeights: named(update.weights), referenceTokens: ref.trainedTokens, proxyTokens: summary.tokens,
            proxyComputeTokens: ref.trainedTokens + summary.tokens, forwardOnlyTokens: 2 * summary.tokens,
            wallSeconds: wall, referenceValLoss: ref.valLoss, proxyValLoss: losses)
        let result = Result(result: mixture, details: details)
        let fm = FileManager.default
        try? fm.removeItem(at: logURL)
        do { try fm.moveItem(at: partialLog, to: logURL) } catch {
            throw OutputError.diagnose(logURL, fallback: "cannot move the proxy log into place")
        }
        try AtomicFile.write(Data(Self.trajectoryCSV(source.trajectory, domains: names).utf8), to: weightsURL)
        try cache.claim(fingerprint: fingerprint)
        try cache.store(RunRecord(id: Self.recordID, tokens: domainTokens, losses: losses))
        try AtomicFile.write(prettyJSON(result), to: resultURL)
        return Outcome(result: result, trajectory: source.trajectory, referenceCached: refCached, proxyCached: false)
    }

    /// `step,<domain>,...`: α after each step (17 significant digits: the CSV reads back to the same Doubles).
    static func trajectoryCSV(_ rows: [[Double]], domains: [String]) -> String {
        var text = (["step"] + domains).joined(separator: ",") + "\n"
        for (i, row) in rows.enumerated() {
            text += ([String(i + 1)] + row.map { String(format: "%.17g", $0) }).joined(separator: ",") + "\n"
        }
        return text
    }

    static func parseTrajectory(_ csv: String) -> [[Double]] {
        csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
    }
}
