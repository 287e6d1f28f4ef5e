import ArgumentParser
import DataMixing
import Foundation

/// `autoscale ddo fit LOSSES.csv`: fits the DDO curves to the losses of the perturbation runs and allocates
/// the budget.
struct DDOFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the per-domain DDO curves to LOSSES.csv and allocate a budget.",
        discussion: """
            LOSSES.csv: one row per training run; columns tokens:<domain> for every domain and either \
            val:<domain> validation losses or one objective column (lower is better); an optional run column. \
            The base run is the row every other row differs from in exactly one domain. Per domain, y = \
            objective/objective(base) against x = tokens/tokens(base) is fitted by y = (x + a)^(-b) + c; the \
            budget is allocated by the exact KKT solution of min sum_i y_i(x_i) s.t. sum_i x_i N_i(base) = \
            budget, lower <= x_i <= upper. See Docs/autoscale.md.
            """)

    @Argument(help: "The losses CSV (see above).") var losses: String
    @Option(help: "mean-ppl (mean of exp(val loss), default) or mean-loss; val:<domain> columns only.")
    var objective: String?
    @Option(help: "Validation domains of the objective: d1,d2 or d1=w1,d2=w2 (default: every val: column, equal weights).")
    var evalDomains: String?
    @Option(help: "Smallest multiplier x_i = N_i/N_i(base) allowed (default: the smallest tested).") var lower: String?
    @Option(help: "Largest multiplier allowed (default: the largest tested).") var upper: String?
    @Option(help: "Token budget to allocate, e.g. 1200000 or 1.2M (default: the base run's total).") var budget: String?
    @Option(help: "Which of two exact curves through three points: notebook (default: where the official DDO notebook's curve_fit from a=b=c=1 lands) or smallest-b.")
    var fitRule: String?
    @Option(help: "Per-domain caps in tokens, e.g. web=5M,code=1.2M (available tokens x max epochs).") var caps: String?
    @Option(help: "Noise (nats) of each validation loss (objective units with an objective column): bootstrap intervals.")
    var noise: String?
    @Option(help: "Bootstrap replicates with --noise (default 200).") var bootstrap: String?
    @Option(help: "Nominal coverage of the intervals with --noise (default 0.9).") var level: String?
    @Option(help: "Seed of the bootstrap with --noise (default 1).") var seed: String?
    @Option(name: .shortAndLong, help: "Also write the result JSON to this file (atomically).") var output: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No warnings on stderr.") var quiet = false

    func run() throws {
        let settings = DDOSettings(
            objective: try objective.map(DDOArguments.objective),
            evalDomains: try evalDomains.map { try DDOObjective.parseDomains($0) },
            lower: try lower.map { try DDOArguments.bound($0, option: "--lower") },
            upper: try upper.map { try DDOArguments.bound($0, option: "--upper") },
            budget: try budget.map { try DDOArguments.tokens($0, option: "--budget") },
            fitRule: try fitRule.map(DDOArguments.fitRule) ?? .notebook,
            caps: try caps.map(DDOArguments.caps))
        var options: DDOBootstrapOptions? = nil
        if let noise {
            options = DDOBootstrapOptions(
                noise: try DDOArguments.noise(noise),
                replicates: Int(try bootstrap.map { try DDOArguments.count($0, option: "--bootstrap", minimum: 2, maximum: 1_000_000) } ?? UInt64(DDOBootstrapOptions.defaultReplicates)),
                level: try level.map(DDOArguments.level) ?? DDOBootstrapOptions.defaultLevel,
                seed: try seed.map { try DDOArguments.count($0, option: "--seed", minimum: 0) } ?? 1)
        } else if let given = [("--bootstrap", bootstrap), ("--level", level), ("--seed", seed)].first(where: { $0.1 != nil }) {
            throw DataMixingError.invalidArgument("\(given.0): needs --noise (the bootstrap's noise in nats)")
        }
        let table = try LossTable.read(path: losses)
        let analysis = try options.map { try DDO.analyze(table, settings: settings, bootstrap: $0) } ?? DDO.analyze(table, settings: settings)
        let result = analysis.result
        DDOArguments.warn(result.warnings, quiet: quiet)
        try DDOArguments.emit(result, json: json, output: output) { Self.describe(analysis, table) }
    }

    static func describe(_ a: DDOAnalysis, _ table: LossTable) -> String {
        let n = DDOArguments.number
        let baseAt = table.runs[a.baseRun].line.map { "line \($0)" } ?? "run \(a.baseRun + 1)"
        var text = "DDO fit of \(table.source): \(a.domains.count) domains, \(table.runs.count) runs, objective \(a.objectiveName), base run at \(baseAt)\n"
        let capped = a.allocation.capped
        let rows = a.domains.indices.map { i -> [String] in
            let f = a.fits[i]
            var row = [a.domains[i], n(a.baseTokens[i]), String(format: "%.5g", f.curve.a), String(format: "%.5g", f.curve.b),
                       String(format: "%.5g", f.curve.c), String(format: "%.2g", f.maxAbsResidual), String(format: "%.4g", a.allocation.multipliers[i]),
                       String(format: "%.0f", a.allocation.tokens[i]) + (capped.indices.contains(i) && capped[i] ? " (cap)" : ""),
                       String(format: "%.4f", a.allocation.tokens[i] / a.budget)]
            if let iv = a.intervals { row.append(DDOArguments.interval(iv.weights[a.domains[i]], "%.4f")) }
            return row
        }
        var header = ["domain", "base tokens", "a", "b", "c", "max |resid|", "x", "tokens", "weight"]
        if let iv = a.intervals { header.append(String(format: "%g%% interval", 100 * iv.level)) }
        text += DDOArguments.table(header, rows)
        text += "budget \(n(a.budget)) tokens, multipliers x in [\(String(format: "%.6g", a.lower)), \(String(format: "%.6g", a.upper))], "
            + "fitted sum of y_i(x_i) = \(String(format: "%.6g", a.allocation.objective)), fit rule \(a.fitRule.rawValue)\n"
        if let alt = a.alternative {
            text += "the \(alt.rule.rawValue) rule's weights: " + a.domains.indices.map {
                "\(a.domains[$0]) \(String(format: "%.4f", alt.allocation.tokens[$0] / a.budget))"
            }.joined(separator: ", ") + "\n"
        }
        if let iv = a.intervals {
            text += "intervals: \(iv.method), \(iv.replicates) replicates" + (iv.noise.map { String(format: ", noise %g", $0) } ?? "")
                + (iv.seed.map { ", seed \($0)" } ?? "") + String(format: "; promised gain %.4g, noise effect on one run %.4g\n",
                                                                  a.promisedGain, iv.noiseEffect ?? .nan)
        }
        return text
    }
}
