import Base
import Cluster
import Foundation
import Transformer

/// What one optimizer step did.
public struct StepResult: Sendable, Equatable {
    /// Completed steps after this one (1-based index of this step).
    public var step: Int
    /// Mean of the micro-batch losses (before the update).
    public var loss: Double
    public var learningRate: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    /// Predicted tokens of this step's micro-batches (``LanguageModel/predictedPositions(in:)``: for GPT-2,
    /// `context - 1` per sequence), the project's one token unit (Docs/architecture.md).
    public var tokens: Int
    /// Positions the step processed (`batch size x sequence length` summed over micro-batches): what
    /// framework benchmarks count as tokens per second.
    public var positions: Int
    /// Wall-clock seconds of the step.
    public var seconds: Double
}

/// What ``Trainer/run()`` returns.
public struct TrainingSummary: Sendable {
    public var steps: Int
    public var tokens: Int
    /// Per-step training losses of this invocation, in order.
    public var losses: [Double]
    /// The last evaluation (raw, SWA, EMA weights).
    public var evaluation: [EvaluationResult]
    public var swaEvaluation: [EvaluationResult]
    public var emaEvaluation: [EvaluationResult]
    /// Mean throughput of the training steps (evaluation excluded).
    public var tokensPerSecond: Double
}

/// Trains a ``LanguageModel`` with AdamW, a ``Schedule``, global-norm clipping, gradient
/// accumulation, optional SWA/EMA, periodic evaluation, a CSV log, checkpoints and exact resume.
///
/// Each step: zero the gradients; for `K` micro-batches drawn from the source with the trainer's
/// RNG, `forwardBackward(batch, lossScale: 1/K)`; stop if a loss is not finite or the mean loss
/// exceeds `divergenceFactor` times the lowest so far; clip (stop on a non-finite norm); AdamW
/// with `schedule.learningRate(at: step)`; feed the averagers. Everything is sequential and in a
/// fixed order, so the same seed and BLAS thread count give the same losses bit for bit.
public final class Trainer {
    public let model: any LanguageModel
    public let data: any TrainingBatchSource
    public let schedule: Schedule
    public let config: TrainingConfig
    public let evaluationSets: [EvaluationSet]
    public let optimizer: AdamW
    public var weightsStore: any ModelWeightsStore = FlatWeightsStore()
    /// The CSV log (`nil`: none).
    public var log: TrainingLog?
    public var progress = TrainingProgress()
    public internal(set) var step = 0
    public internal(set) var tokens = 0
    public internal(set) var rng: TrainingRNG
    public let swa: WindowedAverage?
    public let ema: ExponentialAverage?
    /// Lowest step loss so far (the divergence guard's reference).
    public internal(set) var lowestLoss: Double?
    /// Data parallelism over the ranks of an MPI job (`nil`, or one rank: the one-process step above,
    /// unchanged). See ``trainStep()``. Only rank 0 writes the log and checkpoints.
    public var communicator: (any Communicator)?
    /// Seconds this trainer spent in its collectives (data-parallel steps only): the per-step allreduce of the
    /// micro-batch losses and the allreduce of the gradient buffer, including the wait for slower ranks.
    public internal(set) var communicationSeconds = 0.0
    /// Completed-step counts at which ``run()`` also evaluates (raw, SWA, EMA weights) and logs the result,
    /// besides every `evaluationInterval` steps and the last step (a trunk evaluated at each branch's length).
    public var extraEvaluationSteps: Set<Int> = []
    /// Whether ``run()`` evaluates after its last step (`config.steps`) when no other rule asks for it there.
    /// A cooldown trunk turns it off: its last step is a branch point, not a run length (nothing reads it).
    public var evaluatesAtLastStep = true
    /// Wall-clock seconds this trainer spent in ``run()``'s evaluations (raw, SWA, EMA weights, all sets) and in
    /// its checkpoint writes: what a run costs besides its optimizer steps.
    public internal(set) var evaluationSeconds = 0.0
    public internal(set) var checkpointSeconds = 0.0
    /// Completed-step counts at which ``run()`` also saves a checkpoint to `<checkpointDirectory>/step-NNNNNNNN`
    /// (rank 0; a trunk's branch points). Needs `config.checkpointDirectory`.
    public var extraCheckpointSteps: Set<Int> = []
    /// Called on every rank after each evaluation in ``run()`` with the step and the raw, SWA and EMA results,
    /// before that step's log row and checkpoint are written.
    public var onEvaluation: ((_ step: Int, _ raw: [EvaluationResult], _ swa: [EvaluationResult], _ ema: [EvaluationResult]) throws -> Void)?
    var _trainingSeconds = 0.0

