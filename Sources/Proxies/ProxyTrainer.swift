import DataMixing
import Base
import Cluster
import Corpus
import Foundation
import Training
import Transformer

/// The proxy model of `autoscale ddo run`: a GPT-2 shape plus the data settings, and a ``TrainingRecipe``
/// for the optimizer and schedule (its `steps` is set per run from the run's token total).
///
/// File form (YAML, see `Docs/examples/proxy-tiny.yaml`): the keys `model`, `context`, `batch_size`,
/// `eval_tokens`, `max_epochs` are the proxy's; every other key is a ``TrainingRecipe`` key except `steps`.
public struct ProxyConfig: Sendable, Equatable {
    public struct Model: Decodable, Sendable, Equatable {
        /// Only `gpt2`.
        public var arch: String
        public var nLayer: Int, nEmbd: Int, nHead: Int
        public var nInner: Int?
        /// The allowed keys (the YAML loader rejects others).
        public static let keys = ["arch", "n_layer", "n_embd", "n_head", "n_inner"]
        enum CodingKeys: String, CodingKey { case arch, nLayer = "n_layer", nEmbd = "n_embd", nHead = "n_head", nInner = "n_inner" }
    }

    /// The proxy keys of the file.
    public struct Settings: Decodable, Sendable, Equatable {
        public var model: Model
        /// Model context `T`: a training or validation sequence is `T` tokens (`T - 1` predicted).
        public var context: Int
        public var batchSize: Int
        /// Validation tokens per domain (rounded up to whole sequences of `T - 1` predictions; fewer when the
        /// validation split is shorter).
        public var evalTokens: Int
        /// Largest number of passes over a domain's training tokens (default 4).
        public var maxEpochs: Int?
        public static let keys = ["model", "context", "batch_size", "eval_tokens", "max_epochs"]
        enum CodingKeys: String, CodingKey {
            case model, context, batchSize = "batch_size", evalTokens = "eval_tokens", maxEpochs = "max_epochs"
        }
    }

    public var settings: Settings
    /// Optimizer, schedule, seed, ...; `steps` is overwritten per run.
    public var recipe: TrainingRecipe

    /// Where the config was read from (a file, or `file: proxy` for an inline mapping); errors about its keys
    /// that arise later, in training, name it (``located(_:)``).
    public var source: String

    /// Two configs are equal when they train alike, wherever they were read from.
    public static func == (a: ProxyConfig, b: ProxyConfig) -> Bool { a.settings == b.settings && a.recipe == b.recipe }

    /// Checks the settings and the recipe; a bad value throws a ``FieldError`` naming its key.
    public init(settings: Settings, recipe: TrainingRecipe, source: String = "proxy config") throws {
        func bad(_ f: String, _ r: String) -> FieldError { FieldError(f, r) }
        let s = settings
        guard s.model.arch == "gpt2" else { throw bad("model.arch", "'\(s.model.arch)' is not supported (only gpt2)") }
        guard s.context >= 2 else { throw bad("context", "must be >= 2, got \(s.context)") }
        guard s.batchSize >= 1 else { throw bad("batch_size", "must be >= 1, got \(s.batchSize)") }
        guard s.evalTokens >= 1 else { throw bad("eval_tokens", "must be >= 1, got \(s.evalTokens)") }
        if let e = s.maxEpochs, e < 1 { throw bad("max_epochs", "must be >= 1, got \(e)") }
        self.settings = settings
        self.recipe = recipe
        self.source = source
        // Validate everything but the step count, which each run sets (a run too short for the warmup fails then).
        var probe = recipe
        probe.steps = 1 << 30
        _ = try probe.make()
        _ = try modelConfig(vocabSize: 1)
    }

    public var seed: UInt64 { recipe.seed ?? 0 }

    /// `error`, or, when it is a ``FieldError`` on one of this config's keys, the same message located in
    /// the config's file (`file: max_epochs: ...`): the value came from there, not from an option.
    public func located(_ error: Error) -> Error {
        guard let e = error as? FieldError, Settings.keys.contains(e.field) else { return error }
        return DataMixingError.invalidInput(location: source, message: "\(e.field): \(e.message)")
    }

