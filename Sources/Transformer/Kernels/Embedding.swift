// Shapes: B batch rows, T positions, C channels; ids and types (B, T).

/// Token + position (+ token type) embedding lookup.
///
/// Forward:  `out[b,t,:] = wte[ids[b,t],:] + wpe[t,:] (+ wtt[types[b,t],:])`, out (B,T,C).
/// Backward: the rows are gathered, so their gradients scatter-add:
/// `dwte[ids[b,t],:] += dout[b,t,:]`, `dwpe[t,:] += dout[b,t,:]`, `dwtt[types[b,t],:] += dout[b,t,:]`.
/// Ids must already be validated (`0 <= id < rows`).
enum Embedding {
    @_specialize(where F == Float)
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        wte: UnsafePointer<F>, wpe: UnsafePointer<F>, wtt: UnsafePointer<F>?, B: Int, T: Int, C: Int
    ) {
        for b in 0..<B {
            for t in 0..<T {
                let n = b * T + t
                let o = out + n * C, e = wte + Int(ids[n]) * C, p = wpe + t * C
                for c in 0..<C { o[c] = e[c] + p[c] }
                if let types, let wtt {
                    let y = wtt + Int(types[n]) * C
                    for c in 0..<C { o[c] += y[c] }
                }
            }
        }
    }

    @_specialize(where F == Float)
    static func backward<F: ModelScalar>(
        dwte: UnsafeMutablePointer<F>, dwpe: UnsafeMutablePointer<F>, dwtt: UnsafeMutablePointer<F>?,
        dout: UnsafePointer<F>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>?, B: Int, T: Int, C: Int
    ) {
        for b in 0..<B {
            for t in 0..<T {
                let n = b * T + t
                let d = dout + n * C, e = dwte + Int(ids[n]) * C, p = dwpe + t * C
                for c in 0..<C { e[c] += d[c]; p[c] += d[c] }
                if let types, let dwtt {
                    let y = dwtt + Int(types[n]) * C
                    for c in 0..<C { y[c] += d[c] }
                }
            }
        }
    }
}
