import Base
import Foundation
import LinearAlgebra
import Transformer

/// What ``TrainingBenchmark/measure(model:batch:steps:warmup:optimizer:)`` reports.
public struct BenchmarkResult: Codable, Sendable, Equatable {
    public var steps: Int
    public var warmupSteps: Int
    public var tokensPerStep: Int
    /// Mean wall-clock seconds of one full training step (forward, backward, clipping, AdamW).
    public var secondsPerStep: Double
    public var tokensPerSecond: Double
    /// `tokensPerSecond * model.trainingFLOPsPerToken / 1e9`.
    public var gflops: Double
    /// Single-precision GEMM throughput measured in the same process just before the steps.
    public var sgemmPeakGFLOPs: Double
    /// `gflops / sgemmPeakGFLOPs`.
    public var peakFraction: Double
    /// Bytes of parameters, gradients and the two AdamW moments (`16 * parameterCount`).
    public var optimizerStateBytes: Int
    /// The process's peak resident set (`VmHWM`), when the platform reports it.
    public var peakResidentBytes: Int?
    public var blasThreads: Int
    /// The GEMM roofline (``GEMMRoofline``): tokens/s if a step did nothing but its own GEMMs, each at
    /// its isolated best rate, plus its parts (optimizer time not included: it is no GEMM).
    public var gemmBoundTokensPerSecond: Double?
    /// Seconds per step of those GEMMs.
    public var gemmSecondsPerStep: Double?
    /// GEMM calls and distinct GEMM shapes per step.
    public var gemmCallsPerStep: Int?
    public var gemmShapes: Int?
    /// Per GEMM shape (only when asked for: `detail`).
    public var gemmBreakdown: [GEMMRoofline.Entry]?

    enum CodingKeys: String, CodingKey {
        case steps, warmupSteps = "warmup_steps", tokensPerStep = "tokens_per_step", secondsPerStep = "seconds_per_step"
        case tokensPerSecond = "tokens_per_s", gflops, sgemmPeakGFLOPs = "sgemm_peak_gflops"
        case peakFraction = "peak_fraction", optimizerStateBytes = "optimizer_state_bytes"
        case peakResidentBytes = "peak_resident_bytes", blasThreads = "blas_threads"
        case gemmBoundTokensPerSecond = "gemm_bound_tokens_per_s", gemmSecondsPerStep = "gemm_seconds_per_step"
        case gemmCallsPerStep = "gemm_calls_per_step", gemmShapes = "gemm_shapes", gemmBreakdown = "gemm_breakdown"
    }
}

/// Times full training steps for `autoscale bench`.
public enum TrainingBenchmark {
    /// Runs `warmup` untimed then `steps` timed training steps of `model` on `batch` (repeated),
    /// with AdamW at a constant rate of 1e-4, clipping as `optimizer` says and no divergence guard.
    public static func measure(model: any LanguageModel, batch: TokenBatch, steps: Int, warmup: Int = 2,
                               optimizer: OptimizerConfig = OptimizerConfig()) throws -> BenchmarkResult {
        try measure(model: model, data: try ArrayBatchSource([batch]), steps: steps, warmup: warmup, optimizer: optimizer)
    }

    /// The same on the batches `data` serves (e.g. a ``MaskedLMBatchSource``: BERT on freshly masked
    /// batches); `tokensPerStep` is the mean over the timed steps. `roofline` also measures the
    /// step's ``GEMMRoofline`` (about a second) and fills the `gemm*` fields (`gemmBreakdown` only with `rooflineDetail`).
    public static func measure(model: any LanguageModel, data: any TrainingBatchSource, steps: Int, warmup: Int = 2,
                               optimizer: OptimizerConfig = OptimizerConfig(), seed: UInt64 = 0,
                               roofline: Bool = false, rooflineDetail: Bool = false) throws -> BenchmarkResult {
        guard steps >= 1, warmup >= 0 else {
            throw TrainingError.invalidConfiguration(field: "steps", reason: "need at least one timed step")
        }
        // The roofline at this process's thread count, measured by the linear-algebra layer.
        let peak = GEMMBenchmark.sgemm(m: 1024, n: 1024, k: 1024, threads: BLASThreads.count, repeats: 3, minSeconds: 0.1).gflops
        let trainer = try Trainer(model: model, data: data, optimizer: optimizer,
                                  schedule: .constant(peak: 1e-4),
                                  config: TrainingConfig(steps: warmup + steps, seed: seed, divergenceFactor: nil))
        for _ in 0..<warmup { try trainer.trainStep() }
        var seconds = 0.0, tokens = 0
        for _ in 0..<steps {
            let r = try trainer.trainStep()
            seconds += r.seconds; tokens += r.positions
        }
        let perStep = seconds / Double(steps)
        let rate = Double(tokens) / seconds
        let gflops = rate * model.trainingFLOPsPerToken / 1e9
        var result = BenchmarkResult(steps: steps, warmupSteps: warmup, tokensPerStep: tokens / steps, secondsPerStep: perStep,
                                     tokensPerSecond: rate, gflops: gflops, sgemmPeakGFLOPs: peak,
                                     peakFraction: gflops / peak, optimizerStateBytes: 16 * model.parameters.count,
                                     peakResidentBytes: peakResidentBytes(), blasThreads: BLASThreads.count)
        if roofline {
            // After the timed steps, on a batch from a private generator: the training above is untouched.
            var rng = TrainingRNG(seed: seed ^ 0x5EED)
            let batch = try data.nextBatch(using: &rng)
            let r = try GEMMRoofline.measure(model: model, batch: batch)
            result.gemmSecondsPerStep = r.seconds
            result.gemmBoundTokensPerSecond = Double(batch.batchSize * batch.sequenceLength) / r.seconds
            result.gemmCallsPerStep = r.calls
            result.gemmShapes = r.shapes
            if rooflineDetail { result.gemmBreakdown = r.breakdown }
        }
        return result
    }

    /// The peak resident set size of this process (`VmHWM` in `/proc/self/status`), or `nil`.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }
}
