import Base
import ArgumentParser
import Foundation
import ScalingLaws

/// `autoscale optimal FIT.json --flops C [--flops C2 ...] [--json]`: compute-optimal N and D from a Chinchilla fit.
struct OptimalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimal",
        abstract: "Compute-optimal model size and tokens for FLOP budgets, from a chinchilla fit.",
        discussion: """
            N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = (C/6) / N_opt, G = (alpha A / (beta B))^(1/(alpha+beta)),
            using E, A, B, alpha, beta from the JSON written by `autoscale fit --law chinchilla --json`.
            """)

    @Argument(help: "JSON from `autoscale fit --law chinchilla --json`.") var fitFile: String
    @Option(name: .customLong("flops"), help: "Training FLOP budget C (repeat for a table).") var flops: [Double] = []
    @Flag(help: "Print one JSON object.") var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard !flops.isEmpty else { throw CLIError("give at least one --flops C") }
        for c in flops where !(c.isFinite && c > 0) { throw CLIError("--flops must be positive and finite, got \(c)") }
        let model = try ComputeOptimal.load(fitFile: fitFile)
        let rows = flops.map { model.allocation(flops: $0) }
        if json {
            let params: JSONValue = .object([("E", .number(model.e)), ("A", .number(model.a)), ("B", .number(model.b)),
                                             ("alpha", .number(model.alpha)), ("beta", .number(model.beta))])
            let allocs: [JSONValue] = rows.map {
                .object([("flops", .number($0.flops)), ("n", .number($0.n)), ("d", .number($0.d)),
                         ("tokens_per_parameter", .number($0.tokensPerParameter)), ("loss", .number($0.loss))])
            }
            print(JSONValue.object([("law", .string("chinchilla")), ("params", params), ("allocations", .array(allocs))])
                .serialized())
            return
        }
        let g = FitOutput.g, pad = FitOutput.pad
        print("compute-optimal allocation for L(N, D) = \(g(model.e, 5)) + \(g(model.a, 5)) / N^\(g(model.alpha, 5)) + \(g(model.b, 5)) / D^\(g(model.beta, 5)), C = 6 N D")
        print(pad("flops", 14) + pad("N (params)", 14) + pad("D (tokens)", 14) + pad("D/N", 10) + "loss")
        for r in rows {
            print(pad(g(r.flops, 4), 14) + pad(g(r.n, 4), 14) + pad(g(r.d, 4), 14) + pad(g(r.tokensPerParameter, 4), 10)
                  + g(r.loss, 5))
        }
    }
}
