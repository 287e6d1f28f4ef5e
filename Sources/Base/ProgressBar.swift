import Foundation

/// A command's progress on stderr: a one-line bar with an ETA redrawn in place when stderr is a terminal,
/// `[=====>    ] run 7/21  step 120/400  ETA 3m10s`, and nothing of it otherwise (the commands then print their
/// plain progress lines, which ``showsBar`` tells them to do). Other lines go through ``line(_:)``: on a terminal
/// the bar is cleared, the line printed and the bar redrawn below it, so the two never mix.
///
/// The work is counted in units of `unit` (`step 120/400`, `merges 1000/3839`, `replicate 40/200`) and, for
/// commands that train several runs, in runs (``startRun()``, ``runTotal``). The ETA is the work left (the rest of
/// this run plus the runs not yet started) times the seconds per unit of work measured so far; work that took no
/// time (a cached run) adds nothing to the rate, so it does not make the estimate optimistic.
///
/// Redraws are throttled to one per `interval` seconds (the last unit always draws); ``finish()`` draws the final
/// state and ends the line with a newline. `quiet` silences everything. The clock, the writer and the terminal flag
/// are injectable for tests. Thread-safe (the fit bootstrap advances it from its worker threads).
public final class ProgressBar: @unchecked Sendable {
    /// Whether the bar is drawn (stderr is a terminal and not `quiet`).
    public let showsBar: Bool
    public let quiet: Bool
    /// Runs this command trains in all (`nil`: one run, or an unknown count).
    public var runTotal: Int? {
        get { lock.withLock { _runTotal } }
        set { lock.withLock { _runTotal = newValue } }
    }

    let clock: () -> Double
    let write: (String) -> Void
    let interval: Double
    let width: Int
    let lock = NSLock()
    var _runTotal: Int?
    var run = 0
    var unit = "step", done = 0, total = 0
    /// Work measured so far (in runs, or in units of the whole when there are no runs) and the seconds it took.
    var work = 0.0, seconds = 0.0
    var sample: (time: Double, fraction: Double)?
    var lastDraw = -Double.infinity
    var drawn = false

    /// `terminal` defaults to whether stderr is a terminal (`isatty(2)`); `write` to stderr; `clock` to a
    /// monotonic clock in seconds.
    public init(quiet: Bool = false, terminal: Bool = isatty(STDERR_FILENO) != 0, interval: Double = 0.2,
                width: Int = 20, clock: @escaping () -> Double = ProgressBar.monotonicSeconds,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.quiet = quiet; showsBar = terminal && !quiet
        self.interval = interval; self.width = max(1, width); self.clock = clock; self.write = write
    }

    public static func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// The next run begins (`run 3/13`); its units start again from 0.
    public func startRun() {
        lock.withLock {
            run += 1; done = 0; total = 0; sample = nil
        }
    }

    /// `done` of `total` units of the current run (or of the whole command without runs).
    public func update(_ done: Int, of total: Int, unit: String = "step") {
        lock.withLock { _update(done, of: total, unit: unit) }
    }

    /// One more unit of `total` done (from concurrent workers: the count is taken under the lock).
    public func advance(of total: Int, unit: String) {
        lock.withLock { _update(done + 1, of: total, unit: unit) }
    }

    /// The share of the current run's units done, in [0, 1] (0 before any total).
    var fraction: Double { total > 0 ? min(1, Double(max(0, done)) / Double(total)) : 0 }

    func _update(_ done: Int, of total: Int, unit: String) {
        let now = clock()
        self.done = done; self.total = total; self.unit = unit
        let f = fraction
        if let s = sample, f >= s.fraction { work += f - s.fraction; seconds += now - s.time }
        sample = (now, f)
        guard showsBar, now - lastDraw >= interval || done >= total else { return }
        lastDraw = now
        write("\r" + text() + "\u{1B}[K")
        drawn = true
    }

    /// A line of its own (a newline is added); on a terminal above the bar.
    public func line(_ text: String) {
        guard !quiet else { return }
        lock.withLock {
            guard showsBar, drawn else { return write(text + "\n") }
            write("\r\u{1B}[K" + text + "\n\r" + self.text() + "\u{1B}[K")
        }
    }

    /// Draws the final state and ends the bar's line (nothing when no bar was drawn).
    public func finish() {
        lock.withLock {
            guard showsBar, drawn else { return }
            write("\r" + text() + "\u{1B}[K\n")
            drawn = false
        }
    }

    /// The seconds left: the work left times the seconds per unit of work measured so far (`nil` before any).
    public var secondsLeft: Double? { lock.withLock { _secondsLeft } }

    var _secondsLeft: Double? {
        guard work > 0 else { return nil }
        let left = (1 - fraction) + Double(max(0, (_runTotal ?? run) - max(run, 1)))
        return left * seconds / work
    }

    /// `[=====>              ] run 3/13  step 120/400  ETA 1m05s`.
    func text() -> String {
        let f = fraction
        let overall = _runTotal.map { n in n > 0 ? min(1, (Double(max(run, 1) - 1) + f) / Double(n)) : 1 } ?? f
        let filled = Int((overall * Double(width)).rounded(.down))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(0, width - filled - 1))
        var s = "[" + bar + "]"
        if run > 0 { s += "  run \(run)" + (_runTotal.map { "/\($0)" } ?? "") }
        if total > 0 { s += "  \(unit) \(done)/\(total)" }
        return s + "  ETA " + Self.duration(_secondsLeft)
    }

    /// `45s`, `3m10s`, `2h5m`; `?` when unknown (the plain training lines' ETA too).
    public static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}
