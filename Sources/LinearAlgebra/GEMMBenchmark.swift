#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures single-precision GEMM throughput, the roofline the transformer engine is judged against.
public enum GEMMBenchmark {
    /// One measured shape.
    public struct Result: Sendable, Codable {
        public var m: Int, n: Int, k: Int
        public var threads: Int
        /// Best-of-repeats GFLOP/s, counting `2 m n k` floating-point operations per GEMM.
        public var gflops: Double
        /// Seconds per GEMM of the best repeat.
        public var seconds: Double
    }

    /// Monotonic wall-clock seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Times `C[m x n] = A[m x k] B[k x n]` with `threads` OpenBLAS threads: one warm-up call, then
    /// `repeats` rounds each running at least `minSeconds`; reports the best round.
    public static func sgemm(m: Int, n: Int, k: Int, threads: Int, repeats: Int = 3,
                             minSeconds: Double = 0.2) -> Result {
        BLASThreads.with(threads) { _ in _sgemm(m: m, n: n, k: k, threads: threads, repeats: repeats, minSeconds: minSeconds) }
    }

    static func _sgemm(m: Int, n: Int, k: Int, threads: Int, repeats: Int, minSeconds: Double) -> Result {
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        let a = (0..<(m * k)).map { _ in next() }
        let b = (0..<(k * n)).map { _ in next() }
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let pa = pa.baseAddress!, pb = pb.baseAddress!, pc = pc.baseAddress!
                    func run() { BLAS.gemm(m: m, n: n, k: k, a: pa, lda: k, b: pb, ldb: n, c: pc, ldc: n) }
                    run()
                    for _ in 0..<repeats {
                        var calls = 0
                        let start = now()
                        var elapsed = 0.0
                        repeat {
                            run()
                            calls += 1
                            elapsed = now() - start
                        } while elapsed < minSeconds
                        best = Swift.min(best, elapsed / Double(calls))
                    }
                }
            }
        }
        return Result(m: m, n: n, k: k, threads: threads, gflops: 2 * Double(m) * Double(n) * Double(k) / best / 1e9,
                      seconds: best)
    }

    /// The sgemm peak of this machine: the best GFLOP/s over large square and transformer-like shapes.
    public static func sgemmPeak(threads: Int) -> Double {
        [(1024, 1024, 1024), (2048, 1024, 256)].map {
            sgemm(m: $0.0, n: $0.1, k: $0.2, threads: threads, repeats: 2).gflops
        }.max()!
    }
}
