import Base
import Foundation
import Optimization

/// Options of the parametric bootstrap of a DDO (`ddo fit --noise NATS [--bootstrap K] [--level L] [--seed S]`).
public struct DDOBootstrapOptions: Sendable, Equatable {
    /// Standard deviation of the noise added to every validation loss (nats), or to the objective with an
    /// `objective` column (objective units). Positive and finite.
    public var noise: Double
    /// Replicates `K` (at least 2).
    public var replicates: Int
    /// Nominal coverage of each interval, in `(0, 1)`.
    public var level: Double
    public var seed: UInt64

    public static let defaultReplicates = 200
    public static let defaultLevel = 0.9

    public init(noise: Double, replicates: Int = DDOBootstrapOptions.defaultReplicates,
                level: Double = DDOBootstrapOptions.defaultLevel, seed: UInt64 = 1) {
        self.noise = noise
        self.replicates = replicates
        self.level = level
        self.seed = seed
    }
}

/// Intervals for DDO's optimal mixture.
///
/// Parametric bootstrap (one DDO, known noise `σ`). Replicate `r` adds independent `N(0, σ²)` draws to every
/// loss of the table (every `val:` cell of every run, or every `objective` cell), refits every domain with the
/// same fit rule and reallocates with the same bounds, budget and caps. The draws come from a
/// ``Xoshiro256StarStar`` seeded with the `r`-th output of `SplitMix64(seed)`, in table order (run by run,
/// column by column), by Box-Muller (`sqrt(-2 ln(1 - u1)) cos(2π u2)`, one normal per two uniforms), so a
/// replicate depends only on `(seed, r)` and the same seed gives the same bits. The interval of each domain's
/// tokens and weight is the percentile interval at `level` of the `K` replicate values (numpy's linear
/// quantiles at `(1 - level)/2` and `(1 + level)/2`). A replicate whose fit or allocation throws is counted
/// in `failed` and left out.
///
/// Replicates over seeds (``replicateIntervals(_:level:)``): the same percentile interval over the seeds'
/// optimal mixtures (with few seeds it interpolates between the smallest two and largest two values, so it is
/// inside their range: a rough interval).
///
/// The noise's effect on the objective is the standard deviation of one run's objective under the noise at
/// the base run's losses: exactly `σ` for an objective column, `σ sqrt(Σ w_d²) / Σ w_d` for mean-loss and, for
/// mean-ppl (lognormal), `sqrt(Σ_d w_d² e^{2 l_d} (e^{2σ²} - e^{σ²})) / Σ w_d`. When the model's promised gain
/// (``DDOAnalysis/promisedGain``) is below it, a warning says the DDO cannot tell its answer from the base.
extension DDO {
    /// The analysis with ``DDOAnalysis/intervals`` from the parametric bootstrap (and its warnings).
    public static func analyze(_ table: LossTable, settings: DDOSettings, bootstrap options: DDOBootstrapOptions) throws -> DDOAnalysis {
        var analysis = try analyze(table, settings: settings)
        let intervals = try bootstrap(table, settings: settings, options: options, point: analysis)
        analysis.intervals = intervals
        if intervals.failed > 0 {
            analysis.warnings.append("\(intervals.failed) of \(options.replicates) bootstrap replicates gave no allocation; the intervals use the other \(intervals.replicates)")
        }
        if let effect = intervals.noiseEffect, !(analysis.promisedGain >= effect) {
            analysis.warnings.append(String(format:
                "the fitted model promises a gain of %.3g over the base mixture (objective units), less than the noise's effect on one run's objective (sd %.3g): this DDO cannot tell its answer from the base",
                analysis.promisedGain, effect))
        }
        return analysis
    }

