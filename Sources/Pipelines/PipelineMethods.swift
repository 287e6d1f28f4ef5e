import Proxies
import DataMixing
import Base
import Cluster
import Foundation
import Yams

/// One entry of a pipeline's `methods:` list (Docs/autoscale.md, "Other methods in the pipeline").
///
///     methods: [autoscale, ddo, uniform, natural, dml, bimix, olmix, {name: regmix, runs: 24}]
///
/// `autoscale` is the prediction at the target, `ddo` the largest small budget's DDO weights reused, `uniform` and
/// `natural` fixed mixtures; `dml`, `bimix`, `olmix` fit the loss table of the DDO runs at the largest budget (no
/// extra proxy runs) or, with `runs: K`, their own seeded `mix plan` table of K runs at that budget; `regmix`
/// always trains its own random runs (default `max(2m + 1, m(m+1)/2 + 1)`: the DDO table's count where its
/// quadratic allows it); `doremi` (online, ``DoReMiRun``) trains a reference run and a DoReMi proxy of the
/// pipeline's GPT-2 proxy at the largest DDO budget (first DDO seed; `proxy:` only, not `trainer:`) and takes the
/// mean of its domain weights.
public struct PipelineMethod: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable {
        case autoscale, ddo, uniform, natural, dml, bimix, regmix, olmix, doremi

        /// Methods known from `mix` or the literature that the pipeline does not run yet (named in the error).
        static let notYet = ["given"]

        /// The loss-table method behind a fitted kind (`dml`, `bimix`, `regmix`, `olmix`), else `nil`.
        public var fitted: MixingMethod? { MixingMethod(rawValue: rawValue).flatMap { $0.isFitted ? $0 : nil } }
    }

    public var kind: Kind
    /// `runs: K`: the method's own table of K seeded runs at the largest DDO budget (`nil`: reuse the DDO runs;
    /// regmix: its default count).
    public var runs: Int?

    public init(_ kind: Kind, runs: Int? = nil) {
        self.kind = kind
        self.runs = runs
    }

    /// The validation of a config without `methods:`: uniform, the reused DDO weights, AutoScale.
    public static let defaults: [PipelineMethod] = [.init(.uniform), .init(.ddo), .init(.autoscale)]

    /// Whether the method fits the DDO stage's own runs at the largest budget (no proxy runs of its own).
    public var reusesDDORuns: Bool { kind.fitted != nil && kind != .regmix && runs == nil }

    /// The runs of its own table for `m` domains (`nil`: none).
    public func ownRuns(domains m: Int) -> Int? {
        guard let f = kind.fitted else { return nil }
        if let runs { return runs }
        return kind == .regmix ? max(2 * m + 1, f.minimumRuns(domains: m)) : nil
    }

    /// Parses `methods:`; every error is one line on the key `methods`.
    static func parse(_ node: Node, fail: (String?, String) -> Error) throws -> [PipelineMethod] {
        let names = Kind.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            throw fail("methods", "expected a non-empty list, e.g. [autoscale, uniform, dml, {name: regmix, runs: 24}]")
        }
        var out: [PipelineMethod] = []
        for item in seq {
            var name = "", runs: Int?
            switch item {
            case .scalar(let s): name = s.string
            case .mapping(let m):
                for key in m.keys.map({ $0.string ?? "?" }) where !["name", "runs"].contains(key) {
                    throw fail("methods", "unknown key '\(key)' in an entry (expected name, runs)")
                }
                guard let n = m["name"]?.scalar?.string else {
                    throw fail("methods", "an entry needs name:, e.g. {name: regmix, runs: 24}")
                }
                name = n
                if let r = m["runs"] {
                    guard let v = r.scalar.flatMap({ Int($0.string) }), v >= 1 else {
                        throw fail("methods", "\(name) runs: '\(r.scalar?.string ?? "?")' is not an integer >= 1")
                    }
                    runs = v
                }
            default: throw fail("methods", "every item is a method name or {name: M, runs: K}")
            }
            guard let kind = Kind(rawValue: name) else {
                let what = Kind.notYet.contains(name) ? "\(name) is not yet in the pipeline" : "'\(name)' is not a method"
                throw fail("methods", "\(what) (expected one of \(names); not yet in the pipeline: "
                           + Kind.notYet.joined(separator: ", ") + ")")
            }
            if runs != nil, kind.fitted == nil {
                throw fail("methods", "\(name) trains no runs (runs: applies to dml, bimix, regmix, olmix)")
            }
            guard !out.contains(where: { $0.kind == kind }) else { throw fail("methods", "\(name) is listed twice") }
            out.append(.init(kind, runs: runs))
        }
        return out
    }
}

