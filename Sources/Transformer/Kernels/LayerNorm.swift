// Shapes: N rows, C channels.

/// Layer normalization over the last dimension (PyTorch `nn.LayerNorm`, biased variance).
///
/// Forward, for each row n of inp (N,C):
/// `mu = mean(x)`, `rstd = 1/sqrt(mean((x-mu)^2) + eps)`, `xhat = (x-mu)*rstd`,
/// `out = xhat * weight + bias`; mean and rstd (N) are saved for the backward pass.
/// Backward, with `g = dout * weight`:
/// `dx = rstd * (g - mean(g) - xhat * mean(g * xhat))`, `dweight += sum_n dout*xhat`,
/// `dbias += sum_n dout`.
enum LayerNorm {
    /// `out`, `inp` (N, C); `mean`, `rstd` (N), written; `weight`, `bias` (C).
    @_specialize(where F == Float)
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, mean: UnsafeMutablePointer<F>, rstd: UnsafeMutablePointer<F>,
        inp: UnsafePointer<F>, weight: UnsafePointer<F>, bias: UnsafePointer<F>, N: Int, C: Int, eps: F
    ) {
        let invC = 1 / F(C)
        for n in 0..<N {
            let x = inp + n * C, o = out + n * C
            var s: F = 0
            for c in 0..<C { s += x[c] }
            let m = s * invC
            var v: F = 0
            for c in 0..<C { let d = x[c] - m; v += d * d }
            let r = 1 / (v * invC + eps).squareRoot()
            for c in 0..<C { o[c] = (x[c] - m) * r * weight[c] + bias[c] }
            mean[n] = m; rstd[n] = r
        }
    }

    /// `dinp`, `dout`, `inp` (N, C); `dweight`, `dbias`, `weight` (C); `mean`, `rstd` (N) from the forward
    /// pass. `accumulate`: add dx into `dinp` (residual streams) instead of overwriting it.
    @_specialize(where F == Float)
    static func backward<F: ModelScalar>(
        dinp: UnsafeMutablePointer<F>, dweight: UnsafeMutablePointer<F>, dbias: UnsafeMutablePointer<F>,
        dout: UnsafePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>,
        mean: UnsafePointer<F>, rstd: UnsafePointer<F>, N: Int, C: Int, accumulate: Bool
    ) {
        let invC = 1 / F(C)
        for n in 0..<N {
            let x = inp + n * C, d = dout + n * C, dx = dinp + n * C
            let m = mean[n], r = rstd[n]
            var sg: F = 0, sgx: F = 0
            for c in 0..<C {
                let xhat = (x[c] - m) * r
                let g = d[c] * weight[c]
                sg += g; sgx += g * xhat
                dbias[c] += d[c]
                dweight[c] += d[c] * xhat
            }
            sg *= invC; sgx *= invC
            if accumulate {
                for c in 0..<C { dx[c] += r * (d[c] * weight[c] - sg - (x[c] - m) * r * sgx) }
            } else {
                for c in 0..<C { dx[c] = r * (d[c] * weight[c] - sg - (x[c] - m) * r * sgx) }
            }
        }
    }
}
