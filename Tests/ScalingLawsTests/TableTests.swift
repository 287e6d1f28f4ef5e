import Base
import Foundation
import ScalingLaws
import Testing
import TestSupport

@Test func parsesQuotedHeadersSpacesAndLineEndings() throws {
    let text = "\u{FEFF}x,\"Model Size\", Training FLOP ,\"a \"\"quoted\"\", name\"\r\n1,2,3,4\r\n\n 5 ,6e3,\"7\",-8\n"
    let t = try Table(parsing: text, source: "t.csv")
    #expect(t.columns == ["x", "Model Size", "Training FLOP", "a \"quoted\", name"])
    #expect(t.lines == [2, 4])
    #expect(try t.doubles("Model Size") == [2, 6000])
    #expect(try t.doubles("Training FLOP") == [3, 7])
    #expect(try t.doubles("a \"quoted\", name") == [4, -8])
    #expect(try t.doubles("x") == [1, 5])
}

@Test func quotedNewlinesKeepLineNumbers() throws {
    let t = try Table(parsing: "name,loss\n\"two\nlines\",1\nz,oops\n", source: "q.csv")
    #expect(t.rows[0][0] == "two\nlines")
    #expect(throws: TableError.notANumber(path: "q.csv", line: 4, column: 2, name: "loss", cell: "oops")) {
        try t.doubles("loss")
    }
}

@Test func errorMessagesNameFileLineColumn() throws {
    let t = try Table(parsing: "N,loss\n1,2\n3,\n4,-1\n5,nan\n", source: "log.csv")
    let missing = #expect(throws: TableError.self) { try t.doubles("Loss") }
    #expect(missing?.description == "log.csv: no column \"Loss\"; available columns: \"N\", \"loss\"")
    let empty = #expect(throws: TableError.self) { try t.doubles("loss") }
    #expect(empty?.description == "log.csv:3:2: empty cell in column \"loss\"")
    let t2 = try Table(parsing: "N,loss\n1,2\n4,-1\n", source: "log.csv")
    let neg = #expect(throws: TableError.self) { try t2.doubles("loss", .positive) }
    #expect(neg?.description == "log.csv:3:2: column \"loss\": -1.0 is not finite and positive (its logarithm is taken)")
    #expect(try t2.doubles("loss", .finite) == [2, -1])
    let t3 = try Table(parsing: "N,loss\n1,inf\n", source: "log.csv")
    let inf = #expect(throws: TableError.self) { try t3.doubles("loss") }
    #expect(inf?.description == "log.csv:2:2: column \"loss\": inf is not finite")
    #expect(try t3.doubles("loss", .any) == [.infinity])
}

@Test func structuralErrors() throws {
    #expect(throws: TableError.raggedRow(path: "r.csv", line: 3, expected: 2, found: 3)) {
        try Table(parsing: "a,b\n1,2\n1,2,3\n", source: "r.csv")
    }
    #expect(throws: TableError.unterminatedQuote(path: "u.csv", line: 2)) {
        try Table(parsing: "a,b\n\"1,2\n3,4\n", source: "u.csv")
    }
    #expect(throws: TableError.empty(path: "e.csv")) { try Table(parsing: "\n\n", source: "e.csv") }
    #expect(throws: TableError.duplicateColumn(path: "d.csv", name: "a")) { try Table(parsing: "a,a\n1,2\n", source: "d.csv") }
    #expect(throws: TableError.fileNotFound(path: "/nonexistent/x.csv")) { try Table.read(path: "/nonexistent/x.csv") }
    // Header only: a table with no rows is valid; the fit then reports too few points.
    #expect(try Table(parsing: "a,b\n", source: "h.csv").rows.isEmpty)
}

@Test func readsCommittedFixture() throws {
    let t = try Table.read(path: Fixture.url("scaling/synthetic_chinchilla.csv").path)
    #expect(t.columns == ["Model Size", "Tokens", "Training FLOP", "loss"])
    #expect(t.rows.count == 48)
    let n = try t.doubles("Model Size", .positive), d = try t.doubles("Tokens", .positive)
    let c = try t.doubles("Training FLOP", .positive)
    #expect(maxRelDiff(zip(n, d).map { 6 * $0 * $1 }, c) < 1e-14)
}