/// Student's t quantile `t_{0.975}(df)`, the half-width factor of a two-sided 95% interval: scipy's
/// `t.ppf(0.975, df)` to 10 decimals for `df <= 30`, beyond it the Cornish-Fisher expansion in `1/df` to the fourth
/// order (within 3e-8 of scipy at df = 31, 1e-10 at 100).
public func studentT975(df: Int) -> Double {
    precondition(df >= 1)
    let table = [12.7062047362, 4.3026527297, 3.1824463053, 2.7764451052, 2.5705818356, 2.4469118511, 2.3646242516,
                 2.3060041352, 2.2621571628, 2.2281388520, 2.2009851601, 2.1788128297, 2.1603686565, 2.1447866879,
                 2.1314495456, 2.1199052992, 2.1098155778, 2.1009220402, 2.0930240544, 2.0859634473, 2.0796138447,
                 2.0738730679, 2.0686576104, 2.0638985616, 2.0595385528, 2.0555294386, 2.0518305165, 2.0484071418,
                 2.0452296421, 2.0422724563]
    if df <= table.count { return table[df - 1] }
    let z = 1.959963984540054, n = Double(df)
    let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z
    let g1 = (z3 + z) / 4, g2 = (5 * z5 + 16 * z3 + 3 * z) / 96
    let g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384
    let g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160
    return z + g1 / n + g2 / (n * n) + g3 / (n * n * n) + g4 / (n * n * n * n)
}

