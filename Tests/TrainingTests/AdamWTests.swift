import Foundation
import Testing
@testable import Training
import Transformer

@Suite struct AdamWTests {
    let specs = [
        ParameterSpec(name: "transformer.wte.weight", shape: [4, 2], offset: 0, decay: false),
        ParameterSpec(name: "transformer.h.0.attn.c_attn.weight", shape: [2, 3], offset: 8, decay: true),
        ParameterSpec(name: "transformer.h.0.attn.c_attn.bias", shape: [3], offset: 14, decay: false),
    ]

    /// Overrides by glob win over the model's flags; the first matching rule applies.
    @Test func decayOverridesByGlob() throws {
        let config = OptimizerConfig(decayOverrides: [DecayOverride(pattern: "*.wte.*", decay: true),
                                                      DecayOverride(pattern: "transformer.h.*.weight", decay: false),
                                                      DecayOverride(pattern: "*", decay: true)])
        #expect(config.decays(specs[0]))
        #expect(!config.decays(specs[1]))
        #expect(config.decays(specs[2]))
        #expect(OptimizerConfig().decays(specs[1]) && !OptimizerConfig().decays(specs[0]))
        let opt = try AdamW(parameterCount: 19, specs: specs, config: OptimizerConfig())
        #expect(opt.decayedRanges == [8..<14])
    }

    /// Overlapping or out-of-range specs are rejected with the parameter's name.
    @Test func badLayoutIsRejected() {
        let bad = specs + [ParameterSpec(name: "extra", shape: [2], offset: 13, decay: true)]
        #expect(throws: TrainingError.self) { try AdamW(parameterCount: 19, specs: bad, config: OptimizerConfig()) }
        #expect(throws: TrainingError.self) { try AdamW(parameterCount: 15, specs: specs, config: OptimizerConfig()) }
        #expect(throws: TrainingError.self) {
            try AdamW(parameterCount: 19, specs: specs, config: OptimizerConfig(beta2: 1))
        }
    }

    /// One step from zero moments moves every parameter with a non-zero gradient by about
    /// `lr * sign(g)` (m_hat / sqrt(v_hat) = g / |g|), and decayed ones are first scaled by
    /// `1 - lr * lambda`: the closed form of the first AdamW step, to 1e-6.
    @Test func firstStepClosedForm() throws {
        var p: [Float] = (0..<19).map { Float($0) * 0.25 - 2 }
        let g: [Float] = (0..<19).map { $0 % 4 == 0 ? 0 : Float($0 % 3) - 0.7 }
        let lr = 0.01, wd = 0.5
        let opt = try AdamW(parameterCount: 19, specs: specs, config: OptimizerConfig(weightDecay: wd))
        let p0 = p
        p.withUnsafeMutableBufferPointer { pb in
            g.withUnsafeBufferPointer { opt.update(parameters: pb, gradients: $0, learningRate: lr) }
        }
        for i in 0..<19 {
            let decayed = (8..<14).contains(i)
            let base = Double(p0[i]) * (decayed ? 1 - lr * wd : 1)
            let gi = Double(g[i])
            let expected = base - (gi == 0 ? 0 : lr * gi / (abs(gi) + 1e-8))
            #expect(abs(Double(p[i]) - expected) < 1e-6, "element \(i)")
        }
    }

    /// The global norm (Double accumulation) equals the exactly rounded norm of a vector with a
    /// known sum of squares, and clipping scales to `maxNorm / (norm + 1e-6)` only when above.
    @Test func clippingMatchesDefinition() {
        // 1003 elements (exercises the SIMD tail) of value 3 and one of 4: sum of squares 9027 + 16.
        var g = [Float](repeating: 3, count: 1003) + [4]
        let exact = (9.0 * 1003 + 16).squareRoot()
        let norm = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: 1e6) }
        #expect(norm == exact)
        #expect(g[0] == 3 && g[1003] == 4, "below the threshold nothing changes")
        let before = g
        let norm2 = g.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: 2) }
        #expect(norm2 == exact)
        let c = Float(2 / (exact + 1e-6))
        #expect(zip(g, before).allSatisfy { $0 == $1 * c })
        let after = g.withUnsafeBufferPointer { GradientClipping.globalNorm($0) }
        #expect(abs(after - 2) < 1e-5)
    }
}
