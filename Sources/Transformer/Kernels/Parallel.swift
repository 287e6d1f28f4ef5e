import Dispatch
import LinearAlgebra

/// Row-parallel loops on as many workers as OpenBLAS has threads (2 on the target machine).
///
/// The split of `0..<n` into chunks depends only on `n` and the thread count, and each chunk
/// writes its own rows (reductions go to per-chunk slots summed in chunk order), so results are
/// bit-identical run to run for a given thread count.
enum _Parallel {
    static var workers: Int { BLASThreads.count }

    /// How many workers issue GEMMs at the same time (1 outside a batch-parallel region); read by
    /// ``_GEMMLog`` so the roofline credits concurrent single-threaded GEMMs with their overlap.
    nonisolated(unsafe) static var concurrentIssuers = 1

    /// Runs `body` on `workers` contiguous chunks of `0..<n` concurrently; `body(chunk, range)`.
    static func chunks(_ n: Int, minimumChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        let w = Swift.min(workers, Swift.max(1, n / Swift.max(1, minimumChunk)))
        if w <= 1 { body(0, 0..<n); return }
        withoutActuallyEscaping(body) { b in
            let box = _Unchecked(b)
            DispatchQueue.concurrentPerform(iterations: w) { i in box.value(i, (i * n / w)..<((i + 1) * n / w)) }
        }
    }
}

/// Carries a non-Sendable value (a closure over raw buffers) into `concurrentPerform`; every
/// worker touches disjoint rows, which is what makes this sound.
struct _Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
