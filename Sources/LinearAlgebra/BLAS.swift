import Foundation
import CBLAS

/// Raw BLAS entry points on row-major pointers, for kernels that own their buffers.
///
/// These are unchecked (like CBLAS itself): the caller guarantees that every operand
/// holds the elements its shape and leading dimension name. Use the throwing
/// ``gemm(_:_:_:_:alpha:beta:into:)`` on ``Matrix`` where shapes come from input.
public enum BLAS {
    /// `C[m x n] = alpha * op(A) * op(B) + beta * C`, row-major; `op(A)` is `m x k`, `op(B)` is `k x n`.
    @inlinable @inline(__always)
    public static func gemm<T: LinearAlgebraScalar>(
        _ transA: Transpose = .none, _ transB: Transpose = .none, m: Int, n: Int, k: Int,
        alpha: T = 1, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        T._gemm(transA == .transpose, transB == .transpose, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// `batch` independent GEMMs whose operands start `strideA`, `strideB`, `strideC` elements apart,
    /// as used for attention heads: `C_p = alpha * op(A_p) * op(B_p) + beta * C_p`.
    @inlinable
    public static func gemmStridedBatched<T: LinearAlgebraScalar>(
        _ transA: Transpose = .none, _ transB: Transpose = .none, m: Int, n: Int, k: Int,
        alpha: T = 1, a: UnsafePointer<T>, lda: Int, strideA: Int, b: UnsafePointer<T>, ldb: Int, strideB: Int,
        beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int, strideC: Int, batch: Int
    ) {
        for p in 0..<batch {
            gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a + p * strideA, lda: lda,
                 b: b + p * strideB, ldb: ldb, beta: beta, c: c + p * strideC, ldc: ldc)
        }
    }
}

/// Thread control for OpenBLAS.
///
/// OpenBLAS reads `OPENBLAS_NUM_THREADS` (else `OMP_NUM_THREADS`, else the core count) when it
/// loads; ``count`` reads and overrides that for the whole process.
public enum BLASThreads {
    /// The number of threads OpenBLAS uses for level-3 routines.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(Swift.max(1, newValue))) }
    }
    /// Cores OpenBLAS sees on this machine.
    public static var cores: Int { Int(openblas_get_num_procs()) }

    /// Runs `body(previous)` with OpenBLAS at `threads` threads, then restores the count from before, `previous`.
    /// The count is one process-wide
    /// setting, so regions take turns (one lock, re-entrant on its thread): two callers on different threads
    /// (a benchmark beside a sliced training step) never see each other's count.
    public static func with<R>(_ threads: Int, _ body: (_ previous: Int) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        let saved = count
        count = threads
        defer { count = saved }
        return try body(saved)
    }
    private static let lock = NSRecursiveLock()
}

// MARK: - Checked, shape-validated API

@inline(__always)
func opShape(_ rows: Int, _ columns: Int, _ t: Transpose) -> (Int, Int) {
    t == .none ? (rows, columns) : (columns, rows)
}

/// `C = alpha * op(A) * op(B) + beta * C`; throws when the shapes do not agree.
public func gemm<T: LinearAlgebraScalar>(
    _ transA: Transpose, _ a: Matrix<T>, _ transB: Transpose, _ b: Matrix<T>,
    alpha: T = 1, beta: T = 0, into c: inout Matrix<T>
) throws {
    let (m, k) = opShape(a.rows, a.columns, transA)
    let (k2, n) = opShape(b.rows, b.columns, transB)
    guard k == k2, c.rows == m, c.columns == n else {
        throw LinearAlgebraError.shapeMismatch(
            "gemm: op(A) is \(m)x\(k), op(B) is \(k2)x\(n), C is \(c.rows)x\(c.columns)")
    }
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in c.storage.indices { c.storage[i] *= beta }
        return
    }
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: a.columns,
                          b: pb.baseAddress!, ldb: b.columns, beta: beta, c: pc.baseAddress!, ldc: n)
            }
        }
    }
}
