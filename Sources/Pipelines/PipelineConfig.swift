import Proxies
import DataMixing
import Base
import Foundation
import Yams

/// The configuration file of `autoscale pipeline` (YAML): the whole AutoScale job in one place.
///
///     corpus: out/demo/corpus                # token folder, or a corpus folder with tokens/ inside
///     out: out/demo/pipeline                 # report folder (DDO caches, validation runs, report.html)
///     proxy: Docs/examples/proxy-tiny.yaml   # a proxy config file, or the same keys inline as a mapping
///     trainer: {command: 'python3 t.py'}     # instead of proxy: your trainer (``CommandTrainer``'s protocol)
///     domains: [dictionary, code]            # optional with a proxy (default every domain of the token
///                                            # folder), required with a trainer
///     caps: {dictionary: 2M, code: 500k}     # optional, trainer without corpus only: per-domain caps
///     budgets: [120k, 360k]                  # the small DDO budgets (two or more, distinct)
///     factors: [1/3, 3]                      # optional perturbation factors (default 1/3, 3)
///     objective: mean-ppl                    # optional: mean-ppl (default) or mean-loss
///     eval_domains: code=2,dictionary=1      # optional validation domains (and weights) of the objective
///     ddo_seeds: [1, 2]                      # optional: DDO replicates, losses averaged (default: the proxy's seed)
///     rounds: 12                             # optional: DDO in up to N re-centred rounds at each budget (default 1:
///                                            # one-shot; one DDO seed, no factors; `ddo run --rounds`)
///     target: 1.2M                           # the target budget of the prediction
///     validation:                            # optional: train at the target and compare mixtures
///       seeds: [1, 2]
///       evaluations: 10                      # validation points per run (the loss curves); default 10
///     methods: [autoscale, uniform, dml, {name: regmix, runs: 24}]   # optional: the methods validated at the
///                                            # target and ranked (``PipelineMethod``); default uniform, the
///                                            # largest budget's DDO weights reused, autoscale
///
/// Exactly one of `proxy` (our GPT-2 or BERT proxy, trained on `corpus`) and `trainer` (a user's command) trains the
/// runs. With a trainer `corpus` is optional: when given, it only supplies the caps (its manifest's training
/// tokens x 4 epochs) and checks the domains; without it, `caps` gives them, or there are none.
/// Relative paths are relative to the working directory. Unknown keys are errors.
public struct PipelineConfig: Sendable {
    public struct Validation: Sendable, Equatable {
        public var seeds: [UInt64]
        public var evaluations: Int
    }

    /// `trainer:`: a user's trainer behind the stdin/stdout JSON protocol (``CommandTrainer``).
    public struct Trainer: Sendable, Equatable {
        public var command: String
        public init(command: String) { self.command = command }
        static let keys = ["command"]
    }

    /// The file it was read from (errors found later, in training, name its keys).
    public var source: String
    /// The token folder (required with a proxy, optional with a trainer).
    public var corpus: String?
    public var output: String
    /// Our proxy, or `nil` when `trainer` trains the runs.
    public var proxy: ProxyConfig?
    public var trainer: Trainer?
    public var domains: [String]?
    /// `caps:` (trainer without corpus): per-domain caps in predicted tokens; a domain not listed is uncapped.
    public var caps: [String: Double]?
    public var budgets: [Int]
    public var factors: [Double]
    public var settings: DDOSettings
    /// Seeds of the DDO runs (`nil`: the proxy's seed); each run's losses are averaged over them.
    public var ddoSeeds: [UInt64]?
    /// `rounds:`: DDO at each budget in at most this many re-centred rounds (``DDORoundsRun``); 1 is one-shot DDO.
    public var rounds: Int = 1
    public var target: Int
    public var validation: Validation?
    /// `methods:` (``PipelineMethod``); `nil`: the default validation (uniform, `ddo-<largest>`, autoscale) and a
    /// report without the methods' ranking.
    public var methods: [PipelineMethod]?

