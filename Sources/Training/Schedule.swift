import Foundation

/// The shape `f(x)`, `x in [0, 1)`, of a warmup-stable-decay cooldown (Hägele et al., arXiv 2405.18392).
public enum CooldownShape: String, Codable, CaseIterable, Sendable {
    /// `f(x) = 1 - x`
    case linear
    /// `f(x) = 1 - sqrt(x)`
    case oneMinusSqrt = "1-sqrt"
    /// `f(x) = (1 + cos(pi x)) / 2`
    case cosine
    /// `f(x) = 1 - x^2`
    case square

    /// `f(x)`.
    public func factor(_ x: Double) -> Double {
        switch self {
        case .linear: return 1 - x
        case .oneMinusSqrt: return 1 - x.squareRoot()
        case .cosine: return 0.5 * (1 + Foundation.cos(Double.pi * x))
        case .square: return 1 - x * x
        }
    }
}

/// A learning-rate schedule: `learningRate(at: t)` is the rate of the optimizer step with 0-based
/// index `t` (the step that produces update number `t + 1`), as `torch.optim.lr_scheduler.LambdaLR`.
///
/// With peak `eta`, warmup `W`, warmup start fraction `s0`, final fraction `phi` and total `T`:
///
///     warmup (t < W):  eta * (s0 + (1 - s0) * t / W)
///     constant:        eta
///     cosine:          eta * (phi + (1 - phi) * (1 + cos(pi * min(1, (t - W) / (T - W)))) / 2)
///     wsd, cooldown C: eta                                 for W <= t < T - C
///                      eta * (phi + (1 - phi) * f((t - (T - C)) / C))   for T - C <= t < T
///                      eta * phi                           for t >= T
///
/// where `f` is the ``CooldownShape``. The last step of a WSD run uses `x = (C - 1) / C`; the rate
/// `eta * phi` is reached at `t = T`, the step after the run, as in the paper's reference code.
public struct Schedule: Codable, Equatable, Sendable {
    /// The peak learning rate `eta`.
    public var peakLearningRate: Double
    /// Warmup length `W` in steps (0: none).
    public var warmupSteps: Int
    /// The warmup starts at `s0 * eta` (0: from zero, as textbook linear warmup).
    public var warmupStartFraction: Double
    public var decay: Decay

    public enum Decay: Codable, Equatable, Sendable {
        /// Constant `eta` after warmup (the trunk that cooldowns branch from).
        case constant
        /// Cosine from `eta` at `W` to `finalFraction * eta` at `totalSteps`.
        case cosine(totalSteps: Int, finalFraction: Double)
        /// Warmup-stable-decay: constant, then the last `cooldownSteps` steps follow `shape` down to
        /// `finalFraction * eta`.
        case warmupStableDecay(totalSteps: Int, cooldownSteps: Int, shape: CooldownShape, finalFraction: Double)
    }

    public init(peakLearningRate: Double, warmupSteps: Int = 0, warmupStartFraction: Double = 0, decay: Decay) {
        self.peakLearningRate = peakLearningRate; self.warmupSteps = warmupSteps
        self.warmupStartFraction = warmupStartFraction; self.decay = decay
    }

    /// Linear warmup, then constant.
    public static func constant(peak: Double, warmup: Int = 0) -> Schedule {
        Schedule(peakLearningRate: peak, warmupSteps: warmup, decay: .constant)
    }

    /// Linear warmup, then cosine to `finalFraction * peak` at `totalSteps`.
    public static func cosine(peak: Double, warmup: Int = 0, totalSteps: Int, finalFraction: Double = 0.1) -> Schedule {
        Schedule(peakLearningRate: peak, warmupSteps: warmup,
                 decay: .cosine(totalSteps: totalSteps, finalFraction: finalFraction))
    }

    /// Warmup-stable-decay with a cooldown of `cooldownSteps` steps.
    public static func wsd(peak: Double, warmup: Int = 0, totalSteps: Int, cooldownSteps: Int,
                           shape: CooldownShape = .oneMinusSqrt, finalFraction: Double = 0) -> Schedule {
        Schedule(peakLearningRate: peak, warmupSteps: warmup,
                 decay: .warmupStableDecay(totalSteps: totalSteps, cooldownSteps: cooldownSteps, shape: shape,
                                           finalFraction: finalFraction))
    }

