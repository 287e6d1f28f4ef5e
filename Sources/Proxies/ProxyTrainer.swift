import DataMixing
import Base
import Cluster
import Corpus
import Foundation
import Training
import Transformer

/// The proxy model of `autoscale ddo run`: a GPT-2 or BERT shape plus the data settings, and a ``TrainingRecipe``
/// for the optimizer and schedule (its `steps` is set per run from the run's token total).
///
/// File form (YAML, see `Docs/examples/proxy-tiny.yaml`): the keys `model`, `context`, `batch_size`,
/// `eval_tokens`, `max_epochs` are the proxy's; every other key is a ``TrainingRecipe`` key except `steps`.
public struct ProxyConfig: Sendable, Equatable {
    public struct Model: Decodable, Sendable, Equatable, CustomDebugStringConvertible {
        /// `gpt2` (`GPT2LMHeadModel`) or `bert` (`BertForMaskedLM`, trained on masked-LM batches).
        public var arch: String
        public var nLayer: Int, nEmbd: Int, nHead: Int
        public var nInner: Int?
        /// The model's position table (`n_positions`, BERT's `max_position_embeddings`); default: `context`.
        public var maxPositions: Int?
        /// The allowed keys (the YAML loader rejects others).
        public static let keys = ["arch", "n_layer", "n_embd", "n_head", "n_inner", "max_positions"]
        enum CodingKeys: String, CodingKey {
            case arch, nLayer = "n_layer", nEmbd = "n_embd", nHead = "n_head", nInner = "n_inner"
            case maxPositions = "max_positions"
        }

        public init(arch: String, nLayer: Int, nEmbd: Int, nHead: Int, nInner: Int? = nil, maxPositions: Int? = nil) {
            self.arch = arch; self.nLayer = nLayer; self.nEmbd = nEmbd; self.nHead = nHead; self.nInner = nInner
            self.maxPositions = maxPositions
        }

        /// The form the run-cache fingerprints were made with before `max_positions` existed (it is added only
        /// when set), so a GPT-2 proxy's cached runs stay valid.
        public var debugDescription: String {
            "\(String(reflecting: Self.self))(arch: \(String(reflecting: arch)), nLayer: \(nLayer), nEmbd: \(nEmbd), "
                + "nHead: \(nHead), nInner: \(String(describing: nInner))"
                + (maxPositions.map { ", maxPositions: \($0)" } ?? "") + ")"
        }
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
        guard ["gpt2", "bert"].contains(s.model.arch) else {
            throw bad("model.arch", "'\(s.model.arch)' is not supported (gpt2 or bert)")
        }
        let minContext = s.model.arch == "bert" ? 3 : 2
        guard s.context >= minContext else {
            throw bad("context", "must be >= \(minContext), got \(s.context)"
                      + (minContext == 3 ? " (a BERT window is [CLS], at least one token, [SEP])" : ""))
        }
        for (v, k) in [(s.model.nLayer, "n_layer"), (s.model.nEmbd, "n_embd"), (s.model.nHead, "n_head")] where v < 1 {
            throw bad("model.\(k)", "must be >= 1, got \(v)")
        }
        if let i = s.model.nInner, i < 1 { throw bad("model.n_inner", "must be >= 1, got \(i)") }
        guard s.model.nEmbd % s.model.nHead == 0 else {
            throw bad("model.n_embd", "\(s.model.nEmbd) is not a multiple of model.n_head (\(s.model.nHead))")
        }
        if let p = s.model.maxPositions {
            guard p >= 1 else { throw bad("model.max_positions", "must be >= 1, got \(p)") }
            guard s.context <= p else {
                throw bad("context", "\(s.context) is above model.max_positions (\(p)): the model has no position "
                          + "embedding past \(p); lower context or raise max_positions")
            }
        }
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
        if s.model.arch == "gpt2" { _ = try modelConfig(vocabSize: 1) } else { _ = try bertConfig(vocabSize: 1, padTokenID: 0) }
    }

