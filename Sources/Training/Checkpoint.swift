import Base
import Foundation
import Transformer

/// The JSON part of a checkpoint (`trainer_state.json`).
struct _TrainerState: Codable {
    var format = "autoscale-trainer-state"
    var version = 1
    var step: Int
    var tokens: Int
    var parameterCount: Int
    var layout: String
    var schedule: Schedule
    var optimizer: OptimizerConfig
    var training: TrainingConfig
    /// The four xoshiro256** words, as hex (JSON numbers cannot hold 64 bits exactly everywhere).
    var rng: [String]
    /// The batch source's ``TrainingBatchSource/checkpointState()``, base64.
    var data: Data
    var lowestLoss: Double?
    var swaCompletedAtStep: Int?
    var emaCount: Int?
    var trainingSeconds: Double
}

/// Checkpoints: a directory holding
///
/// - `trainer_state.json`: step, tokens, schedule, optimizer and loop configuration, RNG words,
///   batch-source state, divergence-guard reference, averager counters, parameter-layout fingerprint;
/// - `optimizer.safetensors`: flat F32 tensors `exp_avg`, `exp_avg_sq` (AdamW `m`, `v`), and when
///   averaging is on `swa.running`, `swa.completed`, `ema`; metadata `step`;
/// - `model/`: whatever the ``ModelWeightsStore`` writes (default `model/model.safetensors`).
///
/// The directory is built under a temporary name and renamed into place, so a crash never leaves
/// a half-written checkpoint under the final name.
extension Trainer {
    public static let stateFileName = "trainer_state.json"
    public static let optimizerFileName = "optimizer.safetensors"

    /// The checkpoint of step `step` in a `checkpointDirectory`: `step-NNNNNNNN`.
    public static func checkpointURL(in directory: URL, step: Int) -> URL {
        directory.appendingPathComponent(String(format: "step-%08d", step))
    }

