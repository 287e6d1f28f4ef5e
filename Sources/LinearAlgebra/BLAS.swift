import CBLAS

/// A row-major view of `rows x columns` elements inside a larger buffer, with leading
/// dimension `leadingDimension >= columns`: element `(i, j)` is `base[offset + i * ld + j]`.
///
/// Creating a view checks that every element it names lies inside the buffer, so the
/// BLAS calls that take views can never read or write out of bounds.
public struct MatrixView<Scalar: LinearAlgebraScalar> {
    public let base: UnsafeMutableBufferPointer<Scalar>
    public let offset: Int
    public let rows: Int
    public let columns: Int
    public let leadingDimension: Int

    public init(_ base: UnsafeMutableBufferPointer<Scalar>, offset: Int = 0, rows: Int, columns: Int,
                leadingDimension: Int? = nil) throws {
        let ld = leadingDimension ?? columns
        guard rows >= 0, columns >= 0, offset >= 0, ld >= Swift.max(1, columns) else {
            throw LinearAlgebraError.shapeMismatch(
                "view \(rows)x\(columns) with leading dimension \(ld) at offset \(offset) is not valid")
        }
        let end = rows == 0 || columns == 0 ? offset : offset + (rows - 1) * ld + columns
        guard end <= base.count else {
            throw LinearAlgebraError.shapeMismatch(
                "view \(rows)x\(columns) (ld \(ld), offset \(offset)) needs \(end) elements, buffer has \(base.count)")
        }
        self.base = base
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.leadingDimension = ld
    }

    @usableFromInline var pointer: UnsafeMutablePointer<Scalar> { base.baseAddress! + offset }
}

/// Raw BLAS entry points on row-major pointers, for kernels that own their buffers.
///
/// These are unchecked (like CBLAS itself): the caller guarantees that every operand
/// holds the elements its shape and leading dimension name. Use the throwing free
/// functions (``gemm(_:_:_:_:alpha:beta:into:)``, views) where shapes come from input.
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

    /// `y[len] = alpha * op(A) * x + beta * y`, where `A` is `m x n` row-major.
    @inlinable
    public static func gemv<T: LinearAlgebraScalar>(
        _ transA: Transpose = .none, m: Int, n: Int, alpha: T = 1, a: UnsafePointer<T>, lda: Int,
        x: UnsafePointer<T>, incx: Int = 1, beta: T = 0, y: UnsafeMutablePointer<T>, incy: Int = 1
    ) {
        if m == 0 || n == 0 { return }
        T._gemv(transA == .transpose, m, n, alpha, a, lda, x, incx, beta, y, incy)
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
    /// OpenBLAS build description (version, core kernel).
    public static var configuration: String { String(cString: openblas_get_config()) }
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
    if k == 0 { scal(beta, &c.storage); return }
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: a.columns,
                          b: pb.baseAddress!, ldb: b.columns, beta: beta, c: pc.baseAddress!, ldc: n)
            }
        }
    }
}

/// `op(A) * op(B)` as a new matrix; throws when the inner dimensions differ.
public func matmul<T: LinearAlgebraScalar>(
    _ a: Matrix<T>, _ b: Matrix<T>, transA: Transpose = .none, transB: Transpose = .none
) throws -> Matrix<T> {
    let (m, _) = opShape(a.rows, a.columns, transA)
    let (_, n) = opShape(b.rows, b.columns, transB)
    var c = Matrix<T>(rows: m, columns: n)
    try gemm(transA, a, transB, b, into: &c)
    return c
}

/// GEMM on views into larger buffers (leading dimensions > columns allowed); throws on shape errors.
public func gemm<T: LinearAlgebraScalar>(
    _ transA: Transpose, _ a: MatrixView<T>, _ transB: Transpose, _ b: MatrixView<T>,
    alpha: T = 1, beta: T = 0, into c: MatrixView<T>
) throws {
    let (m, k) = opShape(a.rows, a.columns, transA)
    let (k2, n) = opShape(b.rows, b.columns, transB)
    guard k == k2, c.rows == m, c.columns == n else {
        throw LinearAlgebraError.shapeMismatch(
            "gemm: op(A) is \(m)x\(k), op(B) is \(k2)x\(n), C is \(c.rows)x\(c.columns)")
    }
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c.pointer[i * c.leadingDimension + j] *= beta } }
        return
    }
    BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: a.leadingDimension,
              b: b.pointer, ldb: b.leadingDimension, beta: beta, c: c.pointer, ldc: c.leadingDimension)
}

/// `y = alpha * op(A) * x + beta * y`; throws when the lengths do not agree.
public func gemv<T: LinearAlgebraScalar>(
    _ transA: Transpose, _ a: Matrix<T>, _ x: [T], alpha: T = 1, beta: T = 0, into y: inout [T]
) throws {
    let (m, n) = opShape(a.rows, a.columns, transA)
    guard x.count == n, y.count == m else {
        throw LinearAlgebraError.shapeMismatch("gemv: op(A) is \(m)x\(n), x has \(x.count), y has \(y.count)")
    }
    if m == 0 { return }
    if n == 0 { scal(beta, &y); return }
    a.storage.withUnsafeBufferPointer { pa in
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                BLAS.gemv(transA, m: a.rows, n: a.columns, alpha: alpha, a: pa.baseAddress!, lda: a.columns,
                          x: px.baseAddress!, beta: beta, y: py.baseAddress!)
            }
        }
    }
}

/// `x . y`; throws when the lengths differ.
public func dot<T: LinearAlgebraScalar>(_ x: [T], _ y: [T]) throws -> T {
    guard x.count == y.count else { throw LinearAlgebraError.shapeMismatch("dot: \(x.count) vs \(y.count) elements") }
    if x.isEmpty { return 0 }
    return x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in
        T._dot(x.count, px.baseAddress!, 1, py.baseAddress!, 1) } }
}

/// `y += alpha * x`; throws when the lengths differ.
public func axpy<T: LinearAlgebraScalar>(_ alpha: T, _ x: [T], _ y: inout [T]) throws {
    guard x.count == y.count else { throw LinearAlgebraError.shapeMismatch("axpy: \(x.count) vs \(y.count) elements") }
    if x.isEmpty { return }
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
        T._axpy(px.count, alpha, px.baseAddress!, 1, py.baseAddress!, 1) } }
}

/// `x *= alpha`.
public func scal<T: LinearAlgebraScalar>(_ alpha: T, _ x: inout [T]) {
    if x.isEmpty { return }
    x.withUnsafeMutableBufferPointer { px in T._scal(px.count, alpha, px.baseAddress!, 1) }
}

/// Euclidean norm `||x||_2`, computed without overflow by BLAS `nrm2`.
public func nrm2<T: LinearAlgebraScalar>(_ x: [T]) -> T {
    if x.isEmpty { return 0 }
    return x.withUnsafeBufferPointer { T._nrm2($0.count, $0.baseAddress!, 1) }
}
