import CBLAS
import CLAPACKE

/// `Float` or `Double`: the element types that BLAS and LAPACK support here.
///
/// The `_`-prefixed requirements are the raw CBLAS / LAPACKE entry points (row-major),
/// used by the checked public API in `BLAS.swift` and `LAPACK.swift`.
public protocol LinearAlgebraScalar: BinaryFloatingPoint, Sendable, Codable where Self.RawSignificand: FixedWidthInteger {
    /// Name prefix of the routines (`s` or `d`), used in error messages.
    static var _prefix: String { get }

    static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func _gemv(_ ta: Bool, _ m: Int, _ n: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int)
    static func _dot(_ n: Int, _ x: UnsafePointer<Self>, _ incx: Int, _ y: UnsafePointer<Self>, _ incy: Int) -> Self
    static func _axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int, _ y: UnsafeMutablePointer<Self>, _ incy: Int)
    static func _scal(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>, _ incx: Int)
    static func _nrm2(_ n: Int, _ x: UnsafePointer<Self>, _ incx: Int) -> Self

    static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                       _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ s: UnsafeMutablePointer<Self>,
                       _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
    static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    static func _geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ tau: UnsafeMutablePointer<Self>) -> Int32
    static func _orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ tau: UnsafePointer<Self>) -> Int32
    static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    static func _syevd(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ w: UnsafeMutablePointer<Self>) -> Int32
    static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ s: UnsafeMutablePointer<Self>,
                       _ u: UnsafeMutablePointer<Self>, _ ldu: Int, _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int) -> Int32
    static func _gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
}

@inline(__always) private func _t(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) private func _i(_ x: Int) -> Int32 { Int32(truncatingIfNeeded: x) }
private let rowMajor = Int32(LAPACK_ROW_MAJOR)
private let jobV = Int8(UInt8(ascii: "V"))
private let jobN = Int8(UInt8(ascii: "N"))
private let jobS = Int8(UInt8(ascii: "S"))
private let upper = Int8(UInt8(ascii: "U"))

extension Float: LinearAlgebraScalar {
    public static var _prefix: String { "s" }
    @inline(__always)
    public static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, _t(ta), _t(tb), _i(m), _i(n), _i(k), alpha, a, _i(lda), b, _i(ldb), beta, c, _i(ldc))
    }
    public static func _gemv(_ ta: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incy: Int) {
        cblas_sgemv(CblasRowMajor, _t(ta), _i(m), _i(n), alpha, a, _i(lda), x, _i(incx), beta, y, _i(incy))
    }
    public static func _dot(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafePointer<Float>, _ incy: Int) -> Float {
        cblas_sdot(_i(n), x, _i(incx), y, _i(incy))
    }
    public static func _axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafeMutablePointer<Float>, _ incy: Int) {
        cblas_saxpy(_i(n), alpha, x, _i(incx), y, _i(incy))
    }
    public static func _scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int) {
        cblas_sscal(_i(n), alpha, x, _i(incx))
    }
    public static func _nrm2(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int) -> Float { cblas_snrm2(_i(n), x, _i(incx)) }

    public static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                              _ b: UnsafeMutablePointer<Float>, _ ldb: Int, _ s: UnsafeMutablePointer<Float>,
                              _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgelsd(rowMajor, _i(m), _i(n), _i(nrhs), a, _i(lda), b, _i(ldb), s, rcond, rank)
    }
    public static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_sgels(rowMajor, jobN, _i(m), _i(n), _i(nrhs), a, _i(lda), b, _i(ldb))
    }
    public static func _geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgeqrf(rowMajor, _i(m), _i(n), a, _i(lda), tau)
    }
    public static func _orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ tau: UnsafePointer<Float>) -> Int32 {
        LAPACKE_sorgqr(rowMajor, _i(m), _i(n), _i(k), a, _i(lda), tau)
    }
    public static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_sposv(rowMajor, upper, _i(n), _i(nrhs), a, _i(lda), b, _i(ldb))
    }
    public static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        LAPACKE_spotrf(rowMajor, upper, _i(n), a, _i(lda))
    }
    public static func _syevd(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyevd(rowMajor, jobV, upper, _i(n), a, _i(lda), w)
    }
    public static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ s: UnsafeMutablePointer<Float>,
                              _ u: UnsafeMutablePointer<Float>, _ ldu: Int, _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int) -> Int32 {
        LAPACKE_sgesdd(rowMajor, jobS, _i(m), _i(n), a, _i(lda), s, u, _i(ldu), vt, _i(ldvt))
    }
    public static func _gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_sgesv(rowMajor, _i(n), _i(nrhs), a, _i(lda), ipiv, b, _i(ldb))
    }
}

extension Double: LinearAlgebraScalar {
    public static var _prefix: String { "d" }
    @inline(__always)
    public static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, _t(ta), _t(tb), _i(m), _i(n), _i(k), alpha, a, _i(lda), b, _i(ldb), beta, c, _i(ldc))
    }
    public static func _gemv(_ ta: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double, _ y: UnsafeMutablePointer<Double>, _ incy: Int) {
        cblas_dgemv(CblasRowMajor, _t(ta), _i(m), _i(n), alpha, a, _i(lda), x, _i(incx), beta, y, _i(incy))
    }
    public static func _dot(_ n: Int, _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafePointer<Double>, _ incy: Int) -> Double {
        cblas_ddot(_i(n), x, _i(incx), y, _i(incy))
    }
    public static func _axpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafeMutablePointer<Double>, _ incy: Int) {
        cblas_daxpy(_i(n), alpha, x, _i(incx), y, _i(incy))
    }
    public static func _scal(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int) {
        cblas_dscal(_i(n), alpha, x, _i(incx))
    }
    public static func _nrm2(_ n: Int, _ x: UnsafePointer<Double>, _ incx: Int) -> Double { cblas_dnrm2(_i(n), x, _i(incx)) }

    public static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                              _ b: UnsafeMutablePointer<Double>, _ ldb: Int, _ s: UnsafeMutablePointer<Double>,
                              _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgelsd(rowMajor, _i(m), _i(n), _i(nrhs), a, _i(lda), b, _i(ldb), s, rcond, rank)
    }
    public static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dgels(rowMajor, jobN, _i(m), _i(n), _i(nrhs), a, _i(lda), b, _i(ldb))
    }
    public static func _geqrf(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgeqrf(rowMajor, _i(m), _i(n), a, _i(lda), tau)
    }
    public static func _orgqr(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ tau: UnsafePointer<Double>) -> Int32 {
        LAPACKE_dorgqr(rowMajor, _i(m), _i(n), _i(k), a, _i(lda), tau)
    }
    public static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dposv(rowMajor, upper, _i(n), _i(nrhs), a, _i(lda), b, _i(ldb))
    }
    public static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        LAPACKE_dpotrf(rowMajor, upper, _i(n), a, _i(lda))
    }
    public static func _syevd(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyevd(rowMajor, jobV, upper, _i(n), a, _i(lda), w)
    }
    public static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ s: UnsafeMutablePointer<Double>,
                              _ u: UnsafeMutablePointer<Double>, _ ldu: Int, _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int) -> Int32 {
        LAPACKE_dgesdd(rowMajor, jobS, _i(m), _i(n), a, _i(lda), s, u, _i(ldu), vt, _i(ldvt))
    }
    public static func _gesv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int, _ ipiv: UnsafeMutablePointer<Int32>,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dgesv(rowMajor, _i(n), _i(nrhs), a, _i(lda), ipiv, b, _i(ldb))
    }
}
