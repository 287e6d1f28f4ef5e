/// Bracketing bisection for scalar equations.
///
/// Given `[lower, upper]` where `f(lower)` and `f(upper)` differ in sign (or one is zero), each step
/// halves the bracket, keeping the half whose ends still differ in sign, until
/// `upper - lower <= absoluteTolerance + relativeTolerance · |midpoint|` (defaults `1e-12` and
/// `4 ε`, like scipy's `brentq`) or `f(midpoint) == 0`. The answer is within that tolerance of a root
/// (of a sign change, for a discontinuous `f`). At most `maxIterations` (default 200) halvings;
/// 200 are enough for any `Double` bracket.
public enum Bisection {
    public static let defaultAbsoluteTolerance = 1e-12
    public static let defaultRelativeTolerance = 4 * Double.ulpOfOne

    /// A root of `f` in `[lower, upper]`. Throws ``OptimizationError/notBracketed(lower:upper:fLower:fUpper:)``
    /// when the end values have the same sign, and rethrows errors from `f`.
    public static func root(
        in lower: Double, _ upper: Double,
        absoluteTolerance: Double = defaultAbsoluteTolerance, relativeTolerance: Double = defaultRelativeTolerance,
        maxIterations: Int = 200, _ f: (Double) throws -> Double
    ) throws -> Double {
        guard lower.isFinite, upper.isFinite, lower <= upper else {
            throw OptimizationError.invalidArgument("bisection needs finite lower <= upper, got [\(lower), \(upper)]")
        }
        guard absoluteTolerance >= 0, relativeTolerance >= 0, absoluteTolerance + relativeTolerance > 0 else {
            throw OptimizationError.invalidArgument("bisection tolerances must be non-negative and not both zero")
        }
        var lo = lower, hi = upper
        var fLo = try f(lo)
        if fLo == 0 { return lo }
        let fHi = try f(hi)
        if fHi == 0 { return hi }
        guard fLo.isFinite, fHi.isFinite, (fLo < 0) != (fHi < 0) else {
            throw OptimizationError.notBracketed(lower: lower, upper: upper, fLower: fLo, fUpper: fHi)
        }
        for _ in 0..<maxIterations {
            let mid = lo + 0.5 * (hi - lo)
            if hi - lo <= absoluteTolerance + relativeTolerance * abs(mid) { return mid }
            let fMid = try f(mid)
            if fMid == 0 { return mid }
            if (fMid < 0) == (fLo < 0) { lo = mid; fLo = fMid } else { hi = mid }
        }
        return lo + 0.5 * (hi - lo)
    }

    /// The `x` in `[lower, upper]` with `f(x) = target` for a monotone (increasing or decreasing) `f`,
    /// e.g. the Lagrange multiplier at which a KKT allocation meets its budget.
    public static func solve(
        _ f: (Double) throws -> Double, equals target: Double, in lower: Double, _ upper: Double,
        absoluteTolerance: Double = defaultAbsoluteTolerance, relativeTolerance: Double = defaultRelativeTolerance,
        maxIterations: Int = 200
    ) throws -> Double {
        try root(in: lower, upper, absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance,
                 maxIterations: maxIterations) { try f($0) - target }
    }
}
