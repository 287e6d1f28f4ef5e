/// Errors thrown by the linear-algebra layer.
///
/// Shape mismatches and LAPACK failures are reported, never trapped: `info != 0`
/// from a LAPACK routine becomes ``LinearAlgebraError/lapack(routine:info:reason:)``
/// naming the routine and what went wrong.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Operand shapes do not agree; the message names the operation and the shapes.
    case shapeMismatch(String)
    /// A LAPACK routine returned `info != 0`.
    case lapack(routine: String, info: Int, reason: LAPACKFailure)

    public var description: String {
        switch self {
        case .shapeMismatch(let message):
            return "shape mismatch: \(message)"
        case .lapack(let routine, let info, let reason):
            return "\(routine) failed (info = \(info)): \(reason.explanation(info: info))"
        }
    }
}

/// Why a LAPACK routine failed.
public enum LAPACKFailure: Equatable, Sendable {
    /// An argument was illegal (`info < 0`): a bug in the caller, reported anyway.
    case illegalArgument
    /// An iterative algorithm (SVD, eigensolver) did not converge.
    case noConvergence
    /// A least-squares problem that `gels` cannot solve because the matrix is rank deficient.
    case rankDeficient
    /// The LAPACKE wrapper could not allocate its workspace.
    case outOfMemory

    func explanation(info: Int) -> String {
        switch self {
        case .illegalArgument: return "argument \(-info) had an illegal value"
        case .noConvergence:
            return "algorithm did not converge (\(info) off-diagonal elements did not converge to zero)"
        case .rankDeficient: return "matrix does not have full rank (diagonal element \(info) of R is zero)"
        case .outOfMemory: return "LAPACKE could not allocate workspace"
        }
    }
}
