import Testing
import TestSupport
@testable import LinearAlgebra

/// Flips the sign of each column of `q` (and the matching row of `r`, if given) so that the
/// largest-magnitude entry of every column is positive: factorizations are unique only up to sign.
func signNormalizedColumns(_ q: Matrix<Double>) -> Matrix<Double> {
    var out = q
    for j in 0..<q.columns {
        let col = q.column(j)
        let pivot = col.max { abs($0) < abs($1) } ?? 1
        if pivot < 0 { for i in 0..<q.rows { out[i, j] = -out[i, j] } }
    }
    return out
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
            try leastSquaresQR(M(f.rank_deficient_tall), Matrix<Double>(column: [1, 2, 3]))
        }
        guard case .lapack(let routine, let info, let reason)? = error else { Issue.record("no LAPACK error"); return }
        #expect(routine == "dgels")
        #expect(reason == .rankDeficient)
        #expect(info == 2)
    }

    /// Reduced QR: Q R reproduces A to 1e-12, Q has orthonormal columns, and Q, R equal numpy's up to column signs.
    @Test func qrFactorization() throws {
        let c = f.qr
        let (q, r) = try qr(M(c.A))
        #expect(q.rows == 6 && q.columns == 4 && r.rows == 4 && r.columns == 4)
        #expect(maxAbsDiff(try matmul(q, r).storage, c.A.joined()) < 1e-12)
        #expect(maxAbsDiff(try matmul(q, q, transA: .transpose).storage, Matrix<Double>.identity(4).storage) < 1e-12)
        #expect(maxAbsDiff(signNormalizedColumns(q).storage, signNormalizedColumns(M(c.Q)).storage) < 1e-12)
        for i in 0..<4 { for j in 0..<i { #expect(r[i, j] == 0) } }
    }

    /// Cholesky factor and solve agree with scipy.linalg to 1e-12; an indefinite matrix throws `notPositiveDefinite`.
    @Test func choleskyFactorAndSolve() throws {
        let c = f.cholesky
        #expect(maxAbsDiff(try cholesky(M(c.A)).storage, c.U.joined()) < 1e-12)
        #expect(maxAbsDiff(try choleskySolve(M(c.A), M(c.B)).storage, c.solution.joined()) < 1e-12)
        for op in [0, 1] {
            let error = #expect(throws: LinearAlgebraError.self) {
                if op == 0 { _ = try choleskySolve(M(f.indefinite), Matrix<Double>(column: [1, 2, 3])) }
                else { _ = try cholesky(M(f.indefinite)) }
            }
            guard case .lapack(let routine, let info, let reason)? = error else { Issue.record("no LAPACK error"); return }
            #expect(routine == (op == 0 ? "dposv" : "dpotrf"))
            #expect(reason == .notPositiveDefinite)
            #expect(info == 2)  // the 2x2 leading minor [[2,1],[1,-3]] is negative
            #expect(error!.description.contains("not positive definite"))
        }
    }

    /// syevd: eigenvalues ascending equal numpy.linalg.eigh to 1e-12; eigenvectors equal up to sign.
    @Test func symmetricEigenDecomposition() throws {
        let c = f.eigh
        let (w, v) = try symmetricEigen(M(c.A))
        #expect(maxAbsDiff(w, c.values) < 1e-12)
        #expect(maxAbsDiff(signNormalizedColumns(v).storage, signNormalizedColumns(M(c.vectors)).storage) < 1e-10)
        let f32 = try symmetricEigen(M(c.A, as: Float.self))
        #expect(maxAbsDiff(f32.values, c.values) < 1e-4)
    }

    /// gesdd: singular values equal numpy's to 1e-12; U diag(s) Vt reproduces A; factors equal up to sign.
    @Test func singularValueDecomposition() throws {
        let c = f.svd
        let (u, s, vt) = try svd(M(c.A))
        #expect(maxAbsDiff(s, c.s) < 1e-12)
        var us = u
        for i in 0..<u.rows { for j in 0..<u.columns { us[i, j] *= s[j] } }
        #expect(maxAbsDiff(try matmul(us, vt).storage, c.A.joined()) < 1e-12)
        #expect(maxAbsDiff(signNormalizedColumns(u).storage, signNormalizedColumns(M(c.U)).storage) < 1e-10)
        #expect(maxAbsDiff(signNormalizedColumns(vt.transposed).storage,
                           signNormalizedColumns(M(c.Vt).transposed).storage) < 1e-10)
    }

    /// gesv agrees with numpy.linalg.solve to 1e-12; an exactly singular matrix throws `singular` with U(i,i) = 0.
    @Test func linearSolve() throws {
        let c = f.solve
        #expect(maxAbsDiff(try solve(M(c.A), M(c.B)).storage, c.solution.joined()) < 1e-12)
        let error = #expect(throws: LinearAlgebraError.self) {
            _ = try solve(M(f.singular), Matrix<Double>(column: [1, 2, 3]))
        }
        guard case .lapack(let routine, let info, let reason)? = error else { Issue.record("no LAPACK error"); return }
        #expect(routine == "dgesv")
        #expect(reason == .singular)
        #expect(info >= 1 && info <= 3)
        #expect(error!.description.contains("singular"))
        // Float path reports the s-prefixed routine.
        let e32 = #expect(throws: LinearAlgebraError.self) {
            _ = try solve(M(f.singular, as: Float.self), Matrix<Float>(column: [1, 2, 3]))
        }
        if case .lapack(let r32, _, _)? = e32 { #expect(r32 == "sgesv") } else { Issue.record("no sgesv error") }
    }

    @Test func lapackShapeErrors() {
        let a = Matrix<Double>(rows: 3, columns: 2)
        #expect(throws: LinearAlgebraError.self) { try solve(a, Matrix<Double>(column: [1, 2, 3])) }
        #expect(throws: LinearAlgebraError.self) { try leastSquares(a, Matrix<Double>(column: [1, 2])) }
        #expect(throws: LinearAlgebraError.self) { try symmetricEigen(a) }
        #expect(throws: LinearAlgebraError.self) { try choleskySolve(a, a) }
    }
}