    static let keys = ["corpus", "out", "proxy", "trainer", "caps", "domains", "budgets", "factors", "objective",
                       "eval_domains", "ddo_seeds", "rounds", "target", "validation", "methods"]

    /// Reads and checks a pipeline file; every error is one line naming the file and key.
    public static func load(path: String) throws -> PipelineConfig {
        // Values are parsed by the libraries, which throw a FieldError naming the setting; here it is a key.
        do { return try _load(path: path) } catch let e as FieldError {
            throw DataMixingError.invalidInput(location: path, message: "\(e.field): \(e.message)")
        }
    }

    static func _load(path: String) throws -> PipelineConfig {
        func fail(_ key: String?, _ message: String) -> DataMixingError {
            .invalidInput(location: path, message: key.map { "\($0): \(message)" } ?? message)
        }
        let root = try readYAML(path: path)
        guard case .mapping(let map)? = root else { throw fail(nil, "expected a mapping of keys (see Docs/autoscale.md)") }
        for key in map.keys.map({ $0.string ?? "?" }) where !keys.contains(key) {
            throw fail(key, "unknown key (expected one of \(keys.joined(separator: ", ")))")
        }
        func scalar(_ key: String) throws -> String? {
            guard let n = map[key] else { return nil }
            guard let s = n.scalar?.string, !s.isEmpty else { throw fail(key, "expected a single value") }
            return s
        }
        func required(_ key: String) throws -> String {
            guard let s = try scalar(key) else { throw fail(key, "missing") }
            return s
        }
        func list(_ key: String) throws -> [String]? {
            guard let n = map[key] else { return nil }
            guard case .sequence(let seq) = n, !seq.isEmpty else { throw fail(key, "expected a non-empty list, e.g. [a, b]") }
            return try seq.map { item in
                guard let s = item.scalar?.string, !s.isEmpty else { throw fail(key, "every item must be a single value") }
                return s
            }
        }
        var proxy: ProxyConfig?
        var trainer: Trainer?
        switch (map["proxy"], map["trainer"]) {
        case (nil, nil):
            throw fail("proxy", "missing (a proxy config file or an inline mapping, or trainer: {command: ...})")
        case (_?, _?): throw fail("trainer", "give proxy (our proxy model) or trainer (your command), not both")
        case (.scalar(let s)?, nil): proxy = try ProxyConfig.load(path: s.string)
        case (let node?, nil): proxy = try ProxyConfig(yaml: node, location: "\(path): proxy")
        case (nil, let node?):
            guard case .mapping(let tm) = node else {
                throw fail("trainer", "expected a mapping, e.g. {command: 'python3 train.py'}")
            }
            for key in tm.keys.map({ $0.string ?? "?" }) where !Trainer.keys.contains(key) {
                throw fail("trainer.\(key)", "unknown key (expected \(Trainer.keys.joined(separator: ", ")))")
            }
            guard let c = tm["command"] else {
                throw fail("trainer.command", "missing (the command that trains one run)")
            }
            guard let command = c.scalar?.string, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail("trainer.command", "expected a non-empty command line")
            }
            trainer = Trainer(command: command)
        }
        let corpus = try scalar("corpus"), domains = try list("domains")
        if proxy != nil {
            guard corpus != nil else { throw fail("corpus", "missing (the token folder the proxy trains on)") }
            if map["caps"] != nil { throw fail("caps", "comes from the corpus's manifest with a proxy; remove it") }
        } else {
            guard domains != nil else {
                throw fail("domains", "required with trainer (the domains your command trains on)")
            }
            if corpus != nil, map["caps"] != nil {
                throw fail("caps", "give caps or a corpus (whose manifest gives the caps), not both")
            }
        }
        var caps: [String: Double]?
        if let node = map["caps"] {
            guard case .mapping(let cm) = node, !cm.keys.isEmpty else {
                throw fail("caps", "expected a mapping of domain: tokens, e.g. {web: 5M, code: 1.2M}")
            }
            var out: [String: Double] = [:]
            for (k, v) in cm {
                let name = k.string ?? "?"
                guard domains?.contains(name) == true else { throw fail("caps.\(name)", "not one of the domains") }
                guard let text = v.scalar?.string else {
                    throw fail("caps.\(name)", "expected a token count, e.g. 1.2M")
                }
                out[name] = try TokenCount.parse(text, field: "caps.\(name)")
            }
            caps = out
        }
        let budgetTexts = try list("budgets") ?? []
        guard budgetTexts.count >= 2 else { throw fail("budgets", "need two or more small budgets, e.g. [120k, 360k]") }
        let budgets = try budgetTexts.map { Int(try TokenCount.parse($0, field: "budgets").rounded()) }
        guard Set(budgets).count == budgets.count else { throw fail("budgets", "must be distinct") }
        let target = Int(try TokenCount.parse(try required("target"), field: "target").rounded())
        guard target > budgets.max()! else {
            throw fail("target", "\(target) tokens is not above the largest small budget \(budgets.max()!)")
        }
        let factors = try (list("factors") ?? ["1/3", "3"]).map { try TokenCount.factor($0, field: "factors") }
        try DDOPlan.validate(factors: factors)
        var settings = DDOSettings()
        if let o = try scalar("objective") {
            guard let k = DDOObjective.Kind(rawValue: o) else { throw fail("objective", "'\(o)' is not one of mean-ppl, mean-loss") }
            settings.objective = k
        }
        if let e = try scalar("eval_domains") { settings.evalDomains = try DDOObjective.parseDomains(e, field: "eval_domains") }

