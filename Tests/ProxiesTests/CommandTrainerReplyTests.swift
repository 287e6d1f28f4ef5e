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

    /// Found by the rerun (`make fuzz SECONDS=60`, seed 1): a NUL inside a loss key (the reply's JSON) and inside a
    /// result JSON's domain name were echoed raw by "no loss for domain" / "no entry for domain".
    @Test func controlCharactersInNamesAreEscaped() throws {
        let reply = try Data(contentsOf: Fixture.url("fuzz/trainer-reply-key-nul-17580.txt"))
        let e = #expect(throws: DataMixingError.self) {
            try CommandTrainer.losses(fromOutput: reply, domains: ["a", "b"]) { .invalidArgument("run r: \($0)") }
        }
        let text = e?.description ?? ""
        #expect(text.contains("returned no loss for domain b") && text.contains("\\u{0}"), "\(text.debugDescription)")
        #expect(!text.contains("\u{0}") && !text.contains("\n"), "\(text.debugDescription)")
        let result = Fixture.url("fuzz/result-domain-nul-21339.json").path
        let r = #expect(throws: DataMixingError.self) { try MixtureResult.read(path: result) }
        let message = r?.description ?? ""
        #expect(message.contains("no entry for domain") && message.contains("\\u{0}"), "\(message.debugDescription)")
        #expect(!message.contains("\u{0}") && !message.contains("\n"), "\(message.debugDescription)")
    }
}
