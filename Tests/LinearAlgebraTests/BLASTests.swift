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
    struct Strided: Decodable {
        let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, offsetA: Int, offsetB: Int, offsetC: Int
        let alpha: Double, beta: Double, bufA: [Double], bufB: [Double], bufC: [Double], result: [Double]
    }
    struct Batched: Decodable { let batch: Int, m: Int, n: Int, k: Int; let A: [Double], B: [Double], result: [Double] }
    struct GEMV: Decodable {
        let A: [[Double]], x: [Double], y: [Double], alpha: Double, beta: Double, result: [Double]
        let xT: [Double], yT: [Double], resultT: [Double]
    }
    struct Level1: Decodable { let x: [Double], y: [Double], dot: Double, axpy: [Double], scal: [Double], nrm2: Double }
    struct LSQ: Decodable {
        let A: [[Double]], B: [[Double]], solution: [[Double]], rank: Int, singularValues: [Double], residuals: [Double]
    }
    struct LSQSet: Decodable { let full: LSQ, deficient: LSQ, underdetermined: LSQ }
    struct QR: Decodable { let A: [[Double]], Q: [[Double]], R: [[Double]] }
    struct Chol: Decodable { let A: [[Double]], B: [[Double]], U: [[Double]], solution: [[Double]] }
    struct Eigh: Decodable { let A: [[Double]], values: [Double], vectors: [[Double]] }
    struct SVD: Decodable { let A: [[Double]], U: [[Double]], s: [Double], Vt: [[Double]] }
    struct Solve: Decodable { let A: [[Double]], B: [[Double]], solution: [[Double]] }

    let gemm: [GEMM]
    let strided_gemm: [Strided]
    let batched_gemm: Batched
    let gemv: GEMV
    let level1: Level1
    let lstsq: LSQSet
    let qr: QR
    let cholesky: Chol
    let eigh: Eigh
    let svd: SVD
    let solve: Solve
    let singular: [[Double]]
    let indefinite: [[Double]]
    let rank_deficient_tall: [[Double]]

    /// The fixture, read once; a missing or malformed file fails the test that asks, not the whole suite.
    static func shared() throws -> LinalgFixture { try Fixture.shared(LinalgFixture.self, "linalg/linalg.json") }
}

func M<T: LinearAlgebraScalar>(_ rows: [[Double]], as _: T.Type = Double.self) -> Matrix<T> {
    try! Matrix<T>(rows.map { $0.map { T($0) } })
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

    /// GEMM on views with leading dimensions and offsets; elements outside the views stay untouched.
    @Test func stridedViews() throws {
        for c in f.strided_gemm {
            var a = c.bufA, b = c.bufB, out = c.bufC
            try a.withUnsafeMutableBufferPointer { pa in
                try b.withUnsafeMutableBufferPointer { pb in
                    try out.withUnsafeMutableBufferPointer { pc in
                        let va = try MatrixView(pa, offset: c.offsetA, rows: c.m, columns: c.k, leadingDimension: c.lda)
                        let vb = try MatrixView(pb, offset: c.offsetB, rows: c.k, columns: c.n, leadingDimension: c.ldb)
                        let vc = try MatrixView(pc, offset: c.offsetC, rows: c.m, columns: c.n, leadingDimension: c.ldc)
                        try gemm(.none, va, .none, vb, alpha: c.alpha, beta: c.beta, into: vc)
                    }
                }
            }
            #expect(maxAbsDiff(out, c.result) < 1e-12)
        }
    }

    /// A view that would reach past its buffer, or a leading dimension below the column count, throws.
    @Test func viewBoundsAreChecked() throws {
        var buf = [Double](repeating: 0, count: 10)
        buf.withUnsafeMutableBufferPointer { p in
            #expect(throws: LinearAlgebraError.self) { try MatrixView(p, offset: 2, rows: 3, columns: 3, leadingDimension: 3) }
            #expect(throws: LinearAlgebraError.self) { try MatrixView(p, rows: 2, columns: 3, leadingDimension: 2) }
            #expect((try? MatrixView(p, offset: 1, rows: 3, columns: 3, leadingDimension: 3)) != nil)
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

    @Test func gemvBothWays() throws {
        let g = f.gemv
        var y = g.y
        try gemv(.none, M(g.A), g.x, alpha: g.alpha, beta: g.beta, into: &y)
        #expect(maxAbsDiff(y, g.result) < 1e-12)
        var yT = g.yT
        try gemv(.transpose, M(g.A), g.xT, alpha: g.alpha, beta: g.beta, into: &yT)
        #expect(maxAbsDiff(yT, g.resultT) < 1e-12)
        #expect(throws: LinearAlgebraError.self) { try gemv(.none, M(g.A), g.xT, into: &y) }
    }

    @Test func levelOne() throws {
        let l = f.level1
        #expect(abs(try dot(l.x, l.y) - l.dot) < 1e-12)
        var y = l.y
        try axpy(-1.25, l.x, &y)
        #expect(maxAbsDiff(y, l.axpy) < 1e-12)
        var x = l.x
        scal(3.0, &x)
        #expect(maxAbsDiff(x, l.scal) < 1e-12)
        #expect(abs(nrm2(l.x) - l.nrm2) < 1e-12)
        #expect(throws: LinearAlgebraError.self) { try dot(l.x, Array(l.y.dropLast())) }
        var short = Array(l.y.prefix(4))
        #expect(throws: LinearAlgebraError.self) { try axpy(1.0, l.x, &short) }
    }

    /// Mismatched shapes throw a shape error that names the operation, never trap.
    @Test func shapeMismatchThrows() throws {
        let a = Matrix<Double>(rows: 2, columns: 3), b = Matrix<Double>(rows: 2, columns: 3)
        #expect(throws: LinearAlgebraError.self) { try matmul(a, b) }
        var c = Matrix<Double>(rows: 3, columns: 3)
        #expect(throws: LinearAlgebraError.self) { try gemm(.none, a, .transpose, b, into: &c) }
        do {
            _ = try matmul(a, b)
        } catch let e as LinearAlgebraError {
            #expect(e.description.contains("gemm"))
            #expect(e.description.contains("2x3"))
        }
        #expect(throws: LinearAlgebraError.self) { try Matrix<Double>(rows: 2, columns: 2, elements: [1, 2, 3]) }
        #expect(throws: LinearAlgebraError.self) { try Matrix<Double>([[1, 2], [3]]) }
        // Transposed operands make the product valid: (2x3)(3x2).
        #expect(try matmul(a, b, transB: .transpose).rows == 2)
    }

    @Test func threadControl() {
        let before = BLASThreads.count
        BLASThreads.count = 1
        #expect(BLASThreads.count == 1)
        BLASThreads.count = before
        #expect(BLASThreads.count == before)
        #expect(BLASThreads.cores >= 1)
        #expect(BLASThreads.configuration.contains("OpenBLAS"))
    }
}
