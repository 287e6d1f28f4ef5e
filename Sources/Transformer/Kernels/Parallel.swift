import Dispatch
import Foundation
import LinearAlgebra

/// Row-parallel loops on as many workers as OpenBLAS has threads (2 on the target machine).
///
/// The split of `0..<n` into chunks depends only on `n` and the thread count, and each chunk
/// writes its own rows (reductions go to per-chunk slots summed in chunk order), so results are
/// bit-identical run to run for a given thread count.
enum Parallel {
    /// 1 inside a batch slice (its kernels run on the slice's own thread); elsewhere the process's
    /// OpenBLAS thread count, read as it was before any ``withBLASThreads(_:_:)`` region changed it.
    static var workers: Int {
        if let c = ThreadContext.current, c.issuers > 1 { return 1 }
        let held = heldCount
        return held > 0 ? held : BLASThreads.count
    }

    /// Runs `body(i)` for `i in 0..<slices` on `slices` threads at once, with OpenBLAS held at one
    /// thread meanwhile (restored after), so every GEMM and row-parallel kernel inside runs on the
    /// calling worker: no BLAS fork/join, no idle BLAS threads spinning against ours. Each worker
    /// inherits the caller's GEMM log and knows it is one of `slices` concurrent issuers.
    static func slices(_ slices: Int, _ body: (Int) -> Void) {
        let context = ThreadContext(log: ThreadContext.current?.log, issuers: slices)
        withBLASThreads(1) {
            withoutActuallyEscaping(body) { b in
                let box = UncheckedSendable(b)
                DispatchQueue.concurrentPerform(iterations: slices) { i in context.install { box.value(i) } }
            }
        }
    }

    /// A model step over `W` batch slices (``slices(_:_:)`` when W > 1): `body(i, grads)` runs slice i
    /// and returns its loss sum; slice 0 adds its gradient into `grads`, slice i > 0 into `extra[i-1]`
    /// (zeroed first when `backward`), added into `grads` afterwards in slice order. Returns the slices'
    /// sums added in order. Same W -> same bits.
    @_specialize(where F == Float)
    static func slicedSum<F: ModelScalar>(_ W: Int, grads: UnsafeMutablePointer<F>, extra: [AlignedBuffer<F>],
                                          backward: Bool, _ body: (Int, UnsafeMutablePointer<F>) -> Double) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: W) { sums -> Double in
            let out = sums.baseAddress!
            func slice(_ i: Int) {
                if i > 0, backward { extra[i - 1].zero() }
                out[i] = body(i, i == 0 ? grads : extra[i - 1].pointer)
            }
            if W == 1 { slice(0) } else { slices(W, slice) }
            if W > 1, backward {
                let extras = extra.prefix(W - 1).map { $0.pointer }
                chunks(extra[0].count, minimumChunk: 1 << 15) { _, r in
                    for e in extras { for j in r { grads[j] += e[j] } }
                }
            }
            return (0..<W).reduce(0) { $0 + out[$1] }
        }
    }

    /// Runs `body` with OpenBLAS at `threads` threads, then restores the count. Regions take turns (one
    /// lock), and while one runs ``workers`` still reports the count from before it, so a model on
    /// another thread splits its work as it always does (the same bits).
    static func withBLASThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try BLASThreads.with(threads) { saved in
            heldCount = saved
            defer { heldCount = 0 }
            return try body()
        }
    }
    /// The OpenBLAS thread count from before the current region (0: no region). Written under
    /// ``BLASThreads/with(_:_:)``'s lock.
    nonisolated(unsafe) private static var heldCount = 0

    /// Runs `body` on `workers` contiguous chunks of `0..<n` concurrently; `body(chunk, range)`.
    static func chunks(_ n: Int, minimumChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        let w = Swift.min(workers, Swift.max(1, n / Swift.max(1, minimumChunk)))
        if w <= 1 { body(0, 0..<n); return }
        withoutActuallyEscaping(body) { b in
            let box = UncheckedSendable(b)
            DispatchQueue.concurrentPerform(iterations: w) { i in box.value(i, (i * n / w)..<((i + 1) * n / w)) }
        }
    }
}

/// Carries a non-Sendable value (a closure over raw buffers) into `concurrentPerform`; every
/// worker touches disjoint rows, which is what makes this sound.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Per-thread state of the kernels: the GEMM log to record into (``GEMMRoofline``) and how many
/// threads issue GEMMs at once (> 1 inside ``Parallel/slices(_:_:)``). Kept in a pthread key so a
/// recording on one thread never sees another thread's GEMMs (tests run in parallel).
final class ThreadContext: @unchecked Sendable {
    let log: GEMMLog?
    let issuers: Int

    init(log: GEMMLog?, issuers: Int) { self.log = log; self.issuers = issuers }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// This thread's context, or `nil` (no log, one issuer).
    @inline(__always) static var current: ThreadContext? {
        pthread_getspecific(key).map { Unmanaged<ThreadContext>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with this context installed on the calling thread; restores the previous one after.
    func install<R>(_ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        return try withExtendedLifetime(self) { try body() }
    }
}
