import Foundation
import LinearAlgebra

/// One GEMM as a training step issues it: `C[m x n] = alpha·op(A)·op(B) + beta·C` with these
/// transposes, leading dimensions and whether `beta != 0`, run on `threads` OpenBLAS threads by
/// one of `concurrency` workers that issue GEMMs at the same time (1: the GEMM has the machine).
public struct GEMMShape: Hashable, Sendable, Codable, CustomStringConvertible {
    enum CodingKeys: String, CodingKey {
        case transA = "trans_a", transB = "trans_b", m, n, k, lda, ldb, ldc, accumulate, threads, concurrency
    }
    public var transA: Bool, transB: Bool
    public var m: Int, n: Int, k: Int
    public var lda: Int, ldb: Int, ldc: Int
    public var accumulate: Bool
    public var threads: Int
    public var concurrency: Int

    /// `2 m n k`.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    public var description: String {
        "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)x\(n)x\(k) ld \(lda),\(ldb),\(ldc)"
            + (accumulate ? " beta=1" : "") + " threads \(threads)"
            + (concurrency > 1 ? " x\(concurrency) concurrent" : "")
    }
}

/// Records the GEMMs the kernels issue on the threads it is installed on (``ThreadContext``;
/// ``GEMM`` reports every call). Slices of one step record concurrently, hence the lock.
final class GEMMLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var counts: [GEMMShape: Int] = [:]

    func record(_ s: GEMMShape, times: Int) {
        lock.lock(); counts[s, default: 0] += times; lock.unlock()
    }
}

/// The kernels' GEMM entry points: ``BLAS`` plus recording for ``GEMMRoofline`` (Float calls only).
enum GEMM {
    @inline(__always)
    static func gemm<F: ModelScalar>(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: F = 1,
        a: UnsafePointer<F>, lda: Int, b: UnsafePointer<F>, ldb: Int, beta: F = 0, c: UnsafeMutablePointer<F>, ldc: Int
    ) {
        if let c = ThreadContext.current, let log = c.log, F.self == Float.self {
            log.record(shape(transA, transB, m, n, k, lda, ldb, ldc, beta != 0, c.issuers), times: 1)
        }
        BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
    }

    /// `batch` GEMMs whose operands start `strideA`, `strideB`, `strideC` apart (attention heads).
    @inline(__always)
    static func stridedBatched<F: ModelScalar>(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: F = 1,
        a: UnsafePointer<F>, lda: Int, strideA: Int, b: UnsafePointer<F>, ldb: Int, strideB: Int,
        beta: F = 0, c: UnsafeMutablePointer<F>, ldc: Int, strideC: Int, batch: Int
    ) {
        if let c = ThreadContext.current, let log = c.log, F.self == Float.self {
            log.record(shape(transA, transB, m, n, k, lda, ldb, ldc, beta != 0, c.issuers), times: batch)
        }
        BLAS.gemmStridedBatched(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, strideA: strideA,
                                b: b, ldb: ldb, strideB: strideB, beta: beta, c: c, ldc: ldc, strideC: strideC,
                                batch: batch)
    }

    private static func shape(_ tA: Transpose, _ tB: Transpose, _ m: Int, _ n: Int, _ k: Int,
                              _ lda: Int, _ ldb: Int, _ ldc: Int, _ acc: Bool, _ issuers: Int) -> GEMMShape {
        GEMMShape(transA: tA == .transpose, transB: tB == .transpose, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                  accumulate: acc, threads: BLASThreads.count, concurrency: issuers)
    }
}

