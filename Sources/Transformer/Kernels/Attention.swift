import LinearAlgebra

// Shapes: B batch rows, T positions, NH heads, HS = C/NH head size, C = NH·HS channels.

/// The sizes of one attention call: `B` sequences of `T` positions, `NH` heads of `HS` channels.
struct AttentionShape {
    var B: Int, T: Int, NH: Int, HS: Int
    /// Channels of q, k, v and the output: `NH · HS`.
    var C: Int { @inline(__always) get { NH * HS } }
}

/// Multi-head scaled dot-product attention on a fused q|k|v buffer.
///
/// Shapes: qkv (B, T, 3C) with q = qkv[..., 0:C], k = qkv[..., C:2C], v = qkv[..., 2C:3C]; head h uses
/// columns h·HS ..< (h+1)·HS of each. out (B, T, C) (heads merged), att (B, NH, T, T).
///
/// Forward, per (b,h): `S = Q K^T / sqrt(HS)`, `P = softmax(S)` over the allowed keys
/// (causal: keys `j <= i`; padding: keys with `mask[b,j] != 0`; disallowed weights are exactly 0,
/// and a row with no allowed key is uniform over all T keys, as adding `finfo.min` does in PyTorch),
/// `O = P V`. P is kept in `att` for the backward pass.
/// Backward: `dP = dO V^T`, `dV = P^T dO`, `dS = P ∘ (dP - rowsum(P ∘ dP)) / sqrt(HS)`,
/// `dQ = dS K`, `dK = dS^T Q`. Every product is a GEMM batched over heads.
///
/// Causal attention works on blocks of `block` query rows: rows `i0..<i1` only meet keys `0..<i1`,
/// so the GEMMs skip the (all-zero) upper triangle beyond the block diagonal; with 4 blocks that is
/// 10/16 of the full T x T work. Bidirectional attention is one block of all T rows.
enum Attention {
    /// Query rows per causal block.
    static let defaultBlock = 64