    public var seed: UInt64 { recipe.seed ?? 0 }

    /// Whether the proxy is a BERT masked LM (`model.arch: bert`).
    public var isBert: Bool { settings.model.arch == "bert" }

    /// Corpus tokens per training or validation sequence, the tokens a sequence counts in a budget: `T - 1` for
    /// GPT-2 (`T` inputs, `T - 1` next-token targets), `T - 2` for BERT (`[CLS]`, `T - 2` text tokens, `[SEP]`).
    public var sequenceTokens: Int { settings.context - (isBert ? 2 : 1) }

    /// `error`, or, when it is a ``FieldError`` on one of this config's keys, the same message located in
    /// the config's file (`file: max_epochs: ...`): the value came from there, not from an option.
    public func located(_ error: Error) -> Error {
        guard let e = error as? FieldError, Settings.keys.contains(e.field) else { return error }
        return DataMixingError.invalidInput(location: source, message: "\(e.field): \(e.message)")
    }

    /// The GPT-2 shape for a vocabulary (dropout 0: the proxy runs are deterministic).
    public func modelConfig(vocabSize: Int) throws -> GPT2Config {
        let m = settings.model
        let c = GPT2Config(vocabSize: vocabSize, nPositions: m.maxPositions ?? settings.context, nEmbd: m.nEmbd,
                           nLayer: m.nLayer, nHead: m.nHead, nInner: m.nInner)
        try c.validate(file: "model")
        return c
    }

