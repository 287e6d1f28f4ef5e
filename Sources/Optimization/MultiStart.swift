import Foundation
import Dispatch

/// Runs ``LBFGS`` from every point of a list of starts and keeps the best.
///
/// Starts run in parallel on `threads` worker threads (Dispatch `concurrentPerform`), each writing only
/// its own result slot, so the outcome does not depend on scheduling: the winner is the lowest final
/// objective, ties going to the earliest start. Starts at which `f` is not finite are skipped.
public struct MultiStart: Sendable {
    /// The outcome of one start.
    public struct Run: Sendable {
        public var start: [Double]
        public var result: LBFGS.Result
    }

    /// The best run and a summary of all of them.
    public struct Result: Sendable {
        /// Index into the starts of the winning run.
        public var bestIndex: Int
        public var best: Run
        /// Number of starts attempted, and how many of them ran (finite objective at the start).
        public var starts: Int
        public var ran: Int
        /// Number of runs that stopped on a convergence criterion.
        public var converged: Int
        /// Total objective evaluations over all runs.
        public var evaluations: Int
        /// Every run's final value, in start order (NaN for a skipped start).
        public var values: [Double]
    }

    public var optimizer: LBFGS
    /// Worker threads (default: the number of active processors).
    public var threads: Int

    public init(optimizer: LBFGS = LBFGS(), threads: Int = 0) {
        self.optimizer = optimizer
        self.threads = threads > 0 ? threads : ProcessInfoCores.count
    }

    /// Minimizes from each of `starts`; throws ``OptimizationError/nonFiniteStart(_:)`` when no start
    /// has a finite objective.
    public func minimize<O: DifferentiableObjective & Sendable>(_ objective: O, starts: [[Double]]) throws -> Result {
        let optimizer = self.optimizer
        let runs = _parallelMap(count: starts.count, threads: threads) { i in
            try? optimizer.minimize(objective, from: starts[i])
        }
        var bestIndex = -1, ran = 0, converged = 0, evaluations = 0
        var values = [Double](repeating: .nan, count: starts.count)
        for i in 0..<starts.count {
            guard let r = runs[i] else { continue }
            ran += 1
            evaluations += r.evaluations
            if r.status.converged { converged += 1 }
            values[i] = r.value
            if r.value.isFinite && (bestIndex < 0 || r.value < values[bestIndex]) { bestIndex = i }
        }
        guard bestIndex >= 0, let best = runs[bestIndex] else {
            throw OptimizationError.nonFiniteStart("the objective is not finite at any of the \(starts.count) starts")
        }
        return Result(bestIndex: bestIndex, best: Run(start: starts[bestIndex], result: best), starts: starts.count,
                      ran: ran, converged: converged, evaluations: evaluations, values: values)
    }

    /// The Cartesian product of per-coordinate value lists, last coordinate varying fastest.
    public static func grid(_ axes: [[Double]]) -> [[Double]] {
        axes.reduce([[]]) { partial, axis in partial.flatMap { p in axis.map { p + [$0] } } }
    }
}

/// `body(0) ..< body(count - 1)` on up to `threads` workers, in index order. Interleaved assignment:
/// worker `w` takes `w, w + workers, ...`; neighbouring indices (grid points, bootstrap replicates) cost
/// about the same, so the load stays balanced without a shared counter, and the result does not
/// depend on the thread count.
package func _parallelMap<T>(count: Int, threads: Int, _ body: @Sendable (Int) -> T?) -> [T?] {
    let slots = _Slots<T?>(count: count, initial: nil)
    let workers = Swift.max(1, Swift.min(threads, count))
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count {
            slots[i] = body(i)
            i += workers
        }
    }
    return (0..<count).map { slots[$0] }
}

/// Fixed-size storage written from concurrent workers, each index by exactly one worker.
/// A raw buffer (not an array), so disjoint writes from different threads never touch shared state.
final class _Slots<T>: @unchecked Sendable {
    private let _base: UnsafeMutablePointer<T>
    private let _count: Int
    init(count: Int, initial: T) {
        _count = count
        _base = .allocate(capacity: Swift.max(count, 1))
        _base.initialize(repeating: initial, count: count)
    }
    deinit {
        _base.deinitialize(count: _count)
        _base.deallocate()
    }
    subscript(i: Int) -> T {
        get { _base[i] }
        set { _base[i] = newValue }
    }
}

/// The number of active processors, for choosing a thread count.
public enum ProcessInfoCores {
    public static var count: Int { Swift.max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
