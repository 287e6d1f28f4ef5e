import Foundation
import Optimization

/// The fitting objective shared by the power and Chinchilla laws, in log space:
///
///     F(θ) = Σ_i w_i ρ(log L̂_i − log L_i),   log L̂_i = LSE(e, a_1 − α_1 z_i1, …, a_P − α_P z_iP)
///
/// where `z_ik = log x_ik` are the log features (`log N`, `log D`), `LSE(t) = m + log Σ_k exp(t_k − m)`
/// with `m = max_k t_k` (so it never overflows), `ρ` is the ``RobustLoss`` and `w_i` optional point
/// weights (bootstrap multiplicities; 1 by default). So `L̂ = E + Σ_k A_k x_k^(−α_k)` with `E = e^e`,
/// `A_k = e^(a_k)`. The objective is summed, not averaged.
///
/// Parameters are laid out `θ = [e, a_1 … a_P, α_1 … α_P]`. With softmax weights
/// `s_ik = exp(t_ik − log L̂_i)` and `ψ_i = w_i ρ'(r_i)`, the gradient is
/// `∂F/∂e = Σ ψ_i s_i0`, `∂F/∂a_k = Σ ψ_i s_ik`, `∂F/∂α_k = −Σ ψ_i s_ik z_ik`.
public struct LogSumExpObjective: DifferentiableObjective, Sendable {
    /// Number of power terms `P` (1 for the power law, 2 for Chinchilla).
    public let termCount: Int
    /// Row-major `n × P` log features.
    public let logFeatures: [Double]
    public let logTargets: [Double]
    public let weights: [Double]?
    public let loss: RobustLoss

    public var dimension: Int { 1 + 2 * termCount }
    public var pointCount: Int { logTargets.count }

    /// - Parameters:
    ///   - features: per point, the `P` positive feature values (`x`, or `N` and `D`).
    ///   - targets: the positive observed losses.
    public init(features: [[Double]], targets: [Double], loss: RobustLoss, weights: [Double]? = nil) {
        termCount = features.first?.count ?? 0
        logFeatures = features.flatMap { $0.map { Foundation.log($0) } }
        logTargets = targets.map { Foundation.log($0) }
        self.weights = weights
        self.loss = loss
    }

    init(termCount: Int, logFeatures: [Double], logTargets: [Double], loss: RobustLoss, weights: [Double]?) {
        self.termCount = termCount
        self.logFeatures = logFeatures
        self.logTargets = logTargets
        self.loss = loss
        self.weights = weights
    }

    /// The same data with point weights (e.g. bootstrap multiplicities).
    public func weighted(_ w: [Double]) -> LogSumExpObjective {
        LogSumExpObjective(termCount: termCount, logFeatures: logFeatures, logTargets: logTargets, loss: loss, weights: w)
    }

    /// `log L̂` at point `i` for parameters `θ`.
    public func logPrediction(_ theta: [Double], point i: Int) -> Double {
        var m = theta[0]
        for k in 0..<termCount { m = Swift.max(m, theta[1 + k] - theta[1 + termCount + k] * logFeatures[i * termCount + k]) }
        var s = Foundation.exp(theta[0] - m)
        for k in 0..<termCount { s += Foundation.exp(theta[1 + k] - theta[1 + termCount + k] * logFeatures[i * termCount + k] - m) }
        return m + Foundation.log(s)
    }

    public func value(at theta: [Double], gradient: inout [Double]) -> Double {
        switch termCount {
        case 1: return _value1(theta, &gradient)
        case 2: return _value2(theta, &gradient)
        default: return _valueGeneric(theta, &gradient)
        }
    }

    /// The unrolled paths compute `exp(t_k)` directly (one exponential fewer per point than shifting by
    /// the max) whenever every term lies in `(1e-280, 1e280)`, where that is exact to rounding; otherwise
    /// they fall back to the max-shifted form.
    static let _fastLimit = 1e280
    static let _fastFloor = 1e-280

    /// The weighted loss `w_i ρ(r)` and `w_i ρ'(r) / s`, which scales each term's gradient `x_k`.
    @inline(__always)
    func _lossTerm(_ r: Double, point i: Int, sum s: Double) -> (Double, Double) {
        let (rho, d) = loss.valueAndDerivative(r)
        guard let w = weights else { return (rho, d / s) }
        return (w[i] * rho, w[i] * d / s)
    }

