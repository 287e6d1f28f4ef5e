import Foundation
import Testing
import TestSupport

/// `ddo fit` / `predict`: the paper's notebook figures, the fit rule, caps and intervals, through the built CLI.
@Suite struct DDONotebookCLITests {
    struct Result: Decodable {
        struct Curve: Decodable { var a: Double, b: Double, c: Double }
        struct Alternative: Decodable { var fitRule: String, domains: [String], weights: [String: Double], fits: [String: Curve] }
        struct Intervals: Decodable {
            var method: String, level: Double, replicates: Int, failed: Int, seed: UInt64?
            var weights: [String: [Double]], replicateTokens: [[String: Double]]
        }
        var domains: [String], budget: Double, tokens: [String: Double], weights: [String: Double]
        var fitRule: String?, alternative: Alternative?, caps: [String: Double]?, capped: [String]?, intervals: Intervals?
        var promisedGain: Double?
        var warnings: [String]
    }
    /// The result's snake_case keys (`fit_rule`, `promised_gain`, `replicate_tokens`) onto these camelCase fields.
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
    struct Reference: Decodable {
        struct Notebook: Decodable { var domains: [String], published_weights: [Double], weights: [Double], smallest_b_weights: [Double] }
        var notebook: Notebook
    }

    func err(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0.0) { acc, p in let e = abs(p.0 - p.1); return e.isNaN || acc.isNaN ? .nan : max(acc, e) }
    }

    let csv = Fixture.url("ddo/notebook_losses.csv").path

    /// `ddo fit` on the notebook's table (default rule) gives its published weights to 1e-3 in every weight and
    /// the scipy reproduction to 1e-7; result.json reports the smallest-b rule's allocation (1e-7) as the
    /// alternative, and stderr has exactly the one warning saying both exist. `--fit-rule smallest-b` swaps them.
    @Test func notebookWeights() throws {
        let ref = try Fixture.json(Reference.self, "ddo/notebook.json").notebook
        let out = try CLI.run(["ddo", "fit", csv, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let r = try Self.decoder.decode(Result.self, from: Data(out.stdout.utf8))
        #expect(r.domains == ref.domains && r.fitRule == "notebook")
        let w = ref.domains.map { r.weights[$0] ?? .nan }
        #expect(err(w, ref.published_weights) <= 1e-3)
        #expect(err(w, ref.weights) <= 1e-7)
        let alt = try #require(r.alternative)
        #expect(alt.fitRule == "smallest-b" && alt.domains == ref.domains)
        #expect(err(ref.domains.map { alt.weights[$0] ?? .nan }, ref.smallest_b_weights) <= 1e-7)
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("warning: domains common_crawl, github, books, wiki, c4, stackexchange, arxiv each have two exact fits"))
        #expect(r.warnings.count == 1)

        let small = try CLI.run(["ddo", "fit", csv, "--json", "--fit-rule", "smallest-b", "--quiet"])
        #expect(small.status == 0 && small.stderr.isEmpty)
        let s = try Self.decoder.decode(Result.self, from: Data(small.stdout.utf8))
        #expect(s.fitRule == "smallest-b" && err(ref.domains.map { s.weights[$0] ?? .nan }, ref.smallest_b_weights) <= 1e-7)
        #expect(s.alternative.map { a in err(ref.domains.map { a.weights[$0] ?? .nan }, ref.weights) <= 1e-7 } == true)
        let table = try CLI.run(["ddo", "fit", csv, "--quiet"])
        #expect(table.stdout.contains("fit rule notebook") && table.stdout.contains("the smallest-b rule's weights: common_crawl 0.2332"))
    }

    /// `--caps c4=150M`: c4 (uncapped 185M) gets exactly its cap, is listed as capped, the budget is still met
    /// (1e-12 relative; the bisection on ln λ stops at 1e-13) and every other domain gains (its excess goes to the others through the same multiplier).
    @Test func capsHoldADomain() throws {
        let free = try Self.decoder.decode(Result.self, from: Data(try CLI.run(["ddo", "fit", csv, "--json", "--quiet"]).stdout.utf8))
        let out = try CLI.run(["ddo", "fit", csv, "--json", "--quiet", "--caps", "c4=150M,arxiv=1e9"])
        #expect(out.status == 0, "\(out.stderr)")
        let r = try Self.decoder.decode(Result.self, from: Data(out.stdout.utf8))
        #expect(r.tokens["c4"] == 150e6 && r.capped == ["c4"] && r.caps == ["c4": 150e6, "arxiv": 1e9])
        #expect(abs(r.domains.reduce(0) { $0 + r.tokens[$1]! } - 7e8) <= 1e-12 * 7e8)
        for d in r.domains where d != "c4" && d != "github" { #expect(r.tokens[d]! > free.tokens[d]!, "\(d)") }
        let table = try CLI.run(["ddo", "fit", csv, "--quiet", "--caps", "c4=150M"])
        #expect(table.stdout.contains("150000000 (cap)"))
    }

    /// `--noise` intervals: the same seed gives the same bytes (`-o`), each interval contains the point weight,
    /// and `predict` on two bootstrapped results propagates paired replicates (method propagated, K = 20) with
    /// every replicate's capped domain at most its cap.
    @Test func intervalsAndPropagation() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = Fixture.url("ddo/losses_3domains.csv").path
        let f1 = dir.appendingPathComponent("f1.json").path, f1b = dir.appendingPathComponent("f1b.json").path
        let f2 = dir.appendingPathComponent("f2.json").path
        let args = ["ddo", "fit", small, "--noise", "0.01", "--bootstrap", "20", "--seed", "9", "--quiet"]
        #expect(try CLI.run(args + ["-o", f1]).status == 0)
        #expect(try CLI.run(args + ["-o", f1b]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: f1)) == Data(contentsOf: URL(fileURLWithPath: f1b)))
        #expect(try CLI.run(args + ["--budget", "2M", "-o", f2]).status == 0)
        let r = try Self.decoder.decode(Result.self, from: Data(contentsOf: URL(fileURLWithPath: f1)))
        let iv = try #require(r.intervals)
        #expect(iv.method == "bootstrap" && iv.replicates == 20 && iv.seed == 9 && iv.level == 0.9)
        for d in r.domains { #expect(iv.weights[d]![0] <= r.weights[d]! + 1e-12 && r.weights[d]! <= iv.weights[d]![1] + 1e-12, "\(d)") }
        let p = try CLI.run(["predict", f1, f2, "--tokens", "1e7", "--json", "--caps", "code=1M", "--quiet"])
        #expect(p.status == 0, "\(p.stderr)")
        let q = try Self.decoder.decode(Result.self, from: Data(p.stdout.utf8))
        let piv = try #require(q.intervals)
        #expect(piv.method == "propagated" && piv.replicates + piv.failed == 20 && piv.replicates >= 18)
        #expect(piv.replicateTokens.allSatisfy { $0["code"]! <= 1e6 * (1 + 1e-12) })
        let text = try CLI.run(["predict", f1, f2, "--tokens", "1e7", "--quiet"])
        #expect(text.stdout.contains("90% interval") && text.stdout.contains("propagated from"))
    }

    /// Bad values of every new option: exit status 1 and exactly one line naming the option.
    @Test func badOptionsGetOneLine() throws {
        let r1 = try CLI.tempDir().appendingPathComponent("r1.json")
        try Data(#"{"tokens": {"a": 100, "b": 100}}"#.utf8).write(to: r1)
        let r2 = r1.deletingLastPathComponent().appendingPathComponent("r2.json")
        try Data(#"{"tokens": {"a": 300, "b": 100}}"#.utf8).write(to: r2)
        defer { try? FileManager.default.removeItem(at: r1.deletingLastPathComponent()) }
        let cases: [([String], String)] = [
            (["ddo", "fit", csv, "--fit-rule", "best"], "Error: --fit-rule: 'best' is not one of notebook, smallest-b"),
            (["ddo", "fit", csv, "--caps", "c4"], "Error: --caps: 'c4' is not domain=tokens (e.g. --caps web=5M,code=1.2M)"),
            (["ddo", "fit", csv, "--caps", "news=5M"],
             "Error: --caps: no domain 'news' (the domains are common_crawl, github, books, wiki, c4, stackexchange, arxiv)"),
            (["ddo", "fit", csv, "--caps", "c4=lots"], "Error: --caps: c4: 'lots' is not a positive token count (e.g. 1200000, 1.2e6 or 1.2M)"),
            (["ddo", "fit", csv, "--caps", "c4=1M,c4=2M"], "Error: --caps: domain 'c4' is listed twice"),
            (["ddo", "fit", csv, "--caps", "c4=10M"], "Error: --caps: domain c4's cap 1e+07 is below its lower bound 2e+07 tokens (0.2 x its base 1e+08)"),
            (["ddo", "fit", csv, "--noise", "0"], "Error: --noise: '0' is not a positive number (nats)"),
            (["ddo", "fit", csv, "--noise=-1"], "Error: --noise: '-1' is not a positive number (nats)"),
            (["ddo", "fit", csv, "--noise", "0.01", "--bootstrap", "1"], "Error: --bootstrap: '1' is not a whole number from 2 to 1000000"),
            (["ddo", "fit", csv, "--noise", "0.01", "--bootstrap", "99999999999999999999"],
             "Error: --bootstrap: '99999999999999999999' is not a whole number from 2 to 1000000"),
            (["ddo", "fit", csv, "--noise", "0.01", "--level", "1.5"], "Error: --level: '1.5' is not a number strictly between 0 and 1"),
            (["ddo", "fit", csv, "--noise", "0.01", "--seed", "x"], "Error: --seed: 'x' is not a whole number >= 0"),
            (["ddo", "fit", csv, "--seed", "5"], "Error: --seed: needs --noise (the bootstrap's noise in nats)"),
            (["predict", r1.path, r2.path, "--tokens", "1000", "--caps", "c=5"], "Error: --caps: no domain 'c' (the domains are a, b)"),
            (["predict", r1.path, r2.path, "--tokens", "1000", "--caps", "a=400,b=100"],
             "Error: --caps: the caps sum to 500 tokens, below the target budget 1000"),
            (["predict", r1.path, r2.path, "--tokens", "1000", "--level", "0"], "Error: --level: '0' is not a number strictly between 0 and 1"),
        ]
        for (args, message) in cases {
            let out = try CLI.run(args)
            #expect(out.status == 1, "\(args)")
            #expect(out.stdout.isEmpty, "\(args)")
            #expect(out.stderr == message + "\n", "\(args): \(out.stderr)")
        }
    }
}
