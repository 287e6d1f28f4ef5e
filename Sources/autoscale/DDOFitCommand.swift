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
    @Option(name: .shortAndLong, help: "Also write the result JSON to this file (atomically).") var output: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No warnings on stderr.") var quiet = false

    func run() throws {
        let settings = DDOSettings(
            objective: try objective.map(DDOArguments.objective),
            evalDomains: try evalDomains.map { try DDOObjective.parseDomains($0) },
            lower: try lower.map { try DDOArguments.bound($0, option: "--lower") },
            upper: try upper.map { try DDOArguments.bound($0, option: "--upper") },
            budget: try budget.map { try DDOArguments.tokens($0, option: "--budget") })
        let table = try LossTable.read(path: losses)
        let analysis = try DDO.analyze(table, settings: settings)
        let result = analysis.result
        DDOArguments.warn(result.warnings, quiet: quiet)
        try DDOArguments.emit(result, json: json, output: output) { Self.describe(analysis, table) }
    }

    static func describe(_ a: DDOAnalysis, _ table: LossTable) -> String {
        let n = DDOArguments.number
        let baseAt = table.runs[a.baseRun].line.map { "line \($0)" } ?? "run \(a.baseRun + 1)"
        var text = "DDO fit of \(table.source): \(a.domains.count) domains, \(table.runs.count) runs, objective \(a.objectiveName), base run at \(baseAt)\n"
        let rows = a.domains.indices.map { i -> [String] in
            let f = a.fits[i]
            return [a.domains[i], n(a.baseTokens[i]), String(format: "%.5g", f.curve.a), String(format: "%.5g", f.curve.b),
                    String(format: "%.5g", f.curve.c), String(format: "%.2g", f.maxAbsResidual), String(format: "%.4g", a.allocation.multipliers[i]),
                    String(format: "%.0f", a.allocation.tokens[i]), String(format: "%.4f", a.allocation.tokens[i] / a.budget)]
        }
        text += DDOArguments.table(["domain", "base tokens", "a", "b", "c", "max |resid|", "x", "tokens", "weight"], rows)
        text += "budget \(n(a.budget)) tokens, multipliers x in [\(String(format: "%.6g", a.lower)), \(String(format: "%.6g", a.upper))], "
            + "fitted sum of y_i(x_i) = \(String(format: "%.6g", a.allocation.objective))\n"
        return text
    }
}
