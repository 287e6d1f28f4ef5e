import ArgumentParser
import Base
import DataMixing
import Foundation

/// `autoscale mix`: the mixing methods other than DDO (Docs/mixing-methods.md).
struct MixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Other mixing methods: Data Mixing Laws, RegMix, BiMix, Olmix and fixed mixtures, from any "
            + "trainer's loss table.",
        subcommands: [MixPlanCommand.self, MixFitCommand.self, MixRunCommand.self])
}

/// `autoscale mix plan`: the seeded runs a loss-table method trains.
struct MixPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "List the runs of a dml, regmix, bimix or olmix fit: seeded Dirichlet mixtures around a prior, "
            + "in whole tokens.",
        discussion: """
            --csv prints a LOSSES.csv skeleton (run and tokens:<domain> columns): train each row, add \
            val:<domain> columns (or an objective column) and run `mix fit`. See Docs/mixing-methods.md.
            """)

    @Option(help: "dml, regmix, bimix or olmix.") var method: String
    @Option(help: "Domains, d1,d2,... or with prior weights d1=w1,d2=w2 (default: uniform prior).") var domains: String
    @Option(help: "Tokens of every run, e.g. 1200000 or 1.2M.") var tokens: String
    @Option(help: "Number of runs (dml, olmix: at least m + 2; regmix: at least m(m+1)/2 + 1; bimix: at least 3).")
    var runs: String
    @Option(help: "Seed of the mixtures (default 0).") var seed: String = "0"
    @Option(help: "Dirichlet strength s (alpha = prior * s; default m, regmix: RegMix's 15 values in [0.1, 5]).")
    var concentration: String?
    @Flag(help: "Print the plan as a LOSSES.csv skeleton.") var csv = false
    @Flag(help: "Print the plan as JSON.") var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let m = try MixingMethod.parse(method, allowed: [.dml, .regmix, .bimix, .olmix])
        let (names, prior) = try DDOArguments.domains(domains)
        let budget = try DDOArguments.tokens(tokens, option: "--tokens")
        guard budget < 9e15 else { throw FieldError("tokens", "\(tokens) is too large") }
        let count = try DDOArguments.count(runs, option: "--runs", minimum: 1, maximum: 1_000_000)
        let strength = try concentration.map { try MixFitCommand.number($0, field: "concentration") }
        let plan = try MixturePlan(method: m, domains: names, prior: prior, budget: Int(budget.rounded()),
                                   runs: Int(count), seed: try DDOArguments.count(seed, option: "--seed", minimum: 0),
                                   concentration: strength)
        if json {
            print(String(decoding: try plan.jsonData(), as: UTF8.self))
        } else if csv {
            print(plan.csv(), terminator: "")
        } else {
            print("\(m.rawValue) plan: \(plan.runs.count) runs at \(plan.budget) tokens, seed \(plan.seed)")
            let rows = plan.runs.map { [$0.id] + $0.tokens.map(String.init) + [String(format: "%.4g", $0.strength)] }
            print(DDOArguments.table(["run"] + plan.domains + ["strength"], rows), terminator: "")
        }
    }
}

