/// Softmax + cross-entropy, fused, over logits (N,V) with integer targets (N).
///
/// `loss_n = log(sum_j exp(z_nj)) - z_n,target` (max-subtracted), for targets `!= -100`;
/// the batch loss is the mean over the M counted rows (PyTorch `reduction="mean"`, `ignore_index=-100`).
/// Gradient (written over the logits when `gradScale != nil`):
/// `dz_nj = gradScale * (softmax(z_n)_j - [j == target]) / M` for counted rows, 0 for ignored rows.
enum _SoftmaxCrossEntropy {
    /// Returns the summed loss (accumulated in Double) and M. Targets must be validated (`-100` or in `0..<V`).
    static func run<F: ModelScalar>(logits: UnsafeMutablePointer<F>, targets: UnsafePointer<Int32>, N: Int, V: Int,
                                    gradScale: F?) -> (sum: Double, count: Int) {
        var count = 0
        for n in 0..<N where targets[n] != -100 { count += 1 }
        var total: Double = 0
        let g = gradScale.map { $0 / F(Swift.max(count, 1)) }
        for n in 0..<N {
            let z = logits + n * V
            let target = Int(targets[n])
            if target == -100 {
                if g != nil { z.update(repeating: 0, count: V) }
                continue
            }
            var mx = -F.infinity
            for j in 0..<V { mx = Swift.max(mx, z[j]) }
            var sum: F = 0
            let zt = z[target]
            if let g {
                for j in 0..<V { let e = F._exp(z[j] - mx); z[j] = e; sum += e }
                let k = g / sum
                for j in 0..<V { z[j] *= k }
                z[target] -= g
            } else {
                for j in 0..<V { sum += F._exp(z[j] - mx) }
            }
            total += Double(F._log(sum) + mx - zt)
        }
        return (total, count)
    }
}
