// Shapes: N rows, V vocabulary (classes).

/// Softmax + cross-entropy, fused, over logits (N,V) with integer targets (N).
///
/// `loss_n = log(sum_j exp(z_nj)) - z_n,target` (max-subtracted), for targets `!= -100`;
/// the batch loss is the mean over the M counted rows (PyTorch `reduction="mean"`, `ignore_index=-100`).
/// Gradient (written over the logits when `gradScale != nil`):
/// `dz_nj = gradScale * (softmax(z_n)_j - [j == target]) / M` for counted rows, 0 for ignored rows.
///
/// Loss weights (optional, `weights` (N) with their sum `S` over the counted rows of the whole batch): the batch
/// loss is `sum_n w_n loss_n / S` and `dz_nj = gradScale * w_n * (softmax(z_n)_j - [j == target]) / S`
/// (DoReMi's reweighted objective). Weights all 1 give `S = M` and the unweighted bits exactly (`x * 1 == x`);
/// without weights nothing extra is computed.
enum SoftmaxCrossEntropy {
    /// Returns the summed (weighted) loss (accumulated in Double) and M. Targets must be validated (`-100` or in
    /// `0..<V`). `count`: the M to divide the gradient by, when these N rows are one chunk of a larger batch.
    /// `logits` (N, V), `targets` (N); `weights` (N) with `weightSum` (the batch's `S`, required with weights);
    /// `losses` (N), when given, receives each counted row's unweighted loss (ignored rows are not written).
    @_specialize(where F == Float)
    static func run<F: ModelScalar>(logits: UnsafeMutablePointer<F>, targets: UnsafePointer<Int32>, N: Int, V: Int,
                                    gradScale: F?, count given: Int? = nil, weights: UnsafePointer<F>? = nil,
                                    weightSum: Double? = nil, losses: UnsafeMutablePointer<F>? = nil)
        -> (sum: Double, count: Int) {
        // A caller that passes M (a chunk of a larger batch) has counted it once already.
        let count = given ?? (0..<N).reduce(0) { targets[$1] != -100 ? $0 + 1 : $0 }
        let divisor = weights == nil ? F(Swift.max(count, 1)) : F(weightSum!)
        let g = gradScale.map { $0 / divisor }
        // Per-worker partial sums on the stack: no heap allocation per call (one per LM-head chunk per step).
        let sum = withUnsafeTemporaryAllocation(of: Double.self, capacity: Parallel.workers) { slots -> Double in
            let slots = slots.baseAddress!
            slots.initialize(repeating: 0, count: Parallel.workers)
            Parallel.chunks(N, minimumChunk: 16) { chunk, rows in
                slots[chunk] = lossRows(logits: logits, targets: targets, rows: rows, V: V, g: g, weights: weights,
                                        losses: losses)
            }
            return (0..<Parallel.workers).reduce(0) { $0 + slots[$1] }
        }
        return (sum, count)
    }

    /// Loss sum over `rows` (each row's loss times its weight, when weighted), writing their gradients when `g`
    /// (the per-row scale, times the row's weight) is given.
    @_specialize(where F == Float)
    private static func lossRows<F: ModelScalar>(logits: UnsafeMutablePointer<F>, targets: UnsafePointer<Int32>,
                                                 rows: Range<Int>, V: Int, g: F?, weights: UnsafePointer<F>?,
                                                 losses: UnsafeMutablePointer<F>?) -> Double {
        var total: Double = 0
        for n in rows {
            let z = logits + n * V
            let target = Int(targets[n])
            if target == -100 {
                if g != nil { z.update(repeating: 0, count: V) }
                continue
            }
            let mx = Vec8.max(z, V)
            let zt = z[target]
            let sum: F
            if let g0 = g {
                let g = weights.map { g0 * $0[n] } ?? g0
                sum = Vec8.expShiftSum(z, V, shift: mx)
                Vec8.scale(z, V, g / sum)
                z[target] -= g
            } else {
                sum = Vec8.expShiftSumReadOnly(z, V, shift: mx)
            }
            let loss = F.log(sum) + mx - zt
            losses?[n] = loss
            total += weights.map { Double(loss) * Double($0[n]) } ?? Double(loss)
        }
        return total
    }
}
