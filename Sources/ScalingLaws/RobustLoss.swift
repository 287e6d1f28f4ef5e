/// The per-point loss `ρ(r)` applied to a log residual `r = log L̂ - log L`, summed over points.
public enum RobustLoss: Sendable, Equatable {
    /// Huber: `ρ(r) = r²/2` for `|r| <= δ`, `δ (|r| - δ/2)` beyond (scipy.special.huber).
    case huber(delta: Double)
    /// Squared error `ρ(r) = r²`.
    case squared

    /// `ρ(r)` and `ρ'(r)`.
    @inline(__always)
    public func valueAndDerivative(_ r: Double) -> (Double, Double) {
        switch self {
        case .huber(let delta):
            let a = abs(r)
            if a <= delta { return (0.5 * r * r, r) }
            return (delta * (a - 0.5 * delta), r > 0 ? delta : -delta)
        case .squared:
            return (r * r, 2 * r)
        }
    }

    /// `huber` or `mse`, as on the command line.
    public var name: String {
        switch self {
        case .huber: return "huber"
        case .squared: return "mse"
        }
    }
}
