import Base
import DataMixing
import Cluster
import Foundation

/// Runs a ``DDOPlan`` through a caller-supplied trainer and fits it: the engine of `autoscale ddo run`.
///
/// The trainer is a closure "train this mixture, return the validation loss of every validation domain".
/// Each finished run is a ``RunRecord`` in the folder's ``RunCache`` (`<output>/runs/<id>.json`, written
/// atomically, so an interrupted run leaves nothing and is trained again); a run whose record exists with the
/// same token quantities is not trained again, so a DDO can be stopped and resumed, or extended with more
/// factors (new run ids). After
/// all runs, `<output>/losses.csv` (the ``LossTable`` format) and `<output>/result.json` (the
/// ``MixtureResult`` of ``DDO/analyze(_:settings:)``) are written atomically.
public struct DDOExperiment: Sendable {
    public var plan: DDOPlan
    public var output: URL
    public var settings: DDOSettings
    /// Called on the rank that trained a run, right after its record is on disk (a test hook of
    /// `autoscale ddo run`; `nil` normally).
    public var afterRecord: (@Sendable (DDOPlan.Run) -> Void)?

    public init(plan: DDOPlan, output: URL, settings: DDOSettings = DDOSettings()) {
        self.plan = plan
        self.output = output
        self.settings = settings
    }

    public var lossesURL: URL { output.appendingPathComponent("losses.csv") }
    public var resultURL: URL { output.appendingPathComponent("result.json") }
    /// The folder's run cache: records in `runs/`, the trainer's fingerprint in `proxy.txt`.
    public var cache: RunCache { RunCache(folder: output, recordsIn: "runs") }

    func tokens(_ run: DDOPlan.Run) -> [String: Int] { Dictionary(uniqueKeysWithValues: zip(plan.domains, run.tokens)) }

    /// The cached record of `run`, if present, readable and for the same quantities.
    public func cached(_ run: DDOPlan.Run) -> RunRecord? { cache.cached(run.id, tokens: tokens(run)) }

    /// Trains the runs that are not cached (in plan order), then writes `losses.csv` and `result.json` and
    /// returns the fit. `progress` receives one line per run.
    ///
    /// With several ranks (every rank calls it with the same plan and output): the runs are the jobs of a
    /// ``distributedMap(count:communicator:_:)``, so a rank that finishes one takes the next; the rank that
    /// trains a run writes its cache record (the output folder must be on a filesystem every rank sees);
    /// every rank receives all records and fits them (identically), and only rank 0 writes `losses.csv` and
    /// `result.json`, which are byte for byte those of a one-process run when the trainings are. A run that
    /// fails on one rank leaves the records of the finished runs; every rank then throws a ``SharedError``
    /// naming the run and the rank, and a rerun resumes from the cache.
    public func run(communicator: any Communicator = LocalCommunicator(), progress: (String) -> Void = { _ in },
                    train: (DDOPlan.Run) throws -> [String: Double]) throws -> DDOAnalysis {
        let many = communicator.size > 1
        try Cluster.onRankZero(communicator) { try RunCache.makeFolder(cache.records) }
        let records: [RunRecord]
        do {
            records = try distributedMap(count: plan.runs.count, communicator: communicator) { n in
                try runOne(n, progress: progress, train: train)
            }
        } catch let e as DistributedMapError {
            let run = plan.runs[e.job]
            throw SharedError(DataMixingError.invalidArgument(
                "run \(e.job + 1)/\(plan.runs.count) \(run.id) failed on rank \(e.rank): \(e.message)"))
        }
        return try Cluster.onEveryRank(communicator) { try fit(records, write: !many || communicator.rank == 0) }
    }

    /// Run `n` of the plan: its cached record, or trains it and writes the record atomically.
    func runOne(_ n: Int, progress: (String) -> Void, train: (DDOPlan.Run) throws -> [String: Double]) throws -> RunRecord {
        let run = plan.runs[n]
        let tag = "run \(n + 1)/\(plan.runs.count) \(run.id)"
        if let r = cached(run) {
            progress(RunProgressLine.cached(tag))
            return r
        }
        let quantities = zip(plan.domains, run.tokens).map { "\($0)=\($1)" }.joined(separator: " ")
        progress(RunProgressLine.training(tag, on: quantities))
        let r = RunRecord(id: run.id, tokens: tokens(run), losses: try train(run))
        try cache.store(r)
        afterRecord?(run)
        return r
    }

    /// Checks the records, writes `losses.csv` and `result.json` when `write`, returns the fit.
    func fit(_ records: [RunRecord], write: Bool) throws -> DDOAnalysis {
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
        if write { try table.write(to: lossesURL) }
        let analysis = try DDO.analyze(table, settings: settings)
        if write { try analysis.result.write(to: resultURL) }
        return analysis
    }
}