    /// Steps of the complete checkpoints in `directory` (a checkpoint still being written has no state file under
    /// its final name, and hidden partial ones are ignored).
    public static func savedCheckpointSteps(in directory: URL) -> Set<Int> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return Set(names.compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }.filter {
            FileManager.default.fileExists(atPath: checkpointURL(in: directory, step: $0)
                .appendingPathComponent(stateFileName).path)
        })
    }

    /// Writes a checkpoint of the current state to `directory` (replacing one already there).
    public func saveCheckpoint(to directory: URL) throws {
        let fm = FileManager.default
        let tmp = directory.deletingLastPathComponent()
            .appendingPathComponent(".\(directory.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        func fail(_ r: String) -> TrainingError { .checkpoint(path: directory.path, reason: r) }
        do {
            try? fm.removeItem(at: tmp)
            try fm.createDirectory(at: tmp.appendingPathComponent("model"), withIntermediateDirectories: true)
        } catch { throw fail("cannot create: \(error.localizedDescription)") }

        try weightsStore.saveWeights(of: model, to: tmp.appendingPathComponent("model"))
        let n = model.parameters.count
        var tensors: [(String, [Int], [Float])] = [("exp_avg", [n], optimizer.firstMoment),
                                                   ("exp_avg_sq", [n], optimizer.secondMoment)]
        if let swa {
            tensors.append(("swa.running", [n], swa.running))
            if swa.hasAverage { tensors.append(("swa.completed", [n], swa.completed)) }
        }
        if let ema { tensors.append(("ema", [n], ema.average)) }
        try _TensorFile.write(tensors.map { (name: $0.0, shape: $0.1, values: $0.2) }, metadata: ["step": "\(step)"],
                              to: tmp.appendingPathComponent(Self.optimizerFileName))
        let state = _TrainerState(
            step: step, tokens: tokens, parameterCount: n, layout: _layoutFingerprint(model), schedule: schedule,
            optimizer: optimizer.config, training: config, rng: rng.stateWords.map { String($0, radix: 16) },
            data: try data.checkpointState(), lowestLoss: lowestLoss, swaCompletedAtStep: swa?.completedAtStep,
            emaCount: ema?.count, trainingSeconds: _trainingSeconds)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: tmp.appendingPathComponent(Self.stateFileName), options: .atomic)
            if fm.fileExists(atPath: directory.path) {
                let old = tmp.deletingLastPathComponent().appendingPathComponent(tmp.lastPathComponent + ".old")
                try fm.moveItem(at: directory, to: old)
                try fm.moveItem(at: tmp, to: directory)
                try fm.removeItem(at: old)
            } else {
                try fm.moveItem(at: tmp, to: directory)
            }
        } catch let e as TrainingError { throw e } catch { throw fail("cannot write: \(error.localizedDescription)") }
    }

    /// Restores the state saved by ``saveCheckpoint(to:)``: weights, AdamW moments and step, RNG,
    /// batch-source position, averagers, divergence guard, step and token counters. Training then
    /// continues bit for bit as the uninterrupted run would.
    ///
    /// The trainer's schedule must equal the checkpoint's unless `branch` is true; a branch (a
    /// cooldown from a constant-rate trunk, ``Schedule/cooldown(branchingFrom:atStep:length:shape:finalFraction:)``)
    /// must give the same rate as the checkpoint's schedule at every step before the checkpoint.
    public func restoreCheckpoint(from directory: URL, branch: Bool = false) throws {
        func fail(_ r: String) -> TrainingError { .checkpoint(path: directory.path, reason: r) }
        let stateURL = directory.appendingPathComponent(Self.stateFileName)
        let state: _TrainerState
        do { state = try JSONDecoder().decode(_TrainerState.self, from: Data(contentsOf: stateURL)) } catch {
            throw TrainingError.checkpoint(path: stateURL.path, reason: "unreadable trainer state: \(error)")
        }
        guard state.format == "autoscale-trainer-state", state.version == 1 else {
            throw fail("unsupported format \(state.format) version \(state.version)")
        }
        guard state.parameterCount == model.parameters.count, state.layout == _layoutFingerprint(model) else {
            throw fail("saved from a model with another parameter layout")
        }
        if branch {
            for t in 0..<state.step where schedule.learningRate(at: t) != state.schedule.learningRate(at: t) {
                throw fail("the branch schedule's rate at step \(t) (\(schedule.learningRate(at: t))) differs from "
                           + "the checkpoint's (\(state.schedule.learningRate(at: t)))")
            }
        } else {
            guard state.schedule == schedule else {
                throw fail("saved with another schedule; restore with branch: true to start a cooldown from it")
            }
            guard state.optimizer == optimizer.config else { throw fail("saved with another optimizer configuration") }
            guard state.training.accumulationSteps == config.accumulationSteps, state.training.seed == config.seed else {
                throw fail("saved with another accumulation count or seed")
            }
        }
        guard state.training.averaging == config.averaging else {
            throw fail("saved with another weight-averaging configuration")
        }
        let words = state.rng.compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { throw fail("malformed RNG state") }
        guard let restoredRNG = TrainingRNG(stateWords: words) else {
            throw TrainingError.invalidConfiguration(field: "rng", reason: "expected four state words, not all zero")
        }

        let optURL = directory.appendingPathComponent(Self.optimizerFileName)
        let file = try _TensorFile.read(optURL)
        let n = model.parameters.count
        func tensor(_ name: String) throws -> [Float] {
            guard let t = file.tensors[name], t.values.count == n else {
                throw TrainingError.checkpoint(path: optURL.path, reason: "missing tensor \(name) of \(n) elements")
            }
            return t.values
        }
        guard file.metadata["step"] == "\(state.step)" else {
            throw TrainingError.checkpoint(path: optURL.path, reason: "step does not match trainer_state.json")
        }
        let m = try tensor("exp_avg"), v = try tensor("exp_avg_sq")
        let swaRunning = try swa.map { _ in try tensor("swa.running") }
        let swaCompleted = try swa.map { _ in (state.swaCompletedAtStep ?? 0) > 0 ? try tensor("swa.completed") : [] }
        let emaAverage = try ema.map { _ in try tensor("ema") }

        try weightsStore.loadWeights(into: model, from: directory.appendingPathComponent("model"))
        try data.restore(checkpointState: state.data)
        optimizer.firstMoment = m; optimizer.secondMoment = v; optimizer.step = state.step
        if let swa, let swaRunning, let swaCompleted {
            swa.running = swaRunning; swa.completed = swaCompleted; swa.completedAtStep = state.swaCompletedAtStep ?? 0
        }
        if let ema, let emaAverage { ema.average = emaAverage; ema.count = state.emaCount ?? 0 }
        rng = restoredRNG
        step = state.step; tokens = state.tokens; lowestLoss = state.lowestLoss
        _trainingSeconds = state.trainingSeconds
    }
}