    /// The GPT-2 shape for a vocabulary (dropout 0: the proxy runs are deterministic).
    public func modelConfig(vocabSize: Int) throws -> GPT2Config {
        let m = settings.model
        let c = GPT2Config(vocabSize: vocabSize, nPositions: settings.context, nEmbd: m.nEmbd, nLayer: m.nLayer,
                           nHead: m.nHead, nInner: m.nInner)
        try c.validate(file: "model")
        return c
    }
}

/// Training micro-batches from a ``MixtureSampler``: batch `k` is the sampler's sequences
/// `k·B ..< (k+1)·B` (stream order), each `T` tokens with labels shifted inside the model. The stream is
/// consumed once (``ProxyTrainer`` trains `floor(count / B)` steps); past its end it starts over. The RNG is
/// not used; the state is the cursor.
public final class MixtureBatchSource: TrainingBatchSource {
    public let sampler: MixtureSampler
    public let batchSize: Int
    public private(set) var cursor = 0

    public init(sampler: MixtureSampler, batchSize: Int) {
        self.sampler = sampler
        self.batchSize = batchSize
    }

    public func nextBatch(using rng: inout TrainingRNG) throws -> TokenBatch {
        var ids: [Int32] = []
        ids.reserveCapacity(batchSize * (sampler.sequenceLength + 1))
        for _ in 0..<batchSize {
            ids += sampler.sequence(at: cursor)
            cursor = (cursor + 1) % sampler.count
        }
        return TokenBatch(batchSize: batchSize, sequenceLength: sampler.sequenceLength + 1, inputIDs: ids)
    }

    public func checkpointState() throws -> Data { Data(String(cursor).utf8) }

    public func restore(checkpointState: Data) throws {
        guard let c = Int(String(decoding: checkpointState, as: UTF8.self)), (0..<sampler.count).contains(c) else {
            throw TrainingError.data("mixture batch source: checkpoint cursor is not in 0..<\(sampler.count)")
        }
        cursor = c
    }
}

/// Trains one GPT-2 proxy per DDO run, every run from the same seed (same initial weights, same sampler
/// seed), and returns the mean validation loss (nats per predicted token) of every domain.
///
/// A run with quantities `N_d` draws `round(N_d / (T-1))` sequences of domain `d` (``MixtureSampler``,
/// `T - 1` predicted tokens each) and trains `floor(sequences / B)` steps of `B` sequences (at most `B - 1`
/// sequences at the end of the stream are not trained on), with the recipe's schedule built for that step
/// count. Validation: the first `ceil(eval_tokens / (T-1))` windows of each domain's validation split
/// (``ValidationReader``), the same for every run.
public final class ProxyTrainer {
    public let config: ProxyConfig
    public let store: TokenStore
    public let domains: [String]
    public let modelConfig: GPT2Config
    public let evaluationSets: [EvaluationSet]
    /// Training progress (steps, evaluations) and sampler warnings.
    public var progress: TrainingProgress

    public init(config: ProxyConfig, store: TokenStore, domains: [String], progress: TrainingProgress = TrainingProgress()) throws {
        self.config = config
        self.store = store
        self.domains = domains
        self.progress = progress
        modelConfig = try config.modelConfig(vocabSize: store.manifest.tokenizer.vocabSize)
        let t = config.settings.context - 1, b = config.settings.batchSize
        evaluationSets = try domains.map { d in
            let reader = try ValidationReader(shard: try store.shard(d, split: .val), sequenceLength: t,
                                              maxSequences: (config.settings.evalTokens + t - 1) / t)
            let batches = stride(from: 0, to: reader.count, by: b).map { start -> TokenBatch in
                let n = min(b, reader.count - start)
                return TokenBatch(batchSize: n, sequenceLength: t + 1,
                                  inputIDs: (start..<(start + n)).flatMap { reader.sequence(at: $0) })
            }
            return EvaluationSet(name: d, source: try ArrayBatchSource(batches))
        }
    }

