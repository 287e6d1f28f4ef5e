import Base
import Foundation
import LinearAlgebra
import Optimization

/// The AutoScale predictor: optimal per-domain quantities at any budget from DDO optima at two or more
/// smaller budgets.
///
/// Model. Separable power laws give `ln N_i*(S) = c_i + k_i u(S)`, one scale variable `u` common to all
/// domains. With the `K` fitted budgets sorted ascending and `L_{ik} = ln N_i*(S_k)`, the least-squares fit
/// of `c_i + k_i u_k` is the best rank-one approximation of the row-centred matrix
/// `L_{ik} - mean_k L_{ik} ≈ k'_i v_k` (SVD, leading singular triple; `v` sums to zero because every row of
/// the centred matrix does). Normalization: `u_k = (v_k - v_1)/(v_K - v_1)`, i.e. `u = 0` at the smallest
/// fitted budget and `u = 1` at the largest (so `u` increases with the budget), `k_i = k'_i (v_K - v_1)` and
/// `c_i = mean_k L_{ik} - k_i mean_k u_k`. With two budgets the fit is exact and is the geometric rule
/// `N_i(u) = N_i(S_1) (N_i(S_2)/N_i(S_1))^u` (`u = 2` is the paper's recursion `N(S_2)² / N(S_1)`).
///
/// Prediction. For a target `S`, solve `h(u) = Σ_i exp(c_i + k_i u) = S`. `h` is convex; when every
/// `k_i >= 0` it is increasing, otherwise it decreases down to its minimum at `u_min` (where
/// `Σ k_i N_i(u) = 0`) and increases after; the solution is taken on the increasing branch `u >= u_min`
/// (the branch larger budgets lie on), found by ``Bisection`` on `ln h(u) - ln S` (absolute tolerance
/// `1e-13` in `u`). A target below `h(u_min)` is reported as unreachable.
///
/// Caps. With per-domain caps `cap_i` (tokens; e.g. available tokens times the epochs allowed) the target
/// equation is `h_cap(u) = Σ_i min(exp(c_i + k_i u), cap_i) = S`: a capped domain stays at its cap and the
/// others are renormalised through the shared `u`. `min(exp(e), cap) = exp(min(e, ln cap))`, so `h_cap` is
/// evaluated by the same log-sum-exp and solved by the same bisection on `[u_min, ∞)` (continuous, with
/// `h_cap <= h`, so the bracket's left end still lies below `S`). Then the uncapped quantities are rescaled
/// so the total is `S` exactly and the capped ones are exactly `cap_i`. Infeasible (an error) when
/// `h_cap` never reaches `S`: every domain capped with `Σ cap_i < S`, or the uncapped domains cannot grow.
public struct AutoScalePredictor: Sendable {
    public var domains: [String]
    /// The fitted budgets `S_k` (totals of the given quantities), ascending.
    public var budgets: [Double]
    /// `c_i` and `k_i` of `ln N_i = c_i + k_i u`.
    public var c: [Double]
    public var k: [Double]
    /// `u_k` of each fitted budget (0 for the smallest, 1 for the largest).
    public var u: [Double]
    /// Root-mean-square residual of the rank-one fit in `ln N` (0 for two budgets).
    public var rmsLogResidual: Double

    /// A domain is warned about when its share decreases with `u` at the target and is below
    /// `shareWarningFloor` (1%) or below `shareWarningRatio` (a tenth) of its share at the largest fitted budget.
    public static let shareWarningFloor = 0.01
    public static let shareWarningRatio = 0.1
    /// A fitted `|k| <= flatGrowth` is set to 0: a constant quantity up to SVD round-off, not a falling one.
    public static let flatGrowth = 1e-9
    /// Targets beyond this multiple of the largest fitted budget are warned about.
    public static let extrapolationWarningRatio = 1000.0

