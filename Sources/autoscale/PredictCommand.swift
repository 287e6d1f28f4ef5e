import ArgumentParser
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
    @Option(name: .shortAndLong, help: "Also write the result JSON to this file (atomically).") var output: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No warnings on stderr.") var quiet = false

    func run() throws {
        let target = try DDOArguments.tokens(tokens, option: "--tokens")
        guard results.count >= 2 else {
            throw DataMixingError.invalidArgument("predict needs result files at two or more budgets, got \(results.count)")
        }
        let inputs = try results.map(MixtureResult.read)
        let domains = inputs[0].domains
        for (path, r) in zip(results, inputs).dropFirst() where Set(r.domains) != Set(domains) {
            throw DataMixingError.invalidInput(location: path, message:
                "domains \(r.domains.joined(separator: ",")) differ from \(results[0])'s \(domains.joined(separator: ","))")
        }
        let predictor = try AutoScalePredictor(domains: domains, quantities: inputs.map { r in domains.map { r.tokens[$0]! } },
                                               sources: results)
        let p = try predictor.predict(budget: target)
        let tokenMap = Dictionary(uniqueKeysWithValues: zip(domains, p.tokens))
        let sortedSources = results.indices.sorted { inputs[$0].tokens.values.reduce(0, +) < inputs[$1].tokens.values.reduce(0, +) }
        let fit = MixtureResult.Predictor(
            budgets: predictor.budgets, u: predictor.u,
            c: Dictionary(uniqueKeysWithValues: zip(domains, predictor.c)),
            k: Dictionary(uniqueKeysWithValues: zip(domains, predictor.k)),
            scale: p.scale, rmsLogResidual: predictor.rmsLogResidual, sources: sortedSources.map { results[$0] })
        let result = MixtureResult(domains: domains, budget: target, tokens: tokenMap,
                                   weights: Dictionary(uniqueKeysWithValues: zip(domains, p.weights)),
                                   predictor: fit, warnings: p.warnings)
        DDOArguments.warn(result.warnings, quiet: quiet)
        try DDOArguments.emit(result, json: json, output: output) {
            let n = DDOArguments.number
            var text = "AutoScale prediction at \(n(target)) tokens from \(inputs.count) budgets ("
                + predictor.budgets.map(n).joined(separator: ", ") + "), u = \(String(format: "%.6g", p.scale)), "
                + "rms log residual \(String(format: "%.3g", predictor.rmsLogResidual))\n"
            let rows = domains.indices.map { i in
                [domains[i], String(format: "%.6g", predictor.c[i]), String(format: "%.6g", predictor.k[i]),
                 String(format: "%.0f", p.tokens[i]), String(format: "%.4f", p.weights[i])]
            }
            text += DDOArguments.table(["domain", "c", "k", "tokens", "weight"], rows)
            return text
        }
    }
}
