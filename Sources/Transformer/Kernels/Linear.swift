import LinearAlgebra

/// Layout of a weight matrix in the checkpoint.
enum WeightLayout {
    /// GPT-2 `Conv1D`: `[in, out]`, `y = x W + b`.
    case inOut
    /// `nn.Linear`: `[out, in]`, `y = x W^T + b`.
    case outIn
}

/// Fully connected layer on GEMM: `out (N,OC) = inp (N,IC) · W + b` (W per ``WeightLayout``).
///
/// Rows may be strided (`ldo`, `ldi`, `lddo`, `lddi` are leading dimensions), which lets the fused
/// q|k|v projection and the residual stream share buffers. Backward:
/// `dinp = dout · W^T` (overwrite or accumulate), `dW += inp^T · dout` (`[in,out]`) or
/// `dout^T · inp` (`[out,in]`), `db += sum_n dout[n,:]`.
enum Linear {
    /// `accumulate`: `out += inp·W + b` (a fused residual add) instead of `out = inp·W + b`.
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, ldo: Int, inp: UnsafePointer<F>, ldi: Int,
        weight: UnsafePointer<F>, bias: UnsafePointer<F>?, N: Int, IC: Int, OC: Int,
        layout: WeightLayout, accumulate: Bool
    ) {
        var beta: F = accumulate ? 1 : 0
        if let bias {
            for n in 0..<N {
                let o = out + n * ldo
                if accumulate { for j in 0..<OC { o[j] += bias[j] } } else { for j in 0..<OC { o[j] = bias[j] } }
            }
            beta = 1
        }
        switch layout {
        case .inOut:
            GEMM.gemm(.none, .none, m: N, n: OC, k: IC, a: inp, lda: ldi, b: weight, ldb: OC, beta: beta, c: out, ldc: ldo)
        case .outIn:
            GEMM.gemm(.none, .transpose, m: N, n: OC, k: IC, a: inp, lda: ldi, b: weight, ldb: IC, beta: beta, c: out, ldc: ldo)
        }
    }

    /// `dinp == nil` skips the input gradient; `accumulateInput` adds into it instead of overwriting.
    /// The weight gradient is computed first, so `dinp` may be the very buffer `inp` (a scratch
    /// activation that is no longer needed once its gradient exists; leading dimensions must match).
    static func backward<F: ModelScalar>(
        dinp: UnsafeMutablePointer<F>?, lddi: Int, dweight: UnsafeMutablePointer<F>, dbias: UnsafeMutablePointer<F>?,
        dout: UnsafePointer<F>, lddo: Int, inp: UnsafePointer<F>, ldi: Int, weight: UnsafePointer<F>,
        N: Int, IC: Int, OC: Int, layout: WeightLayout, accumulateInput: Bool
    ) {
        let beta: F = accumulateInput ? 1 : 0
        switch layout {
        case .inOut:
            GEMM.gemm(.transpose, .none, m: IC, n: OC, k: N, a: inp, lda: ldi, b: dout, ldb: lddo, beta: 1, c: dweight, ldc: OC)
            if let dinp {
                GEMM.gemm(.none, .transpose, m: N, n: IC, k: OC, a: dout, lda: lddo, b: weight, ldb: OC, beta: beta, c: dinp, ldc: lddi)
            }
        case .outIn:
            GEMM.gemm(.transpose, .none, m: OC, n: IC, k: N, a: dout, lda: lddo, b: inp, ldb: ldi, beta: 1, c: dweight, ldc: IC)
            if let dinp {
                GEMM.gemm(.none, .none, m: N, n: IC, k: OC, a: dout, lda: lddo, b: weight, ldb: IC, beta: beta, c: dinp, ldc: lddi)
            }
        }
        if let dbias {
            for n in 0..<N {
                let d = dout + n * lddo
                for j in 0..<OC { dbias[j] += d[j] }
            }
        }
    }
}
