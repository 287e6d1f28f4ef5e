import DataMixing
import Foundation
import Testing

/// A negative validation loss in LOSSES.csv (a cross-entropy is >= 0) is refused at file:line:column.
@Suite struct LossTableRobustnessTests {
    @Test func negativeValidationLossIsRefused() throws {
        let text = "run,tokens:a,tokens:b,val:a,val:b\nbase,100,100,2.5,3.1\nx,300,100,-0.25,3.0\n"
        let e = #expect(throws: DataMixingError.self) { try LossTable(parsing: text, source: "L.csv") }
        #expect(e.map { "\($0)" }?.hasPrefix("L.csv:3:4: ") == true, "\(String(describing: e))")
        #expect(e.map { "\($0)" }?.contains("-0.25 is negative") == true)
        // Zero is a valid (perfect) loss.
        _ = try LossTable(parsing: text.replacingOccurrences(of: "-0.25", with: "0"), source: "L.csv")
    }

    /// Found by the fuzzer (make fuzz, seed 1): a quoted header with a newline was echoed raw, a two-line error.
    @Test func headerEchoIsOneLine() throws {
        let text = "\"run,tokens:web\nx\",val:web\n1,2\n"
        let e = #expect(throws: DataMixingError.self) { try LossTable(parsing: text, source: "H.csv") }
        let message = e.map { "\($0)" } ?? ""
        #expect(message.contains("no tokens:<domain> columns") && message.contains("tokens:web\\nx") && !message.contains("\n"),
                "\(message)")
    }
}