    /// Fits the predictor to `quantities[k][i]`, the optimal tokens of domain `i` at the `k`-th budget (any
    /// order; the budgets are the row totals). Throws for fewer than two budgets, two equal budgets, or a
    /// quantity that is not positive and finite.
    public init(domains: [String], quantities: [[Double]], sources: [String]? = nil) throws {
        let m = domains.count, count = quantities.count
        let names = sources ?? (0..<count).map { "budget #\($0 + 1)" }
        guard m >= 1 else { throw DataMixingError.invalidArgument("the predictor needs at least one domain") }
        guard count >= 2 else {
            throw DataMixingError.invalidArgument("the predictor needs optimal quantities at two or more budgets, got \(count)")
        }
        for (q, row) in quantities.enumerated() {
            guard row.count == m else {
                throw DataMixingError.invalidInput(location: names[q], message: "has \(row.count) quantities for \(m) domains")
            }
            for (i, v) in row.enumerated() where !(v > 0 && v.isFinite) {
                throw DataMixingError.invalidInput(location: names[q],
                    message: "tokens of domain \(domains[i]) must be positive and finite for the log-linear fit, got \(v)")
            }
        }
        let totals = quantities.map { $0.reduce(0, +) }
        let order = (0..<count).sorted { totals[$0] < totals[$1] }
        for (p, q) in zip(order, order.dropFirst()) where totals[q] <= totals[p] * (1 + 1e-12) {
            throw DataMixingError.invalidArgument(
                "\(names[p]) and \(names[q]) have the same budget \(String(format: "%.6g", totals[p])); the predictor needs distinct budgets")
        }
        var centred = Matrix<Double>(rows: m, columns: count)
        var rowMean = [Double](repeating: 0, count: m)
        for i in 0..<m {
            let logs = order.map { Foundation.log(quantities[$0][i]) }
            rowMean[i] = logs.reduce(0, +) / Double(count)
            for kk in 0..<count { centred[i, kk] = logs[kk] - rowMean[i] }
        }
        let (uMat, s, vt) = try svd(centred)
        let s0 = s.first ?? 0
        let v = (0..<count).map { s0 * vt[0, $0] }
        let span = v[count - 1] - v[0]
        guard abs(span) > 1e-12 * max(s0, 1e-300), s0 > 0 else {
            throw DataMixingError.invalidArgument(
                "the optimal quantities do not change between the smallest and largest budgets; nothing to extrapolate")
        }
        self.domains = domains
        self.budgets = order.map { totals[$0] }
        // `+ 0` turns -0 into 0 for printing; |k| <= flatGrowth (SVD round-off of a constant quantity) is 0.
        let u = v.map { ($0 - v[0]) / span + 0 }
        let k = (0..<m).map { i -> Double in
            let ki = uMat[i, 0] * span
            return abs(ki) <= Self.flatGrowth ? 0 : ki
        }
        let uMean = u.reduce(0, +) / Double(count)
        let c = (0..<m).map { rowMean[$0] - k[$0] * uMean }
        self.u = u
        self.k = k
        self.c = c
        var sq = 0.0
        for i in 0..<m { for kk in 0..<count { let r = centred[i, kk] + rowMean[i] - (c[i] + k[i] * u[kk]); sq += r * r } }
        self.rmsLogResidual = (sq / Double(m * count)).squareRoot()
    }

    /// `N_i(u) = exp(c_i + k_i u)`.
    public func tokens(atScale t: Double) -> [Double] { (0..<c.count).map { Foundation.exp(c[$0] + k[$0] * t) } }

    /// The prediction at one target budget.
    public struct Prediction: Sendable {
        public var budget: Double
        /// The scale variable solving `Σ N_i(u) = budget`.
        public var scale: Double
        public var tokens: [Double]
        public var weights: [Double]
        public var warnings: [String]
        /// Whether domain `i` is held at its cap (all `false` without caps).
        public var capped: [Bool] = []
    }

