import Foundation
import Testing
import TestSupport

/// Drives the built `.build/release/autoscale` (built by `swift test -c release`) on `ddo fit` and `predict`.
@Suite struct DDOCLITests {
    struct Output { var status: Int32, stdout: String, stderr: String }

    func run(_ args: [String]) throws -> Output {
        let r = try CLI.run(args)
        return Output(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func scratch() throws -> URL { try CLI.tempDir() }

    struct Result: Decodable {
        struct Fit: Decodable { var a: Double, b: Double, c: Double }
        var domains: [String], budget: Double, tokens: [String: Double], weights: [String: Double], fits: [String: Fit]
    }

    struct Reference: Decodable {
        struct Pipeline: Decodable { var domains: [String], budget: Double, fits: [String: [Double]], tokens: [String: Double] }
        var pipeline: Pipeline
        var pipeline_meanloss: Pipeline
    }

    /// `ddo fit --json --fit-rule smallest-b` on the shipped 3-domain LOSSES.csv matches the scipy reference
    /// (smallest-b fits 1e-6, tokens 1e-6 relative; weights are tokens/budget), stderr is the one warning that
    /// the notebook rule's allocation differs, `-o` writes the same JSON, and the table form names every domain.
    @Test func ddoFitMatchesReference() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ref = try Fixture.json(Reference.self, "ddo/reference.json").pipeline
        let csv = Fixture.url("ddo/losses_3domains.csv").path
        let saved = dir.appendingPathComponent("r.json").path
        let out = try run(["ddo", "fit", csv, "--json", "-o", saved, "--fit-rule", "smallest-b"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.hasPrefix("warning: domains web, code, books each have two exact fits; the smallest-b rule's allocation (used) and the notebook rule's differ")
                && out.stderr.split(separator: "\n").count == 1, "\(out.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: Data(out.stdout.utf8))
        #expect(r.domains == ref.domains && r.budget == ref.budget)
        for d in ref.domains {
            #expect(maxRelDiff([r.fits[d]!.a, r.fits[d]!.b, r.fits[d]!.c], ref.fits[d]!, floor: 1) < 1e-6)
            #expect(abs(r.tokens[d]! - ref.tokens[d]!) / ref.tokens[d]! < 1e-6)
            #expect(abs(r.weights[d]! - r.tokens[d]! / r.budget) < 1e-15)
        }
        #expect(try String(contentsOfFile: saved, encoding: .utf8) + "\n" == out.stdout)
        let table = try run(["ddo", "fit", csv, "--fit-rule", "smallest-b"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("DDO fit of \(csv): 3 domains, 7 runs, objective mean-ppl, base run at line 3"))
        #expect(ref.domains.allSatisfy { d in table.stdout.split(separator: "\n").contains { $0.hasPrefix(d + " ") } })
    }

    /// `--objective mean-loss --eval-domains web=2,books=1 --budget 1.5M --fit-rule smallest-b` matches the scipy
    /// reference computed with that weighted mean-loss objective (smallest-b fits 1e-6, tokens 1e-6 relative).
    @Test func ddoFitWeightedMeanLoss() throws {
        let ref = try Fixture.json(Reference.self, "ddo/reference.json").pipeline_meanloss
        let out = try run(["ddo", "fit", Fixture.url("ddo/losses_3domains.csv").path, "--objective", "mean-loss",
                           "--eval-domains", "web=2,books=1", "--budget", "1.5M", "--json", "--fit-rule", "smallest-b"])
        #expect(out.status == 0, "\(out.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: Data(out.stdout.utf8))
        #expect(r.budget == 1.5e6)
        for d in ref.domains {
            #expect(maxRelDiff([r.fits[d]!.a, r.fits[d]!.b, r.fits[d]!.c], ref.fits[d]!, floor: 1) < 1e-6, "\(d)")
            #expect(abs(r.tokens[d]! - ref.tokens[d]!) / ref.tokens[d]! < 1e-6, "\(d)")
        }
    }

    /// `predict` on hand-written results (minimal `tokens` only, and the issue's shape with `fits` {a, b, c})
    /// N(200) = (100, 100), N(400) = (300, 100) at 1000 tokens gives the
    /// geometric rule's (900, 100) to 1e-12 relative; on two `ddo fit` results (budgets 1.2M and 2M) the
    /// prediction at 1e9 sums to 1e9 and follows N1 (N2/N1)^u for a common u.
    @Test func predict() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r1 = dir.appendingPathComponent("r1.json"), r2 = dir.appendingPathComponent("r2.json")
        try Data(#"{"tokens": {"a": 100, "b": 100}}"#.utf8).write(to: r1)
        try Data(#"{"domains": ["a", "b"], "budget": 400, "tokens": {"a": 300, "b": 100}, "weights": {"a": 0.75, "b": 0.25}, "fits": {"a": {"a": 1, "b": 0.5, "c": 0}, "b": {"a": 2, "b": 0.1, "c": 0.1}}}"#.utf8).write(to: r2)
        let out = try run(["predict", r1.path, r2.path, "--tokens", "1000", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let p = try JSONDecoder().decode(Result.self, from: Data(out.stdout.utf8))
        #expect(p.budget == 1000 && p.fits.isEmpty)
        #expect(abs(p.tokens["a"]! - 900) < 1e-9 && abs(p.tokens["b"]! - 100) < 1e-10)

        let csv = Fixture.url("ddo/losses_3domains.csv").path
        let f1 = dir.appendingPathComponent("f1.json").path, f2 = dir.appendingPathComponent("f2.json").path
        #expect(try run(["ddo", "fit", csv, "-o", f1]).status == 0)
        #expect(try run(["ddo", "fit", csv, "--budget", "2M", "-o", f2]).status == 0)
        let big = try run(["predict", f2, f1, "--tokens", "1e9", "--json"])
        #expect(big.status == 0)
        let q = try JSONDecoder().decode(Result.self, from: Data(big.stdout.utf8))
        let a = try JSONDecoder().decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: f1)))
        let b = try JSONDecoder().decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: f2)))
        #expect(abs(q.tokens.values.reduce(0, +) - 1e9) < 1e-3)
        // common u from the domain with the largest growth, then every domain must follow the same u.
        let d0 = q.domains.max { b.tokens[$0]! / a.tokens[$0]! < b.tokens[$1]! / a.tokens[$1]! }!
        let u = Foundation.log(q.tokens[d0]! / a.tokens[d0]!) / Foundation.log(b.tokens[d0]! / a.tokens[d0]!)
        for d in q.domains {
            let expected = a.tokens[d]! * Foundation.pow(b.tokens[d]! / a.tokens[d]!, u)
            #expect(abs(q.tokens[d]! - expected) / expected < 1e-9, "\(d)")
        }
        let table = try run(["predict", f1, f2, "--tokens", "1B"])
        #expect(table.stdout.hasPrefix("AutoScale prediction at 1000000000 tokens from 2 budgets (1200000, 2000000)"))
    }

    /// `ddo plan --csv` is a LOSSES.csv skeleton: adding val: columns from a stand-in trainer gives a file
    /// `ddo fit` accepts, finding the base run and three points per domain; the table and JSON forms agree.
    @Test func planThenFit() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try run(["ddo", "plan", "--domains", "a,b,c", "--tokens", "30k", "--csv"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 8 && lines[0] == "run,tokens:a,tokens:b,tokens:c" && lines[1] == "base,10000,10000,10000")
        #expect(lines[2] == "a-x0.333333,3333,10000,10000" && lines[3] == "a-x3,30000,10000,10000")
        var filled = [lines[0] + ",val:a,val:b,val:c"]
        for line in lines.dropFirst() {
            let n = line.split(separator: ",").dropFirst().map { Double($0)! }
            let v = (0..<3).map { i in 1 + 20 * Foundation.pow(n[i] + 0.1 * n[(i + 1) % 3], -0.3) }
            filled.append(line + "," + v.map { "\($0)" }.joined(separator: ","))
        }
        let path = dir.appendingPathComponent("losses.csv")
        try Data((filled.joined(separator: "\n") + "\n").utf8).write(to: path)
        let fit = try run(["ddo", "fit", path.path, "--json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: Data(fit.stdout.utf8))
        #expect(r.budget == 30000 && abs(r.tokens.values.reduce(0, +) - 30000) < 1e-8)
        let weighted = try run(["ddo", "plan", "--domains", "a=3,b=1", "--tokens", "1001", "--factors", "1/4,1/2,2,4", "--json"])
        struct Plan: Decodable { var budget: Int, base: [String: Int], runs: [[String: AnyDecodable]] }
        struct AnyDecodable: Decodable { init(from decoder: Decoder) throws {} }
        let p = try JSONDecoder().decode(Plan.self, from: Data(weighted.stdout.utf8))
        #expect(p.budget == 1001 && p.base == ["a": 751, "b": 250] && p.runs.count == 9)
        let bad = try run(["ddo", "plan", "--domains", "a,b", "--tokens", "100", "--factors", "1/0,3"])
        #expect(bad.status == 1 && bad.stderr == "Error: --factors: '1/0' is not a positive number or fraction\n")
    }

    /// Bad inputs: exit status 1 and exactly one line on stderr, naming the file/line/column/field.
    @Test func badInputsGetOneLine() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ text: String) throws -> String {
            let u = dir.appendingPathComponent(name)
            try Data(text.utf8).write(to: u)
            return u.path
        }
        let csv = Fixture.url("ddo/losses_3domains.csv").path
        let good = try String(contentsOfFile: csv, encoding: .utf8)
        var lines = good.split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: "400000,400000,400000", with: "400000,abc,400000")
        let badCell = try file("badcell.csv", lines.joined(separator: "\n"))
        lines = good.split(separator: "\n").map(String.init)
        lines[4] = "web-x0.333333,133333,133333,400000,3.1,1.5,3.6"
        let twoChanged = try file("two.csv", lines.joined(separator: "\n"))
        let r1 = try file("r1.json", #"{"tokens": {"a": 100, "b": 100}}"#)
        let same = try file("same.json", #"{"tokens": {"a": 150, "b": 50}}"#)
        let broken = try file("broken.json", #"{"tokens": {"a": "many"}}"#)
        let other = try file("other.json", #"{"tokens": {"a": 300, "c": 100}}"#)
        let cases: [([String], String)] = [
            (["ddo", "fit", "nope.csv"], "Error: nope.csv: no such file"),
            (["ddo", "fit", csv, "--objective", "median"], "Error: --objective: 'median' is not one of mean-ppl, mean-loss"),
            (["ddo", "fit", csv, "--budget", "1e8"],
             "Error: budget 1e+08 is infeasible: with multipliers in [0.333332, 3] of the base quantities (total 1.2e+06) it must lie in [399999, 3.6e+06]"),
            (["ddo", "fit", csv, "--budget", "lots"], "Error: --budget: 'lots' is not a positive token count (e.g. 1200000, 1.2e6 or 1.2M)"),
            (["ddo", "fit", csv, "--lower", "2", "--upper", "1"], "Error: --upper: 1.0 is below the lower bound 2.0"),
            (["ddo", "fit", csv, "--eval-domains", "web,news"],
             "Error: --eval-domains: \(csv) has no column val:news (it has val:web, val:code, val:books)"),
            (["ddo", "fit", badCell], "Error: \(badCell):3:3: column \"tokens:code\": \"abc\" is not a number"),
            (["ddo", "fit", twoChanged],
             "Error: \(twoChanged):5: row differs from the base run (\(twoChanged):3) in 2 domains (web, code); every other run must change exactly one domain's tokens"),
            (["predict", r1, "--tokens", "1e6"], "Error: predict needs result files at two or more budgets, got 1"),
            (["predict", r1, same, "--tokens", "1e6"], "Error: \(r1) and \(same) have the same budget 200; the predictor needs distinct budgets"),
            (["predict", r1, broken, "--tokens", "1e6"], "Error: \(broken): field \"tokens.a\" is not a number"),
            (["predict", r1, other, "--tokens", "1e6"], "Error: \(other): domains a,c differ from \(r1)'s a,b"),
            (["predict", r1, same, "--tokens", "0"], "Error: --tokens: '0' is not a positive token count (e.g. 1200000, 1.2e6 or 1.2M)"),
        ]
        for (args, message) in cases {
            let out = try run(args)
            #expect(out.status == 1, "\(args)")
            #expect(out.stdout.isEmpty, "\(args)")
            #expect(out.stderr == message + "\n", "\(args): \(out.stderr)")
        }
    }

    /// A degenerate domain (objective rises with its tokens) is fitted flat, warned about on stderr (one
    /// `warning:` line), listed in the JSON warnings, and given the lower bound.
    @Test func degenerateDomainWarns() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = """
            tokens:a,tokens:b,objective
            100,100,10
            33,100,10.5
            300,100,9.6
            100,33,9.9
            100,300,10.2
            """
        let path = dir.appendingPathComponent("l.csv")
        try Data(text.utf8).write(to: path)
        let out = try run(["ddo", "fit", path.path, "--json"])
        #expect(out.status == 0)
        #expect(out.stderr.hasPrefix("warning: domain b: the objective does not decrease") && out.stderr.split(separator: "\n").count == 1)
        let r = try JSONDecoder().decode(Result.self, from: Data(out.stdout.utf8))
        #expect(r.fits["b"]!.b == 0 && abs(r.tokens["b"]! - 33) < 1e-9)
        #expect(try run(["ddo", "fit", path.path, "--json", "--quiet"]).stderr.isEmpty)
    }
}
