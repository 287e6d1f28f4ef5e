import Foundation

/// Errors from fitting a law, each a single line.
public enum ScalingLawError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    case tooFewPoints(law: String, needed: Int, found: Int)
    /// Enough rows, but fewer distinct feature values (x, or (N, D)) than the law needs.
    case tooFewDistinctPoints(law: String, needed: Int, rows: Int, distinct: Int)
    case tooFewBudgets(usable: Int, skipped: [String])
    case invalidGrid(String)
    case notConverged(String)
    case invalidFit(String)
    /// A fit file (`autoscale fit --json`) that cannot be used: its path and why.
    case badFitFile(path: String, detail: String)

    public var description: String {
        switch self {
        case .tooFewPoints(let law, let needed, let found):
            return "the \(law) law needs at least \(needed) points, found \(found)"
        case .tooFewDistinctPoints(let law, let needed, let rows, let distinct):
            return "the \(law) law needs at least \(needed) distinct points, found \(distinct) among \(rows) rows "
                + "(repeated rows count once)"
        case .tooFewBudgets(let usable, let skipped):
            return "the isoflop law needs at least 2 FLOP budgets with 3 or more model sizes and a convex loss; found \(usable)"
                + (skipped.isEmpty ? "" : " (skipped: " + skipped.joined(separator: "; ") + ")")
        case .invalidGrid(let m): return "invalid grid: \(m)"
        case .notConverged(let m): return "fit did not converge: \(m)"
        case .invalidFit(let m): return "invalid fit: \(m)"
        case .badFitFile(let path, let detail): return "\(path): \(detail)"
        }
    }

    public var errorDescription: String? { description }
}