        func seedList(_ node: Node?, _ key: String) throws -> [UInt64] {
            guard case .sequence(let s)? = node, !s.isEmpty else { throw fail(key, "expected a non-empty list of seeds, e.g. [1, 2]") }
            let seeds = try s.map { n -> UInt64 in
                guard let v = n.scalar.flatMap({ UInt64($0.string) }) else { throw fail(key, "'\(n.scalar?.string ?? "?")' is not a seed (a non-negative integer)") }
                return v
            }
            guard Set(seeds).count == seeds.count else { throw fail(key, "must be distinct") }
            return seeds
        }
        let ddoSeeds = try map["ddo_seeds"].map { try seedList($0, "ddo_seeds") }
        var validation: Validation?
        if let v = map["validation"] {
            guard case .mapping(let vm) = v else { throw fail("validation", "expected a mapping with seeds (and evaluations)") }
            for key in vm.keys.map({ $0.string ?? "?" }) where !["seeds", "evaluations"].contains(key) {
                throw fail("validation.\(key)", "unknown key (expected seeds, evaluations)")
            }
            if trainer != nil, vm["evaluations"] != nil {
                throw fail("validation.evaluations",
                           "applies to the proxy only (a trainer command reports final losses)")
            }
            let seeds = try seedList(vm["seeds"], "validation.seeds")
            var evaluations = 10
            if let e = vm["evaluations"] {
                guard let v = e.scalar.flatMap({ Int($0.string) }), v >= 1 else { throw fail("validation.evaluations", "must be an integer >= 1") }
                evaluations = v
            }
            validation = Validation(seeds: seeds, evaluations: evaluations)
        }
        var rounds = 1
        if let r = try scalar("rounds") {
            guard let v = Int(r), v >= 1 else { throw fail("rounds", "must be an integer >= 1, got '\(r)'") }
            rounds = v
        }
        if rounds > 1 {
            if map["factors"] != nil { throw fail("factors", "do not apply with rounds (each round sets its own trust region)") }
            if let s = ddoSeeds, s.count > 1 {
                throw fail("rounds", "apply with one DDO seed (ddo_seeds has \(s.count)): each seed's rounds would go their own way")
            }
        }
        var config = PipelineConfig(source: path, corpus: corpus, output: try required("out"), proxy: proxy, trainer: trainer,
                                    domains: domains, caps: caps, budgets: budgets.sorted(), factors: factors,
                                    settings: settings, ddoSeeds: ddoSeeds, target: target, validation: validation)
        config.rounds = rounds
        config.methods = try map["methods"].map { try PipelineMethod.parse($0, fail: fail) }
        return config
    }
}
