import Base
import Cluster
import DataMixing
import Foundation

/// DDO in rounds through the run cache: ``DDORounds`` with one ``DDOExperiment`` per round in
/// `<output>/round-<r>/` (cached, resumable, spread over MPI ranks as one-shot runs), then `<output>/result.json`
/// (the last round's fits with the rounds' answer as tokens and weights, and warnings saying whether they
/// converged and which answer it is) and `<output>/rounds.json`. The engine of `autoscale ddo run --rounds` and
/// of the pipeline's `rounds:`; a pipeline's DDO folder with rounds is byte for byte the `ddo run --rounds` one.
///
/// The rounds fit with the smallest-b rule, the rule they were measured with (the simulated worlds,
/// Docs/autoscale.md "DDO in rounds").
public struct DDORoundsRun: Sendable {
    public var domains: [String]
    public var budget: Int
    public var output: URL
    /// The fit's settings (objective, validation domains, caps); the fit rule is set to smallest-b.
    public var settings: DDOSettings
    public var rounds: DDORoundsSettings
    /// As ``DDOExperiment/afterRecord`` (a test hook), for every round's experiment.
    public var afterRecord: (@Sendable (DDOPlan.Run) -> Void)?

    public init(domains: [String], budget: Int, output: URL, settings: DDOSettings, rounds: DDORoundsSettings) {
        self.domains = domains
        self.budget = budget
        self.output = output
        self.settings = settings
        self.rounds = rounds
    }

    public var resultURL: URL { output.appendingPathComponent("result.json") }
    public var summaryURL: URL { output.appendingPathComponent("rounds.json") }

    /// Runs (or reads from the caches) every round, writes `result.json` and `rounds.json` on rank 0, and returns
    /// the rounds and the result. `progress` gets a line per round (`round 2: factor ...`) and per run
    /// (`round 2 <the experiment's line>`).
    public func run(trainer: any RunTrainer, communicator: any Communicator = LocalCommunicator(),
                    progress: (String) -> Void = { _ in }) throws -> (rounds: DDORounds, result: MixtureResult) {
        var fit = settings
        fit.fitRule = .smallestB
        let result = try DDORounds.run(domains: domains, budget: budget, settings: rounds, caps: settings.caps,
                                       progress: progress) { r, plan in
            var round = DDOExperiment(plan: plan, output: output.appendingPathComponent("round-\(r)"), settings: fit)
            round.afterRecord = afterRecord
            return try round.run(trainer: trainer, communicator: communicator) { progress("round \(r) \($0)") }
        }
        var out = result.rounds.last!.analysis.result
        out.tokens = Dictionary(uniqueKeysWithValues: zip(result.domains, result.tokens))
        out.weights = Dictionary(uniqueKeysWithValues: zip(result.domains, result.weights))
        out.warnings.append(result.converged
            ? "rounds: converged after \(result.rounds.count) rounds (\(result.runCount) runs)"
            : "rounds: not converged after \(result.rounds.count) rounds (\(result.runCount) runs)")
        out.warnings.append(result.answer == .pooled
            ? "rounds: the answer is the optimum of one log-quadratic model fitted to the \(result.pooled!.runs) runs at the floor factor"
            : "rounds: the answer averages the last rounds at the floor factor" + (result.note.map { " (\($0))" } ?? ""))
        try Cluster.onRankZero(communicator) {
            try AtomicFile.write(out.jsonData(), to: resultURL)
            try AtomicFile.write(Self.summary(result).serialized() + "\n", to: summaryURL)
        }
        return (result, out)
    }

    /// `rounds.json`: `converged`, `runs`, `weights`, `answer`, `averaged_weights`, `pooled` (the model's `runs`,
    /// `rms`, `linear`, `quadratic`, or null) and per round its `factor`, `move` and `weights`.
    static func summary(_ result: DDORounds) -> JSONValue {
        func byDomain(_ v: [Double]) -> JSONValue { .object(zip(result.domains, v).map { ($0, .number($1)) }) }
        return .object([
            ("converged", .bool(result.converged)), ("runs", .integer(result.runCount)),
            ("weights", byDomain(result.weights)),
            ("answer", .string(result.answer.rawValue)),
            ("averaged_weights", byDomain(result.averagedWeights)),
            ("pooled", result.pooled.map { p in
                .object([("runs", .integer(p.runs)), ("rms", .number(p.rms)),
                         ("linear", byDomain(p.linear)), ("quadratic", byDomain(p.quadratic))])
            } ?? .null),
            ("rounds", .array(result.rounds.enumerated().map { r, round in
                .object([("round", .integer(r + 1)), ("factor", .number(round.factor)), ("move", .number(round.move)),
                         ("weights", byDomain(round.weights))])
            })),
        ])
    }
}