    /// Warmup-stable-decay whose cooldown is the fraction `cooldownFraction` of the run:
    /// `C = floor(cooldownFraction * totalSteps)` (as the paper's code, `int(fract_decay * n)`).
    public static func wsd(peak: Double, warmup: Int = 0, totalSteps: Int, cooldownFraction: Double,
                           shape: CooldownShape = .oneMinusSqrt, finalFraction: Double = 0) -> Schedule {
        wsd(peak: peak, warmup: warmup, totalSteps: totalSteps,
            cooldownSteps: Int((cooldownFraction * Double(totalSteps)).rounded(.down)), shape: shape,
            finalFraction: finalFraction)
    }

    /// A cooldown branching from the constant-rate trunk `trunk` at step `step`: identical to the
    /// trunk for `t < step`, then `length` cooldown steps. Equals the WSD schedule with
    /// `T = step + length` and `C = length`, so one long constant run plus short cooldowns from its
    /// checkpoints gives the losses of many training lengths.
    public static func cooldown(branchingFrom trunk: Schedule, atStep step: Int, length: Int,
                                shape: CooldownShape = .oneMinusSqrt, finalFraction: Double = 0) throws -> Schedule {
        guard trunk.decay == .constant else {
            throw TrainingError.invalidConfiguration(field: "schedule", reason: "a cooldown branches from a constant-rate trunk")
        }
        guard step >= trunk.warmupSteps else {
            throw TrainingError.invalidConfiguration(
                field: "cooldown", reason: "branch step \(step) lies inside the trunk's \(trunk.warmupSteps)-step warmup")
        }
        var s = wsd(peak: trunk.peakLearningRate, warmup: trunk.warmupSteps, totalSteps: step + length,
                    cooldownSteps: length, shape: shape, finalFraction: finalFraction)
        s.warmupStartFraction = trunk.warmupStartFraction
        return s
    }

    /// The run length the schedule was built for (`nil` for a constant schedule).
    public var totalSteps: Int? {
        switch decay {
        case .constant: return nil
        case let .cosine(t, _): return t
        case let .warmupStableDecay(t, _, _, _): return t
        }
    }

    /// Checks every field; the error names the first bad one.
    public func validate() throws {
        func bad(_ f: String, _ r: String) -> TrainingError { .invalidConfiguration(field: f, reason: r) }
        guard peakLearningRate > 0, peakLearningRate.isFinite else {
            throw bad("learning_rate", "must be positive, got \(peakLearningRate)")
        }
        guard warmupSteps >= 0 else { throw bad("warmup_steps", "must be >= 0, got \(warmupSteps)") }
        guard (0...1).contains(warmupStartFraction) else {
            throw bad("warmup_start_fraction", "must lie in [0, 1], got \(warmupStartFraction)")
        }
        switch decay {
        case .constant: break
        case let .cosine(total, phi):
            guard total > warmupSteps else { throw bad("total_steps", "\(total) must exceed the \(warmupSteps) warmup steps") }
            guard (0...1).contains(phi) else { throw bad("final_fraction", "must lie in [0, 1], got \(phi)") }
        case let .warmupStableDecay(total, cool, _, phi):
            guard cool >= 1 else { throw bad("cooldown_steps", "must be >= 1, got \(cool)") }
            guard total - cool >= warmupSteps else {
                throw bad("cooldown_steps", "warmup (\(warmupSteps)) + cooldown (\(cool)) exceed the \(total) total steps")
            }
            guard (0...1).contains(phi) else { throw bad("final_fraction", "must lie in [0, 1], got \(phi)") }
        }
    }

    /// The learning rate of the step with 0-based index `t`.
    public func learningRate(at t: Int) -> Double {
        let eta = peakLearningRate
        if t < warmupSteps {
            let r = Double(t) / Double(warmupSteps)
            return eta * (warmupStartFraction + (1 - warmupStartFraction) * r)
        }
        switch decay {
        case .constant:
            return eta
        case let .cosine(total, phi):
            let progress = min(1, Double(t - warmupSteps) / Double(total - warmupSteps))
            return eta * (phi + (1 - phi) * 0.5 * (1 + Foundation.cos(Double.pi * progress)))
        case let .warmupStableDecay(total, cool, shape, phi):
            let hold = total - cool
            if t < hold { return eta }
            if t >= total { return eta * phi }
            return eta * (phi + (1 - phi) * shape.factor(Double(t - hold) / Double(cool)))
        }
    }
}