    public init(model: any LanguageModel, data: any TrainingBatchSource, optimizer: OptimizerConfig,
                schedule: Schedule, config: TrainingConfig, evaluationSets: [EvaluationSet] = []) throws {
        try schedule.validate()
        try config.validate()
        if let total = schedule.totalSteps, total != config.steps {
            throw TrainingError.invalidConfiguration(
                field: "steps", reason: "the schedule is built for \(total) steps but the run has \(config.steps)")
        }
        try TrainingLog.validate(evaluationNames: evaluationSets.map(\.name))
        guard model.gradients.count == model.parameters.count else {
            throw TrainingError.invalidConfiguration(field: "model", reason: "gradient and parameter buffers differ in length")
        }
        self.model = model; self.data = data; self.schedule = schedule; self.config = config
        self.evaluationSets = evaluationSets
        self.optimizer = try AdamW(parameterCount: model.parameters.count, specs: model.parameterSpecs, config: optimizer)
        rng = TrainingRNG(seed: config.seed)
        let n = model.parameters.count
        swa = config.averaging.swaWindow.map { WindowedAverage(parameterCount: n, window: $0, interval: config.averaging.swaInterval) }
        ema = config.averaging.emaDecay.map { ExponentialAverage(parameterCount: n, decay: $0) }
    }

    /// Opens a CSV log at `url` with this trainer's evaluation sets and averaging columns.
    public func logCSV(to url: URL) throws {
        log = try TrainingLog(url: url, evaluationNames: evaluationSets.map(\.name), swa: swa != nil, ema: ema != nil)
    }

    /// One optimizer step (see the type's documentation).
    ///
    /// Data-parallel (``communicator`` with `K > 1` ranks): every rank draws the same global micro-batch of
    /// `B` sequences (so the RNG and the data source stay in step) and runs forward/backward on its rows
    /// `r·B/K ..< (r+1)·B/K` (`B % K == 0` is required) with `lossScale = c_r / (C·k)`, `c_r` the rank's
    /// predicted tokens and `C` the global batch's (both counted from the global batch, which every rank
    /// holds), so the sum over ranks of the gradients is the gradient of the global-batch mean loss averaged
    /// over the `k` micro-batches, as in one process. Then one allreduce of the `k` values `c_r·loss_r` (the
    /// logged loss is `Σ_m (Σ_r c_r·loss_r / C) / k`, the global mean; a non-finite one stops every rank
    /// alike), ONE in-place allreduce of the flat gradient buffer, and clipping and AdamW on every rank with
    /// identical inputs. The result equals the one-process step up to the order of float summation (~1e-7
    /// relative per step). Errors every rank shares are thrown as ``SharedError``.
    @discardableResult
    public func trainStep() throws -> StepResult {
        if let communicator, communicator.size > 1 { return try _dataParallelStep(communicator) }
        let start = DispatchTime.now().uptimeNanoseconds
        let n = step + 1
        model.gradients.update(repeating: 0)
        let k = config.accumulationSteps
        let scale = Float(1) / Float(k)
        var lossSum = 0.0, stepTokens = 0, positions = 0
        for micro in 0..<k {
            let batch = try data.nextBatch(using: &rng)
            let l = try model.forwardBackward(batch, lossScale: scale)
            guard l.isFinite else {
                throw TrainingError.diverged(step: n, reason: "loss is \(l) on micro-batch \(micro + 1) of \(k)")
            }
            lossSum += Double(l)
            stepTokens += model.predictedPositions(in: batch).reduce(0, +)
            positions += batch.batchSize * batch.sequenceLength
        }
        return try _finishStep(loss: lossSum / Double(k), tokens: stepTokens, positions: positions, start: start)
    }

