import Dispatch
import Foundation
import Optimization

extension LawFitter {
    /// Percentile intervals for a power or Chinchilla fit by the nonparametric bootstrap.
    ///
    /// Replicate `r` draws `n` points with replacement (``Bootstrap/indices(count:replicate:seed:)``),
    /// expressed as multiplicity weights on the summed objective, and refits by ``LBFGS`` (with the tight
    /// ``LawFitter/polish`` settings) started at the full-data optimum `fit.theta` (not the whole grid: the resampled optimum lies near the original one,
    /// and a 4,500-start grid per replicate would multiply the cost by `K`). Replicates run in parallel and
    /// each depends only on `(seed, r)`, so the intervals are reproducible. The interval for each natural
    /// parameter is the percentile interval at `level` over the replicates with a finite optimum.
    ///
    /// With `runs`, replicate `r` draws the `R` runs with replacement instead (the same indices on
    /// `0..<R`) and every row of a run drawn `m` times weighs `m`: rows of one run share its noise, so
    /// resampling rows would understate the spread. With one row per run this is the row bootstrap exactly.
    ///
    /// `onReplicate` is called (from the worker threads) as each replicate finishes (a progress bar).
    public func bootstrap(_ fit: FittedLaw, features: [[Double]], loss y: [Double], runs: RunGroups? = nil,
                          replicates: Int, seed: UInt64, level: Double = 0.95,
                          onReplicate: @escaping @Sendable () -> Void = {}) throws -> BootstrapSummary {
        guard replicates >= 2 else { throw ScalingLawError.invalidGrid("--bootstrap needs at least 2 replicates") }
        let objective = LogSumExpObjective(features: features, targets: y, loss: loss)
        let names = fit.parameters.map(\.name)
        let optimizer = LBFGS(options: polish), start = fit.theta, count = y.count
        let results = _parallelMap(count: replicates, threads: threads > 0 ? threads : ProcessInfoCores.count) {
            r -> ([Double], Bool)? in
            let weights = Self._weights(count: count, runs: runs, replicate: r, seed: seed)
            defer { onReplicate() }
            guard let res = try? optimizer.minimize(objective.weighted(weights), from: start),
                  res.value.isFinite, res.x.allSatisfy(\.isFinite) else { return nil }
            return (LawFitter._natural(res.x, names: names).map(\.value), res.status.converged)
        }.compactMap { $0 }
        return Self._summary(names: names, samples: results.map(\.0), converged: results.filter(\.1).count,
                             replicates: replicates, seed: seed, level: level, runs: runs)
    }

    /// Replicate `r`'s multiplicity weights on `count` rows: rows drawn with replacement, or whole runs.
    static func _weights(count: Int, runs: RunGroups?, replicate r: Int, seed: UInt64) -> [Double] {
        if let runs { return runs.rowWeights(draws: Bootstrap.indices(count: runs.count, replicate: r, seed: seed)) }
        var weights = [Double](repeating: 0, count: count)
        for i in Bootstrap.indices(count: count, replicate: r, seed: seed) { weights[i] += 1 }
        return weights
    }

    static func _summary(names: [String], samples: [[Double]], converged: Int, replicates: Int, seed: UInt64,
                         level: Double, runs: RunGroups?) -> BootstrapSummary {
        let intervals = names.indices.map { j -> Interval in
            let (lo, hi) = Bootstrap.percentileInterval(samples.map { $0[j] }, level: level)
            return Interval(name: names[j], lower: lo, upper: hi)
        }
        return BootstrapSummary(replicates: replicates, converged: converged, seed: seed, level: level,
                                intervals: intervals, resampledRuns: runs?.count)
    }
}

extension IsoFLOPFit {
    /// Percentile intervals for `k` and `a`: each replicate resamples the points (with `runs`: the whole
    /// runs, every row of each run drawn) with replacement and reruns the whole approach-2 fit; replicates
    /// where it fails (too few budgets left) are dropped. `onReplicate` is called as each replicate finishes.
    public func bootstrap(n: [Double], flops: [Double], loss: [Double], relativeTolerance: Double = 0.01,
                          runs: RunGroups? = nil, replicates: Int, seed: UInt64,
                          level: Double = 0.95, onReplicate: () -> Void = {}) throws -> BootstrapSummary {
        guard replicates >= 2 else { throw ScalingLawError.invalidGrid("--bootstrap needs at least 2 replicates") }
        let rowsOfRun = runs?.rowsOfRun
        let samples = Bootstrap.replicate(count: runs?.count ?? n.count, replicates: replicates, seed: seed) {
            draws -> [Double]? in
            defer { onReplicate() }
            let idx = rowsOfRun.map { rows in draws.flatMap { rows[$0] } } ?? draws
            guard let f = try? IsoFLOPFit.fit(n: idx.map { n[$0] }, flops: idx.map { flops[$0] },
                                              loss: idx.map { loss[$0] }, relativeTolerance: relativeTolerance)
            else { return nil }
            return [f.k, f.a]
        }
        return LawFitter._summary(names: ["k", "a"], samples: samples, converged: samples.count,
                                  replicates: replicates, seed: seed, level: level, runs: runs)
    }
}

/// Per-replicate results written by concurrent workers, each slot by one worker.
