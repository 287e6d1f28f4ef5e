/// Branch-free single-precision `erf`, eight lanes at a time, for BERT's exact GELU.
///
/// Two regions, both evaluated on every lane and merged with integer bit masks (no branches, no
/// libm calls, so the loops that call it vectorize):
/// - `|x| < 1`: `erf x = x + x·Q(x²)`, Q of degree 6;
/// - `|x| ≥ 1`: `erfc |x| = e^{−x²}·R(1/|x|)`, R of degree 7, `erf x = sign(x)·(1 − erfc |x|)`.
/// Coefficients fitted in float64 (reweighted least squares towards minimax) by
/// `Fixtures/gen/engine_erf_fit.py`. With the fast `exp`, the maximum absolute error against the
/// float64 erf is below 1.2e-7 (about 1 ulp near 1; `KernelTests.fastErfAccuracy`), and below
/// |x|·2e-7 relative for `|x| < 1`.
///
/// ``onePlusErf(_:)`` gives `1 + erf x` without the cancellation of `1 + (−1 + erfc)` for x ≤ −1
/// (there it is `erfc |x|` itself: relative error below 6e-5 on [-4, -1], absolute below 1e-8),
/// which GELU needs for negative inputs.
extension FastMath {
    static let erfQ: (Float, Float, Float, Float, Float, Float, Float) =
        (0.12837917, -0.37612626, 0.112835854, -0.026853817, 0.0051883375, -0.0008010296, 7.8542536e-05)
    static let erfcR: (Float, Float, Float, Float, Float, Float, Float, Float) =
        (0.00020136595, 0.5590926, 0.04603337, -0.49652594, 0.5663283, -0.34964573, 0.12015161, -0.018051982)

    /// `Q(t)` with `erf x = x + x Q(x²)` on `|x| < 1`.
    @inline(__always) static func erfSmall(_ a: SIMD8<Float>) -> SIMD8<Float> {
        let t = a * a, c = erfQ
        var p = SIMD8<Float>(repeating: c.6)
        p = fmadd(p, t, SIMD8(repeating: c.5))
        p = fmadd(p, t, SIMD8(repeating: c.4))
        p = fmadd(p, t, SIMD8(repeating: c.3))
        p = fmadd(p, t, SIMD8(repeating: c.2))
        p = fmadd(p, t, SIMD8(repeating: c.1))
        p = fmadd(p, t, SIMD8(repeating: c.0))
        return a + a * p
    }

    /// `erfc a = e^{−a²} R(1/a)` for `a ≥ 1`.
    @inline(__always) static func erfcTail(_ a: SIMD8<Float>) -> SIMD8<Float> {
        let u = 1 / a, c = erfcR
        var p = SIMD8<Float>(repeating: c.7)
        p = fmadd(p, u, SIMD8(repeating: c.6))
        p = fmadd(p, u, SIMD8(repeating: c.5))
        p = fmadd(p, u, SIMD8(repeating: c.4))
        p = fmadd(p, u, SIMD8(repeating: c.3))
        p = fmadd(p, u, SIMD8(repeating: c.2))
        p = fmadd(p, u, SIMD8(repeating: c.1))
        p = fmadd(p, u, SIMD8(repeating: c.0))
        return exp(-(a * a)) * p
    }

    /// `(|x|, sign bits of x, all-ones mask where |x| < 1, erf |x| on the small region, erfc |x| on the tail)`.
    @inline(__always)
    static func erfParts(_ x: SIMD8<Float>)
        -> (sign: SIMD8<UInt32>, small: SIMD8<UInt32>, inner: SIMD8<Float>, tail: SIMD8<Float>) {
        let signBit = SIMD8<UInt32>(repeating: 0x8000_0000)
        let xi = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(xi & ~signBit, to: SIMD8<Float>.self)
        let one = SIMD8<Float>(repeating: 1)
        let small = unsafeBitCast(unsafeBitCast(a - one, to: SIMD8<Int32>.self) &>> 31, to: SIMD8<UInt32>.self)
        return (xi & signBit, small, erfSmall(min(a, one)), erfcTail(max(a, one)))
    }

    /// `erf x` on eight lanes (see the type's notes for the error bound).
    @inline(__always) static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (sign, small, inner, tail) = erfParts(x)
        let outer = 1 - tail
        let mag = (unsafeBitCast(inner, to: SIMD8<UInt32>.self) & small)
            | (unsafeBitCast(outer, to: SIMD8<UInt32>.self) & ~small)
        return unsafeBitCast(mag | sign, to: SIMD8<Float>.self)
    }

    /// `1 + erf x` on eight lanes: `1 ± erf|x|` for `|x| < 1`, `2 − erfc x` for x ≥ 1, `erfc |x|` for x ≤ −1.
    @inline(__always) static func onePlusErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let (sign, small, inner, tail) = erfParts(x)
        let signedInner = unsafeBitCast(unsafeBitCast(inner, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
        let near = 1 + signedInner
        // x ≥ 1: 2 − erfc |x|; x ≤ −1: erfc |x| (selected by the sign mask).
        let negative = unsafeBitCast(unsafeBitCast(sign, to: SIMD8<Int32>.self) &>> 31, to: SIMD8<UInt32>.self)
        let far = (unsafeBitCast(tail, to: SIMD8<UInt32>.self) & negative)
            | (unsafeBitCast(2 - tail, to: SIMD8<UInt32>.self) & ~negative)
        let merged = (unsafeBitCast(near, to: SIMD8<UInt32>.self) & small) | (far & ~small)
        return unsafeBitCast(merged, to: SIMD8<Float>.self)
    }
}
