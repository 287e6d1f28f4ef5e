import Foundation
import Testing
import TestSupport

/// CLI conventions that hold for every command, checked over the command tree the argument parser itself
/// reports (`--experimental-dump-help`), so a command added later is checked without editing this test.
struct ConventionsCLITests {
    /// Leaf commands (path from the root) with the long names of their options and flags.
    static func leaves() throws -> [(path: [String], names: Set<String>)] {
        let r = try CLI.run(["--experimental-dump-help"])
        try #require(r.status == 0, "\(r.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        var out: [(path: [String], names: Set<String>)] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            let subs = (c["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            if subs.isEmpty {
                let args = c["arguments"] as? [[String: Any]] ?? []
                let names = args.flatMap { ($0["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                out.append((path, Set(names)))
            }
            for s in subs { walk(s, path + [s["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return out
    }

    /// Every command takes `--quiet` (issue 18: `bench`, `bench-gemm`, `cluster check`, `corpus sample`,
    /// `tokenizer decode`, `ddo plan`, `mix plan` and `optimal` did not), and the tree has the commands we know.
    @Test func everyCommandTakesQuiet() throws {
        let leaves = try Self.leaves()
        #expect(leaves.count >= 20, "\(leaves.map { $0.path })")
        for needed in [["train"], ["bench"], ["ddo", "plan"], ["mix", "plan"], ["pipeline"], ["tokenizer", "decode"]] {
            #expect(leaves.contains { $0.path == needed }, "\(needed) missing from \(leaves.map { $0.path })")
        }
        let missing = leaves.filter { !$0.names.contains("quiet") }.map { $0.path.joined(separator: " ") }
        #expect(missing.isEmpty, "commands without --quiet: \(missing)")
    }

    /// `--quiet` on a command that prints no progress changes nothing on stdout and leaves stderr empty.
    @Test func quietOnPlanIsAccepted() throws {
        let loud = try CLI.run(["ddo", "plan", "--domains", "a,b", "--tokens", "1M", "--json"])
        let quiet = try CLI.run(["ddo", "plan", "--domains", "a,b", "--tokens", "1M", "--json", "--quiet"])
        #expect(loud.status == 0 && quiet.status == 0, "\(loud.stderr) \(quiet.stderr)")
        #expect(!loud.stdout.isEmpty && quiet.stdout == loud.stdout)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    }
}
