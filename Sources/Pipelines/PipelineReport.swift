import Proxies
import Base
import DataMixing
import Foundation

/// What `autoscale pipeline` found: `report.json` in the report folder, and the data of `report.html`.
public struct PipelineReport: Codable, Sendable, Equatable {
    /// One DDO at a small budget.
    public struct DDOEntry: Codable, Sendable, Equatable {
        public var budget: Int
        /// The DDO folder, relative to the report folder (`ddo-120k`).
        public var folder: String
        /// Its `result.json` (fits with their measured points, optimal tokens and weights).
        public var result: MixtureResult
        /// The proxy seeds whose losses were averaged (one: no replicates).
        public var seeds: [UInt64]
        /// With several seeds, each seed's own optimal weights (the spread shows the DDO's noise).
        public var seedWeights: [[String: Double]]?
    }

    /// A mixture trained at the target budget.
    public struct Mixture: Codable, Sendable, Equatable {
        /// `uniform`, `ddo-<largest budget>` (that DDO's weights reused) or `autoscale`.
        public var name: String
        public var weights: [String: Double]
        /// Whole tokens per domain (largest remainder, summing to the target).
        public var tokens: [String: Int]
    }

    /// One validation point of a run's loss curve.
    public struct CurvePoint: Codable, Sendable, Equatable {
        public var tokens: Int
        /// Mean validation loss over the objective's domains (their weights).
        public var meanLoss: Double
    }

    /// One training run at the target budget.
    public struct Run: Codable, Sendable, Equatable {
        public var mixture: String
        public var seed: UInt64
        /// Final validation loss per domain (nats per token).
        public var losses: [String: Double]
        /// Weighted mean of `losses` over the objective's domains.
        public var meanLoss: Double
        /// The DDO objective (e.g. mean perplexity) of `losses`.
        public var objective: Double
        /// The validation points: the proxy's CSV log (`Validation.curves == "log"`), or with a trainer command
        /// only the final point (`"final"`: the command reports final losses, no points are invented).
        public var curve: [CurvePoint]
        /// The CSV training log, relative to the report folder (`nil` with a trainer command).
        public var log: String?
        /// With a trainer command: the run's `out` folder, relative to the report folder.
        public var folder: String?

        public init(mixture: String, seed: UInt64, losses: [String: Double], meanLoss: Double, objective: Double,
                    curve: [CurvePoint], log: String?, folder: String? = nil) {
            self.mixture = mixture
            self.seed = seed
            self.losses = losses
            self.meanLoss = meanLoss
            self.objective = objective
            self.curve = curve
            self.log = log
            self.folder = folder
        }
    }

    /// A mixture's results over the seeds.
    public struct Summary: Codable, Sendable, Equatable {
        public var mixture: String
        /// Per-domain loss, mean over seeds.
        public var losses: [String: Double]
        /// Mean over seeds of the runs' `meanLoss`, and its sample standard deviation (0 for one seed).
        public var meanLoss: Double
        public var meanLossSD: Double
        public var objective: Double
    }

    /// AutoScale against another mixture, paired by seed.
    public struct Comparison: Codable, Sendable, Equatable {
        public var mixture: String
        public var against: String
        /// `meanLoss(mixture) - meanLoss(against)` per seed (negative: `mixture` is better).
        public var differences: [Double]
        public var meanDifference: Double
        /// Standard error of the mean paired difference (sample SD / sqrt(seeds); 0 for one seed).
        public var standardError: Double
        /// Seeds on which `mixture` has the lower mean loss.
        public var wins: Int
        /// Whether the gap is outside the seed noise: every seed agrees in sign and
        /// `|meanDifference| > 2 · standardError` (needs two or more seeds).
        public var significant: Bool
    }

    public struct Validation: Codable, Sendable, Equatable {
        public var seeds: [UInt64]
        public var mixtures: [Mixture]
        public var runs: [Run]
        public var summaries: [Summary]
        public var comparisons: [Comparison]
        /// Where the runs' curves come from: `log` (the proxy's validation points during training) or `final`
        /// (a trainer command: each curve is its run's final point only).
        public var curves: String = "log"
    }

    public var domains: [String]
    /// The objective's name and the validation domains it averages (with weights).
    public var objective: String
    public var objectiveDomains: [String: Double]
    public var budgets: [Int]
    public var target: Int
    public var ddo: [DDOEntry]
    public var prediction: MixtureResult
    public var validation: Validation?
    /// DDO and predictor warnings.
    public var warnings: [String]
    /// The trainer command of `trainer: {command: ...}` (`nil`: our proxy trained the runs).
    public var trainerCommand: String? = nil
    /// With `methods:`: each method's weights and cost, and the methods ranked by their validation objective
    /// (absent without `methods:`, so the default report is unchanged).
    public var methods: [MethodEntry]? = nil
    public var ranking: [RankedMethod]? = nil
}

extension PipelineReport {
    /// Pretty-printed JSON with sorted snake_case keys (`report.json`; `mean_loss`, `seed_weights`, ...).
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}

extension PipelineReport.Comparison {
    /// Pairs the runs of `mixture` and `against` by seed.
    init(mixture: String, against: String, runs: [PipelineReport.Run], seeds: [UInt64]) {
        let mean = { (name: String, seed: UInt64) in runs.first { $0.mixture == name && $0.seed == seed }!.meanLoss }
        let d = seeds.map { mean(mixture, $0) - mean(against, $0) }
        let stats = SampleStatistics(d), m = stats.mean, se = stats.standardError
        self.init(mixture: mixture, against: against, differences: d, meanDifference: m, standardError: se,
                  wins: d.filter { $0 < 0 }.count,
                  significant: d.count > 1 && (d.allSatisfy { $0 < 0 } || d.allSatisfy { $0 > 0 }) && abs(m) > 2 * se)
    }
}
