import Foundation
import Testing
import TestSupport
@testable import LinearAlgebra

/// Fixture: Fixtures/linalg/linalg.json from Fixtures/gen/linalg.py (numpy/scipy, float64).
struct LinalgFixture: Decodable {
    struct GEMM: Decodable {
        let m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Double, beta: Double
        let A: [[Double]], B: [[Double]], C: [[Double]], result: [[Double]]
    }
    struct Batched: Decodable { let batch: Int, m: Int, n: Int, k: Int; let A: [Double], B: [Double], result: [Double] }
    struct LSQ: Decodable {
        let A: [[Double]], B: [[Double]], solution: [[Double]], rank: Int, singularValues: [Double], residuals: [Double]
    }
    struct LSQSet: Decodable { let full: LSQ, deficient: LSQ, underdetermined: LSQ }
    struct SVD: Decodable { let A: [[Double]], U: [[Double]], s: [Double], Vt: [[Double]] }

    let gemm: [GEMM]
    let batched_gemm: Batched
    let lstsq: LSQSet
    let svd: SVD
    let rank_deficient_tall: [[Double]]

    /// The fixture, read once; a missing or malformed file fails the test that asks, not the whole suite.
    static func shared() throws -> LinalgFixture { try Fixture.shared(LinalgFixture.self, "linalg/linalg.json") }
}

/// A matrix from nested rows of the fixture.
func M<T: LinearAlgebraScalar>(_ rows: [[Double]], as _: T.Type = Double.self) -> Matrix<T> {
    try! Matrix<T>(rows: rows.count, columns: rows.first?.count ?? 0, elements: rows.joined().map { T($0) })
}

@Suite struct BLASTests {
    let f: LinalgFixture
    init() throws { f = try LinalgFixture.shared() }

    /// Double GEMM, all four transpose combinations: agrees with numpy to 1e-12 absolute (entries are O(1)-O(10)).
    @Test func gemmDouble() throws {
        #expect(f.gemm.count == 16)
        for c in f.gemm {
            var out = M(c.C)
            try gemm(c.transA ? .transpose : .none, M(c.A), c.transB ? .transpose : .none, M(c.B),
                     alpha: c.alpha, beta: c.beta, into: &out)
            #expect(maxAbsDiff(out.storage, c.result.joined()) < 1e-12, "m=\(c.m) n=\(c.n) k=\(c.k) tA=\(c.transA) tB=\(c.transB)")
        }
    }

    /// Float GEMM against the float64 reference: within 2e-5 absolute (k <= 11, entries O(1)).
    @Test func gemmFloat() throws {
        for c in f.gemm {
            var out: Matrix<Float> = M(c.C, as: Float.self)
            try gemm(c.transA ? .transpose : .none, M(c.A, as: Float.self), c.transB ? .transpose : .none,
                     M(c.B, as: Float.self), alpha: Float(c.alpha), beta: Float(c.beta), into: &out)
            #expect(maxAbsDiff(out.storage, c.result.joined()) < 2e-5)
        }
    }

    /// Batched strided GEMM (attention-head layout, B transposed) equals numpy's einsum to 1e-12.
    @Test func batchedGEMM() {
        let c = f.batched_gemm
        var out = [Double](repeating: .nan, count: c.batch * c.m * c.n)
        BLAS.gemmStridedBatched(.none, .transpose, m: c.m, n: c.n, k: c.k, a: c.A, lda: c.k, strideA: c.m * c.k,
                                b: c.B, ldb: c.k, strideB: c.n * c.k, c: &out, ldc: c.n, strideC: c.m * c.n, batch: c.batch)
        #expect(maxAbsDiff(out, c.result) < 1e-12)
    }

    /// Mismatched shapes throw a shape error that names the operation, never trap.
    @Test func shapeMismatchThrows() throws {
        let a = Matrix<Double>(rows: 2, columns: 3), b = Matrix<Double>(rows: 2, columns: 3)
        var c = Matrix<Double>(rows: 2, columns: 2)
        let error = #expect(throws: LinearAlgebraError.self) { try gemm(.none, a, .none, b, into: &c) }
        #expect(error?.description.contains("gemm") == true)
        #expect(error?.description.contains("2x3") == true)
        var c3 = Matrix<Double>(rows: 3, columns: 3)
        #expect(throws: LinearAlgebraError.self) { try gemm(.none, a, .transpose, b, into: &c3) }
        #expect(throws: LinearAlgebraError.self) { try Matrix<Double>(rows: 2, columns: 2, elements: [1, 2, 3]) }
        // Transposed operands make the product valid: (2x3)(3x2).
        try gemm(.none, a, .transpose, b, into: &c)
    }

    /// `BLASThreads.with` sets the count, hands the body the count from before, restores it, and nests on one
    /// thread (the lock is re-entrant). Inside the outer region no other test can change the count.
    @Test func threadControl() {
        BLASThreads.with(2) { _ in
            #expect(BLASThreads.count == 2)
            BLASThreads.with(1) { previous in
                #expect(previous == 2)
                #expect(BLASThreads.count == 1)
            }
            #expect(BLASThreads.count == 2)
        }
        #expect(BLASThreads.cores >= 1)
    }
}
