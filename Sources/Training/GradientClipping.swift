/// Global-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_(params, max_norm)`.
public enum GradientClipping {
    /// The Euclidean norm of all gradients, `sqrt(sum g_i^2)`, accumulated in Double (eight
    /// parallel lanes, then summed in a fixed order), so it is exact to ~1e-15 relative and the
    /// same on every run.
    public static func globalNorm(_ g: UnsafeBufferPointer<Float>) -> Double {
        guard let base = g.baseAddress else { return 0 }
        let n = g.count
        var acc = SIMD8<Double>()
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 8 <= n {
            let x = SIMD8<Double>(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            acc += x * x
            i += 8
        }
        var total = acc.sum()
        while i < n { let x = Double(base[i]); total += x * x; i += 1 }
        return total.squareRoot()
    }

    /// Scales `g` by `min(1, maxNorm / (norm + 1e-6))` (PyTorch's rule) and returns the pre-clip norm.
    /// Gradients are left untouched when the factor is 1 or when the norm is not finite (the
    /// trainer stops on a non-finite norm before using them).
    @discardableResult
    public static func clip(_ g: UnsafeMutableBufferPointer<Float>, maxNorm: Double) -> Double {
        let norm = globalNorm(UnsafeBufferPointer(g))
        guard norm.isFinite else { return norm }
        let coefficient = Float(maxNorm / (norm + 1e-6))
        if coefficient < 1 {
            for i in g.indices { g[i] *= coefficient }
        }
        return norm
    }
}
