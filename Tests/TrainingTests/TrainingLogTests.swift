import Foundation
import Testing
import TestSupport
@testable import Training

@Suite struct TrainingLogTests {
    func row(_ step: Int) -> TrainingLogRow {
        TrainingLogRow(step: step, tokens: 10 * step, learningRate: 0.1 / Double(step), trainLoss: 1 / 3,
                       validationLoss: step == 2 ? ["a": 2.5] : [:], tokensPerSecond: 123.5)
    }

    /// Rows print exact Doubles, leave unevaluated cells empty; resuming keeps rows up to the step.
    @Test func writeAndResume() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("log.csv")
        let log = try TrainingLog(url: url, evaluationNames: ["a", "b"])
        try log.open(resumingAfter: nil)
        for s in 1...3 { try log.append(row(s)) }
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text == """
            step,tokens,lr,train_loss,val_loss:a,val_loss:b,tokens_per_s
            1,10,0.1,0.3333333333333333,,,123.5
            2,20,0.05,0.3333333333333333,2.5,,123.5
            3,30,0.03333333333333333,0.3333333333333333,,,123.5

            """)
        let resumed = try TrainingLog(url: url, evaluationNames: ["a", "b"])
        try resumed.open(resumingAfter: 2)
        try resumed.append(row(3))
        #expect(try String(contentsOf: url, encoding: .utf8) == text)

        let fresh = try TrainingLog(url: dir.url.appendingPathComponent("branch.csv"), evaluationNames: ["a", "b"])
        try fresh.open(resumingAfter: 2)
        try fresh.append(row(3))
        #expect(try String(contentsOf: fresh.url, encoding: .utf8).split(separator: "\n").count == 2)
    }

    /// Resuming into a log with other columns, or a malformed row, fails naming the line.
    @Test func rejectsForeignLogs() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let url = dir.url.appendingPathComponent("log.csv")
        try "step,tokens,lr,train_loss,tokens_per_s\n".write(to: url, atomically: true, encoding: .utf8)
        #expect { try TrainingLog(url: url, evaluationNames: ["a"]).open(resumingAfter: 1) } throws: {
            "\($0)" == "training log \(url.path): line 1: header differs from this run's columns"
        }
        try "step,tokens,lr,train_loss,tokens_per_s\n1,2,3,4,5\nx,2,3,4,5\n".write(to: url, atomically: true, encoding: .utf8)
        #expect { try TrainingLog(url: url, evaluationNames: []).open(resumingAfter: 1) } throws: {
            "\($0)".hasSuffix("line 3, column 1: step is not an integer")
        }
        #expect(throws: TrainingError.self) { try TrainingLog(url: url, evaluationNames: ["a,b"]) }
        #expect(throws: TrainingError.self) { try TrainingLog(url: url, evaluationNames: ["a", "a"]) }
    }
}