/// `autoscale mix fit`: the weights of one method from a loss table (or none, for the fixed mixtures).
struct MixFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Weights by dml, regmix, bimix, olmix, uniform, natural or given, as a result JSON in DDO's shape.",
        discussion: """
            LOSSES.csv: one row per run, tokens:<domain> columns and val:<domain> losses or an objective column \
            (the format of ddo fit; any mixtures). dml fits L_i(r) = c_i + k_i exp(sum_j t_ij r_j) per \
            validation domain and minimizes the objective over the simplex; regmix fits a ridge regression of the \
            objective on r_j and r_i r_j (or, with --regressor gbt, boosted trees on r_j) and averages the best of \
            a Dirichlet sample; bimix fits L_i(r) = A_i \
            r_i^-alpha_i per validation domain; olmix fits dml's law and minimizes the mean loss plus \
            lambda KL(r || prior) under repetition caps. See Docs/mixing-methods.md.
            """)

    @Argument(help: "The losses CSV (optional for uniform, natural and given with --domains and --budget).")
    var losses: String?
    @Option(help: "dml, regmix, bimix, olmix, uniform, natural or given.") var method: String
    @Option(help: "mean-ppl (default; olmix: mean-loss) or mean-loss; val:<domain> columns only.")
    var objective: String?
    @Option(help: "Validation domains of the objective: d1,d2 or d1=w1,d2=w2.") var evalDomains: String?
    @Option(help: "Per-domain caps in tokens, e.g. web=5M,code=1.2M.") var caps: String?
    @Option(help: "given: the weights, d1=w1,d2=w2,...") var weights: String?
    @Option(help: "given: a result JSON whose weights (or tokens) are the mixture.") var weightsFile: String?
    @Option(help: "natural (regmix's prior, olmix's prior and repetition caps): available tokens, d1=N1,d2=N2,...")
    var available: String?
    @Option(help: "Domains, without LOSSES.csv (fixed methods).") var domains: String?
    @Option(help: "Token budget (default: the runs' common total).") var budget: String?
    @Option(help: "Seed of the random starts and of regmix's sample (default 0).") var seed: String = "0"
    @Option(help: "regmix: candidate mixtures (default 100000).") var samples: String?
    @Option(help: "regmix: how many of the best candidates are averaged (default 128).") var topK: String?
    @Option(help: "regmix: ridge penalty on the coefficients (default 1e-4).") var ridge: String?
    @Option(help: "regmix: ridge (default) or gbt (boosted trees: 100, learning rate 0.1, depth 3).")
    var regressor: String?
    @Option(help: "dml, olmix: Huber threshold on loss residuals (default dml 0.05, olmix 0.02).")
    var huberDelta: String?
    @Option(help: "olmix: weight lambda of KL(r || prior) (default 0.05, Olmix's kl_reg).") var klWeight: String?
    @Option(help: "olmix: repetition factor R, caps available x R / budget (default 4; needs --available).")
    var repetition: String?
    @Option(name: .shortAndLong, help: "Also write the result JSON to this file (atomically).") var output: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No warnings on stderr.") var quiet = false

    /// A finite positive number for `field`, else a ``FieldError``.
    static func number(_ text: String, field: String, allowZero: Bool = false) throws -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite,
              v > 0 || (allowZero && v == 0) else {
            throw FieldError(field, "'\(text)' is not a \(allowZero ? "non-negative" : "positive") number")
        }
        return v
    }

    func run() throws {
        let m = try MixingMethod.parse(method)
        var s = MixingSettings()
        s.objective = try objective.map(DDOArguments.objective)
        s.evalDomains = try evalDomains.map { try DDOObjective.parseDomains($0) }
        s.caps = try caps.map(DDOArguments.caps)
        s.budget = try budget.map { try DDOArguments.tokens($0, option: "--budget") }
        s.seed = try DDOArguments.count(seed, option: "--seed", minimum: 0)
        if let samples {
            s.samples = Int(try DDOArguments.count(samples, option: "--samples", minimum: 1, maximum: 10_000_000))
        }
        if let topK { s.topK = Int(try DDOArguments.count(topK, option: "--top-k", minimum: 1, maximum: 10_000_000)) }
        if let ridge { s.ridge = try Self.number(ridge, field: "ridge", allowZero: true) }
        if let regressor {
            guard let r = RegMixRegressor(rawValue: regressor) else {
                throw FieldError("regressor", "'\(regressor)' is not one of ridge, gbt")
            }
            s.regressor = r
            if r == .gbt, ridge != nil { throw FieldError("ridge", "applies to the ridge regressor, not gbt") }
        }
        if let huberDelta { s.huberDelta = try Self.number(huberDelta, field: "huber_delta") }
        if let klWeight { s.klWeight = try Self.number(klWeight, field: "kl_weight", allowZero: true) }
        if let repetition { s.repetition = try Self.number(repetition, field: "repetition") }
        if let available {
            do { s.available = try DDOArguments.caps(available) } catch let e as FieldError {
                throw FieldError("available", e.message.replacingOccurrences(of: "--caps", with: "--available"))
            }
        }
        try checkApplicable(m)
        if let weights {
            let parsed = try DDOObjective.parseDomains(weights, field: "weights")
            s.given = Dictionary(uniqueKeysWithValues: zip(parsed.domains, parsed.weights))
        }
        if let weightsFile { s.given = try MixtureResult.read(path: weightsFile).weights }
        if m == .given, weights != nil, weightsFile != nil {
            throw FieldError("weights", "give --weights or --weights-file, not both")
        }
        let table = try losses.map { try LossTable.read(path: $0) }
        let names = try domains.map { try DDOObjective.parseDomains($0, field: "domains").domains }
        if let losses, domains != nil { throw FieldError("domains", "the domains come from \(losses); drop --domains") }
        let fit = try Mixing.fit(m, table: table, domains: names, settings: s)
        DDOArguments.warn(fit.result.warnings, quiet: quiet)
        try DDOArguments.emit(fit.jsonData, json: json, output: output) { Self.describe(fit, source: losses) }
    }

    /// Options that belong to other methods are refused, one line each.
    func checkApplicable(_ m: MixingMethod) throws {
        let only: [(String, String?, [MixingMethod])] = [
            ("--weights", weights, [.given]), ("--weights-file", weightsFile, [.given]),
            ("--available", available, [.natural, .regmix, .olmix]), ("--samples", samples, [.regmix]),
            ("--top-k", topK, [.regmix]),
            ("--ridge", ridge, [.regmix]), ("--regressor", regressor, [.regmix]),
            ("--huber-delta", huberDelta, [.dml, .olmix]),
            ("--kl-weight", klWeight, [.olmix]), ("--repetition", repetition, [.olmix]),
            ("--objective", objective, [.dml, .regmix, .bimix, .olmix]),
            ("--eval-domains", evalDomains, [.dml, .regmix, .bimix, .olmix]),
        ]
        for (option, value, methods) in only where value != nil && !methods.contains(m) {
            let names = methods.map(\.rawValue).joined(separator: ", ")
            throw DataMixingError.invalidArgument("\(option): applies to \(names), not \(m.rawValue)")
        }
        if m == .given, weights == nil, weightsFile == nil {
            throw FieldError("weights", "given needs --weights or --weights-file")
        }
    }

    static func describe(_ fit: MixingFit, source: String?) -> String {
        let r = fit.result, d = fit.details
        var text = "\(r.method) mixture" + (source.map { " from \($0)" } ?? "") + (d.runs.map { ", \($0) runs" } ?? "")
            + (r.objective.map { $0 == "objective" ? ", the objective column" : ", objective \($0)" } ?? "")
            + ", budget \(DDOArguments.number(r.budget)) tokens\n"
        let capped = Set(r.capped ?? [])
        text += DDOArguments.table(["domain", "weight", "tokens"], r.domains.map { dom in
            [dom, String(format: "%.4f", r.weights[dom] ?? .nan),
             String(format: "%.0f", r.tokens[dom] ?? .nan) + (capped.contains(dom) ? " (cap)" : "")]
        })
        if let law = d.law {
            text += "law L = c + k exp(sum_j t_j r_j), t over " + law.domains.joined(separator: ", ") + ":\n"
            text += DDOArguments.table(["target", "c", "k", "t", "rms resid"], law.targets.map { f in
                [f.name, String(format: "%.5g", f.c), String(format: "%.5g", f.k),
                 f.t.map { String(format: "%.4g", $0) }.joined(separator: " "), String(format: "%.2g", f.rmsResidual)]
            })
        }
        if let law = d.bimix {
            text += "law L_i = A_i r_i^-alpha_i:\n"
            text += DDOArguments.table(["target", "A", "alpha", "rms resid"], law.targets.map { f in
                [f.name, String(format: "%.5g", f.a), String(format: "%.5g", f.alpha), String(format: "%.2g", f.rmsResidual)]
            })
        }
        if let p = d.proposer {
            text += String(format: "KL weight %g toward the prior ", p.klWeight)
                + zip(fit.result.domains, p.prior).map { "\($0)=" + String(format: "%.4g", $1) }.joined(separator: ",")
                + (p.repetition.map { String(format: ", repetition caps x%g", $0) } ?? "")
                + (p.repetitionCapped.isEmpty ? "" : " (at the cap: " + p.repetitionCapped.joined(separator: ", ") + ")")
                + String(format: "; KL %.4g, penalized objective %.6g\n", p.klDivergence, p.penalizedObjective)
        }
        if let reg = d.regression, let b = reg.boosted {
            text += String(format: "boosted trees (%d, learning rate %g, depth %d) on the weights: rms residual %.4g; "
                           + "top %d of %d samples\n",
                           b.trees.count, b.learningRate, b.maxDepth, reg.rmsResidual, reg.topK, reg.samples)
        } else if let reg = d.regression {
            text += String(format: "ridge regression on %d features (lambda %g): rms residual %.4g; "
                           + "top %d of %d samples\n",
                           reg.features.count, reg.ridge, reg.rmsResidual, reg.topK, reg.samples)
        }
        if let p = d.predictedObjective { text += String(format: "predicted objective %.6g\n", p) }
        return text
    }
}
