import Base
import Foundation
import Testing

/// Issue 17's CSV cases: a NUL byte refused at file:line:column (not read as `3`), CR-only and CR CR LF line
/// endings read as lines (no raw CR in a cell or a message).
@Suite struct TableRobustnessTests {
    @Test func nulByteIsRefusedAtItsField() throws {
        #expect(throws: TableError.nulByte(path: "n.csv", line: 3, column: 2)) {
            try Table(parsing: "tokens,loss\n1,2\n2,3\u{0}garbage\n", source: "n.csv")
        }
        #expect(throws: TableError.nulByte(path: "q.csv", line: 2, column: 1)) {
            try Table(parsing: "a\n\"x\u{0}\"\n", source: "q.csv")
        }
        #expect(TableError.nulByte(path: "n.csv", line: 3, column: 2).description == "n.csv:3:2: NUL byte (binary data in a CSV file)")
    }

    @Test func crOnlyAndCrCrLfEndLines() throws {
        for (text, name) in [("a,b\r1,2\r3,4\r", "cr"), ("a,b\r\r\n1,2\r\r\n3,4\r\r\n", "crcrlf"), ("a,b\r\n1,2\r\n3,4", "crlf")] {
            let t = try Table(parsing: text, source: name)
            #expect(t.columns == ["a", "b"], "\(name)")
            #expect(t.rows == [["1", "2"], ["3", "4"]], "\(name)")
            #expect(t.lines == [2, 3], "\(name)")
        }
        // A bad cell of a CR-only file names its line and echoes no raw CR.
        let t = try Table(parsing: "a,b\r1,2\rx,4\r", source: "m.csv")
        let e = #expect(throws: TableError.self) { try t.doubles("a") }
        #expect(e?.description == "m.csv:3:1: column \"a\": \"x\" is not a number")
        // Control characters in an echoed cell are escaped.
        let u = try Table(parsing: "a\n\"1\r2\"\n", source: "u.csv")
        let f = #expect(throws: TableError.self) { try u.doubles("a") }
        #expect(f?.description == "u.csv:2:1: column \"a\": \"1\\r2\" is not a number")
    }
}
