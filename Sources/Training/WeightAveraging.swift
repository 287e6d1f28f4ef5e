import Transformer

/// Which weight averages the trainer keeps (both may be on; both off by default).
public struct AveragingConfig: Codable, Equatable, Sendable {
    /// SWA window `h` in steps (`nil`: no SWA).
    public var swaWindow: Int?
    /// SWA sampling interval `k` in steps; must divide ``swaWindow``.
    public var swaInterval: Int
    /// EMA decay `beta` (`nil`: no EMA).
    public var emaDecay: Double?

    public init(swaWindow: Int? = nil, swaInterval: Int = 1, emaDecay: Double? = nil) {
        self.swaWindow = swaWindow; self.swaInterval = swaInterval; self.emaDecay = emaDecay
    }

    public func validate() throws {
        if let h = swaWindow {
            guard h >= 1, swaInterval >= 1, h % swaInterval == 0 else {
                throw TrainingError.invalidConfiguration(
                    field: "swa", reason: "the interval (\(swaInterval)) must be >= 1 and divide the window (\(h))")
            }
        }
        if let d = emaDecay, !(d >= 0 && d < 1) {
            throw TrainingError.invalidConfiguration(field: "ema_decay", reason: "must lie in [0, 1), got \(d)")
        }
    }
}

/// `a + w (b - a)` for `w < 0.5`, else `b - (b - a)(1 - w)`: `torch.lerp`'s two branches, so a
/// weight of 1 copies `b` exactly.
@inline(__always) func _lerp(_ a: Float, _ b: Float, _ w: Float) -> Float {
    w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// Windowed stochastic weight averaging (Hägele et al. 2024, Sec. 4): the run is cut into
/// consecutive windows of `h` steps, `(j h, (j + 1) h]`; inside a window the iterates after steps
/// `n` with `n % k == 0` are averaged uniformly (`avg <- lerp(avg, p, 1 / i)` for the `i`-th
/// sample, which is the running mean); when step `n` closes a window (`n % h == 0`) its average
/// becomes ``completed`` and the next window starts afresh. Evaluation uses the last completed
/// window. State is two Float buffers (running, completed), kept in checkpoints.
public final class WindowedAverage {
    public let window: Int
    public let interval: Int
    /// The running mean of the current window's samples.
    public internal(set) var running: [Float]
    /// The mean of the last completed window (empty until the first window closes).
    public internal(set) var completed: [Float] = []
    /// The step that closed the ``completed`` window (0: none yet).
    public internal(set) var completedAtStep = 0

    public init(parameterCount: Int, window: Int, interval: Int) {
        self.window = window; self.interval = interval
        running = [Float](repeating: 0, count: parameterCount)
    }

    /// Feeds the iterate after optimizer step `step` (1-based).
    public func observe(_ parameters: UnsafeBufferPointer<Float>, afterStep step: Int) {
        precondition(parameters.count == running.count, "SWA: parameter count differs from the average's")
        guard step % interval == 0 else { return }
        let sample = ((step - 1) % window) / interval + 1
        let w = 1 / Float(sample)
        running.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { a[i] = _lerp(a[i], parameters[i], w) }
        }
        if step % window == 0 {
            completed = running
            completedAtStep = step
        }
    }

    /// Whether a window has closed, so ``completed`` holds an average.
    public var hasAverage: Bool { completedAtStep > 0 }
}

/// Exponential moving average of the iterates: the first observed iterate is copied, then
/// `ema <- lerp(ema, p, 1 - beta)` after every step (as `torch.optim.swa_utils.AveragedModel`
/// with `get_ema_multi_avg_fn(beta)`).
public final class ExponentialAverage {
    public let decay: Double
    public internal(set) var average: [Float]
    /// Iterates observed so far.
    public internal(set) var count = 0

    public init(parameterCount: Int, decay: Double) {
        self.decay = decay
        average = [Float](repeating: 0, count: parameterCount)
    }

    public func observe(_ parameters: UnsafeBufferPointer<Float>) {
        precondition(parameters.count == average.count, "EMA: parameter count differs from the average's")
        let w = count == 0 ? 1 : Float(1 - decay)
        average.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { a[i] = _lerp(a[i], parameters[i], w) }
        }
        count += 1
    }

    public var hasAverage: Bool { count > 0 }
}

/// Runs `body` with `weights` swapped into `model.parameters`, then swaps them back; nothing is
/// allocated, and both buffers hold their original contents afterwards (also when `body` throws).
public func withSwappedWeights<R>(_ model: any LanguageModel, _ weights: inout [Float],
                                  _ body: () throws -> R) rethrows -> R {
    let p = model.parameters
    precondition(p.count == weights.count, "averaged weights and model parameters differ in length")
    func swapAll() {
        weights.withUnsafeMutableBufferPointer { w in
            for i in 0..<w.count { let t = p[i]; p[i] = w[i]; w[i] = t }
        }
    }
    swapAll()
    defer { swapAll() }
    return try body()
}