    /// Predicts quantities and weights at `budget` (see the type's documentation for the method); `caps[i]`
    /// (tokens, `nil` for none) holds domain `i` at most at its cap.
    public func predict(budget: Double, caps: [Double?]? = nil) throws -> Prediction {
        guard budget > 0, budget.isFinite else {
            throw DataMixingError.invalidArgument("target budget must be positive and finite, got \(budget)")
        }
        let capList = caps ?? [Double?](repeating: nil, count: c.count)
        guard capList.count == c.count else { throw DataMixingError.invalidArgument("the predictor needs one cap (or none) per domain") }
        for (i, cap) in capList.enumerated() {
            if let cap, !(cap > 0 && cap.isFinite) {
                throw FieldError("caps", "the cap of domain \(domains[i]) must be a positive number of tokens, got \(cap)")
            }
        }
        let logCaps = capList.map { $0.map { Foundation.log($0) } ?? .infinity }
        if capList.allSatisfy({ $0 != nil }) {
            let sumCaps = capList.reduce(0) { $0 + $1! }
            guard sumCaps >= budget * (1 - 1e-12) else {
                throw FieldError("caps", String(format: "the caps sum to %.6g tokens, below the target budget %.6g", sumCaps, budget))
            }
        }
        func logTotal(_ t: Double) -> Double {
            // log-sum-exp of c_i + k_i t, stable for large |t|.
            let e = (0..<c.count).map { c[$0] + k[$0] * t }
            let top = e.max()!
            return top + Foundation.log(e.reduce(0) { $0 + Foundation.exp($1 - top) })
        }
        // The same with every exponent held at its cap: ln Σ_i min(exp(c_i + k_i t), cap_i).
        func logCappedTotal(_ t: Double) -> Double {
            let e = (0..<c.count).map { min(c[$0] + k[$0] * t, logCaps[$0]) }
            let top = e.max()!
            return top + Foundation.log(e.reduce(0) { $0 + Foundation.exp($1 - top) })
        }
        guard k.contains(where: { $0 > 0 }) else {
            throw DataMixingError.invalidArgument("no domain's quantity grows with the budget (all k <= 0); cannot extrapolate")
        }
        let target = Foundation.log(budget)
        func unreachable(_ floor: Double, _ at: Double) -> DataMixingError {
            .infeasible(String(format: "target budget %.6g is below the smallest total the fitted curves reach (%.6g at u = %.4g)",
                               budget, floor, at))
        }
        // h'(t) scaled by exp(-max_i(c_i + k_i t)) (same sign, no overflow).
        func slopeSign(_ t: Double) -> Double {
            let e = (0..<c.count).map { c[$0] + k[$0] * t }
            let top = e.max()!
            return (0..<c.count).reduce(0) { $0 + k[$1] * Foundation.exp(e[$1] - top) }
        }
        // Moves `t` by `step` until `condition` fails (at most 1000 times: |t| stays below 2^1000).
        func expand(_ t: Double, while condition: (Double) -> Bool, _ step: (Double) -> Double) -> Double {
            var t = t, n = 0
            while condition(t), n < 1000 { t = step(t); n += 1 }
            return t
        }
        // Left end of the increasing branch: the minimum of h when some k < 0, else far enough left.
        var lo: Double
        if k.contains(where: { $0 < 0 }) {
            let a = expand(-1, while: { slopeSign($0) > 0 }) { 2 * $0 }
            let b = expand(1, while: { slopeSign($0) < 0 }) { 2 * $0 }
            lo = try Bisection.root(in: a, b, absoluteTolerance: 1e-13, slopeSign)
        } else {
            lo = expand(-1, while: { logTotal($0) > target }) { 2 * $0 }
        }
        guard logTotal(lo) <= target else { throw unreachable(Foundation.exp(logTotal(lo)), lo) }
        let hi = expand(max(1, lo + 1), while: { logCappedTotal($0) < target }) { lo + 2 * ($0 - lo) }
        guard logCappedTotal(hi) >= target else {
            throw FieldError("caps", String(format:
                "the target budget %.6g cannot be reached: with the capped domains at their caps the others do not grow to it", budget))
        }
        let scale = try Bisection.root(in: lo, hi, absoluteTolerance: 1e-13) { logCappedTotal($0) - target }
        var tokens = tokens(atScale: scale)
        let capped = (0..<c.count).map { c[$0] + k[$0] * scale >= logCaps[$0] }
        for i in 0..<c.count where capped[i] { tokens[i] = capList[i]! }
        // Rescale the tiny bisection residual away (on the uncapped domains) so the quantities sum to the budget.
        let capSum = (0..<c.count).reduce(0) { capped[$1] ? $0 + tokens[$1] : $0 }
        let freeSum = (0..<c.count).reduce(0) { capped[$1] ? $0 : $0 + tokens[$1] }
        if freeSum > 0 { for i in 0..<c.count where !capped[i] { tokens[i] *= (budget - capSum) / freeSum } }
        let weights = tokens.map { $0 / budget }
        return Prediction(budget: budget, scale: scale, tokens: tokens, weights: weights,
                          warnings: _warnings(budget: budget, weights: weights, capped: capped), capped: capped)
    }

    func _warnings(budget: Double, weights: [Double], capped: [Bool] = []) -> [String] {
        var out: [String] = []
        let largest = budgets.last!
        if budget > Self.extrapolationWarningRatio * largest {
            out.append(String(format: "target budget %.6g is %.0fx the largest fitted budget (%.6g); the extrapolation is far beyond the data",
                              budget, budget / largest, largest))
        }
        let lastTokens = tokens(atScale: 1), lastTotal = lastTokens.reduce(0, +)
        let meanK = zip(weights, k).reduce(0) { $0 + $1.0 * $1.1 }
        for i in 0..<domains.count {
            if k[i] < 0 {
                out.append(String(format: "domain %@: its optimal quantity falls as the budget grows (k = %.4g); its share shrinks toward zero",
                                  domains[i], k[i]))
                continue
            }
            let shareAtFit = lastTokens[i] / lastTotal
            if capped.indices.contains(i), capped[i] { continue }  // held at its cap, not shrinking by the fit
            if k[i] < meanK, weights[i] < Self.shareWarningFloor || weights[i] < Self.shareWarningRatio * shareAtFit {
                out.append(String(format: "domain %@: its share keeps shrinking toward zero (%.3g%% at the target, %.3g%% at the largest fitted budget)",
                                  domains[i], 100 * weights[i], 100 * shareAtFit))
            }
        }
        return out
    }
}