extension PipelineReport {
    /// One method of `methods:`: its weights and what it cost.
    public struct MethodEntry: Codable, Sendable, Equatable {
        public var method: String
        /// Its validation mixture's name (`ddo-<largest>` for `ddo`, else the method's).
        public var mixture: String
        public var weights: [String: Double]
        /// The budget its weights were chosen for: the target for `autoscale` (extrapolated), the largest DDO
        /// budget for `ddo` and the fitted methods (their laws are fitted there and not extrapolated; the caps are
        /// those at the target), `nil` for the fixed mixtures.
        public var fittedAt: Int?
        public var extrapolated: Bool
        /// What it was computed from, relative to the report folder (`nil`: nothing).
        public var source: String?
        /// Proxy runs its answer uses (over every DDO seed) and their tokens (as planned: with a WSD proxy the DDO
        /// stage trains each mixture once as a trunk with branches, fewer tokens than the sum of its budgets).
        public var proxyRuns: Int
        public var proxyTokens: Int
        /// Whether those runs are the DDO stage's (no proxy compute of its own).
        public var reusesDDORuns: Bool
        /// Wall time of its stage in this invocation (AutoScale: the DDO stage and the prediction; a fitted method:
        /// its own runs and the fit); cached runs cost only their reading.
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case method, mixture, weights, extrapolated, source, seconds
            case fittedAt = "fitted_at", proxyRuns = "proxy_runs", proxyTokens = "proxy_tokens"
            case reusesDDORuns = "reuses_ddo_runs"
        }
    }

    /// A method's per-seed objective against another method's, paired by validation seed.
    public struct PairedDifference: Codable, Sendable, Equatable {
        public var against: String
        /// `objective(method, s) - objective(against, s)` per seed (negative: the method is better).
        public var differences: [Double]
        public var mean: Double
        /// The 95% t-interval `mean ± t_{0.975}(n-1) · sd / sqrt(n)` (`nil` with one seed: no noise measured).
        public var lower: Double?
        public var upper: Double?
        /// Whether the interval contains 0 (`nil` with one seed).
        public var insideNoise: Bool?

        enum CodingKeys: String, CodingKey {
            case against, differences, mean, lower, upper
            case insideNoise = "inside_noise"
        }

        init(method: [Double], against name: String, _ other: [Double]) {
            against = name
            differences = zip(method, other).map { $0 - $1 }
            let stats = SampleStatistics(differences), m = stats.mean
            mean = m
            guard stats.count >= 2 else { return }
            let half = studentT975(df: stats.count - 1) * stats.sd / Double(stats.count).squareRoot()
            lower = m - half
            upper = m + half
            insideNoise = m - half <= 0 && 0 <= m + half
        }
    }

    /// One row of the ranking: a method's validation objective over the seeds.
    public struct RankedMethod: Codable, Sendable, Equatable {
        public var rank: Int
        public var method: String
        public var mixture: String
        /// The objective of its run at each validation seed (`validation.seeds` order).
        public var objectives: [Double]
        public var meanObjective: Double
        public var sdObjective: Double
        public var vsUniform: PairedDifference?
        public var vsAutoscale: PairedDifference?

        enum CodingKeys: String, CodingKey {
            case rank, method, mixture, objectives
            case meanObjective = "mean_objective", sdObjective = "sd_objective"
            case vsUniform = "vs_uniform", vsAutoscale = "vs_autoscale"
        }
    }

    /// The methods ranked by mean objective over the validation seeds (ties: the listed order), each paired
    /// against `uniform` and `autoscale` when they are listed.
    static func rank(_ methods: [MethodEntry], validation v: Validation) -> [RankedMethod] {
        func objectives(_ mixture: String) -> [Double] {
            v.seeds.map { s in v.runs.first { $0.mixture == mixture && $0.seed == s }!.objective }
        }
        let byName = Dictionary(uniqueKeysWithValues: methods.map { ($0.method, objectives($0.mixture)) })
        var rows = methods.map { m -> RankedMethod in
            let o = byName[m.method]!, stats = SampleStatistics(o)
            let pair = { (other: String) in
                byName[other].flatMap { other == m.method ? nil : PairedDifference(method: o, against: other, $0) }
            }
            return RankedMethod(rank: 0, method: m.method, mixture: m.mixture, objectives: o, meanObjective: stats.mean,
                                sdObjective: stats.sd, vsUniform: pair("uniform"), vsAutoscale: pair("autoscale"))
        }
        let order = rows.indices.sorted { (rows[$0].meanObjective, $0) < (rows[$1].meanObjective, $1) }
        rows = order.map { rows[$0] }
        for i in rows.indices { rows[i].rank = i + 1 }
        return rows
    }
}

extension Pipeline {
    /// Checks `methods:` against the domains and the other keys; one line on `methods` each.
    func checkMethods() throws {
        guard let methods = config.methods else { return }
        func fail(_ message: String) -> DataMixingError {
            .invalidInput(location: config.source, message: "methods: \(message)")
        }
        guard config.validation != nil else {
            throw fail("needs validation: (every method's weights are trained and compared at the target)")
        }
        let m = domains.count
        for method in methods {
            let name = method.kind.rawValue
            if let f = method.kind.fitted, let k = method.ownRuns(domains: m), k < f.minimumRuns(domains: m) {
                throw fail("\(name) needs at least \(f.minimumRuns(domains: m)) runs for \(m) domains (runs: \(k))")
            }
            if method.kind == .natural, caps.isEmpty {
                throw fail("natural needs the available tokens: a corpus (its manifest) or caps:")
            }
            if method.kind == .doremi {
                guard let proxy = config.proxy, config.trainer == nil else {
                    throw fail("doremi trains inside our proxy trainer: it needs proxy: (not trainer:)")
                }
                try DoReMiRun.refuseBert(proxy)
            }
            if method.reusesDDORuns, config.rounds > 1 {
                throw fail("\(name) reuses the one-shot DDO runs at the largest budget; with rounds give it its own, "
                           + "{name: \(name), runs: K}")
            }
        }
    }

