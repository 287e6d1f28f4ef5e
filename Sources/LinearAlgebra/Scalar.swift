import CBLAS
import CLAPACKE

/// `Float` or `Double`: the element types that BLAS and LAPACK support here.
///
/// The `_`-prefixed requirements are the raw CBLAS / LAPACKE entry points (row-major) behind
/// ``BLAS`` and the checked API in `BLAS.swift` and `LAPACK.swift`. They are public for a technical
/// reason only: ``BLAS/gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` is `@inlinable` (the kernels of
/// other modules inline it), so what it calls must be public too. They are not meant to be called.
public protocol LinearAlgebraScalar: BinaryFloatingPoint, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// Name prefix of the routines (`s` or `d`), used in error messages.
    static var _prefix: String { get }

    static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)

    static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                       _ b: UnsafeMutablePointer<Self>, _ ldb: Int, _ s: UnsafeMutablePointer<Self>,
                       _ rcond: Self, _ rank: UnsafeMutablePointer<Int32>) -> Int32
    static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
    static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int,
                       _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int,
                       _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int) -> Int32
}

@inline(__always) private func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) private func int32(_ x: Int) -> Int32 { Int32(truncatingIfNeeded: x) }
private let rowMajor = Int32(LAPACK_ROW_MAJOR)
private let jobN = Int8(UInt8(ascii: "N"))
private let jobS = Int8(UInt8(ascii: "S"))

extension Float: LinearAlgebraScalar {
    public static var _prefix: String { "s" }
    @inline(__always)
    public static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, cblasTranspose(ta), cblasTranspose(tb), int32(m), int32(n), int32(k),
                    alpha, a, int32(lda), b, int32(ldb), beta, c, int32(ldc))
    }

    public static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                              _ b: UnsafeMutablePointer<Float>, _ ldb: Int, _ s: UnsafeMutablePointer<Float>,
                              _ rcond: Float, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgelsd(rowMajor, int32(m), int32(n), int32(nrhs), a, int32(lda), b, int32(ldb), s, rcond, rank)
    }
    public static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        LAPACKE_sgels(rowMajor, jobN, int32(m), int32(n), int32(nrhs), a, int32(lda), b, int32(ldb))
    }
    public static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int,
                              _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int,
                              _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int) -> Int32 {
        LAPACKE_sgesdd(rowMajor, jobS, int32(m), int32(n), a, int32(lda), s, u, int32(ldu), vt, int32(ldvt))
    }
}

extension Double: LinearAlgebraScalar {
    public static var _prefix: String { "d" }
    @inline(__always)
    public static func _gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, cblasTranspose(ta), cblasTranspose(tb), int32(m), int32(n), int32(k),
                    alpha, a, int32(lda), b, int32(ldb), beta, c, int32(ldc))
    }

    public static func _gelsd(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                              _ b: UnsafeMutablePointer<Double>, _ ldb: Int, _ s: UnsafeMutablePointer<Double>,
                              _ rcond: Double, _ rank: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgelsd(rowMajor, int32(m), int32(n), int32(nrhs), a, int32(lda), b, int32(ldb), s, rcond, rank)
    }
    public static func _gels(_ m: Int, _ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        LAPACKE_dgels(rowMajor, jobN, int32(m), int32(n), int32(nrhs), a, int32(lda), b, int32(ldb))
    }
    public static func _gesdd(_ m: Int, _ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int,
                              _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int,
                              _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int) -> Int32 {
        LAPACKE_dgesdd(rowMajor, jobS, int32(m), int32(n), a, int32(lda), s, u, int32(ldu), vt, int32(ldvt))
    }
}