extension MixtureResult {
    /// The AutoScale prediction at `budget` from DDO results at two or more budgets (`sources` name them in
    /// errors and in the result's `predictor.sources`): fits an ``AutoScalePredictor`` to their `tokens` and
    /// returns the `predict` result (quantities, weights, the predictor's fit, warnings).
    ///
    /// - `caps`: per-domain caps in tokens at the target (`--caps`); capped domains stay at their cap, the
    ///   result lists them in `capped`.
    /// - Intervals: when every input carries `intervals.replicateTokens` with the same count `K`, replicate `r`
    ///   of the prediction is the predictor fitted to the inputs' `r`-th replicates (paired by index) and
    ///   applied at `budget` with the same caps; the result's `intervals` (`method: propagated`, at `level`,
    ///   default the inputs' level) are percentile intervals over those, with their tokens. Replicates whose
    ///   fit or prediction fails are counted in `failed`.
    public static func predicted(from results: [MixtureResult], sources: [String], budget: Double,
                                 caps: [String: Double]? = nil, level: Double? = nil) throws -> MixtureResult {
        guard results.count >= 2 else {
            throw DataMixingError.invalidArgument("predict needs result files at two or more budgets, got \(results.count)")
        }
        let domains = results[0].domains
        for (path, r) in zip(sources, results).dropFirst() where Set(r.domains) != Set(domains) {
            throw DataMixingError.invalidInput(location: path, message:
                "domains \(r.domains.joined(separator: ",")) differ from \(sources[0])'s \(domains.joined(separator: ","))")
        }
        let capList = try DDO._caps(caps, domains: domains)
        let predictor = try AutoScalePredictor(domains: domains, quantities: results.map { r in domains.map { r.tokens[$0]! } },
                                               sources: sources)
        let p = try predictor.predict(budget: budget, caps: capList)
        let totals = results.map { $0.tokens.values.reduce(0, +) }
        let fit = MixtureResult.Predictor(
            budgets: predictor.budgets, u: predictor.u,
            c: Dictionary(uniqueKeysWithValues: zip(domains, predictor.c)),
            k: Dictionary(uniqueKeysWithValues: zip(domains, predictor.k)),
            scale: p.scale, rmsLogResidual: predictor.rmsLogResidual,
            sources: results.indices.sorted { totals[$0] < totals[$1] }.map { sources[$0] })
        var out = MixtureResult(domains: domains, budget: budget, tokens: Dictionary(uniqueKeysWithValues: zip(domains, p.tokens)),
                                weights: Dictionary(uniqueKeysWithValues: zip(domains, p.weights)),
                                predictor: fit, warnings: p.warnings)
        if let caps, !caps.isEmpty {
            out.caps = caps
            out.capped = domains.indices.filter { p.capped[$0] }.map { domains[$0] }
        }
        if let level { try DDO._checkLevel(level) }
        let replicateSets = results.map { $0.intervals?.replicateTokens ?? [] }
        let counts = Set(replicateSets.map(\.count))
        if counts.count == 1, let k = counts.first, k > 0 {
            var reps: [[String: Double]] = [], failed = 0
            for r in 0..<k {
                let q = replicateSets.map { set in domains.map { set[r][$0] ?? .nan } }
                guard let pr = try? AutoScalePredictor(domains: domains, quantities: q, sources: sources),
                      let pp = try? pr.predict(budget: budget, caps: capList) else { failed += 1; continue }
                reps.append(Dictionary(uniqueKeysWithValues: zip(domains, pp.tokens)))
            }
            let lv = level ?? results[0].intervals!.level
            if reps.isEmpty {
                out.warnings.append("no bootstrap replicate of the inputs gave a prediction; no intervals")
            } else {
                out.intervals = Intervals(method: "propagated", level: lv, domains: domains, replicateTokens: reps, failed: failed)
                if failed > 0 {
                    out.warnings.append("\(failed) of \(k) replicates gave no prediction; the intervals use the other \(reps.count)")
                }
            }
        } else if replicateSets.contains(where: { !$0.isEmpty }) {
            out.warnings.append("the inputs' replicate counts differ (" + replicateSets.map { String($0.count) }.joined(separator: ", ")
                                + "); the prediction has no intervals")
        }
        return out
    }
}