    /// The parametric bootstrap's intervals around `point` (the analysis of the unperturbed `table`).
    public static func bootstrap(_ table: LossTable, settings: DDOSettings, options: DDOBootstrapOptions,
                                 point: DDOAnalysis) throws -> MixtureResult.Intervals {
        try checkBootstrap(options)
        var seeds = SplitMix64(seed: options.seed)
        var reps: [[String: Double]] = [], failed = 0
        var firstError: Error? = nil
        for _ in 0..<options.replicates {
            var rng = Xoshiro256StarStar(seed: seeds.next())
            var t = table
            for r in t.runs.indices {
                if t.hasObjectiveColumn {
                    t.runs[r].objective = (t.runs[r].objective ?? .nan) + options.noise * rng.normal()
                } else {
                    for j in t.runs[r].losses.indices { t.runs[r].losses[j] += options.noise * rng.normal() }
                }
            }
            do {
                let a = try analyze(t, settings: settings)
                reps.append(Dictionary(uniqueKeysWithValues: zip(a.domains, a.allocation.tokens)))
            } catch {
                failed += 1
                if firstError == nil { firstError = error }
            }
        }
        guard !reps.isEmpty else {
            throw FieldError("noise", "no bootstrap replicate gave an allocation (first: \(firstError.map { "\($0)" } ?? "?"))")
        }
        return MixtureResult.Intervals(method: "bootstrap", level: options.level, domains: point.domains, replicateTokens: reps,
                                       failed: failed, noise: options.noise,
                                       noiseEffect: try noiseEffect(table, settings: settings, noise: options.noise, baseRun: point.baseRun),
                                       seed: options.seed)
    }

    /// Intervals from DDO replicates over seeds (one analysis per seed, same domains and budget).
    public static func replicateIntervals(_ analyses: [DDOAnalysis], level: Double = DDOBootstrapOptions.defaultLevel) throws -> MixtureResult.Intervals {
        try _checkLevel(level)
        guard analyses.count >= 2 else {
            throw DataMixingError.invalidArgument("intervals from replicates need two or more DDO analyses, got \(analyses.count)")
        }
        let domains = analyses[0].domains
        for a in analyses.dropFirst() {
            guard a.domains == domains else {
                throw DataMixingError.invalidArgument("replicate DDOs name different domains (\(a.domains.joined(separator: ",")) vs \(domains.joined(separator: ",")))")
            }
            guard abs(a.budget - analyses[0].budget) <= 1e-9 * analyses[0].budget else {
                throw DataMixingError.invalidArgument(String(format: "replicate DDOs have different budgets (%.6g vs %.6g)", a.budget, analyses[0].budget))
            }
        }
        let reps = analyses.map { Dictionary(uniqueKeysWithValues: zip($0.domains, $0.allocation.tokens)) }
        return MixtureResult.Intervals(method: "replicates", level: level, domains: domains, replicateTokens: reps, failed: 0)
    }

    /// Standard deviation of one run's objective when every loss gets `N(0, noise²)`, at the base run.
    public static func noiseEffect(_ table: LossTable, settings: DDOSettings, noise: Double, baseRun: Int) throws -> Double {
        guard let (objective, columns) = try _objectiveSpec(table, settings) else { return noise }
        let wSum = objective.weights.reduce(0, +)
        switch objective.kind {
        case .meanLoss:
            return noise * objective.weights.reduce(0) { $0 + $1 * $1 }.squareRoot() / wSum
        case .meanPPL:
            let s2 = noise * noise
            let factor = Foundation.exp(2 * s2) - Foundation.exp(s2)
            let v = zip(objective.weights, columns).reduce(0.0) { acc, wc in
                acc + wc.0 * wc.0 * Foundation.exp(2 * table.runs[baseRun].losses[wc.1])
            }
            return (v * factor).squareRoot() / wSum
        }
    }

    /// Validates bootstrap options; messages name the CLI option.
    public static func checkBootstrap(_ o: DDOBootstrapOptions) throws {
        guard o.noise > 0, o.noise.isFinite else {
            throw FieldError("noise", "must be a positive number (nats), got \(o.noise)")
        }
        guard o.replicates >= 2 else {
            throw FieldError("bootstrap", "needs at least 2 replicates, got \(o.replicates)")
        }
        try _checkLevel(o.level)
    }

    static func _checkLevel(_ level: Double) throws {
        guard level > 0, level < 1 else {
            throw FieldError("level", "must lie strictly between 0 and 1, got \(level)")
        }
    }
}
