import Proxies
import DataMixing
import Base
import Cluster
import Corpus
import Foundation
import Training

/// `autoscale pipeline`: DDO at each small budget, the AutoScale prediction at the target, and optionally
/// training at the target with three mixtures (uniform, the largest small budget's DDO weights reused, the
/// AutoScale weights) over several seeds.
///
/// The runs are trained by our GPT-2 or BERT proxy (`proxy:`) or by the user's command (`trainer:`, a
/// ``CommandTrainer``): both are ``RunTrainer``s, planned, cached and spread over ranks the same way.
///
/// Folder layout (`config.output`): `ddo-<budget>/` (each a ``DDOExperiment`` folder: cached runs,
/// `losses.csv`, `result.json`), `prediction.json`, `validation/seed-<s>/<mixture>.json` (cached final
/// losses, written atomically) and `<mixture>.csv` (the proxy's CSV training log; a trainer command gets the
/// folder `<mixture>/` as its `out` instead), `report.json`. Every cached piece is reused on a rerun, so an
/// interrupted pipeline resumes where it stopped.
///
/// Under MPI (`communicator` with several ranks) every rank runs this with the same configuration: the DDO
/// runs and the validation runs are spread over the ranks (``distributedMap(count:communicator:_:)``, a
/// rank that finishes takes the next run), every rank computes the same fits and report from the shared
/// cache, and only rank 0 writes the folder's summary files.
public final class Pipeline {
    public let config: PipelineConfig
    /// The token folder (`nil`: a trainer command without `corpus:`).
    public let store: TokenStore?
    public let domains: [String]
    /// One line per stage and run.
    public var progress: (String) -> Void = { _ in }
    /// Progress of the individual trainings.
    public var training = TrainingProgress(quiet: true)
    /// With a trainer command: keep its standard error in each run's folder (`stderr.log`) instead of passing it
    /// through (``CommandTrainer/quiet``).
    public var quietTrainer = false
    /// The ranks sharing the work (one process by default).
    public var communicator: any Communicator = LocalCommunicator()

    /// What each domain can supply, in predicted tokens (empty: no caps). With a corpus: its training split's
    /// windows of the proxy's context `T` times `max_epochs` (the sampler's own limit), `floor((n - 1) / (T - 1))
    /// (T - 1) epochs` for a split of `n` tokens; with a trainer command `(n - 1) · 4` (every token after the
    /// first predicted once per epoch, 4 epochs: the proxy's default). Without a corpus, the config's `caps:`.
    /// The DDO allocations and the prediction respect these caps.
    public let caps: [String: Double]

    public init(config: PipelineConfig) throws {
        var config = config
        func fail(_ key: String, _ message: String) -> DataMixingError {
            .invalidInput(location: config.source, message: "\(key): \(message)")
        }
        guard (config.proxy == nil) != (config.trainer == nil) else {
            throw fail("trainer", "give proxy (our proxy model) or trainer (your command), not both or neither")
        }
        guard config.proxy == nil || config.corpus != nil else {
            throw fail("corpus", "missing (the token folder the proxy trains on)")
        }
        store = try config.corpus.map { try TokenStore(resolving: $0) }
        guard let names = config.domains ?? store?.manifest.domains.map(\.name) else {
            throw fail("domains", "required with trainer (the domains your command trains on)")
        }
        domains = names
        var caps: [String: Double] = [:]
        if let store {
            guard config.caps == nil else {
                throw fail("caps", "give caps or a corpus (whose manifest gives the caps), not both")
            }
            let t = config.proxy.map(\.sequenceTokens) ?? 1, epochs = config.proxy?.settings.maxEpochs ?? 4
            for d in domains {
                let train = try store.manifest.domain(d).train.tokens
                caps[d] = Double(max(0, (train - 1) / t) * t * epochs)
            }
        } else if let given = config.caps {
            for d in given.keys.sorted() where !domains.contains(d) {
                throw fail("caps.\(d)", "not one of the domains")
            }
            caps = given
        }
        self.caps = caps
        config.settings.caps = caps.isEmpty ? nil : caps
        self.config = config
        try checkMethods()
    }

