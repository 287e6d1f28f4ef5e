import Base
import Foundation
import Testing

/// The progress bar with an injected clock, writer and terminal flag: frames, throttling, ETA, run counts,
/// lines above the bar, the plain (non-terminal) mode and `quiet`.
struct ProgressBarTests {
    final class Sink: @unchecked Sendable {
        var writes: [String] = []
        var text: String { writes.joined() }
    }
    final class Clock: @unchecked Sendable { var now = 0.0 }

    func make(terminal: Bool, quiet: Bool = false, interval: Double = 1) -> (ProgressBar, Sink, Clock) {
        let sink = Sink(), clock = Clock()
        let bar = ProgressBar(quiet: quiet, terminal: terminal, interval: interval, width: 10,
                              clock: { clock.now }, write: { sink.writes.append($0) })
        return (bar, sink, clock)
    }

    /// 41 updates 0.25 s apart with a 1 s throttle: frames at 0, 1, ..., 10 s (every 4th update; the last always
    /// draws), each `\r` + the bar + clear-to-end-of-line, and the final newline from `finish()`.
    @Test func terminalFramesAreThrottledAndEndWithANewline() {
        let (bar, sink, clock) = make(terminal: true)
        for k in 0...40 {
            clock.now = 0.25 * Double(k)
            bar.update(k, of: 40)
        }
        #expect(sink.writes.count == 11)
        #expect(sink.writes.allSatisfy { $0.hasPrefix("\r[") && $0.hasSuffix("\u{1B}[K") })
        // Half-way (step 20 of 40 at 5 s): 5 of 10 cells, 5 s left.
        #expect(sink.writes[5] == "\r[=====>    ]  step 20/40  ETA 5s\u{1B}[K", "\(sink.writes[5])")
        #expect(sink.writes[0] == "\r[>         ]  step 0/40  ETA ?\u{1B}[K")
        bar.finish()
        #expect(sink.writes.count == 12 && sink.writes[11] == "\r[==========]  step 40/40  ETA 0s\u{1B}[K\n")
        bar.finish()
        #expect(sink.writes.count == 12)
    }

    /// Run 1 trains 10 steps in 10 s, run 2 is cached (no time), run 3 is half done after 5 s: 1.5 runs of work in
    /// 15 s, 0.5 runs left: 5 s. The cached run adds nothing to the rate. The bar fills by the overall fraction.
    @Test func etaCountsRunsAndIgnoresCachedOnes() throws {
        let (bar, sink, clock) = make(terminal: true, interval: 0)
        bar.runTotal = 3
        bar.startRun()
        for s in 0...10 { clock.now = Double(s); bar.update(s, of: 10) }
        #expect(sink.writes.last == "\r[===>      ]  run 1/3  step 10/10  ETA 20s\u{1B}[K", "\(sink.writes.last ?? "")")
        bar.startRun()
        bar.startRun()
        for s in 0...5 { clock.now = 10 + Double(s); bar.update(s, of: 10) }
        let left = try #require(bar.secondsLeft)
        #expect(abs(left - 5) < 1e-12)
        #expect(sink.writes.last == "\r[========> ]  run 3/3  step 5/10  ETA 5s\u{1B}[K", "\(sink.writes.last ?? "")")
    }

    /// A line while the bar is up clears it, prints the line and redraws the bar below.
    @Test func linesGoAboveTheBar() {
        let (bar, sink, clock) = make(terminal: true)
        bar.line("before")
        #expect(sink.writes == ["before\n"])
        bar.update(1, of: 4)
        clock.now = 2
        bar.update(2, of: 4)
        bar.line("eval step 2: web loss 3.0")
        #expect(sink.writes.last == "\r\u{1B}[Keval step 2: web loss 3.0\n\r[=====>    ]  step 2/4  ETA 4s\u{1B}[K",
                "\(sink.writes.last ?? "")")
    }

    /// Not a terminal: no frames at all, lines as they are; `quiet` writes nothing.
    @Test func plainAndQuiet() {
        let (plain, sink, clock) = make(terminal: false)
        for k in 0...8 { clock.now = Double(k); plain.update(k, of: 8) }
        plain.line("step 8/8  loss 1.0")
        plain.finish()
        #expect(!plain.showsBar && sink.writes == ["step 8/8  loss 1.0\n"])
        #expect(plain.secondsLeft == 0)
        let (quiet, quietSink, _) = make(terminal: true, quiet: true)
        for k in 0...8 { quiet.update(k, of: 8) }
        quiet.line("x")
        quiet.finish()
        #expect(!quiet.showsBar && quietSink.writes.isEmpty)
    }

    /// `advance` from many threads counts every unit once.
    @Test func advanceFromConcurrentWorkers() {
        let (bar, sink, _) = make(terminal: true, interval: 1e9)
        DispatchQueue.concurrentPerform(iterations: 200) { _ in bar.advance(of: 200, unit: "replicates") }
        #expect(sink.writes.last?.contains("replicates 200/200") == true, "\(sink.writes.last ?? "")")
    }

    @Test func durations() {
        #expect(ProgressBar.duration(44.6) == "45s")
        #expect(ProgressBar.duration(190) == "3m10s")
        #expect(ProgressBar.duration(7500) == "2h5m")
        #expect(ProgressBar.duration(nil) == "?" && ProgressBar.duration(.nan) == "?" && ProgressBar.duration(-1) == "?")
    }
}
