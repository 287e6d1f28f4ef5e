import LinearAlgebra

// Shapes: N rows, IC input channels, OC output channels; all buffers row-major and contiguous.

/// Layout of a weight matrix in the checkpoint.
enum WeightLayout {
    /// GPT-2 `Conv1D`: `[in, out]`, `y = x W + b`.
    case inOut
    /// `nn.Linear`: `[out, in]`, `y = x W^T + b`.
    case outIn
}

/// The sizes of one fully connected layer: `N` rows of `IC` inputs to `OC` outputs, and how the
/// checkpoint stores its weight.
struct LinearShape {
    var N: Int, IC: Int, OC: Int
    var layout: WeightLayout
}

/// Fully connected layer on GEMM: `out (N, OC) = inp (N, IC) · W + b` (W per ``WeightLayout``).
///
/// Backward: `dinp = dout · W^T` (overwrite or accumulate), `dW += inp^T · dout` (`[in,out]`) or
/// `dout^T · inp` (`[out,in]`), `db += sum_n dout[n,:]`.
enum Linear {
    /// `out` (N, OC), `inp` (N, IC), `weight` (IC, OC) or (OC, IC), `bias` (OC) or nil.
    /// `accumulate`: `out += inp·W + b` (a fused residual add) instead of `out = inp·W + b`.
    @_specialize(where F == Float)
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>, bias: UnsafePointer<F>?,
        shape: LinearShape, accumulate: Bool
    ) {
        let N = shape.N, IC = shape.IC, OC = shape.OC
        var beta: F = accumulate ? 1 : 0
        if let bias {
            for n in 0..<N {
                let o = out + n * OC
                if accumulate { for j in 0..<OC { o[j] += bias[j] } } else { for j in 0..<OC { o[j] = bias[j] } }
            }
            beta = 1
        }
        switch shape.layout {
        case .inOut:
            GEMM.gemm(.none, .none, m: N, n: OC, k: IC, a: inp, lda: IC, b: weight, ldb: OC,
                      beta: beta, c: out, ldc: OC)
        case .outIn:
            GEMM.gemm(.none, .transpose, m: N, n: OC, k: IC, a: inp, lda: IC, b: weight, ldb: IC,
                      beta: beta, c: out, ldc: OC)
        }
    }

    /// `dinp` (N, IC) or nil (skips the input gradient), `dweight` like `weight`, `dbias` (OC) or nil,
    /// `dout` (N, OC), `inp` (N, IC). `accumulateInput` adds into `dinp` instead of overwriting it.
    /// The weight gradient is computed first, so `dinp` may be the very buffer `inp` (a scratch
    /// activation that is no longer needed once its gradient exists).
    @_specialize(where F == Float)
    static func backward<F: ModelScalar>(
        dinp: UnsafeMutablePointer<F>?, dweight: UnsafeMutablePointer<F>, dbias: UnsafeMutablePointer<F>?,
        dout: UnsafePointer<F>, inp: UnsafePointer<F>, weight: UnsafePointer<F>,
        shape: LinearShape, accumulateInput: Bool
    ) {
        let N = shape.N, IC = shape.IC, OC = shape.OC
        let beta: F = accumulateInput ? 1 : 0
        switch shape.layout {
        case .inOut:
            GEMM.gemm(.transpose, .none, m: IC, n: OC, k: N, a: inp, lda: IC, b: dout, ldb: OC,
                      beta: 1, c: dweight, ldc: OC)
            if let dinp {
                GEMM.gemm(.none, .transpose, m: N, n: IC, k: OC, a: dout, lda: OC, b: weight, ldb: OC,
                          beta: beta, c: dinp, ldc: IC)
            }
        case .outIn:
            GEMM.gemm(.transpose, .none, m: OC, n: IC, k: N, a: dout, lda: OC, b: inp, ldb: IC,
                      beta: 1, c: dweight, ldc: IC)
            if let dinp {
                GEMM.gemm(.none, .none, m: N, n: IC, k: OC, a: dout, lda: OC, b: weight, ldb: IC,
                          beta: beta, c: dinp, ldc: IC)
            }
        }
        if let dbias {
            for n in 0..<N {
                let d = dout + n * OC
                for j in 0..<OC { dbias[j] += d[j] }
            }
        }
    }
}
