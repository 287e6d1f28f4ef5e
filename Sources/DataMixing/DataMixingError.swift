import Foundation

/// Errors of the data-mixing layer, each a single line that names the file, line, column or field at fault.
public enum DataMixingError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    /// An input file (LOSSES.csv, a result JSON) is malformed; `location` is `file`, `file:line` or
    /// `file:line:column`.
    case invalidInput(location: String, message: String)
    /// An argument or option is unusable (budget, bounds, factors, evaluation domains).
    case invalidArgument(String)
    /// The constrained problem has no solution (e.g. a budget outside `[lower·ΣN, upper·ΣN]`).
    case infeasible(String)

    public var description: String {
        switch self {
        case .invalidInput(let location, let message): return "\(location): \(message)"
        case .invalidArgument(let message): return message
        case .infeasible(let message): return message
        }
    }

    public var errorDescription: String? { description }
}
