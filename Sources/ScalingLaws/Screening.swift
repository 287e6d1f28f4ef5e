import Base
import Foundation
import Optimization

/// How ``LawFitter`` searches a table with many rows.
///
/// With `n <= fullSearchRows` rows (or `enabled == false`) every start runs L-BFGS on every row, as in
/// Hoffmann et al. Above that the search is *screened*. The subsamples are prefixes of one seeded
/// permutation of the rows (``sampleIndices(count:size:seed:)``), so the screening sample lies inside the
/// check sample:
///
/// 1. **screen**: every start of the grid runs L-BFGS (the fitter's `optimizer` settings) on `sampleRows`
///    rows;
/// 2. **basins**: walking the screened optima from the lowest subsample objective (ties: earliest start),
///    each is polished on the same rows with the tight ``LawFitter/polish`` settings and joins an earlier
///    basin when every coordinate of `θ` agrees within `basinTolerance · max(1, |θ_j|)`; the walk stops at
///    `polishCount` distinct basins (or after `16 · polishCount` optima, or at the end);
/// 3. **check** (only when `n > checkRows`): each basin is polished on `checkRows` rows, basins that
///    meet there merge (the better-ranked stays), and a basin whose
///    summed objective there exceeds the best one's by more than `6 sd_i(ρ_i(θ_b) − ρ_i(θ_best)) √checkRows`
///    (six standard errors of the paired difference of the sums) is dropped;
/// 4. **all rows**: the remaining basins are polished on all rows (tight settings, rows evaluated in
///    parallel chunks) and the lowest all-row objective wins (ties: better subsample rank).
///
/// What it can miss: a basin that wins on all rows but is not among the `polishCount` best distinct
/// basins of the screening subsample (the subsample under-represents the rows only that basin fits, or the
/// basins differ by less than the subsample's sampling error), or, with probability of a six-sigma event
/// under random sampling, one cut at the check. When the winner is the last basin the walk kept while
/// more optima were left, ``ScreenSummary/warning`` says so.
public struct Screening: Sendable, Equatable {
    /// `false`: every start on every row whatever the size (`--full-search`).
    public var enabled = true
    /// At or below this many rows the full search runs (its result is then exactly the unscreened one).
    public var fullSearchRows = 2000
    /// Rows of the subsample every start is screened on.
    public var sampleRows = 256
    /// Distinct basins kept from the screen.
    public var polishCount = 4
    /// Rows of the check subsample (step 3), used when the table has more.
    public var checkRows = 16384
    /// Seed of the row permutation.
    public var seed: UInt64 = 0
    /// Relative tolerance within which two polished optima count as one basin.
    public var basinTolerance = 1e-3

    public init() {}

    /// Whether a table of `rows` rows is screened.
    public func applies(rows: Int) -> Bool { enabled && rows > fullSearchRows && rows > sampleRows }

    /// `size` distinct indices of `0..<count`, ascending: the first `size` positions of a Fisher-Yates
    /// shuffle by ``Xoshiro256StarStar`` seeded with `seed`, so pinned by `(count, seed)` and nested: the
    /// sample of a smaller size is a subset of the sample of a larger one. (A forward partial shuffle rather than
    /// Base's `shuffle`: `size` draws instead of `count`, and the samples stay pinned.)
    public static func sampleIndices(count: Int, size: Int, seed: UInt64) -> [Int] {
        var rng = Xoshiro256StarStar(seed: seed)
        var perm = Array(0..<count)
        let m = Swift.min(size, count)
        for i in 0..<m {
            let j = i + rng.below(count - i)
            if i != j { perm.swapAt(i, j) }
        }
        return perm[0..<m].sorted()
    }
}

/// What the screen of a large table did (`"screen"` in `fit --json`).
public struct ScreenSummary: Sendable, Equatable {
    public var sampleRows: Int
    /// Rows of the check subsample, `nil` when the table has no more than ``Screening/checkRows``.
    public var checkRows: Int?
    public var seed: UInt64
    /// Distinct basins kept from the screen (at most ``Screening/polishCount``), and whether the walk
    /// stopped at that limit with optima left unexamined.
    public var basins: Int
    public var limitReached: Bool
    /// How many basins were polished on all rows (the others were cut at the check).
    public var polished: Int
    /// 0-based subsample rank of the basin that won on all rows.
    public var winnerRank: Int
    /// Per basin, in subsample rank order: its (tightly polished) subsample objective, its objective on the
    /// check rows (`nil` without a check) and on all rows (NaN when cut at the check).
    public var sampleObjectives: [Double]
    public var checkObjectives: [Double]?
    public var fullObjectives: [Double]

