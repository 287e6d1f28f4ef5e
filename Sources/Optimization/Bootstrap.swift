import Base
/// Seeded, reproducible nonparametric bootstrap.
///
/// Replicate `r` resamples `n` indices uniformly with replacement from a ``Xoshiro256StarStar`` seeded
/// with the `r`-th output of `SplitMix64(seed)`, so each replicate depends only on `(seed, r, n)`:
/// replicates can run in any order or in parallel and give identical results.
/// Intervals are percentile intervals: the `(1 - level)/2` and `(1 + level)/2` quantiles of the
/// replicate statistics, with linear interpolation between order statistics (numpy's default).
public enum Bootstrap {
    /// The `n` resampled indices of replicate `replicate` (0-based) for `seed`.
    public static func indices(count n: Int, replicate: Int, seed: UInt64) -> [Int] {
        var sm = SplitMix64(seed: seed)
        var replicateSeed = sm.next()
        for _ in 0..<replicate { replicateSeed = sm.next() }
        var rng = Xoshiro256StarStar(seed: replicateSeed)
        return (0..<n).map { _ in rng.below(n) }
    }

    /// The `q`-quantile (`0 <= q <= 1`) of `values` with linear interpolation between order statistics:
    /// position `q (n - 1)` in the sorted values (numpy `percentile(..., method="linear")`). NaN when empty.
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        quantile(sorted: values.sorted(), q)
    }

    /// ``quantile(_:_:)`` for values already sorted ascending.
    public static func quantile(sorted v: [Double], _ q: Double) -> Double {
        guard !v.isEmpty else { return .nan }
        let pos = Swift.min(Swift.max(q, 0), 1) * Double(v.count - 1)
        let i = Int(pos.rounded(.down))
        if i + 1 >= v.count { return v[v.count - 1] }
        let frac = pos - Double(i)
        return v[i] + frac * (v[i + 1] - v[i])
    }

    /// The percentile interval `[quantile((1-level)/2), quantile((1+level)/2)]` (default level 0.95).
    public static func percentileInterval(_ values: [Double], level: Double = 0.95) -> (lower: Double, upper: Double) {
        let s = values.sorted()
        return (quantile(sorted: s, (1 - level) / 2), quantile(sorted: s, (1 + level) / 2))
    }

    /// Runs `statistic` on `replicates` resamples of `0..<count` (sequentially, in replicate order).
    /// A replicate whose statistic returns `nil` (e.g. a fit that failed) is left out of the result.
    public static func replicate<T>(
        count: Int, replicates: Int, seed: UInt64, _ statistic: ([Int]) throws -> T?
    ) rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(replicates)
        for r in 0..<replicates {
            if let v = try statistic(indices(count: count, replicate: r, seed: seed)) { out.append(v) }
        }
        return out
    }
}
