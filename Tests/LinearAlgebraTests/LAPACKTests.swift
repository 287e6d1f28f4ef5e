import Testing
import TestSupport
@testable import LinearAlgebra

/// Flips the sign of each column of `q` so that the largest-magnitude entry of every column is
/// positive: factorizations are unique only up to sign.
func signNormalizedColumns(_ q: Matrix<Double>) -> Matrix<Double> {
    var out = q
    for j in 0..<q.columns {
        let col = (0..<q.rows).map { q[$0, j] }
        let pivot = col.max { abs($0) < abs($1) } ?? 1
        if pivot < 0 { for i in 0..<q.rows { out[i, j] = -out[i, j] } }
    }
    return out
}

/// The transpose of `a`, as a new matrix.
func transposed(_ a: Matrix<Double>) -> Matrix<Double> {
    var t = Matrix<Double>(rows: a.columns, columns: a.rows)
    for i in 0..<a.rows { for j in 0..<a.columns { t[j, i] = a[i, j] } }
    return t
}

/// `u diag(s) vt`.
func product(_ u: Matrix<Double>, _ s: [Double], _ vt: Matrix<Double>) throws -> Matrix<Double> {
    var us = u
    for i in 0..<u.rows { for j in 0..<u.columns { us[i, j] *= s[j] } }
    var out = Matrix<Double>(rows: u.rows, columns: vt.columns)
    try gemm(.none, us, .none, vt, into: &out)
    return out
}

/// An `n x 1` matrix.
func column<T: LinearAlgebraScalar>(_ values: [T]) -> Matrix<T> {
    try! Matrix(rows: values.count, columns: 1, elements: values)
}

@Suite struct LAPACKTests {
    let f: LinalgFixture
    init() throws { f = try LinalgFixture.shared() }

    /// gelsd on a full-rank overdetermined, a rank-deficient (rank 3 of 4) and an underdetermined
    /// problem: minimum-norm solution, residuals and singular values agree with numpy.linalg.lstsq to 1e-10.
    @Test(arguments: ["full", "deficient", "underdetermined"])
    func leastSquaresMatchesNumpy(_ name: String) throws {
        let c = name == "full" ? f.lstsq.full : name == "deficient" ? f.lstsq.deficient : f.lstsq.underdetermined
        let r = try leastSquares(M(c.A), M(c.B))
        #expect(r.rank == c.rank)
        #expect(maxAbsDiff(r.solution.storage, c.solution.joined()) < 1e-10)
        #expect(maxAbsDiff(r.singularValues, c.singularValues) < 1e-10)
        #expect(maxAbsDiff(r.residuals, c.residuals) < 1e-10)
        if name == "deficient" { #expect(r.rank == 3) }
    }

    /// Float gelsd agrees with the float64 reference to 1e-4 (well-conditioned full-rank case).
    @Test func leastSquaresFloat() throws {
        let c = f.lstsq.full
        let r = try leastSquares(M(c.A, as: Float.self), M(c.B, as: Float.self))
        #expect(maxAbsDiff(r.solution.storage, c.solution.joined()) < 1e-4)
    }

    /// gels gives the same answer on full rank, and throws `rankDeficient` when R has an exactly zero
    /// diagonal (gels does not detect numerical rank deficiency; use `leastSquares` for that).
    @Test func leastSquaresQRFullRankAndFailure() throws {
        let c = f.lstsq.full
        let r = try leastSquaresQR(M(c.A), M(c.B))
        #expect(maxAbsDiff(r.solution.storage, c.solution.joined()) < 1e-10)
        #expect(maxAbsDiff(r.residuals, c.residuals) < 1e-10)
        let error = #expect(throws: LinearAlgebraError.self) {
            try leastSquaresQR(M(f.rank_deficient_tall), column([1.0, 2, 3]))
        }
        guard case .lapack(let routine, let info, let reason)? = error else { Issue.record("no LAPACK error"); return }
        #expect(routine == "dgels")
        #expect(reason == .rankDeficient)
        #expect(info == 2)
    }

    /// gesdd: singular values equal numpy's to 1e-12; U diag(s) Vt reproduces A; factors equal up to sign.
    @Test func singularValueDecomposition() throws {
        let c = f.svd
        let (u, s, vt) = try svd(M(c.A))
        #expect(maxAbsDiff(s, c.s) < 1e-12)
        #expect(maxAbsDiff(try product(u, s, vt).storage, c.A.joined()) < 1e-12)
        #expect(maxAbsDiff(signNormalizedColumns(u).storage, signNormalizedColumns(M(c.U)).storage) < 1e-10)
        #expect(maxAbsDiff(signNormalizedColumns(transposed(vt)).storage,
                           signNormalizedColumns(transposed(M(c.Vt))).storage) < 1e-10)
    }

    @Test func lapackShapeErrors() {
        let a = Matrix<Double>(rows: 3, columns: 2)
        #expect(throws: LinearAlgebraError.self) { try leastSquares(a, column([1.0, 2])) }
        #expect(throws: LinearAlgebraError.self) { try leastSquaresQR(a, column([1.0, 2])) }
    }
}