    var output: URL { URL(fileURLWithPath: config.output) }
    /// The report page, `report.html` (offline HTML with inline SVG), written with `report.json`.
    public var reportPage: URL { output.appendingPathComponent("report.html") }

    /// The objective's validation domains and weights (every domain, equal weights, by default).
    var objectiveDomains: (domains: [String], weights: [Double]) {
        config.settings.evalDomains ?? (domains, [Double](repeating: 1, count: domains.count))
    }

    /// Runs every stage (reusing cached results) and writes `report.json` and `report.html`.
    public func run() throws -> PipelineReport {
        try Cluster.onRankZero(communicator) { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) }
        // 1. DDO at each small budget.
        let start = Date()
        var entries: [PipelineReport.DDOEntry] = []
        var warnings: [String] = []
        for entry in try config.rounds > 1 ? config.budgets.map(ddoRounds(budget:))
                : branchesBudgets ? ddoBranched() : config.budgets.map(ddo(budget:)) {
            warnings += entry.warnings
            entries.append(entry.entry)
        }
        // 2. The prediction at the target.
        let prediction = try MixtureResult.predicted(from: entries.map(\.result), sources: entries.map(\.folder),
                                                     budget: Double(config.target), caps: config.settings.caps)
        try Cluster.onRankZero(communicator) { try prediction.write(to: output.appendingPathComponent("prediction.json")) }
        warnings += prediction.warnings.map { "prediction: \($0)" }
        progress("AutoScale prediction at \(config.target) tokens: "
                 + domains.map { "\($0) \(String(format: "%.3f", prediction.weights[$0]!))" }.joined(separator: ", "))
        // 2b. The other methods' weights (`methods:`).
        let methods = try config.methods.map {
            try methodWeights($0, ddo: entries, prediction: prediction, ddoSeconds: Date().timeIntervalSince(start))
        }
        // 3. Validation at the target.
        var validation: PipelineReport.Validation?
        if let v = config.validation {
            let largest = entries.last!
            var named: [(String, [Double])] = [("uniform", domains.map { _ in 1.0 / Double(domains.count) }),
                                               (largest.folder, domains.map { largest.result.weights[$0]! }),
                                               ("autoscale", domains.map { prediction.weights[$0]! })]
            if let methods {
                named = methods.map { m -> (String, [Double]) in (m.mixture, domains.map { m.weights[$0]! }) }
            }
            let mixtures = try named.map { name, w in
                let q = try MixtureBudget(domains: domains, weights: w, total: config.target)
                return PipelineReport.Mixture(name: name, weights: Dictionary(uniqueKeysWithValues: zip(domains, w)),
                                              tokens: Dictionary(uniqueKeysWithValues: zip(domains, q.tokens)))
            }
            let trainers = try v.seeds.map { try validationTrainer(seed: $0, evaluations: v.evaluations) }
            try Cluster.onRankZero(communicator) {
                for (seed, t) in zip(v.seeds, trainers) { try RunCache(folder: validationFolder(seed)).claim(fingerprint: t.fingerprint) }
            }
            let jobs = v.seeds.indices.flatMap { s in mixtures.map { (s, $0) } }
            let records = try distributedMap(count: jobs.count, communicator: communicator) { j in
                try validationRun(jobs[j].1, seed: v.seeds[jobs[j].0], trainer: trainers[jobs[j].0])
            }
            let runs = try zip(jobs, records).map { try run($1, seed: v.seeds[$0.0]) }
            validation = summarize(seeds: v.seeds, mixtures: mixtures, runs: runs)
            if config.trainer != nil { validation?.curves = "final" }
        }
        let (od, ow) = objectiveDomains
        var report = PipelineReport(domains: domains, objective: (config.settings.objective ?? .meanPPL).rawValue,
                                    objectiveDomains: Dictionary(uniqueKeysWithValues: zip(od, ow)),
                                    budgets: config.budgets, target: config.target, ddo: entries, prediction: prediction,
                                    validation: validation, warnings: warnings, trainerCommand: config.trainer?.command)
        if let methods, let validation {
            report.methods = methods
            report.ranking = PipelineReport.rank(methods, validation: validation)
        }
        try Cluster.onRankZero(communicator) {
            try AtomicFile.write(report.jsonData(), to: output.appendingPathComponent("report.json"))
            try AtomicFile.write(report.html(), to: reportPage)
        }
        return report
    }

    /// DDO at one budget. With one DDO seed the folder is an ordinary `ddo run` folder; with several, each
    /// seed's runs are a `ddo run` folder `seed-<s>/` inside it, and the folder's `losses.csv` holds every
    /// run's validation losses averaged over the seeds (the replicates), fitted into its `result.json`.
    func ddo(budget: Int) throws -> (entry: PipelineReport.DDOEntry, warnings: [String]) {
        let folder = ddoFolder(budget)
        let seeds = ddoSeeds
        progress("DDO at \(budget) tokens (\(folder)" + (seeds.count > 1 ? ", seeds \(seeds.map(String.init).joined(separator: ", ")))" : ")"))
        let plan = try DDOPlan(domains: domains, budget: budget, factors: config.factors)
        let perSeed = try seeds.map { seed -> DDOAnalysis in
            let experiment = DDOExperiment(plan: plan, output: ddoURL(budget, seed: seed), settings: config.settings)
            let tag = seeds.count > 1 ? "\(folder) seed \(seed)" : folder
            do {
                return try experiment.run(trainer: try runTrainer(seed: seed), communicator: communicator) {
                    self.progress("  \(tag) \($0)")
                }
            } catch let e as DataMixingError where config.trainer != nil {
                throw DataMixingError.invalidArgument("\(tag): \(e.description)")
            }
        }
        return try entry(budget: budget, perSeed: perSeed)
    }

    /// DDO at one budget in rounds (`rounds:`, one DDO seed): the budget's folder is a `ddo run --rounds` folder
    /// (``DDORoundsRun``, `round-<r>/` each a DDO folder, `result.json`, `rounds.json`). Each budget's runs are
    /// separate trainings (no cooldown branching: every round's mixtures depend on the round before).
    func ddoRounds(budget: Int) throws -> (entry: PipelineReport.DDOEntry, warnings: [String]) {
        let folder = ddoFolder(budget), seed = ddoSeeds[0]
        progress("DDO at \(budget) tokens in up to \(config.rounds) rounds (\(folder))")
        var settings = DDORoundsSettings.converging
        settings.maxRounds = config.rounds
        let engine = DDORoundsRun(domains: domains, budget: budget, output: ddoURL(budget, seed: seed),
                                  settings: config.settings, rounds: settings)
        let result: MixtureResult
        do {
            result = try engine.run(trainer: try runTrainer(seed: seed), communicator: communicator) {
                self.progress("  \(folder) \($0)")
            }.result
        } catch let e as DataMixingError where config.trainer != nil {
            throw DataMixingError.invalidArgument("\(folder): \(e.description)")
        }
        let entry = PipelineReport.DDOEntry(budget: budget, folder: folder, result: result, seeds: [seed], seedWeights: nil)
        return (entry, result.warnings.map { "\(folder): \($0)" })
    }

    /// Whether the DDO stage branches: two or more budgets with a WSD proxy, so every DDO mixture is one trunk with
    /// a cooldown branched at each budget (``DDOBudgets``, per seed). Never with a trainer command: its runs are
    /// separate trainings at each budget.
    var branchesBudgets: Bool { config.budgets.count >= 2 && config.proxy?.recipe.schedule.kind == "wsd" }

    /// The trainings `run()` goes through, cached or not (a progress bar's run count): each DDO seed's mixtures
    /// once when branched, else at every budget, the methods' own runs (`runs: K` per DDO seed; DoReMi's two runs
    /// print phase lines and are not counted), plus one validation run per method and seed; `nil` with `rounds:`
    /// (how many rounds run is found out on the way).
    public var plannedRuns: Int? {
        guard config.rounds <= 1, let plan = try? DDOPlan(domains: domains, budget: config.budgets[0], factors: config.factors)
        else { return nil }
        let ddo = plan.runs.count * (branchesBudgets ? 1 : config.budgets.count) * ddoSeeds.count
        let methods = config.methods ?? PipelineMethod.defaults
        let own = methods.reduce(0) { $0 + ($1.ownRuns(domains: domains.count) ?? 0) * ddoSeeds.count }
        return ddo + own + methods.count * (config.validation?.seeds.count ?? 0)
    }

    /// DDO at every budget from one trunk per mixture and seed (``DDOBudgets``), in the folders ``ddo(budget:)``
    /// uses; trunks in progress in `trunks/` (`trunks/seed-<s>/` with several seeds).
    func ddoBranched() throws -> [(entry: PipelineReport.DDOEntry, warnings: [String])] {
        let seeds = ddoSeeds
        let budgets = config.budgets.map { DDOBudgets.Budget(label: TokenCount.label($0), tokens: $0) }
        progress("DDO at \(config.budgets.map(String.init).joined(separator: ", ")) tokens, every mixture one trunk with a cooldown "
                 + "branched at each budget" + (seeds.count > 1 ? " (seeds \(seeds.map(String.init).joined(separator: ", ")))" : ""))
        var byBudget = [[DDOAnalysis]](repeating: [], count: budgets.count)
        for seed in seeds {
            let trunks = output.appendingPathComponent(seeds.count > 1 ? "trunks/seed-\(seed)" : "trunks")
            let ddo = try DDOBudgets(domains: domains, budgets: budgets, factors: config.factors,
                                     folder: { self.ddoURL($0.tokens, seed: seed) }, trunks: trunks, summary: nil, settings: config.settings)
            let tag = seeds.count > 1 ? "DDO seed \(seed)" : "DDO"
            let analyses = try ddo.run(trainer: try proxyTrainer(seed: seed), communicator: communicator) { self.progress("  \(tag) \($0)") }
            for (k, a) in analyses.enumerated() { byBudget[k].append(a) }
        }
        try Cluster.onRankZero(communicator) {
            let all = output.appendingPathComponent("trunks")
            if (try? FileManager.default.contentsOfDirectory(atPath: all.path))?.isEmpty == true {
                try? FileManager.default.removeItem(at: all)
            }
        }
        return try zip(config.budgets, byBudget).map { try entry(budget: $0, perSeed: $1) }
    }

    /// `ddo_seeds`, else the proxy's seed, else 0 (`ddo run --trainer-command`'s default).
    var ddoSeeds: [UInt64] { config.ddoSeeds ?? [config.proxy?.seed ?? 0] }
    func ddoFolder(_ budget: Int) -> String { "ddo-\(TokenCount.label(budget))" }
    /// A seed's DDO folder at a budget: the budget's folder, or its `seed-<s>/` with several seeds.
    func ddoURL(_ budget: Int, seed: UInt64) -> URL {
        let dir = output.appendingPathComponent(ddoFolder(budget))
        return ddoSeeds.count > 1 ? dir.appendingPathComponent("seed-\(seed)") : dir
    }

    /// The proxy with `seed` (and whatever `adjust` changes; `init` guarantees a proxy comes with a corpus).
    func proxyTrainer(seed: UInt64, _ adjust: (inout ProxyConfig) -> Void = { _ in }) throws -> ProxyTrainer {
        guard var proxy = config.proxy, let store else {
            throw DataMixingError.invalidInput(location: config.source,
                                               message: "proxy: missing (our proxy trainer needs proxy: and corpus:)")
        }
        proxy.recipe.seed = seed
        adjust(&proxy)
        return try ProxyTrainer(config: proxy, store: store, domains: domains, progress: training)
    }

    /// The trainer of the DDO runs with `seed`: the user's command (its spec's `seed`), else the proxy.
    func runTrainer(seed: UInt64) throws -> any RunTrainer {
        guard let command = config.trainer?.command else { return try proxyTrainer(seed: seed) }
        return try CommandTrainer(command: command, domains: domains, seed: seed, quiet: quietTrainer)
    }

    /// A budget's report entry from its seeds' analyses: with several seeds, the mean loss table's fit (written as
    /// the budget folder's `losses.csv` and `result.json`) with the seeds' spread as intervals.
    func entry(budget: Int, perSeed: [DDOAnalysis]) throws -> (entry: PipelineReport.DDOEntry, warnings: [String]) {
        let folder = ddoFolder(budget), seeds = ddoSeeds
        let dir = output.appendingPathComponent(folder)
        var analysis = perSeed[0]
        if seeds.count > 1 {
            // Rank 0 wrote each seed's losses.csv (DDOExperiment.fit); the other ranks read them only after that.
            if communicator.size > 1 { try communicator.barrier() }
            let tables = try seeds.map { try LossTable.read(path: ddoURL(budget, seed: $0).appendingPathComponent("losses.csv").path) }
            var mean = tables[0]
            mean.source = dir.appendingPathComponent("losses.csv").path
            for r in mean.runs.indices {
                for j in mean.runs[r].losses.indices {
                    mean.runs[r].losses[j] = tables.reduce(0) { $0 + $1.runs[r].losses[j] } / Double(tables.count)
                }
            }
            analysis = try DDO.analyze(mean, settings: config.settings)
            // The seeds' spread as intervals on the weights (paired by seed across budgets, so the prediction
            // propagates them).
            analysis.intervals = try DDO.replicateIntervals(perSeed)
            let result = analysis.result
            try Cluster.onRankZero(communicator) {
                try mean.write(to: dir.appendingPathComponent("losses.csv"))
                try result.write(to: dir.appendingPathComponent("result.json"))
            }
        }
        let entry = PipelineReport.DDOEntry(budget: budget, folder: folder, result: analysis.result,
                                            seeds: seeds, seedWeights: seeds.count > 1 ? perSeed.map(\.result.weights) : nil)
        return (entry, analysis.warnings.map { "\(folder): \($0)" })
    }

    func validationFolder(_ seed: UInt64) -> URL { output.appendingPathComponent("validation/seed-\(seed)") }

    /// The trainer of the validation runs with `seed`: the command (one final point per run), or the proxy with
    /// `evaluations` validation points over a run at the target.
    func validationTrainer(seed: UInt64, evaluations: Int) throws -> any RunTrainer {
        guard config.trainer == nil else { return try runTrainer(seed: seed) }
        return try proxyTrainer(seed: seed) { proxy in
            let steps = config.target / max(1, proxy.sequenceTokens * proxy.settings.batchSize)
            proxy.recipe.evaluationInterval = max(1, steps / evaluations)
        }
    }

    /// Trains (or reads from the validation folder's ``RunCache``) one mixture at the target with one seed: run
    /// id = the mixture's name; the proxy writes the CSV log `<mixture>.csv`, a command gets `<mixture>/` as `out`.
    func validationRun(_ mixture: PipelineReport.Mixture, seed: UInt64, trainer: any RunTrainer) throws -> RunRecord {
        let cache = RunCache(folder: validationFolder(seed))
        let logURL = config.trainer == nil ? cache.folder.appendingPathComponent("\(mixture.name).csv") : nil
        if let record = cache.cached(mixture.name, tokens: mixture.tokens),
           logURL.map({ FileManager.default.fileExists(atPath: $0.path) }) ?? true {
            progress(RunProgressLine.cached("validation \(mixture.name) seed \(seed)"))
            return record
        }
        progress(RunProgressLine.training("validation \(mixture.name) seed \(seed)", on: "\(config.target) tokens"))
        let losses: [String: Double]
        do {
            losses = try trainer.train(id: mixture.name, tokens: domains.map { mixture.tokens[$0]! },
                                       folder: cache.folder.appendingPathComponent(mixture.name), log: logURL)
        } catch let e as DataMixingError where config.trainer != nil {
            throw DataMixingError.invalidArgument("validation seed \(seed): \(e.description)")
        }
        let fresh = RunRecord(id: mixture.name, tokens: mixture.tokens, losses: losses)
        try cache.store(fresh)
        return fresh
    }

    /// The report's run: objective values and the validation curve, read back from the proxy's CSV log; a
    /// trainer command reports only final losses, so its curve is the one final point (no `log`).
    func run(_ r: RunRecord, seed: UInt64) throws -> PipelineReport.Run {
        let folder = "validation/seed-\(seed)"
        let log = validationFolder(seed).appendingPathComponent("\(r.id).csv")
        let (od, ow) = objectiveDomains
        let meanLoss = DDOObjective(kind: .meanLoss, domains: od, weights: ow)
        let objective = DDOObjective(kind: config.settings.objective ?? .meanPPL, domains: od, weights: ow)
        guard config.trainer == nil else {
            let finals = try od.map { d -> Double in
                guard let v = r.losses[d] else {
                    throw DataMixingError.invalidInput(location: "\(folder)/\(r.id).json",
                                                       message: "no validation loss for \(d)")
                }
                return v
            }
            let final = meanLoss.value(finals)
            return PipelineReport.Run(mixture: r.id, seed: seed, losses: r.losses, meanLoss: final,
                                      objective: objective.value(finals),
                                      curve: [.init(tokens: r.tokens.values.reduce(0, +), meanLoss: final)],
                                      log: nil, folder: "\(folder)/\(r.id)")
        }
        let table = try Table.read(path: log.path)
        let tokenColumn = try table.columnIndex("tokens")
        let columns = try od.map { try table.columnIndex("val_loss:\($0)") }
        var curve: [PipelineReport.CurvePoint] = []
        for (row, line) in zip(table.rows, table.lines) where !row[columns[0]].isEmpty {
            let values = try columns.map { j -> Double in
                guard let v = Double(row[j]) else {
                    throw DataMixingError.invalidInput(location: "\(log.path):\(line)", message: "'\(row[j])' in \(table.columns[j]) is not a number")
                }
                return v
            }
            curve.append(.init(tokens: Int(row[tokenColumn]) ?? 0, meanLoss: meanLoss.value(values)))
        }
        let finals = od.map { r.losses[$0]! }
        return PipelineReport.Run(mixture: r.id, seed: seed, losses: r.losses, meanLoss: meanLoss.value(finals),
                                  objective: objective.value(finals), curve: curve,
                                  log: "\(folder)/\(log.lastPathComponent)")
    }

    func summarize(seeds: [UInt64], mixtures: [PipelineReport.Mixture], runs: [PipelineReport.Run]) -> PipelineReport.Validation {
        let summaries = mixtures.map { m -> PipelineReport.Summary in
            let rs = runs.filter { $0.mixture == m.name }
            let n = Double(rs.count), stats = SampleStatistics(rs.map(\.meanLoss))
            var losses: [String: Double] = [:]
            for d in domains { losses[d] = rs.reduce(0) { $0 + $1.losses[d]! } / n }
            return .init(mixture: m.name, losses: losses, meanLoss: stats.mean, meanLossSD: stats.sd,
                         objective: rs.reduce(0) { $0 + $1.objective } / n)
        }
        // AutoScale against every other mixture (none when `methods:` leaves it out).
        let others = mixtures.contains { $0.name == "autoscale" } ? mixtures.filter { $0.name != "autoscale" } : []
        let comparisons = others.map {
            PipelineReport.Comparison(mixture: "autoscale", against: $0.name, runs: runs, seeds: seeds)
        }
        return .init(seeds: seeds, mixtures: mixtures, runs: runs, summaries: summaries, comparisons: comparisons)
    }
}
