import Transformer

/// AdamW exactly as `torch.optim.AdamW` (single-tensor path, `amsgrad=False`, `maximize=False`),
/// over one flat Float buffer. For step `t = 1, 2, ...` with learning rate `lr`, per element:
///
///     p <- p * (1 - lr * lambda)                     (decayed parameters only)
///     m <- m + (g - m) * (1 - beta1)                 (torch.lerp, weight < 0.5 branch)
///     v <- v * beta2 + (1 - beta2) * g * g
///     p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// The scalar factors are computed in Double and rounded to Float once, as PyTorch does with
/// Python-float hyper-parameters; the element math is Float. Against PyTorch the parameters agree
/// to ~1e-7 relative per step (rounding order differences only).
public final class AdamW {
    public let config: OptimizerConfig
    /// Completed optimizer steps (PyTorch's `state["step"]`).
    public internal(set) var step = 0
    /// First moment `m` (PyTorch's `exp_avg`), laid out like the parameters.
    public internal(set) var firstMoment: [Float]
    /// Second moment `v` (PyTorch's `exp_avg_sq`).
    public internal(set) var secondMoment: [Float]
    /// Maximal runs of the flat buffer that share one decay flag; they tile `0..<count`.
    let _segments: [(range: Range<Int>, decay: Bool)]

    /// An optimizer for `count` parameters laid out by `specs` (validated: inside the buffer and
    /// non-overlapping; elements no spec names are updated without decay).
    public init(parameterCount count: Int, specs: [ParameterSpec], config: OptimizerConfig) throws {
        try config.validate()
        self.config = config
        firstMoment = [Float](repeating: 0, count: count)
        secondMoment = [Float](repeating: 0, count: count)
        _segments = try Self._decaySegments(count: count, specs: specs, config: config)
    }

    /// The flat-buffer ranges that receive weight decay.
    public var decayedRanges: [Range<Int>] { _segments.filter(\.decay).map(\.range) }

    /// One AdamW step with learning rate `lr` on `parameters` given `gradients` (same length).
    public func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                       learningRate lr: Double) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count,
                     "AdamW: buffer length differs from the optimizer's")
        step += 1
        let t = Double(step)
        let c = _AdamWScalars(
            decayFactor: Float(1 - lr * config.weightDecay),
            oneMinusBeta1: Float(1 - config.beta1),
            beta2: Float(config.beta2), oneMinusBeta2: Float(1 - config.beta2),
            stepSize: Float(lr / (1 - _pow(config.beta1, t))),
            biasCorrection2Sqrt: Float((1 - _pow(config.beta2, t)).squareRoot()),
            epsilon: Float(config.epsilon))
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        firstMoment.withUnsafeMutableBufferPointer { mb in
            secondMoment.withUnsafeMutableBufferPointer { vb in
                for s in _segments {
                    let o = s.range.lowerBound
                    _adamwKernel(p + o, g + o, mb.baseAddress! + o, vb.baseAddress! + o, s.range.count,
                                 c, decay: s.decay)
                }
            }
        }
    }

    static func _decaySegments(count: Int, specs: [ParameterSpec], config: OptimizerConfig) throws
        -> [(range: Range<Int>, decay: Bool)] {
        let sorted = specs.sorted { $0.offset < $1.offset }
        var out: [(range: Range<Int>, decay: Bool)] = []
        func append(_ r: Range<Int>, _ d: Bool) {
            guard !r.isEmpty else { return }
            if let last = out.last, last.decay == d, last.range.upperBound == r.lowerBound {
                out[out.count - 1].range = last.range.lowerBound..<r.upperBound
            } else { out.append((r, d)) }
        }
        var cursor = 0
        for s in sorted {
            guard s.offset >= cursor, s.offset + s.count <= count else {
                throw TrainingError.invalidConfiguration(
                    field: "parameters", reason: "\(s.name) (offset \(s.offset), \(s.count) elements) overlaps another "
                        + "parameter or lies outside the \(count)-element buffer")
            }
            append(cursor..<s.offset, false)
            append(s.offset..<(s.offset + s.count), config.decays(s))
            cursor = s.offset + s.count
        }
        append(cursor..<count, false)
        return out
    }
}

/// The per-step constants of ``AdamW/update(parameters:gradients:learningRate:)``, rounded to Float.
struct _AdamWScalars {
    var decayFactor, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, biasCorrection2Sqrt, epsilon: Float
}

/// The element loop, eight lanes at a time (explicit SIMD: LLVM does not vectorize the scalar
/// form through four possibly aliasing pointers), then a scalar tail with the identical IEEE
/// operations, so results do not depend on where the vector part ends.
@inline(__always)
func _adamwKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                  _ v: UnsafeMutablePointer<Float>, _ n: Int, _ c: _AdamWScalars, decay: Bool) {
    let w: Float = decay ? c.decayFactor : 1
    typealias V8 = SIMD8<Float>
    let (rp, rg, rm, rv) = (UnsafeMutableRawPointer(p), UnsafeRawPointer(g), UnsafeMutableRawPointer(m),
                            UnsafeMutableRawPointer(v))
    let b1 = V8(repeating: c.oneMinusBeta1), b2 = V8(repeating: c.beta2), nb2 = V8(repeating: c.oneMinusBeta2)
    let bc2 = V8(repeating: c.biasCorrection2Sqrt), eps = V8(repeating: c.epsilon)
    let step = V8(repeating: c.stepSize), w8 = V8(repeating: w)
    var i = 0
    while i + 8 <= n {
        let o = i * 4
        let gi = rg.loadUnaligned(fromByteOffset: o, as: V8.self)
        let m0 = rm.loadUnaligned(fromByteOffset: o, as: V8.self)
        let mi = m0 + b1 * (gi - m0)
        let vi = rv.loadUnaligned(fromByteOffset: o, as: V8.self) * b2 + nb2 * gi * gi
        rm.storeBytes(of: mi, toByteOffset: o, as: V8.self)
        rv.storeBytes(of: vi, toByteOffset: o, as: V8.self)
        let denom = vi.squareRoot() / bc2 + eps
        let pi = rp.loadUnaligned(fromByteOffset: o, as: V8.self) * w8 - step * mi / denom
        rp.storeBytes(of: pi, toByteOffset: o, as: V8.self)
        i += 8
    }
    while i < n {
        let gi = g[i]
        let mi = m[i] + c.oneMinusBeta1 * (gi - m[i])
        let vi = v[i] * c.beta2 + c.oneMinusBeta2 * gi * gi
        m[i] = mi
        v[i] = vi
        let denom = vi.squareRoot() / c.biasCorrection2Sqrt + c.epsilon
        p[i] = p[i] * w - c.stepSize * mi / denom
        i += 1
    }
}

@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double {
    var r = 1.0
    // beta^t for integral t by repeated squaring keeps the result bit-identical across platforms.
    var b = x, e = UInt64(y)
    while e > 0 { if e & 1 == 1 { r *= b }; b *= b; e >>= 1 }
    return r
}
