import Foundation
import LinearAlgebra

/// Chinchilla approach 2 ("IsoFLOP profiles").
///
/// Points are grouped into FLOP budgets: sorted by `C`, a point joins the current group while
/// `C <= C_first (1 + relativeTolerance)` (default 1%, so logged budgets that differ by rounding still
/// group). In each group with at least 3 distinct `N`, the parabola `L ≈ p0 + p1 u + p2 u²` in
/// `u = log N − mean(log N)` is fitted by LAPACK least squares (`gelsd`); when `p2 > 0` its vertex
/// gives `N_opt(C) = exp(mean − p1 / (2 p2))` and the loss there. A group with fewer points or a
/// non-convex parabola is skipped and reported. Then `log N_opt = log k + a log C` by least squares over
/// the budgets (at least 2), so `N_opt = k C^a` and `D_opt = C / (6 N_opt) = C^(1−a) / (6k)`; `C` is the
/// group's geometric mean budget.
public struct IsoFLOPFit: Sendable {
    public struct Vertex: Sendable, Equatable {
        public var flops: Double
        public var nOpt: Double
        public var dOpt: Double
        public var lossAtOptimum: Double
        public var points: Int
    }

    public struct SkippedBudget: Sendable, Equatable {
        public var flops: Double
        public var points: Int
        public var reason: String
    }

    public var k: Double
    public var a: Double
    public var vertices: [Vertex]
    public var skipped: [SkippedBudget]
    public var points: Int
    /// Root mean square of the residuals of `log N_opt` about the fitted line.
    public var rmseLogN: Double
    public var bootstrap: BootstrapSummary?

    /// `N_opt` at budget `flops`.
    public func nOpt(flops: Double) -> Double { k * pow(flops, a) }

    /// Fits approach 2 to positive `n`, `flops`, `loss`.
    public static func fit(n: [Double], flops: [Double], loss: [Double], relativeTolerance: Double = 0.01) throws -> IsoFLOPFit {
        guard n.count >= 6 else { throw ScalingLawError.tooFewPoints(law: "isoflop", needed: 6, found: n.count) }
        let order = flops.indices.sorted { flops[$0] < flops[$1] }
        var groups: [[Int]] = []
        for i in order {
            if let first = groups.last?.first, flops[i] <= flops[first] * (1 + relativeTolerance) {
                groups[groups.count - 1].append(i)
            } else {
                groups.append([i])
            }
        }
        var vertices: [Vertex] = [], skipped: [SkippedBudget] = []
        for g in groups {
            let c = exp(g.reduce(0) { $0 + log(flops[$1]) } / Double(g.count))
            let distinct = Set(g.map { n[$0] }).count
            guard distinct >= 3 else {
                skipped.append(SkippedBudget(flops: c, points: g.count, reason: "fewer than 3 distinct model sizes"))
                continue
            }
            let u = g.map { log(n[$0]) }
            let mu = u.reduce(0, +) / Double(u.count)
            var design = Matrix<Double>(rows: g.count, columns: 3)
            var rhs = Matrix<Double>(rows: g.count, columns: 1)
            for (r, i) in g.enumerated() {
                let v = u[r] - mu
                design[r, 0] = 1; design[r, 1] = v; design[r, 2] = v * v
                rhs[r, 0] = loss[i]
            }
            let p = try leastSquares(design, rhs).solution.storage
            guard p[2] > 0 else {
                skipped.append(SkippedBudget(flops: c, points: g.count, reason: "loss is not convex in log N (no minimum)"))
                continue
            }
            let vtx = -p[1] / (2 * p[2])
            let nOpt = exp(mu + vtx)
            vertices.append(Vertex(flops: c, nOpt: nOpt, dOpt: c / (6 * nOpt),
                                   lossAtOptimum: p[0] + p[1] * vtx + p[2] * vtx * vtx, points: g.count))
        }
        guard vertices.count >= 2 else {
            throw ScalingLawError.tooFewBudgets(usable: vertices.count, skipped: skipped.map {
                String(format: "%.4g", $0.flops) + " FLOPs, \($0.points) points: \($0.reason)"
            })
        }
        var design = Matrix<Double>(rows: vertices.count, columns: 2)
        var rhs = Matrix<Double>(rows: vertices.count, columns: 1)
        for (r, v) in vertices.enumerated() {
            design[r, 0] = 1; design[r, 1] = log(v.flops)
            rhs[r, 0] = log(v.nOpt)
        }
        let sol = try leastSquares(design, rhs)
        let logK = sol.solution[0, 0], a = sol.solution[1, 0]
        let rmse = (sol.residuals[0] / Double(vertices.count)).squareRoot()
        return IsoFLOPFit(k: exp(logK), a: a, vertices: vertices, skipped: skipped, points: n.count, rmseLogN: rmse,
                          bootstrap: nil)
    }
}