    /// The BERT shape for a vocabulary and its `[PAD]` id (`BertConfig` defaults otherwise: gelu, two token types,
    /// LayerNorm eps 1e-12; dropout 0: the proxy runs are deterministic).
    public func bertConfig(vocabSize: Int, padTokenID: Int) throws -> BertConfig {
        let m = settings.model
        let c = BertConfig(vocabSize: vocabSize, hiddenSize: m.nEmbd, numHiddenLayers: m.nLayer, numAttentionHeads: m.nHead,
                           intermediateSize: m.nInner, maxPositionEmbeddings: m.maxPositions ?? settings.context,
                           padTokenID: padTokenID)
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

/// Trains one proxy (GPT-2, or a BERT masked LM) per DDO run, every run from the same seed (same initial weights,
/// same sampler seed), and returns the mean validation loss (nats per predicted token) of every domain.
///
/// A run with quantities `N_d` draws `round(N_d / u)` sequences of domain `d` (``MixtureSampler``, `u` =
/// ``ProxyConfig/sequenceTokens`` corpus tokens each: `T - 1` for GPT-2, `T - 2` for BERT) and trains
/// `floor(sequences / B)` steps of `B` sequences (at most `B - 1` sequences at the end of the stream are not trained
/// on), with the recipe's schedule built for that step count. Validation: the first `ceil(eval_tokens / u)` windows
/// of each domain's validation split (``ValidationReader``), the same for every run.
///
/// BERT (`model.arch: bert`): every sequence is `[CLS]` + its `T - 2` tokens + `[SEP]`, token type 0, attention
/// mask 1 (``BertWindowSource``), masked afresh at every step by ``MaskedLMBatchSource`` with the trainer's
/// generator (15% of the non-special tokens; 80% `[MASK]`, 10% random, 10% kept; labels -100 elsewhere), so a
/// seed gives the same masks on every machine and a resumed run masks as the uninterrupted one. The validation
/// windows are masked once, by a generator seeded with the domain's name
/// (``BertSpecialTokens/validationMasks(_:domain:vocabSize:)``): every run evaluates the same positions, and the
/// loss is the mean cross-entropy over the masked tokens.
public final class ProxyTrainer {
    public let config: ProxyConfig
    public let store: TokenStore
    public let domains: [String]
    /// The GPT-2 shape (`model.arch: gpt2`).
    public let modelConfig: GPT2Config?
    /// The BERT shape and the tokenizer's special tokens (`model.arch: bert`).
    public let bert: (config: BertConfig, tokens: BertSpecialTokens)?
    public let evaluationSets: [EvaluationSet]
    /// Training progress (steps, evaluations) and sampler warnings.
    public var progress: TrainingProgress

    public init(config: ProxyConfig, store: TokenStore, domains: [String], progress: TrainingProgress = TrainingProgress()) throws {
        self.config = config
        self.store = store
        self.domains = domains
        self.progress = progress
        let vocab = store.manifest.tokenizer.vocabSize
        if config.isBert {
            let tokens = try BertSpecialTokens(store: store)
            bert = (try config.bertConfig(vocabSize: vocab, padTokenID: Int(tokens.pad)), tokens)
            modelConfig = nil
        } else {
            modelConfig = try config.modelConfig(vocabSize: vocab)
            bert = nil
        }
        let t = config.sequenceTokens, b = config.settings.batchSize, bertSetup = self.bert
        evaluationSets = try domains.map { d in
            let reader = try ValidationReader(shard: try store.shard(d, split: .val), sequenceLength: t,
                                              maxSequences: (config.settings.evalTokens + t - 1) / t)
            var batches = stride(from: 0, to: reader.count, by: b).map { start -> TokenBatch in
                let n = min(b, reader.count - start)
                return TokenBatch(batchSize: n, sequenceLength: t + 1,
                                  inputIDs: (start..<(start + n)).flatMap { reader.sequence(at: $0) })
            }
            if let bert = bertSetup {
                batches = try bert.tokens.validationMasks(
                    batches.map { bert.tokens.batch(rowsOf: $0, context: config.settings.context) }, domain: d, vocabSize: vocab)
            }
            return EvaluationSet(name: d, source: try ArrayBatchSource(batches))
        }
    }

    /// A freshly initialized proxy model (the config's seed).
    func makeModel() throws -> any LanguageModel {
        if let bert { return try BertForMaskedLM(config: bert.config, seed: config.seed) }
        return try GPT2LMHeadModel(config: modelConfig!, seed: config.seed)
    }

    /// The training batches of a sampler's stream: ``MixtureBatchSource``, for BERT wrapped into `[CLS] ... [SEP]`
    /// inputs and masked (see the type's documentation).
    func trainingSource(_ sampler: MixtureSampler) throws -> any TrainingBatchSource {
        let windows = MixtureBatchSource(sampler: sampler, batchSize: config.settings.batchSize)
        guard let bert else { return windows }
        return MaskedLMBatchSource(tokens: BertWindowSource(windows: windows, tokens: bert.tokens, context: config.settings.context),
                                   masking: try bert.tokens.masking(vocabSize: bert.config.vocabSize))
    }

    /// A one-line identity of everything a run's losses depend on besides its token quantities.
    public var fingerprint: String {
        "proxy \(config.settings) \(config.recipe) vocab \(store.manifest.tokenizer.vocabSize) tokenizer \(store.manifest.tokenizer.sha256) "
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
        /// The trained model (`GPT2LMHeadModel` or `BertForMaskedLM`).
        public var model: any LanguageModel
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
                                         sequenceLength: config.sequenceTokens, seed: config.seed, maxEpochs: s.maxEpochs ?? 4)
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
        let model = try makeModel()
        let trainer = try Trainer(model: model, data: try trainingSource(sampler),
                                  optimizer: optimizer, schedule: schedule, config: training, evaluationSets: evaluationSets)
        trainer.progress = progress
        trainer.communicator = communicator
        if let log { try trainer.logCSV(to: log) }
        let summary = try trainer.run()
        return Run(losses: Dictionary(uniqueKeysWithValues: summary.evaluation.map { ($0.name, $0.meanLoss) }), model: model,
                   summary: summary, communicationSeconds: trainer.communicationSeconds)
    }
}
