/// Dense factorizations and solvers over LAPACKE (row-major).
///
/// Every routine copies its inputs (LAPACK overwrites them), checks shapes first, and turns
/// `info != 0` into ``LinearAlgebraError/lapack(routine:info:reason:)``.

/// The result of a least-squares solve `min_x ||A x - B||_2`.
public struct LeastSquaresSolution<Scalar: LinearAlgebraScalar>: Sendable {
    /// `n x nrhs`: the minimum-norm solution (unique when `rank == n`).
    public var solution: Matrix<Scalar>
    /// Per right-hand side, the residual sum of squares `||A x_j - b_j||^2`.
    public var residuals: [Scalar]
    /// Effective rank of `A`: singular values above `rcond * s_max` (`gels`: `n`).
    public var rank: Int
    /// Singular values of `A`, descending (`gelsd` only; empty for `gels`).
    public var singularValues: [Scalar]
}

@inline(__always)
func check(_ info: Int32, _ routine: String, positive: LAPACKFailure) throws {
    if info == 0 { return }
    let i = Int(info)
    let reason: LAPACKFailure = i == -1011 ? .outOfMemory : (i < 0 ? .illegalArgument : positive)
    throw LinearAlgebraError.lapack(routine: routine, info: i, reason: reason)
}

func residualSumsOfSquares<T: LinearAlgebraScalar>(_ a: Matrix<T>, _ x: Matrix<T>, _ b: Matrix<T>) throws -> [T] {
    var r = b
    try gemm(.none, a, .none, x, alpha: -1, beta: 1, into: &r)
    return (0..<b.columns).map { j in (0..<b.rows).reduce(T(0)) { $0 + r[$1, j] * r[$1, j] } }
}

/// Minimum-norm least squares by the SVD (`gelsd`): robust to rank deficiency.
///
/// Singular values `s_i <= rcond * s_max` are treated as zero; `rcond < 0` means machine precision.
public func leastSquares<T: LinearAlgebraScalar>(
    _ a: Matrix<T>, _ b: Matrix<T>, rcond: T = -1
) throws -> LeastSquaresSolution<T> {
    guard a.rows == b.rows else {
        throw LinearAlgebraError.shapeMismatch("gelsd: A is \(a.rows)x\(a.columns), B has \(b.rows) rows")
    }
    let m = a.rows, n = a.columns, nrhs = b.columns
    if n == 0 || nrhs == 0 {
        return LeastSquaresSolution(solution: Matrix(rows: n, columns: nrhs),
                                    residuals: try residualSumsOfSquares(a, Matrix(rows: n, columns: nrhs), b),
                                    rank: 0, singularValues: [])
    }
    var aw = a.storage
    var bw = [T](repeating: 0, count: Swift.max(m, n) * nrhs)
    for i in 0..<m { for j in 0..<nrhs { bw[i * nrhs + j] = b[i, j] } }
    var s = [T](repeating: 0, count: Swift.max(1, Swift.min(m, n)))
    var rank: Int32 = 0
    let info = T._gelsd(m, n, nrhs, &aw, Swift.max(1, n), &bw, nrhs, &s, rcond, &rank)
    try check(info, "\(T._prefix)gelsd", positive: .noConvergence)
    let x = try Matrix(rows: n, columns: nrhs, elements: Array(bw[0..<(n * nrhs)]))
    return LeastSquaresSolution(solution: x, residuals: try residualSumsOfSquares(a, x, b), rank: Int(rank),
                                singularValues: Array(s.prefix(Swift.min(m, n))))
}

/// Least squares by QR (`gels`): `A` must have full rank; faster than ``leastSquares(_:_:rcond:)``.
/// Throws ``LAPACKFailure/rankDeficient`` when a diagonal element of `R` is exactly zero; numerically
/// rank-deficient matrices are not detected (that is what the SVD-based solver is for).
public func leastSquaresQR<T: LinearAlgebraScalar>(_ a: Matrix<T>, _ b: Matrix<T>) throws -> LeastSquaresSolution<T> {
    guard a.rows == b.rows else {
        throw LinearAlgebraError.shapeMismatch("gels: A is \(a.rows)x\(a.columns), B has \(b.rows) rows")
    }
    let m = a.rows, n = a.columns, nrhs = b.columns
    var aw = a.storage
    var bw = [T](repeating: 0, count: Swift.max(1, Swift.max(m, n) * nrhs))
    for i in 0..<m { for j in 0..<nrhs { bw[i * nrhs + j] = b[i, j] } }
    let info = T._gels(m, n, nrhs, &aw, Swift.max(1, n), &bw, Swift.max(1, nrhs))
    try check(info, "\(T._prefix)gels", positive: .rankDeficient)
    let x = try Matrix(rows: n, columns: nrhs, elements: Array(bw[0..<(n * nrhs)]))
    return LeastSquaresSolution(solution: x, residuals: try residualSumsOfSquares(a, x, b), rank: Swift.min(m, n),
                                singularValues: [])
}

/// Thin SVD `A = U diag(s) V^T` (`gesdd`): `U` is `m x k`, `s` descending, `Vt` is `k x n`, `k = min(m, n)`.
public func svd<T: LinearAlgebraScalar>(_ a: Matrix<T>) throws -> (u: Matrix<T>, s: [T], vt: Matrix<T>) {
    let m = a.rows, n = a.columns, k = Swift.min(m, n)
    if k == 0 { return (Matrix(rows: m, columns: 0), [], Matrix(rows: 0, columns: n)) }
    var aw = a.storage
    var s = [T](repeating: 0, count: k)
    var u = [T](repeating: 0, count: m * k)
    var vt = [T](repeating: 0, count: k * n)
    try check(T._gesdd(m, n, &aw, n, &s, &u, k, &vt, n), "\(T._prefix)gesdd", positive: .noConvergence)
    return (try Matrix(rows: m, columns: k, elements: u), s, try Matrix(rows: k, columns: n, elements: vt))
}
