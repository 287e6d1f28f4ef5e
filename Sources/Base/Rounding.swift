/// Largest-remainder (Hamilton) rounding: whole numbers `q_i` with `Σ q_i = total` exactly and
/// `|q_i - total · w_i / Σ w| < 1`. Each `q_i` starts at `floor(total · w_i / Σ w)`; the `total - Σ floor`
/// units left go to the largest fractional parts, ties to the lower index.
///
/// Returns `nil` when `total < 0` or the weights are not finite, non-negative and not all zero.
public func largestRemainder(_ weights: [Double], total: Int) -> [Int]? {
    guard total >= 0, weights.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return nil }
    let sum = weights.reduce(0, +)
    guard sum > 0 else { return nil }
    let exact = weights.map { Double(total) * $0 / sum }
    var q = exact.map { Int($0.rounded(.down)) }
    let rest = total - q.reduce(0, +)
    let order = exact.indices.sorted { (exact[$0] - Double(q[$0]), -$0) > (exact[$1] - Double(q[$1]), -$1) }
    for i in order.prefix(rest) { q[i] += 1 }
    return q
}
