/// Row primitives on contiguous values, eight lanes at a time (`SIMD8`) with a scalar tail.
/// Explicit vectors because LLVM keeps strict floating-point order and would not vectorize the
/// reductions (max, sum) by itself. Sums are therefore taken in 8 interleaved partial sums.
enum Vec8 {
    @_specialize(where F == Float)
    @inline(__always) static func load<F: ModelScalar>(_ p: UnsafePointer<F>) -> SIMD8<F> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<F>.self)
    }
    @_specialize(where F == Float)
    @inline(__always) static func store<F: ModelScalar>(_ v: SIMD8<F>, _ p: UnsafeMutablePointer<F>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<F>.self)
    }

    /// `max_j p[j]` (n >= 1).
    @_specialize(where F == Float)
    @inline(__always) static func max<F: ModelScalar>(_ p: UnsafePointer<F>, _ n: Int) -> F {
        var j = 0, m = -F.infinity
        if n >= 8 {
            var v = load(p)
            j = 8
            while j + 8 <= n { v = F.lanesMax(v, load(p + j)); j += 8 }
            m = v.max()
        }
        while j < n { m = Swift.max(m, p[j]); j += 1 }
        return m
    }

    /// `p[j] = exp(p[j] - shift)`; returns `sum_j p[j]`.
    @_specialize(where F == Float)
    @inline(__always) static func expShiftSum<F: ModelScalar>(_ p: UnsafeMutablePointer<F>, _ n: Int, shift: F) -> F {
        var j = 0
        var acc = SIMD8<F>()
        while j + 8 <= n {
            let e = F.exp(load(p + j) - shift)
            store(e, p + j); acc += e; j += 8
        }
        var s = acc.sum()
        while j < n { let e = F.exp(p[j] - shift); p[j] = e; s += e; j += 1 }
        return s
    }

    /// `sum_j exp(p[j] - shift)` without writing.
    @_specialize(where F == Float)
    @inline(__always) static func expShiftSumReadOnly<F: ModelScalar>(_ p: UnsafePointer<F>, _ n: Int, shift: F) -> F {
        var j = 0
        var acc = SIMD8<F>()
        while j + 8 <= n { acc += F.exp(load(p + j) - shift); j += 8 }
        var s = acc.sum()
        while j < n { s += F.exp(p[j] - shift); j += 1 }
        return s
    }

    /// `p[j] *= k`.
    @_specialize(where F == Float)
    @inline(__always) static func scale<F: ModelScalar>(_ p: UnsafeMutablePointer<F>, _ n: Int, _ k: F) {
        var j = 0
        while j + 8 <= n { store(load(p + j) * k, p + j); j += 8 }
        while j < n { p[j] *= k; j += 1 }
    }

    /// `sum_j a[j] * b[j]`.
    @_specialize(where F == Float)
    @inline(__always) static func dot<F: ModelScalar>(_ a: UnsafePointer<F>, _ b: UnsafePointer<F>, _ n: Int) -> F {
        var j = 0
        var acc = SIMD8<F>()
        while j + 8 <= n { acc += load(a + j) * load(b + j); j += 8 }
        var s = acc.sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }
}