    public init(sampleRows: Int, checkRows: Int?, seed: UInt64, basins: Int, limitReached: Bool, polished: Int,
                winnerRank: Int, sampleObjectives: [Double], checkObjectives: [Double]?, fullObjectives: [Double]) {
        self.sampleRows = sampleRows; self.checkRows = checkRows; self.seed = seed; self.basins = basins
        self.limitReached = limitReached; self.polished = polished; self.winnerRank = winnerRank
        self.sampleObjectives = sampleObjectives; self.checkObjectives = checkObjectives
        self.fullObjectives = fullObjectives
    }

    /// Set when the winner was the last basin kept while the walk left optima unexamined: a basin ranked
    /// lower on the subsample could win on all rows.
    public var warning: String? {
        guard limitReached, winnerRank == basins - 1 else { return nil }
        return "the winner on all rows was the last of the \(basins) screened basins kept; "
            + "a lower-ranked basin could win: raise --screen-polish or use --full-search"
    }
}

extension LogSumExpObjective {
    /// The same objective on rows `rows` only (in that order).
    public func subset(_ rows: [Int]) -> LogSumExpObjective {
        let p = termCount
        var z = [Double](), y = [Double]()
        z.reserveCapacity(rows.count * p); y.reserveCapacity(rows.count)
        for i in rows {
            for k in 0..<p { z.append(logFeatures[i * p + k]) }
            y.append(logTargets[i])
        }
        return LogSumExpObjective(termCount: p, logFeatures: z, logTargets: y, loss: loss,
                                  weights: weights.map { w in rows.map { w[$0] } })
    }
}

extension LogSumExpObjective {
    /// Per row, the unweighted loss `ρ(log L̂_i − log L_i)` at `theta`.
    public func rowLosses(_ theta: [Double]) -> [Double] {
        (0..<pointCount).map { loss.valueAndDerivative(logPrediction(theta, point: $0) - logTargets[$0]).0 }
    }
}

/// A ``LogSumExpObjective`` evaluated in contiguous chunks of `chunkRows` rows on `threads` workers, the
/// chunks' values and gradients summed in chunk order: the result does not depend on the thread count and
/// differs from the one-pass sum by rounding only.
struct _ChunkedObjective: DifferentiableObjective, Sendable {
    let chunks: [LogSumExpObjective]
    let threads: Int
    let dimension: Int

    init(_ objective: LogSumExpObjective, chunkRows: Int = 1 << 15, threads: Int) {
        let n = objective.pointCount
        chunks = stride(from: 0, to: n, by: chunkRows).map {
            objective.subset(Array($0..<Swift.min($0 + chunkRows, n)))
        }
        self.threads = threads
        dimension = objective.dimension
    }

    func value(at x: [Double], gradient: inout [Double]) -> Double {
        let chunks = self.chunks
        let parts = _parallelMap(count: chunks.count, threads: threads) { c -> (Double, [Double]) in
            var g = [Double](repeating: 0, count: x.count)
            return (chunks[c].value(at: x, gradient: &g), g)
        }
        var f = 0.0
        for j in 0..<dimension { gradient[j] = 0 }
        for case let (v, g)? in parts {
            f += v
            for j in 0..<dimension { gradient[j] += g[j] }
        }
        return f
    }
}

