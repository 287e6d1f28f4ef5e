/// Errors thrown by the optimization layer, each with a one-line message.
public enum OptimizationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An argument is unusable (wrong length, empty interval, non-finite start...).
    case invalidArgument(String)
    /// A bracketing method was given an interval whose end values do not straddle the target.
    case notBracketed(lower: Double, upper: Double, fLower: Double, fUpper: Double)
    /// The objective or residuals are not finite at the starting point.
    case nonFiniteStart(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return "invalid argument: \(message)"
        case .notBracketed(let lo, let hi, let flo, let fhi):
            return "interval [\(lo), \(hi)] does not bracket a root: f(lower) = \(flo), f(upper) = \(fhi) have the same sign"
        case .nonFiniteStart(let message):
            return "not finite at the starting point: \(message)"
        }
    }
}

#if canImport(Foundation)
import Foundation
extension OptimizationError: LocalizedError {
    public var errorDescription: String? { description }
}
#endif