/// The GEMM roofline of a training step: the time the step would take if it did nothing but its own
/// GEMMs, each timed in isolation at exactly the shape, transposes, leading dimensions and OpenBLAS
/// thread count the step issues it with.
///
/// `seconds = Σ_shapes calls(shape) · t(shape) / concurrency(shape)`, where `t` is the best of
/// `rounds` timed rounds (each at least `minSeconds`, after one warm-up call) on private buffers that
/// stay in cache between calls, and GEMMs that `concurrency` workers issue at once are credited a
/// perfect overlap. Every simplification here is in the step's favour, so the step can never run
/// faster than `tokens / seconds`: it is a ceiling, not an estimate.
public enum GEMMRoofline {
    public struct Result: Sendable {
        /// Seconds per forward+backward spent in GEMMs at the isolated rates.
        public var seconds: Double
        /// GEMM calls per forward+backward.
        public var calls: Int
        /// Distinct shapes timed.
        public var shapes: Int
        /// GEMM floating-point operations per forward+backward (`Σ 2 m n k`).
        public var flops: Double
        /// Per shape, largest share of ``seconds`` first.
        public var breakdown: [Entry]
    }

    /// One timed shape: how often a step issues it and its best seconds per call.
    public struct Entry: Sendable, Codable, Equatable {
        public var shape: GEMMShape
        public var calls: Int
        public var secondsPerCall: Double
        /// This shape's part of ``Result/seconds``: `calls · secondsPerCall / concurrency`.
        public var secondsPerStep: Double { Double(calls) * secondsPerCall / Double(shape.concurrency) }
        /// `2 m n k / secondsPerCall / 1e9`.
        public var gflops: Double { shape.flops / secondsPerCall / 1e9 }
        enum CodingKeys: String, CodingKey { case shape, calls, secondsPerCall = "seconds_per_call" }
    }

    /// Runs `model.forwardBackward(batch, lossScale: 0)` once recording its GEMMs, then times each
    /// distinct shape. Adds nothing to the gradients (the scale is 0), but overwrites the model's scratch.
    public static func measure(model: any LanguageModel, batch: TokenBatch, rounds: Int = 5,
                               minSeconds: Double = 0.005) throws -> Result {
        let log = GEMMLog()
        _ = try ThreadContext(log: log, issuers: 1).install { try model.forwardBackward(batch, lossScale: 0) }
        let breakdown = log.counts.map { s, calls in
            Entry(shape: s, calls: calls, secondsPerCall: time(s, rounds: rounds, minSeconds: minSeconds))
        }.sorted { $0.secondsPerStep > $1.secondsPerStep }
        return Result(seconds: breakdown.reduce(0) { $0 + $1.secondsPerStep },
                      calls: breakdown.reduce(0) { $0 + $1.calls }, shapes: breakdown.count,
                      flops: breakdown.reduce(0) { $0 + Double($1.calls) * $1.shape.flops }, breakdown: breakdown)
    }

    /// Best seconds per call of `s` on its thread count.
    static func time(_ s: GEMMShape, rounds: Int, minSeconds: Double) -> Double {
        Parallel.withBLASThreads(s.threads) { timeOnCallingThread(s, rounds: rounds, minSeconds: minSeconds) }
    }

    private static func timeOnCallingThread(_ s: GEMMShape, rounds: Int, minSeconds: Double) -> Double {
        let a = AlignedBuffer<Float>(count: (s.transA ? s.k : s.m) * s.lda)
        let b = AlignedBuffer<Float>(count: (s.transB ? s.n : s.k) * s.ldb)
        let c = AlignedBuffer<Float>(count: s.m * s.ldc)
        for i in 0..<a.count { a.pointer[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0..<b.count { b.pointer[i] = Float(i % 13) * 0.01 - 0.06 }
        let beta: Float = s.accumulate ? 1 : 0
        func call() {
            BLAS.gemm(s.transA ? .transpose : .none, s.transB ? .transpose : .none, m: s.m, n: s.n, k: s.k,
                      a: a.pointer, lda: s.lda, b: b.pointer, ldb: s.ldb, beta: beta, c: c.pointer, ldc: s.ldc)
        }
        call()
        var best = Double.infinity
        for _ in 0..<Swift.max(1, rounds) {
            var calls = 0
            let start = GEMMBenchmark.now()
            var elapsed = 0.0
            repeat { call(); calls += 1; elapsed = GEMMBenchmark.now() - start } while elapsed < minSeconds
            best = Swift.min(best, elapsed / Double(calls))
        }
        return best
    }
}
