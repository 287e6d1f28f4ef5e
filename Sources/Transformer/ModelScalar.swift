import Foundation
import LinearAlgebra

/// The element type of a model: `Float` for training, `Double` for the finite-difference oracle.
///
/// The requirements are the elementwise math the kernels need. `Float` uses branch-free
/// polynomial versions (see ``FastMath``) so that the hot loops vectorize; `Double` uses the C
/// library, so the gradient check runs against exact functions.
protocol ModelScalar: LinearAlgebraScalar, SIMDScalar {
    /// Lane-wise ``exp(_:)-swift.type.method`` on 8 values (Float: vectorized polynomial).
    static func exp(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Lane-wise maximum (no NaN handling: used on finite activations).
    static func lanesMax(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    /// `e^x`; Float: relative error below 2e-7 on [-87, 88], 0 below, +inf above.
    static func exp(_ x: Self) -> Self
    /// Lane-wise `1 + erf x` (BERT's exact GELU); Float: ``FastMath/onePlusErf(_:)`` (absolute error
    /// below 1.2e-7), Double: the C library's `erfc(-x)`.
    static func onePlusErf(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Natural logarithm (C library).
    static func log(_ x: Self) -> Self
}

extension Float: ModelScalar {
    @inline(__always) static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> { FastMath.exp(x) }
    @inline(__always) static func lanesMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        FastMath.max(a, b)
    }
    @inline(__always) static func exp(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) static func onePlusErf(_ x: SIMD8<Float>) -> SIMD8<Float> { FastMath.onePlusErf(x) }
    @inline(__always) static func log(_ x: Float) -> Float { Foundation.logf(x) }
}

extension Double: ModelScalar {
    @inline(__always) static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x
        for i in 0..<8 { r[i] = Foundation.exp(x[i]) }
        return r
    }
    @inline(__always) static func lanesMax(_ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        a.replacing(with: b, where: b .> a)
    }
    @inline(__always) static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func onePlusErf(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x
        for i in 0..<8 { r[i] = Foundation.erfc(-x[i]) }
        return r
    }
    @inline(__always) static func log(_ x: Double) -> Double { Foundation.log(x) }
}

/// Branch-free single-precision `exp` and `tanh` built only from multiply, add and integer
/// bit operations, so loops that call them vectorize (no libm calls in the loop body).
enum FastMath {
    /// `a * b + c`: fused (one rounding, `vfmadd`) in builds with the `AUTOSCALE_FMA` condition, which `make` sets
    /// with its x86-64-v3 `CPU_FLAGS`; two roundings elsewhere. (The Swift compiler does not contract `a * b + c`
    /// by itself, and on a target without FMA `addingProduct` becomes a libm `fmaf` call per lane.)
    @inline(__always) static func fmadd(_ a: Float, _ b: Float, _ c: Float) -> Float {
        #if AUTOSCALE_FMA
        c.addingProduct(a, b)
        #else
        a * b + c
        #endif
    }

    /// Lane-wise ``fmadd(_:_:_:)-(Float,Float,Float)``.
    @inline(__always) static func fmadd(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        #if AUTOSCALE_FMA
        c.addingProduct(a, b)
        #else
        a * b + c
        #endif
    }

    /// `e^x = 2^k * e^r` with `k = round(x / ln 2)`, `r = x - k ln 2` in [-ln2/2, ln2/2] (Cody-Waite
    /// split of ln 2), and a degree-6 Taylor/minimax polynomial for `e^r` (relative error < 2e-7).
    /// Inputs are clamped to [-87.3, 88.3]: results underflow to ~1e-38 rather than 0, which is
    /// harmless for softmax (weights of masked entries are set to zero explicitly).
    @inline(__always) static func exp(_ x0: Float) -> Float {
        let x = Swift.min(Swift.max(x0, -87.3), 88.3)
        // Round x*log2(e) to the nearest integer with the 1.5*2^23 trick (SSE2 friendly).
        let magic: Float = 12582912
        let shifted = fmadd(x, 1.44269504088896341, magic)
        let k = shifted - magic
        let ki = Int32(bitPattern: shifted.bitPattern &- magic.bitPattern)
        let r = fmadd(k, -1.428606765330187045e-6, fmadd(k, -0.693145751953125, x))
        var p: Float = 1.0 / 720
        p = fmadd(p, r, 1.0 / 120)
        p = fmadd(p, r, 1.0 / 24)
        p = fmadd(p, r, 1.0 / 6)
        p = fmadd(p, r, 0.5)
        p = fmadd(p, r, 1)
        p = fmadd(p, r, 1)
        let scale = Float(bitPattern: UInt32(bitPattern: (ki &+ 127) &<< 23))
        return p * scale
    }

    /// The same `exp`, eight lanes at a time (SIMD arithmetic and bit operations only).
    @inline(__always) static func exp(_ x0: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
        let x = min(max(x0, lo), hi)
        let magic: Float = 12582912
        let shifted = fmadd(x, SIMD8(repeating: 1.44269504088896341), SIMD8(repeating: magic))
        let k = shifted - magic
        let ki = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        let r = fmadd(k, SIMD8(repeating: -1.428606765330187045e-6), fmadd(k, SIMD8(repeating: -0.693145751953125), x))
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = fmadd(p, r, SIMD8(repeating: 1.0 / 120))
        p = fmadd(p, r, SIMD8(repeating: 1.0 / 24))
        p = fmadd(p, r, SIMD8(repeating: 1.0 / 6))
        p = fmadd(p, r, SIMD8(repeating: 0.5))
        p = fmadd(p, r, SIMD8(repeating: 1))
        p = fmadd(p, r, SIMD8(repeating: 1))
        return p * unsafeBitCast((ki &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// Lane-wise `max(a, b)` for non-NaN values, from the sign of `b - a` (exact) with integer
    /// shifts and masks only. (`SIMDMask` comparisons, `pointwiseMax` and `replacing(with:where:)`
    /// compile to lane-by-lane code through general registers.)
    @inline(__always) static func max(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        let negative = unsafeBitCast(b - a, to: SIMD8<Int32>.self) &>> 31  // all ones where b < a
        let ai = unsafeBitCast(a, to: SIMD8<Int32>.self), bi = unsafeBitCast(b, to: SIMD8<Int32>.self)
        return unsafeBitCast((ai & negative) | (bi & ~negative), to: SIMD8<Float>.self)
    }

    /// Lane-wise `min(a, b)` for non-NaN values (see ``max(_:_:)``).
    @inline(__always) static func min(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        let negative = unsafeBitCast(b - a, to: SIMD8<Int32>.self) &>> 31  // all ones where b < a
        let ai = unsafeBitCast(a, to: SIMD8<Int32>.self), bi = unsafeBitCast(b, to: SIMD8<Int32>.self)
        return unsafeBitCast((bi & negative) | (ai & ~negative), to: SIMD8<Float>.self)
    }

    /// `tanh x = 1 - 2 / (e^{2x} + 1)` with the fast `exp`; absolute error < 3e-7.
    @inline(__always) static func tanh(_ x: Float) -> Float {
        1 - 2 / (exp(2 * x) + 1)
    }
}
