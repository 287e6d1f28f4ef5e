import Foundation

/// A whole training setup in one flat, file-friendly form (YAML or JSON with snake_case keys),
/// for `autoscale train --config`; ``make()`` turns it into the trainer's three configurations.
///
///     steps: 2000
///     accumulation_steps: 2
///     seed: 1
///     schedule: {kind: wsd, peak_lr: 6.0e-4, warmup_steps: 100, cooldown_fraction: 0.2, shape: 1-sqrt}
///     optimizer: {weight_decay: 0.1, beta2: 0.95, max_grad_norm: 1.0, decay_overrides: [{pattern: "*.wte.weight", decay: true}]}
///     evaluation_interval: 100
///     averaging: {ema_decay: 0.999}
///
/// Unknown keys are errors (a misspelt key must not silently fall back to a default).
public struct TrainingRecipe: Decodable, Sendable, Equatable {
    public struct ScheduleSpec: Decodable, Sendable, Equatable {
        /// `constant`, `cosine` or `wsd`.
        public var kind: String
        public var peakLR: Double
        public var warmupSteps: Int?
        public var warmupStartFraction: Double?
        /// WSD: one of these two (fraction of the run, or steps).
        public var cooldownFraction: Double?
        public var cooldownSteps: Int?
        /// WSD cooldown shape: `linear`, `1-sqrt`, `cosine`, `square` (default `1-sqrt`).
        public var shape: String?
        /// Cosine and WSD: final rate as a fraction of the peak (cosine default 0.1, WSD 0).
        public var finalFraction: Double?
        static let keys = ["kind", "peak_lr", "warmup_steps", "warmup_start_fraction", "cooldown_fraction",
                           "cooldown_steps", "shape", "final_fraction"]
        enum CodingKeys: String, CodingKey {
            case kind, peakLR = "peak_lr", warmupSteps = "warmup_steps", warmupStartFraction = "warmup_start_fraction"
            case cooldownFraction = "cooldown_fraction", cooldownSteps = "cooldown_steps", shape
            case finalFraction = "final_fraction"
        }
    }

    public struct OptimizerSpec: Decodable, Sendable, Equatable {
        public var beta1: Double?, beta2: Double?, epsilon: Double?, weightDecay: Double?, maxGradNorm: Double?
        /// Set to true to turn clipping off (`max_grad_norm` absent means the default 1.0).
        public var noClipping: Bool?
        public var decayOverrides: [DecayOverride]?
        static let keys = ["beta1", "beta2", "epsilon", "weight_decay", "max_grad_norm", "no_clipping", "decay_overrides"]
        enum CodingKeys: String, CodingKey {
            case beta1, beta2, epsilon, weightDecay = "weight_decay", maxGradNorm = "max_grad_norm"
            case noClipping = "no_clipping", decayOverrides = "decay_overrides"
        }
    }

    public struct AveragingSpec: Decodable, Sendable, Equatable {
        public var swaWindow: Int?, swaInterval: Int?, emaDecay: Double?
        static let keys = ["swa_window", "swa_interval", "ema_decay"]
        enum CodingKeys: String, CodingKey {
            case swaWindow = "swa_window", swaInterval = "swa_interval", emaDecay = "ema_decay"
        }
    }

    public var steps: Int
    public var schedule: ScheduleSpec
    public var optimizer: OptimizerSpec?
    public var accumulationSteps: Int?
    public var evaluationInterval: Int?
    public var checkpointInterval: Int?
    public var checkpointDirectory: String?
    public var seed: UInt64?
    public var divergenceFactor: Double?
    public var averaging: AveragingSpec?
    static let keys = ["steps", "schedule", "optimizer", "accumulation_steps", "evaluation_interval",
                       "checkpoint_interval", "checkpoint_dir", "seed", "divergence_factor", "averaging"]
    enum CodingKeys: String, CodingKey {
        case steps, schedule, optimizer, accumulationSteps = "accumulation_steps"
        case evaluationInterval = "evaluation_interval", checkpointInterval = "checkpoint_interval"
        case checkpointDirectory = "checkpoint_dir", seed, divergenceFactor = "divergence_factor", averaging
    }

    public init(from decoder: any Decoder) throws {
        try _rejectUnknownKeys(decoder, Self.keys, "")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decode(Int.self, forKey: .steps)
        if c.contains(.schedule) { try _rejectUnknownKeys(c.superDecoder(forKey: .schedule), ScheduleSpec.keys, "schedule.") }
        if c.contains(.optimizer) { try _rejectUnknownKeys(c.superDecoder(forKey: .optimizer), OptimizerSpec.keys, "optimizer.") }
        if c.contains(.averaging) { try _rejectUnknownKeys(c.superDecoder(forKey: .averaging), AveragingSpec.keys, "averaging.") }
        schedule = try c.decode(ScheduleSpec.self, forKey: .schedule)
        optimizer = try c.decodeIfPresent(OptimizerSpec.self, forKey: .optimizer)
        accumulationSteps = try c.decodeIfPresent(Int.self, forKey: .accumulationSteps)
        evaluationInterval = try c.decodeIfPresent(Int.self, forKey: .evaluationInterval)
        checkpointInterval = try c.decodeIfPresent(Int.self, forKey: .checkpointInterval)
        checkpointDirectory = try c.decodeIfPresent(String.self, forKey: .checkpointDirectory)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        divergenceFactor = try c.decodeIfPresent(Double.self, forKey: .divergenceFactor)
        averaging = try c.decodeIfPresent(AveragingSpec.self, forKey: .averaging)
    }