    /// `out` (B, T, C), `att` (B, NH, T, T), `qkv` (B, T, 3C), `keyMask` (B, T) or nil.
    @_specialize(where F == Float)
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, att: UnsafeMutablePointer<F>, qkv: UnsafePointer<F>,
        keyMask: UnsafePointer<Int32>?, causal: Bool, shape: AttentionShape, block: Int = defaultBlock
    ) {
        let B = shape.B, T = shape.T, NH = shape.NH, HS = shape.HS, C = shape.C
        let C3 = 3 * C, TT = T * T
        let scale = 1 / F(HS).squareRoot()
        let step = causal ? Swift.max(1, block) : T
        // S[i0..<i1, 0..<keys] = Q K^T * scale, every batch row and query block (GEMMs on all BLAS threads)
        for b in 0..<B {
            let q = qkv + b * T * C3, p = att + b * NH * TT
            for i0 in stride(from: 0, to: T, by: step) {
                let i1 = Swift.min(T, i0 + step), keys = causal ? i1 : T
                GEMM.stridedBatched(.none, .transpose, m: i1 - i0, n: keys, k: HS, alpha: scale,
                                    a: q + i0 * C3, lda: C3, strideA: HS, b: q + C, ldb: C3, strideB: HS,
                                    beta: 0, c: p + i0 * T, ldc: T, strideC: TT, batch: NH)
            }
        }
        // P = softmax(S) row by row, rows split over the workers
        Parallel.chunks(B * NH * T, minimumChunk: 64) { _, rows in
            for r in rows {
                let i = r % T, b = r / (NH * T)
                softmaxRow(att + r * T, count: T, allowed: causal ? i + 1 : T, mask: keyMask.map { $0 + b * T })
            }
        }
        // O[i0..<i1] = P[i0..<i1, 0..<keys] V[0..<keys]
        for b in 0..<B {
            let q = qkv + b * T * C3, p = att + b * NH * TT
            for i0 in stride(from: 0, to: T, by: step) {
                let i1 = Swift.min(T, i0 + step), keys = causal ? i1 : T
                GEMM.stridedBatched(.none, .none, m: i1 - i0, n: HS, k: keys,
                                    a: p + i0 * T, lda: T, strideA: TT, b: q + 2 * C, ldb: C3, strideB: HS,
                                    beta: 0, c: out + (b * T + i0) * C, ldc: C, strideC: HS, batch: NH)
            }
        }
    }

    /// In-place softmax of `row[0..<allowed]` restricted to `mask[j] != 0`; other entries become 0.
    @inline(__always)
    @_specialize(where F == Float)
    static func softmaxRow<F: ModelScalar>(_ row: UnsafeMutablePointer<F>, count: Int, allowed: Int,
                                           mask: UnsafePointer<Int32>?) {
        if let mask {
            var mx = -F.infinity
            for j in 0..<allowed where mask[j] != 0 { mx = Swift.max(mx, row[j]) }
            if mx == -F.infinity {  // no key allowed: uniform, as PyTorch's additive finfo.min mask gives
                for j in 0..<count { row[j] = 1 / F(count) }
                return
            }
            var sum: F = 0
            for j in 0..<allowed {
                let e = mask[j] != 0 ? F.exp(row[j] - mx) : 0
                row[j] = e; sum += e
            }
            let inv = 1 / sum
            for j in 0..<allowed { row[j] *= inv }
        } else {
            let mx = Vec8.max(row, allowed)
            let sum = Vec8.expShiftSum(row, allowed, shift: mx)
            Vec8.scale(row, allowed, 1 / sum)
        }
        for j in allowed..<count { row[j] = 0 }
    }

    /// `dqkv` (B, T, 3C) is overwritten; `datt` is scratch of (NH, T, T) (one batch row at a time: dP
    /// and dS of all heads of row b never need the other rows', so the scratch is B times smaller than
    /// P); `dout` (B, T, C), `att` (B, NH, T, T) and `qkv` (B, T, 3C) as the forward pass left them.
    /// `causal` and `block` as in the forward pass.
    @_specialize(where F == Float)
    static func backward<F: ModelScalar>(
        dqkv: UnsafeMutablePointer<F>, datt: UnsafeMutablePointer<F>, dout: UnsafePointer<F>,
        att: UnsafePointer<F>, qkv: UnsafePointer<F>, causal: Bool, shape: AttentionShape, block: Int = defaultBlock
    ) {
        let B = shape.B, T = shape.T, NH = shape.NH, HS = shape.HS, C = shape.C
        let C3 = 3 * C, TT = T * T
        let scale = 1 / F(HS).squareRoot()
        let step = causal ? Swift.max(1, block) : T
        dqkv.update(repeating: 0, count: B * T * C3)  // dK and dV accumulate over query blocks
        for b in 0..<B {
            let q = qkv + b * T * C3, dq = dqkv + b * T * C3
            let p = att + b * NH * TT, dp = datt, dO = dout + b * T * C
            // dP = dO V^T ; dV += P^T dO
            for i0 in stride(from: 0, to: T, by: step) {
                let i1 = Swift.min(T, i0 + step), rows = i1 - i0, keys = causal ? i1 : T
                GEMM.stridedBatched(.none, .transpose, m: rows, n: keys, k: HS,
                                    a: dO + i0 * C, lda: C, strideA: HS, b: q + 2 * C, ldb: C3, strideB: HS,
                                    beta: 0, c: dp + i0 * T, ldc: T, strideC: TT, batch: NH)
                GEMM.stridedBatched(.transpose, .none, m: keys, n: HS, k: rows,
                                    a: p + i0 * T, lda: T, strideA: TT, b: dO + i0 * C, ldb: C, strideB: HS,
                                    beta: 1, c: dq + 2 * C, ldc: C3, strideC: HS, batch: NH)
            }
            // dS = P ∘ (dP - rowsum(P ∘ dP)) * scale over each row's computed keys, rows split over the workers
            Parallel.chunks(NH * T, minimumChunk: 64) { _, rows in
                for r in rows {
                    let i = r % T
                    let keys = causal ? Swift.min(T, (i / step + 1) * step) : T
                    let pr = p + r * T, dr = dp + r * T
                    let s = Vec8.dot(pr, dr, keys)
                    for j in 0..<keys { dr[j] = pr[j] * (dr[j] - s) * scale }
                }
            }
            // dQ = dS K ; dK += dS^T Q
            for i0 in stride(from: 0, to: T, by: step) {
                let i1 = Swift.min(T, i0 + step), rows = i1 - i0, keys = causal ? i1 : T
                GEMM.stridedBatched(.none, .none, m: rows, n: HS, k: keys,
                                    a: dp + i0 * T, lda: T, strideA: TT, b: q + C, ldb: C3, strideB: HS,
                                    beta: 0, c: dq + i0 * C3, ldc: C3, strideC: HS, batch: NH)
                GEMM.stridedBatched(.transpose, .none, m: keys, n: HS, k: rows,
                                    a: dp + i0 * T, lda: T, strideA: TT, b: q + i0 * C3, ldb: C3, strideB: HS,
                                    beta: 1, c: dq + C, ldc: C3, strideC: HS, batch: NH)
            }
        }
    }
}
