import Base
/// The loop's settings (optimizer and schedule are separate: ``OptimizerConfig``, ``Schedule``).
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Optimizer steps to run in total (a resumed run continues up to this count).
    public var steps: Int
    /// Micro-batches per optimizer step (gradient accumulation `K`; each runs with `lossScale = 1/K`).
    public var accumulationSteps: Int = 1
    /// Evaluate every this many steps (0: only after the last step).
    public var evaluationInterval: Int = 0
    /// Save a checkpoint to `<checkpointDirectory>/step-<n>` every this many steps (0: never).
    public var checkpointInterval: Int = 0
    /// Where periodic checkpoints go.
    public var checkpointDirectory: String?
    /// Seeds ``TrainingRNG`` (batch sampling, masking).
    public var seed: UInt64 = 0
    /// Divergence guard: stop when a step's loss exceeds `factor * (lowest loss so far)`
    /// (`nil`: only non-finite losses and gradient norms stop the run).
    public var divergenceFactor: Double? = 4
    public var averaging = AveragingConfig()

    public init(steps: Int, accumulationSteps: Int = 1, evaluationInterval: Int = 0, checkpointInterval: Int = 0,
                checkpointDirectory: String? = nil, seed: UInt64 = 0, divergenceFactor: Double? = 4,
                averaging: AveragingConfig = AveragingConfig()) {
        self.steps = steps; self.accumulationSteps = accumulationSteps; self.evaluationInterval = evaluationInterval
        self.checkpointInterval = checkpointInterval; self.checkpointDirectory = checkpointDirectory
        self.seed = seed; self.divergenceFactor = divergenceFactor; self.averaging = averaging
    }

    public func validate() throws {
        func bad(_ f: String, _ r: String) -> TrainingError { .invalidConfiguration(field: f, reason: r) }
        guard steps >= 0 else { throw bad("steps", "must be >= 0, got \(steps)") }
        guard accumulationSteps >= 1 else { throw bad("accumulation_steps", "must be >= 1, got \(accumulationSteps)") }
        guard evaluationInterval >= 0 else { throw bad("eval_interval", "must be >= 0, got \(evaluationInterval)") }
        guard checkpointInterval >= 0 else { throw bad("checkpoint_interval", "must be >= 0, got \(checkpointInterval)") }
        if checkpointInterval > 0, checkpointDirectory == nil {
            throw bad("checkpoint_dir", "periodic checkpoints need a directory")
        }
        if let f = divergenceFactor, !(f > 1 && f.isFinite) { throw bad("divergence_factor", "must exceed 1, got \(f)") }
        try averaging.validate()
    }
}