    /// The optimizer, schedule and loop configurations, validated (errors name the recipe field).
    public func make() throws -> (optimizer: OptimizerConfig, schedule: Schedule, training: TrainingConfig) {
        func bad(_ f: String, _ r: String) -> TrainingError { .invalidConfiguration(field: f, reason: r) }
        let s = schedule
        let warmup = s.warmupSteps ?? 0
        var sched: Schedule
        switch s.kind {
        case "constant":
            sched = .constant(peak: s.peakLR, warmup: warmup)
        case "cosine":
            sched = .cosine(peak: s.peakLR, warmup: warmup, totalSteps: steps, finalFraction: s.finalFraction ?? 0.1)
        case "wsd":
            guard let shape = CooldownShape(rawValue: s.shape ?? "1-sqrt") else {
                throw bad("schedule.shape", "'\(s.shape!)' is not one of linear, 1-sqrt, cosine, square")
            }
            switch (s.cooldownFraction, s.cooldownSteps) {
            case let (f?, nil):
                guard f > 0, f <= 1 else { throw bad("schedule.cooldown_fraction", "must lie in (0, 1], got \(f)") }
                sched = .wsd(peak: s.peakLR, warmup: warmup, totalSteps: steps, cooldownFraction: f, shape: shape,
                             finalFraction: s.finalFraction ?? 0)
            case let (nil, n?):
                sched = .wsd(peak: s.peakLR, warmup: warmup, totalSteps: steps, cooldownSteps: n, shape: shape,
                             finalFraction: s.finalFraction ?? 0)
            default:
                throw bad("schedule", "wsd needs exactly one of cooldown_fraction and cooldown_steps")
            }
        default:
            throw bad("schedule.kind", "'\(s.kind)' is not one of constant, cosine, wsd")
        }
        sched.warmupStartFraction = s.warmupStartFraction ?? 0
        try sched.validate()

        var opt = OptimizerConfig()
        if let o = optimizer {
            opt.beta1 = o.beta1 ?? opt.beta1; opt.beta2 = o.beta2 ?? opt.beta2; opt.epsilon = o.epsilon ?? opt.epsilon
            opt.weightDecay = o.weightDecay ?? opt.weightDecay
            opt.maxGradNorm = o.noClipping == true ? nil : (o.maxGradNorm ?? opt.maxGradNorm)
            opt.decayOverrides = o.decayOverrides ?? []
        }
        try opt.validate()

        var training = TrainingConfig(steps: steps)
        training.accumulationSteps = accumulationSteps ?? 1
        training.evaluationInterval = evaluationInterval ?? 0
        training.checkpointInterval = checkpointInterval ?? 0
        training.checkpointDirectory = checkpointDirectory
        training.seed = seed ?? 0
        training.divergenceFactor = divergenceFactor ?? training.divergenceFactor
        if let a = averaging {
            training.averaging = AveragingConfig(swaWindow: a.swaWindow, swaInterval: a.swaInterval ?? 1, emaDecay: a.emaDecay)
        }
        try training.validate()
        return (opt, sched, training)
    }
}

/// Any key other than `allowed` in the object `decoder` holds is an error naming `prefix + key`.
private func _rejectUnknownKeys(_ decoder: any Decoder, _ allowed: [String], _ prefix: String) throws {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    guard let c = try? decoder.container(keyedBy: AnyKey.self) else { return }
    if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
        throw TrainingError.invalidConfiguration(
            field: prefix + unknown, reason: "unknown key (expected one of \(allowed.joined(separator: ", ")))")
    }
}

extension TrainingRecipe {
    /// One line for a decoding failure: the dotted key path and what was wrong, e.g.
    /// `schedule.peak_lr: expected a number` (for the CLI to prefix with the file name).
    public static func describe(_ error: any Error) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case let .keyNotFound(key, ctx):
            return "\(path(ctx.codingPath + [key])): missing"
        case let .typeMismatch(type, ctx):
            let what: String
            switch type {
            case is String.Type: what = "a string"
            case is Bool.Type: what = "true or false"
            case is Int.Type, is UInt64.Type: what = "an integer"
            case is Double.Type: what = "a number"
            default: what = "\(type)"
            }
            return "\(path(ctx.codingPath)): expected \(what)"
        case let .valueNotFound(_, ctx):
            return "\(path(ctx.codingPath)): missing value"
        case let .dataCorrupted(ctx):
            return ctx.codingPath.isEmpty ? "not a valid recipe: \(ctx.debugDescription)"
                : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(e)"
        }
    }
}
