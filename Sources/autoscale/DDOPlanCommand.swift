import ArgumentParser
import DataMixing
import Foundation

/// `autoscale ddo plan`: the runs of one DDO, for training them with any trainer.
struct DDOPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "List the runs of a DDO at one budget (base run + each domain scaled by each factor).",
        discussion: """
            --csv prints a LOSSES.csv skeleton (run and tokens:<domain> columns): train each row, add \
            val:<domain> columns with the validation losses (or an objective column) and run `ddo fit`.
            """)

    @Option(help: "Domains, d1,d2,... or with base weights d1=w1,d2=w2 (default: uniform base).") var domains: String
    @Option(help: "Budget in tokens of the base run, e.g. 1200000 or 1.2M.") var tokens: String
    @Option(help: "Perturbation factors, e.g. 1/3,3 (default) or 0.25,0.5,2,4.") var factors: String = "1/3,3"
    @Flag(help: "Print the plan as a LOSSES.csv skeleton.") var csv = false
    @Flag(help: "Print the plan as JSON.") var json = false

    @OptionGroup var progress: ProgressOptions

    struct Output: Encodable {
        struct Run: Encodable { var id: String, tokens: [String: Int] }
        var domains: [String], budget: Int, factors: [Double], base: [String: Int], runs: [Run]
    }

    func run() throws {
        let (names, weights) = try DDOArguments.domains(domains)
        let budget = try DDOArguments.tokens(tokens, option: "--tokens")
        guard budget < 9e15 else { throw DataMixingError.invalidArgument("--tokens: \(tokens) is too large") }
        let plan = try DDOPlan(domains: names, budget: Int(budget.rounded()), baseWeights: weights,
                               factors: try DDOArguments.factors(factors))
        if json {
            let out = Output(domains: plan.domains, budget: plan.budget, factors: plan.factors,
                             base: Dictionary(uniqueKeysWithValues: zip(plan.domains, plan.baseTokens)),
                             runs: plan.runs.map { .init(id: $0.id, tokens: Dictionary(uniqueKeysWithValues: zip(plan.domains, $0.tokens))) })
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(out), as: UTF8.self))
        } else if csv {
            print((["run"] + plan.domains.map { "tokens:\($0)" }).joined(separator: ","))
            for r in plan.runs { print(([r.id] + r.tokens.map(String.init)).joined(separator: ",")) }
        } else {
            print("DDO plan: \(plan.runs.count) runs at \(plan.budget) tokens, factors "
                  + plan.factors.map { String(format: "%.6g", $0) }.joined(separator: ", "))
            print(DDOArguments.table(["run"] + plan.domains, plan.runs.map { [$0.id] + $0.tokens.map(String.init) }), terminator: "")
        }
    }
}
