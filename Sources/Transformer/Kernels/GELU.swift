/// GELU activations, elementwise on `count` values.
///
/// - `tanh` ("gelu_new", GPT-2): `y = x/2 (1 + tanh u)`, `u = sqrt(2/pi) (x + 0.044715 x^3)`;
///   `y' = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3*0.044715 x^2)`.
/// - `erf` ("gelu", BERT): `y = x/2 (1 + erf(x/sqrt 2))`; `y' = (1 + erf(x/sqrt 2))/2 + x exp(-x^2/2)/sqrt(2 pi)`.
public enum GELUKind: String, Sendable {
    case tanh
    case erf

    /// The kind named by a Hugging Face `activation_function` / `hidden_act` value, if supported.
    public init?(huggingFaceName: String) {
        switch huggingFaceName {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .tanh  // the same tanh formula
        case "gelu": self = .erf
        default: return nil
        }
    }
}

enum _GELU {
    static let _k0 = 0.7978845608028654  // sqrt(2/pi)
    static let _k1 = 0.044715
    /// `tanh(sqrt(2/pi) (x + 0.044715 x^3))`.
    @inline(__always) static func _tanhArg<F: ModelScalar>(_ x: F) -> F { F._tanh(F(_k0) * (x + F(_k1) * x * x * x)) }
    /// The same on eight lanes: `tanh u = 1 - 2/(e^{2u} + 1)` with the vector `exp`.
    @inline(__always) static func _tanhArg8<F: ModelScalar>(_ x: SIMD8<F>) -> SIMD8<F> {
        let x3: SIMD8<F> = x * x * x
        let u: SIMD8<F> = F(_k0) * (x + F(_k1) * x3)
        let e: SIMD8<F> = F._exp(2 * u)
        return 1 - 2 / (e + 1)
    }

    static func forward<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int, kind: GELUKind) {
        _Parallel.chunks(count, minimumChunk: 4096) { _, r in
            _forward(out: out + r.lowerBound, inp: inp + r.lowerBound, count: r.count, kind: kind)
        }
    }

    static func _forward<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int, kind: GELUKind) {
        switch kind {
        case .tanh:
            var i = 0
            while i + 8 <= count {
                let x = _Vec.load(inp + i)
                let th: SIMD8<F> = _tanhArg8(x)
                _Vec.store(F(0.5) * x * (1 + th), out + i)
                i += 8
            }
            while i < count { let x = inp[i]; out[i] = F(0.5) * x * (1 + _tanhArg(x)); i += 1 }
        case .erf:
            let r2 = F(0.7071067811865476)
            for i in 0..<count { let x = inp[i]; out[i] = F(0.5) * x * (1 + F._erf(x * r2)) }
        }
    }

    /// `dinp[i] = dout[i] * gelu'(inp[i])`; `dinp` may alias `dout`.
    static func backward<F: ModelScalar>(dinp: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, dout: UnsafePointer<F>,
                                         count: Int, kind: GELUKind) {
        _Parallel.chunks(count, minimumChunk: 4096) { _, r in
            _backward(dinp: dinp + r.lowerBound, inp: inp + r.lowerBound, dout: dout + r.lowerBound, count: r.count, kind: kind)
        }
    }

    static func _backward<F: ModelScalar>(dinp: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, dout: UnsafePointer<F>,
                                          count: Int, kind: GELUKind) {
        switch kind {
        case .tanh:
            let k0 = F(_k0), k1 = F(_k1)
            var i = 0
            while i + 8 <= count {
                let x = _Vec.load(inp + i)
                let th: SIMD8<F> = _tanhArg8(x)
                let half = F(0.5)
                let a: SIMD8<F> = half * (1 + th)
                let x2: SIMD8<F> = x * x
                let du: SIMD8<F> = k0 * (1 + (3 * k1) * x2)
                let local: SIMD8<F> = a + (half * x) * (1 - th * th) * du
                _Vec.store(_Vec.load(dout + i) * local, dinp + i)
                i += 8
            }
            while i < count {
                let x = inp[i]
                let th = _tanhArg(x)
                let local = F(0.5) * (1 + th) + F(0.5) * x * (1 - th * th) * k0 * (1 + 3 * k1 * x * x)
                dinp[i] = dout[i] * local
                i += 1
            }
        case .erf:
            let r2 = F(0.7071067811865476), rs2pi = F(0.3989422804014327)
            for i in 0..<count {
                let x = inp[i]
                let local = F(0.5) * (1 + F._erf(x * r2)) + x * F._exp(F(-0.5) * x * x) * rs2pi
                dinp[i] = dout[i] * local
            }
        }
    }
}
