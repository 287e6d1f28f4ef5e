import Foundation

/// Runs a ``DDOPlan`` through a caller-supplied trainer and fits it: the engine of `autoscale ddo run`.
///
/// The trainer is a closure "train this mixture, return the validation loss of every validation domain".
/// Each finished run is cached as `<output>/runs/<id>.json` (written atomically, so an interrupted run leaves
/// nothing and is trained again); a run whose cache file exists with the same token quantities is not
/// trained again, so a DDO can be stopped and resumed, or extended with more factors (new run ids). After
/// all runs, `<output>/losses.csv` (the ``LossTable`` format) and `<output>/result.json` (the
/// ``MixtureResult`` of ``DDO/analyze(_:settings:)``) are written atomically.
public struct DDOExperiment: Sendable {
    /// One cached run.
    public struct Record: Codable, Sendable, Equatable {
        public var id: String
        public var tokens: [String: Int]
        /// Validation loss per validation domain.
        public var losses: [String: Double]
    }

    public var plan: DDOPlan
    public var output: URL
    public var settings: DDOSettings

    public init(plan: DDOPlan, output: URL, settings: DDOSettings = DDOSettings()) {
        self.plan = plan
        self.output = output
        self.settings = settings
    }

    public var lossesURL: URL { output.appendingPathComponent("losses.csv") }
    public var resultURL: URL { output.appendingPathComponent("result.json") }
    public func recordURL(_ run: DDOPlan.Run) -> URL { output.appendingPathComponent("runs/\(run.id).json") }

    /// The cached record of `run`, if present, readable and for the same quantities.
    public func cached(_ run: DDOPlan.Run) -> Record? {
        guard let data = try? Data(contentsOf: recordURL(run)),
              let r = try? JSONDecoder().decode(Record.self, from: data),
              r.tokens == Dictionary(uniqueKeysWithValues: zip(plan.domains, run.tokens)) else { return nil }
        return r
    }

    /// Trains the runs that are not cached (in plan order), then writes `losses.csv` and `result.json` and
    /// returns the fit. `progress` receives one line per run.
    public func run(progress: (String) -> Void = { _ in },
                    train: (DDOPlan.Run) throws -> [String: Double]) throws -> DDOAnalysis {
        try FileManager.default.createDirectory(at: output.appendingPathComponent("runs"), withIntermediateDirectories: true)
        var records: [Record] = []
        for (n, run) in plan.runs.enumerated() {
            let tag = "run \(n + 1)/\(plan.runs.count) \(run.id)"
            if let r = cached(run) {
                progress("\(tag): cached")
                records.append(r)
                continue
            }
            progress("\(tag): training on " + zip(plan.domains, run.tokens).map { "\($0)=\($1)" }.joined(separator: " "))
            let losses = try train(run)
            for (d, v) in losses where !v.isFinite {
                throw DataMixingError.invalidInput(location: "run \(run.id)", message: "validation loss of \(d) is \(v)")
            }
            let r = Record(id: run.id, tokens: Dictionary(uniqueKeysWithValues: zip(plan.domains, run.tokens)), losses: losses)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            try e.encode(r).write(to: recordURL(run), options: .atomic)
            records.append(r)
        }
        let validation = records[0].losses.keys.sorted()
        guard !validation.isEmpty else {
            throw DataMixingError.invalidInput(location: "run \(records[0].id)", message: "the trainer returned no validation losses")
        }
        for r in records where Set(r.losses.keys) != Set(validation) {
            throw DataMixingError.invalidInput(location: "run \(r.id)", message:
                "validation domains \(r.losses.keys.sorted()) differ from run \(records[0].id)'s \(validation)")
        }
        let table = LossTable(source: lossesURL.path, domains: plan.domains, validationDomains: validation,
                              runs: zip(plan.runs, records).map { run, r in
                                  LossTable.Run(name: r.id, tokens: run.tokens.map(Double.init), losses: validation.map { r.losses[$0]! })
                              })
        try table.write(to: lossesURL)
        let analysis = try DDO.analyze(table, settings: settings)
        try analysis.result.write(to: resultURL)
        return analysis
    }
}
