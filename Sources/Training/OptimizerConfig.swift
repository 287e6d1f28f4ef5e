#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Transformer

/// Hyper-parameters of AdamW and of global-norm gradient clipping (the defaults of `torch.optim.AdamW`).
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// Added to `sqrt(v_hat)` (outside the square root, as PyTorch).
    public var epsilon: Double = 1e-8
    /// Decoupled weight decay `lambda`: each step multiplies decayed parameters by `1 - lr * lambda`.
    public var weightDecay: Double = 0.01
    /// Global-norm clipping threshold (`torch.nn.utils.clip_grad_norm_`); `nil` disables clipping.
    public var maxGradNorm: Double? = 1.0
    /// Overrides of ``ParameterSpec/decay`` by shell glob on the parameter name (`fnmatch`, e.g.
    /// `*.wte.weight`); the first matching rule wins, unmatched parameters keep the model's flag.
    public var decayOverrides: [DecayOverride] = []

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01,
                maxGradNorm: Double? = 1.0, decayOverrides: [DecayOverride] = []) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm; self.decayOverrides = decayOverrides
    }

    /// Checks every field; the error names the first bad one.
    public func validate() throws {
        func bad(_ f: String, _ r: String) -> TrainingError { .invalidConfiguration(field: f, reason: r) }
        guard beta1 >= 0, beta1 < 1 else { throw bad("beta1", "must lie in [0, 1), got \(beta1)") }
        guard beta2 >= 0, beta2 < 1 else { throw bad("beta2", "must lie in [0, 1), got \(beta2)") }
        guard epsilon > 0, epsilon.isFinite else { throw bad("epsilon", "must be positive, got \(epsilon)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw bad("weight_decay", "must be >= 0, got \(weightDecay)") }
        if let c = maxGradNorm, !(c > 0 && c.isFinite) { throw bad("max_grad_norm", "must be positive, got \(c)") }
    }

    /// Whether AdamW decays the parameter `spec` under this configuration.
    public func decays(_ spec: ParameterSpec) -> Bool {
        for rule in decayOverrides where fnmatch(rule.pattern, spec.name, 0) == 0 { return rule.decay }
        return spec.decay
    }
}

/// One weight-decay override: parameters whose name matches the glob `pattern` get `decay`.
public struct DecayOverride: Codable, Equatable, Sendable {
    public var pattern: String
    public var decay: Bool
    public init(pattern: String, decay: Bool) { self.pattern = pattern; self.decay = decay }
}