    /// `P = 1`, unrolled: the hot loop of the power-law fit.
    @inline(__always)
    func _value1(_ th: [Double], _ g: inout [Double]) -> Double {
        let e = th[0], a = th[1], al = th[2]
        let bigE = Foundation.exp(e)
        var f = 0.0, ge = 0.0, ga = 0.0, gal = 0.0
        logFeatures.withUnsafeBufferPointer { z in
            logTargets.withUnsafeBufferPointer { y in
                for i in 0..<y.count {
                    let t1 = a - al * z[i]
                    var x0 = bigE, x1 = Foundation.exp(t1), m = 0.0
                    if !(x1 < Self._fastLimit && bigE < Self._fastLimit && x0 + x1 > Self._fastFloor) {
                        m = Swift.max(e, t1)  // stable log-sum-exp for extreme terms
                        x0 = Foundation.exp(e - m); x1 = Foundation.exp(t1 - m)
                    }
                    let s = x0 + x1
                    let (rho, inv) = _lossTerm(m + Foundation.log(s) - y[i], point: i, sum: s)
                    f += rho
                    ge += inv * x0
                    ga += inv * x1
                    gal -= inv * x1 * z[i]
                }
            }
        }
        g[0] = ge; g[1] = ga; g[2] = gal
        return f
    }

    /// `P = 2`, unrolled: the hot loop of the Chinchilla fit.
    @inline(__always)
    func _value2(_ th: [Double], _ g: inout [Double]) -> Double {
        let e = th[0], a = th[1], b = th[2], al = th[3], be = th[4]
        let bigE = Foundation.exp(e)
        var f = 0.0, ge = 0.0, ga = 0.0, gb = 0.0, gal = 0.0, gbe = 0.0
        logFeatures.withUnsafeBufferPointer { z in
            logTargets.withUnsafeBufferPointer { y in
                for i in 0..<y.count {
                    let zn = z[2 * i], zd = z[2 * i + 1]
                    let t1 = a - al * zn, t2 = b - be * zd
                    var x0 = bigE, x1 = Foundation.exp(t1), x2 = Foundation.exp(t2), m = 0.0
                    if !(x1 < Self._fastLimit && x2 < Self._fastLimit && bigE < Self._fastLimit
                         && x0 + x1 + x2 > Self._fastFloor) {
                        m = Swift.max(e, t1, t2)  // stable log-sum-exp for extreme terms
                        x0 = Foundation.exp(e - m); x1 = Foundation.exp(t1 - m); x2 = Foundation.exp(t2 - m)
                    }
                    let s = x0 + x1 + x2
                    let (rho, inv) = _lossTerm(m + Foundation.log(s) - y[i], point: i, sum: s)
                    f += rho
                    ge += inv * x0
                    ga += inv * x1
                    gb += inv * x2
                    gal -= inv * x1 * zn
                    gbe -= inv * x2 * zd
                }
            }
        }
        g[0] = ge; g[1] = ga; g[2] = gb; g[3] = gal; g[4] = gbe
        return f
    }

    func _valueGeneric(_ th: [Double], _ g: inout [Double]) -> Double {
        let p = termCount
        for j in 0..<dimension { g[j] = 0 }
        var f = 0.0
        var x = [Double](repeating: 0, count: p + 1)
        for i in 0..<logTargets.count {
            var m = th[0]
            for k in 0..<p { m = Swift.max(m, th[1 + k] - th[1 + p + k] * logFeatures[i * p + k]) }
            x[0] = Foundation.exp(th[0] - m)
            var s = x[0]
            for k in 0..<p {
                x[k + 1] = Foundation.exp(th[1 + k] - th[1 + p + k] * logFeatures[i * p + k] - m)
                s += x[k + 1]
            }
            let (rho, inv) = _lossTerm(m + Foundation.log(s) - logTargets[i], point: i, sum: s)
            f += rho
            g[0] += inv * x[0]
            for k in 0..<p {
                g[1 + k] += inv * x[k + 1]
                g[1 + p + k] -= inv * x[k + 1] * logFeatures[i * p + k]
            }
        }
        return f
    }
}
