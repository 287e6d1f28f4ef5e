import Foundation

/// A named parameter value, kept in a fixed order for printing and JSON.
public struct NamedValue: Sendable, Equatable {
    public var name: String
    public var value: Double
    public init(_ name: String, _ value: Double) { self.name = name; self.value = value }
}

/// A percentile interval for one parameter.
public struct Interval: Sendable, Equatable {
    public var name: String
    public var lower: Double
    public var upper: Double
}

/// How well the fitted law reproduces the data, in the units people read.
public struct GoodnessOfFit: Sendable, Equatable {
    /// Root mean square of `log L̂ − log L`.
    public var rmseLog: Double
    /// Largest `|log L̂ − log L|`.
    public var maxAbsLog: Double
    /// Mean `|L̂ − L| / L`.
    public var meanRelativeError: Double
    /// `1 − Σ(L − L̂)² / Σ(L − mean L)²`.
    public var r2: Double

    public init(predicted: [Double], observed: [Double]) {
        let n = Double(observed.count)
        var sl = 0.0, ml = 0.0, rel = 0.0, ssr = 0.0
        for (p, o) in zip(predicted, observed) {
            let r = log(p / o)
            sl += r * r
            ml = Swift.max(ml, abs(r))
            rel += abs(p - o) / o
            ssr += (o - p) * (o - p)
        }
        let mean = observed.reduce(0, +) / n
        let sst = observed.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        rmseLog = (sl / n).squareRoot()
        maxAbsLog = ml
        meanRelativeError = rel / n
        r2 = sst > 0 ? 1 - ssr / sst : .nan
    }
}

/// Bootstrap summary attached to a fit.
public struct BootstrapSummary: Sendable, Equatable {
    public var replicates: Int
    /// Replicates whose refit stopped on a convergence criterion.
    public var converged: Int
    public var seed: UInt64
    public var level: Double
    public var intervals: [Interval]
    /// The number of runs resampled when whole runs were drawn (`--run`); `nil` when rows were.
    public var resampledRuns: Int? = nil
}

/// The result of `autoscale fit` for the power or Chinchilla law.
public struct FittedLaw: Sendable {
    public var law: String
    /// Natural parameters (`E, A, alpha` or `E, A, B, alpha, beta`).
    public var parameters: [NamedValue]
    /// The optimizer's log-space parameters `[e, a…, α…]`.
    public var theta: [Double]
    /// The summed objective at the optimum.
    public var objective: Double
    public var points: Int
    public var loss: RobustLoss
    /// Multi-start bookkeeping.
    public var starts: Int
    public var convergedStarts: Int
    public var evaluations: Int
    public var bestStart: [Double]
    public var status: String
    public var goodness: GoodnessOfFit
    public var bootstrap: BootstrapSummary?
    /// Set when the starts were screened on a subsample (``Screening``); `nil` for the full search.
    public var screen: ScreenSummary? = nil

    public func parameter(_ name: String) -> Double? { parameters.first { $0.name == name }?.value }
}
