import Base
import Foundation

/// Progress lines on stderr: `step 120/1000  loss 3.4512  lr 6.00e-04  12345 tok/s  ETA 1m12s`,
/// every `every` steps, after each evaluation, and a trunk's or branch's cost (``CooldownBranchRun``);
/// `quiet` silences it. With a `bar` every step advances it, and when the bar is drawn (a terminal) it replaces
/// the step lines (the evaluation and phase lines still go to `write`, which then prints above the bar).
public struct TrainingProgress {
    public var quiet: Bool
    public var every: Int
    /// Where lines go (stderr by default); tests capture them here.
    public var write: (String) -> Void
    /// The command's progress bar (advanced even when `quiet`: it has its own `quiet`).
    public var bar: ProgressBar?

    public init(quiet: Bool = false, every: Int = 10, bar: ProgressBar? = nil,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quiet = quiet; self.every = max(1, every); self.bar = bar; self.write = write
    }

    func step(_ step: Int, of total: Int, loss: Double, lr: Double, tokensPerSecond: Double, secondsLeft: Double) {
        bar?.update(step, of: total)
        guard !quiet, bar?.showsBar != true, step % every == 0 || step == total else { return }
        write(String(format: "step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA ", step, total, loss, lr,
                     tokensPerSecond) + ProgressBar.duration(secondsLeft))
    }

    /// `eval step 200: web loss 3.2101 ppl 24.78; code loss 2.9012 ppl 18.19  (0.41 s)`: the evaluation's wall
    /// time over all sets last (`Fixtures/bench/30-branches.sh` sums it).
    func evaluation(_ step: Int, _ label: String, _ results: [EvaluationResult], seconds: Double) {
        guard !quiet, !results.isEmpty else { return }
        let parts = results.map { $0.name + String(format: " loss %.4f ppl %.2f", $0.meanLoss, $0.perplexity) }
        write("eval\(label) step \(step): " + parts.joined(separator: "; ") + String(format: "  (%.3f s)", seconds))
    }

    /// `trunk: 191 steps, training 2.310 s, evaluation 0.000 s, checkpoints 0.020 s`: where a cooldown trunk's or
    /// branch's wall time went (``CooldownBranchRun``; `Fixtures/bench/30-branches.sh` reads these lines).
    func phase(_ role: String, steps: Int, _ parts: KeyValuePairs<String, Double>) {
        guard !quiet else { return }
        write("\(role): \(steps) steps" + parts.map { ", \($0.key) " + String(format: "%.3f s", $0.value) }.joined())
    }

}