    /// Divergence guard, clipping, AdamW and the averagers: the end of every step.
    func _finishStep(loss: Double, tokens stepTokens: Int, positions: Int, start: UInt64) throws -> StepResult {
        let n = step + 1
        if let f = config.divergenceFactor, let low = lowestLoss, loss > f * low {
            throw TrainingError.diverged(step: n, reason: "loss \(loss) exceeds \(f) x the lowest loss \(low)")
        }
        let norm = optimizer.config.maxGradNorm.map { GradientClipping.clip(model.gradients, maxNorm: $0) }
            ?? GradientClipping.globalNorm(UnsafeBufferPointer(model.gradients))
        guard norm.isFinite else { throw TrainingError.diverged(step: n, reason: "gradient norm is \(norm)") }
        let lr = schedule.learningRate(at: step)
        optimizer.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), learningRate: lr)
        step = n
        tokens += stepTokens
        lowestLoss = min(lowestLoss ?? loss, loss)
        let p = UnsafeBufferPointer(model.parameters)
        swa?.observe(p, afterStep: n)
        ema?.observe(p)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        _trainingSeconds += seconds
        return StepResult(step: n, loss: loss, learningRate: lr, gradientNorm: norm, tokens: stepTokens, positions: positions,
                          seconds: seconds)
    }

    /// The data-parallel step (see ``trainStep()``).
    func _dataParallelStep(_ comm: any Communicator) throws -> StepResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let n = step + 1
        model.gradients.update(repeating: 0)
        let k = config.accumulationSteps
        var weighted = [Double](repeating: 0, count: k), totals = [Int](repeating: 0, count: k)
        var stepTokens = 0, positions = 0
        for micro in 0..<k {
            let global = try data.nextBatch(using: &rng)
            let b = global.batchSize
            guard global.lossWeights == nil else {
                // Each rank's share is scaled by its token count, not by its loss weights: refused, not wrong.
                throw SharedError(TrainingError.invalidConfiguration(field: "loss weights", reason:
                    "loss-weighted batches (DoReMi) train in one process only, not data-parallel"))
            }
            guard b % comm.size == 0 else {
                throw SharedError(TrainingError.invalidConfiguration(field: "batch size", reason:
                    "a global batch of \(b) sequences does not split over \(comm.size) ranks (it must be a multiple of the rank count)"))
            }
            let rows = (comm.rank * b / comm.size)..<((comm.rank + 1) * b / comm.size)
            let perRow = model.predictedPositions(in: global)
            totals[micro] = perRow.reduce(0, +)
            guard totals[micro] > 0 else {
                throw SharedError(TrainingError.data("micro-batch \(micro + 1) of step \(n) has no token to predict"))
            }
            stepTokens += totals[micro]
            positions += b * global.sequenceLength
            let mine = perRow[rows].reduce(0, +)
            guard mine > 0 else { continue }  // nothing to predict in this rank's rows: a zero contribution
            let part = Self._rows(global, rows)
            let l = try model.forwardBackward(part, lossScale: Float(Double(mine) / (Double(totals[micro]) * Double(k))))
            weighted[micro] = Double(l) * Double(mine)
        }
        let c0 = DispatchTime.now().uptimeNanoseconds
        try comm.allreduceSum(&weighted)
        var lossSum = 0.0
        for micro in 0..<k {
            let l = weighted[micro] / Double(totals[micro])
            guard l.isFinite else {
                throw SharedError(TrainingError.diverged(step: n, reason: "loss is \(l) on micro-batch \(micro + 1) of \(k)"))
            }
            lossSum += l
        }
        try comm.allreduceSum(model.gradients)
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - c0) * 1e-9
        do {
            return try _finishStep(loss: lossSum / Double(k), tokens: stepTokens, positions: positions, start: start)
        } catch { throw SharedError(error) }
    }

    /// Rows `rows` of a batch (every per-token array sliced alike).
    static func _rows(_ batch: TokenBatch, _ rows: Range<Int>) -> TokenBatch {
        let t = batch.sequenceLength, r = (rows.lowerBound * t)..<(rows.upperBound * t)
        return TokenBatch(batchSize: rows.count, sequenceLength: t, inputIDs: Array(batch.inputIDs[r]),
                          labels: batch.labels.map { Array($0[r]) }, attentionMask: batch.attentionMask.map { Array($0[r]) },
                          tokenTypeIDs: batch.tokenTypeIDs.map { Array($0[r]) },
                          lossWeights: batch.lossWeights.map { Array($0[rows]) })
    }

    /// Held-out loss of the current weights on every evaluation set.
    public func evaluate() throws -> [EvaluationResult] {
        try evaluationSets.map { try Training.evaluate(model, on: $0) }
    }

    /// Held-out loss of the last completed SWA window (empty before the first window closes).
    public func evaluateSWA() throws -> [EvaluationResult] {
        guard let swa, swa.hasAverage else { return [] }
        return try withSwappedWeights(model, &swa.completed) { try evaluate() }
    }

    /// Held-out loss of the EMA weights (empty before the first step).
    public func evaluateEMA() throws -> [EvaluationResult] {
        guard let ema, ema.hasAverage else { return [] }
        return try withSwappedWeights(model, &ema.average) { try evaluate() }
    }

    /// Trains from the current step up to `config.steps`, evaluating, logging, reporting progress
    /// and checkpointing as configured.
    public func run() throws -> TrainingSummary {
        let writes = (communicator?.rank ?? 0) == 0
        if writes, let log, !log.isOpen { try log.open(resumingAfter: step > 0 ? step : nil) }
        var losses: [Double] = []
        var last: ([EvaluationResult], [EvaluationResult], [EvaluationResult]) = ([], [], [])
        let firstStep = step, secondsBefore = _trainingSeconds, tokensBefore = tokens
        while step < config.steps {
            let r = try trainStep()
            losses.append(r.loss)
            let rate = Double(tokens - tokensBefore) / max(_trainingSeconds - secondsBefore, 1e-9)
            progress.step(step, of: config.steps, loss: r.loss, lr: r.learningRate,
                          tokensPerSecond: rate,
                          secondsLeft: Double(config.steps - step) * (_trainingSeconds - secondsBefore)
                            / Double(step - firstStep))
            var row = TrainingLogRow(step: step, tokens: tokens, learningRate: r.learningRate, trainLoss: r.loss,
                                     tokensPerSecond: Double(r.tokens) / max(r.seconds, 1e-9))
            let interval = config.evaluationInterval
            if !evaluationSets.isEmpty, (step == config.steps && evaluatesAtLastStep)
                || (interval > 0 && step % interval == 0) || extraEvaluationSteps.contains(step) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let raw = try evaluate()
                let t1 = DispatchTime.now().uptimeNanoseconds
                let swa = try evaluateSWA()
                let t2 = DispatchTime.now().uptimeNanoseconds
                last = (raw, swa, try evaluateEMA())
                let t3 = DispatchTime.now().uptimeNanoseconds
                evaluationSeconds += Double(t3 - t0) * 1e-9
                try onEvaluation?(step, last.0, last.1, last.2)
                progress.evaluation(step, "", last.0, seconds: Double(t1 - t0) * 1e-9)
                progress.evaluation(step, " swa", last.1, seconds: Double(t2 - t1) * 1e-9)
                progress.evaluation(step, " ema", last.2, seconds: Double(t3 - t2) * 1e-9)
                func map(_ rs: [EvaluationResult]) -> [String: Double] {
                    Dictionary(uniqueKeysWithValues: rs.map { ($0.name, $0.meanLoss) })
                }
                row.validationLoss = map(last.0); row.swaValidationLoss = map(last.1); row.emaValidationLoss = map(last.2)
            }
            if writes { try log?.append(row) }
            if writes, let dir = config.checkpointDirectory,
               (config.checkpointInterval > 0 && step % config.checkpointInterval == 0) || extraCheckpointSteps.contains(step) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try saveCheckpoint(to: Self.checkpointURL(in: URL(fileURLWithPath: dir), step: step))
                checkpointSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            }
        }
        return TrainingSummary(steps: step, tokens: tokens, losses: losses, evaluation: last.0, swaEvaluation: last.1,
                               emaEvaluation: last.2,
                               tokensPerSecond: Double(tokens - tokensBefore) / max(_trainingSeconds - secondsBefore, 1e-9))
    }
}