    /// Every method's weights (the order of `methods:`), fitted at the largest DDO budget or taken from the
    /// stages before; writes `methods/<name>/result.json` (fitted methods; `losses.csv` with own runs).
    func methodWeights(_ methods: [PipelineMethod], ddo entries: [PipelineReport.DDOEntry], prediction: MixtureResult,
                       ddoSeconds: Double) throws -> [PipelineReport.MethodEntry] {
        let largest = entries.last!, budget = largest.budget, seeds = ddoSeeds
        // The DDO plans' token totals (as planned), per budget.
        let ddoRuns = try config.budgets.map { b -> (runs: Int, tokens: Int) in
            let plan = try DDOPlan(domains: domains, budget: b, factors: config.factors)
            return (plan.runs.count * seeds.count, plan.runs.reduce(0) { $0 + $1.tokens.reduce(0, +) } * seeds.count)
        }
        let weights = { (r: MixtureResult) in Dictionary(uniqueKeysWithValues: self.domains.map { ($0, r.weights[$0]!) }) }
        var out: [PipelineReport.MethodEntry] = []
        for method in methods {
            let start = Date(), name = method.kind.rawValue
            var entry = PipelineReport.MethodEntry(method: name, mixture: name, weights: [:], fittedAt: nil,
                                                   extrapolated: false, source: nil, proxyRuns: 0, proxyTokens: 0,
                                                   reusesDDORuns: false, seconds: 0)
            switch method.kind {
            case .autoscale:
                entry.weights = weights(prediction)
                (entry.fittedAt, entry.extrapolated, entry.source) = (config.target, true, "prediction.json")
                entry.proxyRuns = ddoRuns.reduce(0) { $0 + $1.runs }
                entry.proxyTokens = ddoRuns.reduce(0) { $0 + $1.tokens }
                entry.seconds = ddoSeconds
            case .ddo:
                entry.mixture = largest.folder
                entry.weights = weights(largest.result)
                (entry.fittedAt, entry.source, entry.reusesDDORuns) = (budget, "\(largest.folder)/result.json", true)
                (entry.proxyRuns, entry.proxyTokens) = ddoRuns.last!
            case .uniform, .natural:
                var s = MixingSettings()
                s.budget = Double(config.target)
                s.caps = caps.isEmpty ? nil : caps
                s.available = method.kind == .natural ? caps : nil
                let fit = try Mixing.fit(method.kind == .natural ? .natural : .uniform, table: nil, domains: domains, settings: s)
                entry.weights = weights(fit.result)
            case .dml, .bimix, .regmix, .olmix:
                let f = method.kind.fitted!
                let folder = "methods/\(name)"
                let table: LossTable
                if let k = method.ownRuns(domains: domains.count) {
                    table = try ownTable(f, name: name, runs: k, budget: budget)
                    entry.source = "\(folder)/losses.csv"
                    (entry.proxyRuns, entry.proxyTokens) = (k * seeds.count, k * budget * seeds.count)
                } else {
                    if communicator.size > 1 { try communicator.barrier() }  // rank 0 wrote losses.csv
                    table = try LossTable.read(path: output.appendingPathComponent("\(largest.folder)/losses.csv").path)
                    entry.source = "\(largest.folder)/losses.csv"
                    entry.reusesDDORuns = true
                    (entry.proxyRuns, entry.proxyTokens) = ddoRuns.last!
                }
                var s = MixingSettings()
                // Every method optimizes the pipeline's objective; the caps are those at the target.
                s.objective = config.settings.objective ?? .meanPPL
                s.evalDomains = config.settings.evalDomains
                s.caps = caps.isEmpty ? nil : caps
                s.budget = Double(config.target)
                s.seed = seeds[0]
                if f == .olmix, !caps.isEmpty {
                    // Olmix's natural prior; our caps already count the epochs, so its repetition factor is 1.
                    s.available = caps
                    s.repetition = 1
                }
                let fit: MixingFit
                do { fit = try Mixing.fit(f, table: table, settings: s) } catch let e as DataMixingError {
                    throw DataMixingError.invalidArgument("\(folder): \(e.description)")
                }
                let dir = output.appendingPathComponent(folder)
                try Cluster.onRankZero(communicator) {
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    try AtomicFile.write(fit.jsonData(), to: dir.appendingPathComponent("result.json"))
                }
                entry.weights = weights(fit.result)
                entry.fittedAt = budget
            case .doremi:
                // One process trains it (DoReMiRun is not data-parallel); the other ranks read its result.json.
                let folder = "methods/doremi", dir = output.appendingPathComponent(folder)
                try Cluster.onRankZero(communicator) {
                    let run = try DoReMiRun(trainer: try proxyTrainer(seed: seeds[0]), tokens: budget, out: dir)
                    _ = try run.run { progress($0) }
                }
                if communicator.size > 1 { try communicator.barrier() }
                let r = try JSONDecoder().decode(DoReMiRun.Result.self,
                                                 from: Data(contentsOf: dir.appendingPathComponent("result.json")))
                entry.weights = weights(r.result)
                (entry.fittedAt, entry.source) = (budget, "\(folder)/result.json")
                (entry.proxyRuns, entry.proxyTokens) = (2, r.details.proxyComputeTokens)
            }
            if method.kind != .autoscale { entry.seconds = Date().timeIntervalSince(start) }
            progress("method \(name): " + domains.map { "\($0) \(String(format: "%.3f", entry.weights[$0]!))" }.joined(separator: ", ")
                     + (entry.proxyRuns > 0 ? " (\(entry.proxyRuns) proxy runs, \(entry.proxyTokens) tokens"
                        + (entry.reusesDDORuns ? ", the DDO stage's)" : ")") : ""))
            out.append(entry)
        }
        return out
    }

