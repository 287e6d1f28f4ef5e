import LinearAlgebra

/// Multi-head scaled dot-product attention on a fused q|k|v buffer.
///
/// Shapes: qkv (B,T,3C) with q = qkv[..., 0:C], k = qkv[..., C:2C], v = qkv[..., 2C:3C]; head h uses
/// columns h*hd ..< (h+1)*hd of each (hd = C/H). out (B,T,C) (heads merged), att (B,H,T,T).
///
/// Forward, per (b,h): `S = Q K^T / sqrt(hd)`, `P = softmax(S)` over the allowed keys
/// (causal: keys `j <= i`; padding: keys with `mask[b,j] != 0`; disallowed weights are exactly 0,
/// and a row with no allowed key is uniform over all T keys, as adding `finfo.min` does in PyTorch),
/// `O = P V`. P is kept in `att` for the backward pass.
/// Backward: `dP = dO V^T`, `dV = P^T dO`, `dS = P ∘ (dP - rowsum(P ∘ dP)) / sqrt(hd)`,
/// `dQ = dS K`, `dK = dS^T Q`. Every product is a GEMM batched over heads.
enum _Attention {
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, att: UnsafeMutablePointer<F>, qkv: UnsafePointer<F>,
        keyMask: UnsafePointer<Int32>?, causal: Bool, B: Int, T: Int, C: Int, H: Int
    ) {
        let hd = C / H, C3 = 3 * C, TT = T * T
        let scale = 1 / F(hd).squareRoot()
        _Parallel.chunksWithSerialBLAS(B) { _, range in for b in range {
            let q = qkv + b * T * C3
            BLAS.gemmStridedBatched(.none, .transpose, m: T, n: T, k: hd, alpha: scale,
                                    a: q, lda: C3, strideA: hd, b: q + C, ldb: C3, strideB: hd,
                                    beta: 0, c: att + b * H * TT, ldc: T, strideC: TT, batch: H)
            let mask = keyMask.map { $0 + b * T }
            for h in 0..<H {
                for i in 0..<T {
                    _softmaxRow(att + b * H * TT + h * TT + i * T, count: T, allowed: causal ? i + 1 : T, mask: mask)
                }
            }
            BLAS.gemmStridedBatched(.none, .none, m: T, n: hd, k: T,
                                    a: att + b * H * TT, lda: T, strideA: TT, b: q + 2 * C, ldb: C3, strideB: hd,
                                    beta: 0, c: out + b * T * C, ldc: C, strideC: hd, batch: H)
        } }
    }

    /// In-place softmax of `row[0..<allowed]` restricted to `mask[j] != 0`; other entries become 0.
    @inline(__always)
    static func _softmaxRow<F: ModelScalar>(_ row: UnsafeMutablePointer<F>, count: Int, allowed: Int, mask: UnsafePointer<Int32>?) {
        if let mask {
            var mx = -F.infinity
            for j in 0..<allowed where mask[j] != 0 { mx = Swift.max(mx, row[j]) }
            if mx == -F.infinity {  // no key allowed: uniform, as PyTorch's additive finfo.min mask gives
                for j in 0..<count { row[j] = 1 / F(count) }
                return
            }
            var sum: F = 0
            for j in 0..<allowed {
                let e = mask[j] != 0 ? F._exp(row[j] - mx) : 0
                row[j] = e; sum += e
            }
            let inv = 1 / sum
            for j in 0..<allowed { row[j] *= inv }
        } else {
            let mx = _Vec.max(row, allowed)
            let sum = _Vec.expShiftSum(row, allowed, shift: mx)
            _Vec.scale(row, allowed, 1 / sum)
        }
        for j in allowed..<count { row[j] = 0 }
    }

    /// `dqkv` is overwritten; `datt` (B,H,T,T) is scratch.
    static func backward<F: ModelScalar>(
        dqkv: UnsafeMutablePointer<F>, datt: UnsafeMutablePointer<F>, dout: UnsafePointer<F>,
        att: UnsafePointer<F>, qkv: UnsafePointer<F>, B: Int, T: Int, C: Int, H: Int
    ) {
        let hd = C / H, C3 = 3 * C, TT = T * T
        let scale = 1 / F(hd).squareRoot()
        _Parallel.chunksWithSerialBLAS(B) { _, range in for b in range {
            let q = qkv + b * T * C3, dq = dqkv + b * T * C3
            let p = att + b * H * TT, dp = datt + b * H * TT, dO = dout + b * T * C
            // dP = dO V^T ; dV = P^T dO
            BLAS.gemmStridedBatched(.none, .transpose, m: T, n: T, k: hd, a: dO, lda: C, strideA: hd,
                                    b: q + 2 * C, ldb: C3, strideB: hd, beta: 0, c: dp, ldc: T, strideC: TT, batch: H)
            BLAS.gemmStridedBatched(.transpose, .none, m: T, n: hd, k: T, a: p, lda: T, strideA: TT,
                                    b: dO, ldb: C, strideB: hd, beta: 0, c: dq + 2 * C, ldc: C3, strideC: hd, batch: H)
            // dS = P ∘ (dP - rowsum(P ∘ dP)) * scale
            for r in 0..<(H * T) {
                let pr = p + r * T, dr = dp + r * T
                let s = _Vec.dot(pr, dr, T)
                for j in 0..<T { dr[j] = pr[j] * (dr[j] - s) * scale }
            }
            // dQ = dS K ; dK = dS^T Q
            BLAS.gemmStridedBatched(.none, .none, m: T, n: hd, k: T, a: dp, lda: T, strideA: TT,
                                    b: q + C, ldb: C3, strideB: hd, beta: 0, c: dq, ldc: C3, strideC: hd, batch: H)
            BLAS.gemmStridedBatched(.transpose, .none, m: T, n: hd, k: T, a: dp, lda: T, strideA: TT,
                                    b: q, ldb: C3, strideB: hd, beta: 0, c: dq + C, ldc: C3, strideC: hd, batch: H)
        } }
    }
}
