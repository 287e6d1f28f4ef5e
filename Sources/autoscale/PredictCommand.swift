import ArgumentParser
import Base
import DataMixing
import Foundation

/// `autoscale predict RESULT.json RESULT.json [...] --tokens N`: the AutoScale prediction at a target budget.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the optimal mixture at a target budget from DDO results at two or more smaller budgets.",
        discussion: """
            Reads the tokens of each result (its total is its budget), fits ln N_d = c_d + k_d u by a rank-one \
            SVD fit (exactly the geometric rule with two budgets) and solves sum_d N_d(u) = N. See \
            Docs/autoscale.md.
            """)

    @Argument(help: "Result JSON files (ddo fit --json / result.json), at two or more distinct budgets.")
    var results: [String]
    @Option(help: "Target budget in tokens, e.g. 1e9 or 1B.") var tokens: String
    @Option(help: "Per-domain caps in tokens at the target, e.g. web=5M,code=1.2M (capped domains stay at their cap).")
    var caps: String?
    @Option(help: "Nominal coverage of the propagated intervals (default: the inputs' level).") var level: String?
    @Option(name: .shortAndLong, help: "Also write the result JSON to this file (atomically).") var output: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No warnings on stderr.") var quiet = false

    func run() throws {
        let target = try DDOArguments.tokens(tokens, option: "--tokens")
        let inputs = try results.map(MixtureResult.read)
        let capMap = try caps.map(DDOArguments.caps)
        let lv = try level.map(DDOArguments.level)
        let result = try MixtureResult.predicted(from: inputs, sources: results, budget: target, caps: capMap, level: lv)
        func finite(_ d: String) -> Bool {
            (result.tokens[d]?.isFinite ?? false) && (result.weights[d]?.isFinite ?? false)
        }
        if let d = result.domains.first(where: { !finite($0) }) {
            throw FieldError("tokens", "\(tokens) is beyond what the fit can extrapolate to: the predicted tokens of "
                             + "\(d) are \(result.tokens[d] ?? .nan)")
        }
        let fit = result.predictor!
        DDOArguments.warn(result.warnings, quiet: quiet)
        try DDOArguments.emit(result, json: json, output: output) {
            let n = DDOArguments.number
            var text = "AutoScale prediction at \(n(target)) tokens from \(inputs.count) budgets ("
                + fit.budgets.map(n).joined(separator: ", ") + "), u = \(String(format: "%.6g", fit.scale)), "
                + "rms log residual \(String(format: "%.3g", fit.rmsLogResidual))\n"
            let capped = Set(result.capped ?? [])
            let rows = result.domains.map { d in
                [d, String(format: "%.6g", fit.c[d]!), String(format: "%.6g", fit.k[d]!),
                 DDOArguments.number(result.tokens[d]!.rounded()) + (capped.contains(d) ? " (cap)" : ""),
                 String(format: "%.4f", result.weights[d]!)] + (result.intervals.map { [DDOArguments.interval($0.weights[d], "%.4f")] } ?? [])
            }
            text += DDOArguments.table(["domain", "c", "k", "tokens", "weight"]
                                       + (result.intervals.map { [String(format: "%g%% interval", 100 * $0.level)] } ?? []), rows)
            if let iv = result.intervals {
                text += "intervals: propagated from \(iv.replicates) paired replicates of the inputs" + (iv.failed > 0 ? " (\(iv.failed) failed)" : "") + "\n"
            }
            return text
        }
    }
}
