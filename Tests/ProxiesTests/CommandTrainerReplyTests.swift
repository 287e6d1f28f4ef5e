import Base
import DataMixing
import Foundation
import Testing
import TestSupport
@testable import Proxies

/// The result line of a `--trainer-command`: the fuzzer's inputs (`make fuzz SECONDS=120`, seed 1, 2026-12-03;
/// kept as they were found in Fixtures/fuzz/) whose last line held NUL bytes that the error echoed raw. The error
/// is one line with every control character escaped.
@Suite struct CommandTrainerReplyTests {
    @Test(arguments: ["trainer-reply-nul-120.txt", "trainer-reply-nul-1020.txt"])
    func rawControlCharactersAreEscaped(_ name: String) throws {
        let data = try Data(contentsOf: Fixture.url("fuzz/\(name)"))
        #expect(data.contains(0), "the regression input holds a NUL byte")
        let e = #expect(throws: DataMixingError.self) {
            try CommandTrainer.losses(fromOutput: data, domains: ["a", "b"]) { .invalidArgument("run r: \($0)") }
        }
        let text = e?.description ?? ""
        #expect(text.contains("did not end with a JSON line") && text.contains("\\u{0}"), "\(text.debugDescription)")
        #expect(!text.contains("\u{0}") && !text.contains("\n") && !text.contains("\r"), "\(text.debugDescription)")
    }
}