    /// A fitted method's own table: `MixturePlan(method, runs: k, seed: first DDO seed)` at `budget`, each run
    /// trained once per DDO seed by the DDO stage's trainer into `methods/<name>/seed-<s>/` (a ``RunCache``), the
    /// losses averaged over the seeds (`methods/<name>/losses.csv`).
    func ownTable(_ method: MixingMethod, name: String, runs k: Int, budget: Int) throws -> LossTable {
        let seeds = ddoSeeds
        let plan = try MixturePlan(method: method, domains: domains, budget: budget, runs: k, seed: seeds[0])
        let dir = output.appendingPathComponent("methods/\(name)")
        var perSeed: [[RunRecord]] = []
        for seed in seeds {
            let cache = RunCache(folder: dir.appendingPathComponent("seed-\(seed)"), recordsIn: "runs")
            let trainer = try runTrainer(seed: seed)
            try Cluster.onRankZero(communicator) { try cache.claim(fingerprint: trainer.fingerprint) }
            if communicator.size > 1 { try communicator.barrier() }
            let tag = "\(name) seed \(seed)"
            perSeed.append(try distributedMap(count: plan.runs.count, communicator: communicator) { n in
                let run = plan.runs[n]
                let tokens = Dictionary(uniqueKeysWithValues: zip(domains, run.tokens))
                if let r = cache.cached(run.id, tokens: tokens) {
                    progress(RunProgressLine.cached("  \(tag) run \(n + 1)/\(k) \(run.id)"))
                    return r
                }
                progress(RunProgressLine.training("  \(tag) run \(n + 1)/\(k) \(run.id)", on: "\(budget) tokens"))
                let losses: [String: Double]
                do {
                    losses = try trainer.train(id: run.id, tokens: run.tokens,
                                               folder: cache.records.appendingPathComponent(run.id), log: nil)
                } catch let e as DataMixingError where config.trainer != nil {
                    throw DataMixingError.invalidArgument("methods/\(name) seed \(seed): \(e.description)")
                }
                let r = RunRecord(id: run.id, tokens: tokens, losses: losses)
                try cache.store(r)
                return r
            })
        }
        let validation = perSeed[0][0].losses.keys.sorted()
        let table = LossTable(source: dir.appendingPathComponent("losses.csv").path, domains: domains,
                              validationDomains: validation, runs: plan.runs.indices.map { n in
            LossTable.Run(name: plan.runs[n].id, tokens: plan.runs[n].tokens.map(Double.init), losses: validation.map { d in
                perSeed.reduce(0) { $0 + ($1[n].losses[d] ?? .nan) } / Double(seeds.count)
            })
        })
        try Cluster.onRankZero(communicator) { try table.write(to: URL(fileURLWithPath: table.source)) }
        return table
    }
}