    /// A one-line identity of everything a run's losses depend on besides its token quantities.
    public var fingerprint: String {
        "proxy \(config.settings) \(config.recipe) vocab \(modelConfig.vocabSize) tokenizer \(store.manifest.tokenizer.sha256) "
            + "domains \(store.manifest.domains.filter { domains.contains($0.name) })"
    }


    /// Trains the proxy on `tokens[i]` tokens of `domains[i]` and returns the validation loss per domain;
    /// `log`, when given, receives the run's CSV training log (``TrainingLog``; validation every
    /// `evaluation_interval` steps of the recipe, and at the end). See ``run(tokens:log:communicator:)``.
    public func train(tokens: [Int], log: URL? = nil, communicator: (any Communicator)? = nil) throws -> [String: Double] {
        try run(tokens: tokens, log: log, communicator: communicator).losses
    }

    /// What ``run(tokens:log:communicator:)`` returns.
    public struct Run {
        /// Final validation loss per domain (nats per predicted token).
        public var losses: [String: Double]
        /// The trained model.
        public var model: GPT2LMHeadModel
        public var summary: TrainingSummary
        /// Seconds in the data-parallel collectives (0 in one process).
        public var communicationSeconds: Double
        /// Mean wall-clock seconds of a training step (evaluation excluded).
        public var stepSeconds: Double { summary.steps > 0 && summary.tokensPerSecond > 0
            ? Double(summary.tokens) / summary.tokensPerSecond / Double(summary.steps) : 0 }
    }

    /// Trains the proxy on `tokens[i]` tokens of `domains[i]` and returns the model, its validation losses
    /// and the training summary.
    ///
    /// `communicator` with `K > 1` ranks makes it data-parallel (every rank calls it with the same arguments):
    /// each global batch of `batch_size` sequences is split over the ranks (``Trainer/communicator``, which
    /// requires the batch size to be a multiple of `K` and says so at the first step), every rank ends with the same weights and evaluates them, and
    /// only rank 0 writes `log`. `nil` or one rank: the one-process run.
    public func run(tokens: [Int], log: URL? = nil, communicator: (any Communicator)? = nil) throws -> Run {
        do { return try _run(tokens: tokens, log: log, communicator: communicator) } catch { throw config.located(error) }
    }

    func _run(tokens: [Int], log: URL?, communicator: (any Communicator)?) throws -> Run {
        let s = config.settings
        let sampler: MixtureSampler
        do {
            sampler = try MixtureSampler(domains: zip(domains, tokens).map { d, n in (d, try store.shard(d, split: .train), n) },
                                         sequenceLength: s.context - 1, seed: config.seed, maxEpochs: s.maxEpochs ?? 4)
        } catch let e as CorpusError {
            guard case .tooManyEpochs = e else { throw e }
            throw FieldError("max_epochs", "\(e) (raise max_epochs or train fewer tokens of that domain)")
        }
        if !progress.quiet { for w in sampler.warnings { progress.write(w) } }
        let steps = sampler.count / s.batchSize
        guard steps >= 1 else {
            throw DataMixingError.invalidArgument("a run of \(tokens.reduce(0, +)) tokens gives \(sampler.count) sequences, "
                + "fewer than one batch of \(s.batchSize): the budget is too small for this proxy")
        }
        var recipe = config.recipe
        recipe.steps = steps
        let (optimizer, schedule, training) = try recipe.make()
        let model = try GPT2LMHeadModel(config: modelConfig, seed: config.seed)
        let trainer = try Trainer(model: model, data: MixtureBatchSource(sampler: sampler, batchSize: s.batchSize),
                                  optimizer: optimizer, schedule: schedule, config: training, evaluationSets: evaluationSets)
        trainer.progress = progress
        trainer.communicator = communicator
        if let log { try trainer.logCSV(to: log) }
        let summary = try trainer.run()
        return Run(losses: Dictionary(uniqueKeysWithValues: summary.evaluation.map { ($0.name, $0.meanLoss) }), model: model,
                   summary: summary, communicationSeconds: trainer.communicationSeconds)
    }
}
