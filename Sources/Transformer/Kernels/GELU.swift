/// GELU activations, elementwise on `count` values.
///
/// - `tanh` ("gelu_new", GPT-2): `y = x/2 (1 + tanh u)`, `u = sqrt(2/pi) (x + 0.044715 x^3)`;
///   `y' = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3*0.044715 x^2)`.
/// - `erf` ("gelu", BERT): `y = x/2 (1 + erf(x/sqrt 2))`; `y' = (1 + erf(x/sqrt 2))/2 + x exp(-x^2/2)/sqrt(2 pi)`.
enum GELUKind: String, Sendable {
    case tanh
    case erf

    /// The kind named by a Hugging Face `activation_function` / `hidden_act` value, if supported.
    init?(huggingFaceName: String) {
        switch huggingFaceName {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .tanh  // the same tanh formula
        case "gelu": self = .erf
        default: return nil
        }
    }
}

enum GELU {
    static let k0 = 0.7978845608028654  // sqrt(2/pi)
    static let k1 = 0.044715
    /// `tanh(sqrt(2/pi) (x + 0.044715 x^3))` on eight lanes: `tanh u = 1 - 2/(e^{2u} + 1)` with the
    /// vector `exp`.
    @inline(__always) static func tanhArg8<F: ModelScalar>(_ x: SIMD8<F>) -> SIMD8<F> {
        let x3: SIMD8<F> = x * x * x
        let u: SIMD8<F> = F(k0) * (x + F(k1) * x3)
        let e: SIMD8<F> = F.exp(2 * u)
        return 1 - 2 / (e + 1)
    }

    @_specialize(where F == Float)
    static func forward<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int,
                                        kind: GELUKind) {
        Parallel.chunks(count, minimumChunk: 4096) { _, r in
            forwardChunk(out: out + r.lowerBound, inp: inp + r.lowerBound, count: r.count, kind: kind)
        }
    }

    @_specialize(where F == Float)
    static func forwardChunk<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int,
                                             kind: GELUKind) {
        switch kind {
        case .tanh: lanes(out, inp, nil, count) { x, _ in F(0.5) * x * (1 + tanhArg8(x)) }
        case .erf: lanes(out, inp, nil, count) { x, _ in F(0.5) * x * F.onePlusErf(x * F(0.7071067811865476)) }
        }
    }

    /// `gelu'(x)` on eight lanes, given ``parts(_:kind:)`` (shared with the value).
    @inline(__always)
    @_specialize(where F == Float)
    static func derivative<F: ModelScalar>(_ x: SIMD8<F>, _ parts: (SIMD8<F>, SIMD8<F>), kind: GELUKind) -> SIMD8<F> {
        let half = F(0.5), onePlus = parts.0
        switch kind {
        case .tanh:
            let th = parts.1
            let du: SIMD8<F> = F(k0) * (1 + (3 * F(k1)) * (x * x))
            return half * onePlus + (half * x) * (1 - th * th) * du
        case .erf:
            return half * onePlus + x * F.exp(F(-0.5) * x * x) * F(0.3989422804014327)
        }
    }

    /// `(1 + erf(x/√2), unused)` or `(1 + tanh u, tanh u)`: what both the value and the slope use.
    @inline(__always) static func parts<F: ModelScalar>(_ x: SIMD8<F>, kind: GELUKind) -> (SIMD8<F>, SIMD8<F>) {
        switch kind {
        case .tanh: let th = tanhArg8(x); return (1 + th, th)
        case .erf: let e = F.onePlusErf(x * F(0.7071067811865476)); return (e, e)
        }
    }

    /// For the backward pass of a layer whose GELU output was not kept: `out[i] = gelu(x[i])` and
    /// `x[i] = gelu'(x[i])` (the input is overwritten by the slope), one erf/tanh per element; then
    /// ``applySlope(_:slope:count:)`` turns d(out) into d(x). Values equal ``forward`` and ``backward``'s.
    @_specialize(where F == Float)
    static func valueAndSlope<F: ModelScalar>(out: UnsafeMutablePointer<F>, inputToSlope x: UnsafeMutablePointer<F>,
                                              count: Int, kind: GELUKind) {
        Parallel.chunks(count, minimumChunk: 4096) { _, r in
            let o = out + r.lowerBound, p = x + r.lowerBound, n = r.count
            var i = 0
            while i + 8 <= n {
                let v = Vec8.load(p + i), e = parts(v, kind: kind)
                Vec8.store(F(0.5) * v * e.0, o + i)
                Vec8.store(derivative(v, e, kind: kind), p + i)
                i += 8
            }
            guard i < n else { return }
            var v = SIMD8<F>()
            for j in 0..<(n - i) { v[j] = p[i + j] }
            let e = parts(v, kind: kind), y = F(0.5) * v * e.0, s = derivative(v, e, kind: kind)
            for j in 0..<(n - i) { o[i + j] = y[j]; p[i + j] = s[j] }
        }
    }

    /// `d[i] *= slope[i]`.
    @_specialize(where F == Float)
    static func applySlope<F: ModelScalar>(_ d: UnsafeMutablePointer<F>, slope: UnsafePointer<F>, count: Int) {
        Parallel.chunks(count, minimumChunk: 4096) { _, r in
            let a = d + r.lowerBound, b = slope + r.lowerBound
            lanes(a, b, a, r.count) { s, g in g * s }
        }
    }

    /// `out[i] = f(inp[i], dout[i])` eight lanes at a time; the last `count % 8` values go through
    /// `f` in one zero-padded vector, so every value gets the same arithmetic wherever it sits.
    @inline(__always)
    @_specialize(where F == Float)
    static func lanes<F: ModelScalar>(_ out: UnsafeMutablePointer<F>, _ inp: UnsafePointer<F>,
                                      _ dout: UnsafePointer<F>?, _ count: Int,
                                      _ f: (SIMD8<F>, SIMD8<F>) -> SIMD8<F>) {
        var i = 0
        while i + 8 <= count {
            let d = dout.map { Vec8.load($0 + i) } ?? SIMD8<F>()
            Vec8.store(f(Vec8.load(inp + i), d), out + i)
            i += 8
        }
        guard i < count else { return }
        var x = SIMD8<F>(), d = SIMD8<F>()
        for j in 0..<(count - i) { x[j] = inp[i + j]; d[j] = dout?[i + j] ?? 0 }
        let y = f(x, d)
        for j in 0..<(count - i) { out[i + j] = y[j] }
    }

    /// `dinp[i] = dout[i] * gelu'(inp[i])`; `dinp` may alias `dout`.
    @_specialize(where F == Float)
    static func backward<F: ModelScalar>(dinp: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, dout: UnsafePointer<F>,
                                         count: Int, kind: GELUKind) {
        Parallel.chunks(count, minimumChunk: 4096) { _, r in
            backwardChunk(dinp: dinp + r.lowerBound, inp: inp + r.lowerBound, dout: dout + r.lowerBound,
                          count: r.count, kind: kind)
        }
    }

    @_specialize(where F == Float)
    static func backwardChunk<F: ModelScalar>(dinp: UnsafeMutablePointer<F>, inp: UnsafePointer<F>,
                                              dout: UnsafePointer<F>, count: Int, kind: GELUKind) {
        lanes(dinp, inp, dout, count) { x, d in d * derivative(x, parts(x, kind: kind), kind: kind) }
    }
}