extension LawFitter {
    /// The screened search (see ``Screening``): the winning L-BFGS result, its grid start, the screen's
    /// converged starts and total evaluations, and the summary.
    func _screenedSearch(_ objective: LogSumExpObjective, starts: [[Double]]) throws
        -> (best: LBFGS.Result, bestStart: [Double], converged: Int, evaluations: Int, summary: ScreenSummary) {
        let s = screening, n = objective.pointCount
        let workers = threads > 0 ? threads : ProcessInfoCores.count
        let sample = objective.subset(Screening.sampleIndices(count: n, size: s.sampleRows, seed: s.seed))
        let optimizer = self.optimizer, tight = LBFGS(options: polish)
        // 1. Every start on the subsample.
        let runs = _parallelMap(count: starts.count, threads: workers) {
            try? optimizer.minimize(sample, from: starts[$0])
        }
        var evaluations = runs.reduce(0) { $0 + ($1?.evaluations ?? 0) }
        let converged = runs.filter { $0?.status.converged == true }.count
        let ranked = starts.indices.filter { runs[$0]?.value.isFinite == true }
            .sorted { (runs[$0]!.value, $0) < (runs[$1]!.value, $1) }
        guard !ranked.isEmpty else {
            throw ScalingLawError.notConverged("no start reached a finite objective on the screening subsample")
        }
        // 2. Distinct basins, each polished on the subsample.
        let limit = Swift.max(1, s.polishCount)
        func same(_ u: [Double], _ v: [Double]) -> Bool {
            zip(u, v).allSatisfy { abs($0 - $1) <= s.basinTolerance * Swift.max(1, abs($0)) }
        }
        var basins: [(x: [Double], value: Double, start: Int)] = []
        var walked = 0
        for i in ranked where basins.count < limit && walked < 16 * limit {
            walked += 1
            guard let p = try? tight.minimize(sample, from: runs[i]!.x), p.value.isFinite else { continue }
            evaluations += p.evaluations
            if !basins.contains(where: { same($0.x, p.x) }) { basins.append((p.x, p.value, i)) }
        }
        guard !basins.isEmpty else {
            throw ScalingLawError.notConverged("no screened start reached a finite objective when polished")
        }
        basins.sort { ($0.value, $0.start) < ($1.value, $1.start) }
        var points = basins.map(\.x), keep = Array(basins.indices), checkValues: [Double]?
        // 3. The check subsample: cut basins more than six standard errors worse than the best.
        if n > s.checkRows {
            let check = objective.subset(Screening.sampleIndices(count: n, size: s.checkRows, seed: s.seed))
            let from = points
            let checked = _parallelMap(count: from.count, threads: workers) {
                try? tight.minimize(check, from: from[$0])
            }
            evaluations += checked.reduce(0) { $0 + ($1?.evaluations ?? 0) }
            let values = checked.map { $0?.value ?? .nan }
            checkValues = values
            for (b, r) in checked.enumerated() { if let r { points[b] = r.x } }
            // Basins that meet on the check rows are one: keep the better-ranked.
            var distinct: [Int] = []
            for b in values.indices where values[b].isFinite {
                if !distinct.contains(where: { same(points[$0], points[b]) }) { distinct.append(b) }
            }
            if let best = distinct.min(by: { (values[$0], $0) < (values[$1], $1) }) {
                let ref = check.rowLosses(points[best])
                keep = distinct.filter { b in
                    if b == best { return true }
                    let diff = zip(check.rowLosses(points[b]), ref).map { $0 - $1 }
                    let mean = diff.reduce(0, +) / Double(diff.count)
                    let ss = diff.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                    let sd = (ss / Double(diff.count - 1)).squareRoot()
                    return values[b] - values[best] <= 6 * sd * Double(diff.count).squareRoot()
                }
            }
        }
        // 4. All rows: the basins in parallel while the rows are fewer chunks than workers, else each objective's
        // chunks in parallel (the chunks are fixed, so the result does not depend on the thread count).
        let all = _ChunkedObjective(objective, threads: workers)
        let from = keep.map { points[$0] }
        let outer = Swift.min(from.count, Swift.max(1, workers / all.chunks.count))
        let finals = _parallelMap(count: from.count, threads: outer) {
            try? tight.minimize(all, from: from[$0])
        }
        var full = [Double](repeating: .nan, count: basins.count)
        var winner = -1, best: LBFGS.Result?
        for (k, b) in keep.enumerated() {
            guard let r = finals[k] else { continue }
            evaluations += r.evaluations
            full[b] = r.value
            if r.value.isFinite && (best == nil || r.value < best!.value) { winner = b; best = r }
        }
        guard let best, best.x.allSatisfy(\.isFinite) else {
            throw ScalingLawError.notConverged("no screened basin reached a finite objective on all rows")
        }
        let summary = ScreenSummary(sampleRows: sample.pointCount,
                                    checkRows: checkValues == nil ? nil : s.checkRows,
                                    seed: s.seed, basins: basins.count,
                                    limitReached: basins.count == limit && walked < ranked.count,
                                    polished: keep.count, winnerRank: winner, sampleObjectives: basins.map(\.value),
                                    checkObjectives: checkValues, fullObjectives: full)
        return (best, starts[basins[winner].start], converged, evaluations, summary)
    }
}
