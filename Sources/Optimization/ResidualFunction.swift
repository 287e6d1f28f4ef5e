/// A vector of residuals `r: R^n -> R^m` for nonlinear least squares, optionally with its Jacobian.
///
/// ``LevenbergMarquardt`` minimizes `½ Σ r_i(p)²`. Implement ``jacobian(at:into:)`` for an analytic
/// Jacobian; the default returns `false`, which asks for forward finite differences (see
/// ``LevenbergMarquardt``).
public protocol ResidualFunction {
    /// The number of parameters `n`.
    var parameterCount: Int { get }
    /// The number of residuals `m` (at least `n` for a well-posed fit).
    var residualCount: Int { get }
    /// Writes `r(p)` into `residuals` (already sized `residualCount`).
    func residuals(at p: [Double], into residuals: inout [Double])
    /// Writes the row-major `m x n` Jacobian `J[i * n + j] = ∂r_i/∂p_j` into `jacobian` and returns
    /// `true`, or returns `false` to have it estimated by finite differences.
    func jacobian(at p: [Double], into jacobian: inout [Double]) -> Bool
}

extension ResidualFunction {
    public func jacobian(at p: [Double], into jacobian: inout [Double]) -> Bool { false }
}

/// A ``ResidualFunction`` built from closures.
public struct ClosureResiduals: ResidualFunction {
    public let parameterCount: Int
    public let residualCount: Int
    let _residuals: ([Double], inout [Double]) -> Void
    let _jacobian: (([Double], inout [Double]) -> Void)?

    /// - Parameters:
    ///   - residuals: writes `r(p)` into its second argument.
    ///   - jacobian: writes the row-major `m x n` Jacobian, or `nil` for finite differences.
    public init(parameterCount: Int, residualCount: Int,
                residuals: @escaping ([Double], inout [Double]) -> Void,
                jacobian: (([Double], inout [Double]) -> Void)? = nil) {
        self.parameterCount = parameterCount
        self.residualCount = residualCount
        self._residuals = residuals
        self._jacobian = jacobian
    }

    public func residuals(at p: [Double], into residuals: inout [Double]) { _residuals(p, &residuals) }

    public func jacobian(at p: [Double], into jacobian: inout [Double]) -> Bool {
        guard let j = _jacobian else { return false }
        j(p, &jacobian)
        return true
    }
}
