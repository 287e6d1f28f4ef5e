import Foundation
import Testing
import TestSupport

/// End-to-end tests of `autoscale fit` and `autoscale optimal`: they run the built binary.
enum ScalingCLI {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String; var crashed: Bool }

    static func run(_ args: [String]) throws -> Outcome {
        let r = try CLI.run(args)
        return Outcome(status: r.status, stdout: r.stdout, stderr: r.stderr, crashed: r.crashed)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func tempDir() throws -> URL { try CLI.tempDir() }

    /// A small start grid so each fit takes milliseconds.
    static let smallGrid = ["--grid-alpha", "0.5", "--grid-beta", "0.5", "--grid-e", "0,1", "--grid-a", "5", "--grid-b", "5"]
}

struct ReferenceLaws: Decodable {
    struct Fit: Decodable { var params: [String: Double]; var objective: Double }
    struct IsoFLOP: Decodable { var k: Double; var a: Double }
    var chinchilla: Fit
    var power: Fit
    var isoflop: IsoFLOP
}

@Test func fitChinchillaJSONMatchesScipy() throws {
    let ref = try Fixture.json(ReferenceLaws.self, "scaling/laws.json").chinchilla
    let csv = Fixture.url("scaling/synthetic_chinchilla.csv").path
    let r = try ScalingCLI.run(["fit", csv, "--law", "chinchilla", "--n", "Model Size", "--d", "Tokens", "--json", "--quiet",
                                "--grid-alpha", "0.5,1", "--grid-beta", "0.5,1", "--grid-e", "-1:1:1", "--grid-a", "0:20:10",
                                "--grid-b", "0:20:10"])
    #expect(r.status == 0 && r.stderr.isEmpty)
    let j = try ScalingCLI.json(r.stdout)
    #expect(j["law"] as? String == "chinchilla")
    #expect(j["points"] as? Int == 48)
    #expect(j["starts"] as? Int == 108)
    let params = try #require(j["params"] as? [String: Double])
    // Default stopping rules (|g| <= 1e-5, scipy's factr): within 1e-3 of scipy's tightly converged optimum.
    for (k, v) in ref.params { #expect(abs(params[k]! / v - 1) < 1e-3, "\(k)") }
    #expect(abs((j["objective"] as! Double) / ref.objective - 1) < 1e-6)
    // The same fit from the FLOP column (D = C / (6 N)).
    let r2 = try ScalingCLI.run(["fit", csv, "--law", "chinchilla", "--n", "Model Size", "--flops", "Training FLOP", "--json",
                                 "--quiet", "--grid-alpha", "0.5,1", "--grid-beta", "0.5,1", "--grid-e", "-1:1:1",
                                 "--grid-a", "0:20:10", "--grid-b", "0:20:10"])
    let p2 = try #require(try ScalingCLI.json(r2.stdout)["params"] as? [String: Double])
    for (k, v) in params { #expect(abs(p2[k]! / v - 1) < 1e-6, "\(k)") }
}

@Test func fitPowerTableAndIsoflopJSON() throws {
    let ref = try Fixture.json(ReferenceLaws.self, "scaling/laws.json")
    let r = try ScalingCLI.run(["fit", Fixture.url("scaling/synthetic_power.csv").path, "--law", "power", "--x", "compute"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("law        power: L(x) = E + A * x^(-alpha)"))
    #expect(r.stdout.contains("optimizer  L-BFGS from 150 starts"))
    #expect(r.stdout.contains("fitted     L(x) = 1.991"))
    #expect(r.stderr.contains("autoscale fit: fitting power law to 20 points"))  // progress goes to stderr
    let alphaLine = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("alpha ") })
    let alpha = try #require(Double(alphaLine.split(separator: " ").last!))
    #expect(abs(alpha / ref.power.params["alpha"]! - 1) < 1e-4)

    let iso = try ScalingCLI.run(["fit", Fixture.url("scaling/synthetic_isoflop.csv").path, "--law", "isoflop",
                                  "--n", "params", "--flops", "flops", "--json"])
    #expect(iso.status == 0)
    let j = try ScalingCLI.json(iso.stdout)
    let p = try #require(j["params"] as? [String: Double])
    #expect(abs(p["a"]! - ref.isoflop.a) < 1e-9 && abs(p["k"]! / ref.isoflop.k - 1) < 1e-8)
    #expect((j["vertices"] as? [Any])?.count == 4)
}

@Test func bootstrapIsSeededAndOutputIsAtomic() throws {
    let dir = try ScalingCLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = Fixture.url("scaling/synthetic_power.csv").path
    let out = dir.appendingPathComponent("fit.json").path
    let args = ["fit", csv, "--law", "power", "--x", "compute", "--bootstrap", "50", "--seed", "7", "--json", "--quiet"]
    let a = try ScalingCLI.run(args + ["-o", out]), b = try ScalingCLI.run(args)
    let c = try ScalingCLI.run(["fit", csv, "--law", "power", "--x", "compute", "--bootstrap", "50", "--seed", "8", "--json", "--quiet"])
    #expect(a.status == 0 && a.stdout == b.stdout && a.stdout != c.stdout)
    #expect(try String(contentsOfFile: out, encoding: .utf8) == a.stdout)
    let j = try ScalingCLI.json(a.stdout)
    let ci = try #require(j["ci"] as? [String: [Double]])
    let params = try #require(j["params"] as? [String: Double])
    #expect(Set(ci.keys) == ["E", "A", "alpha"])
    for (k, iv) in ci { #expect(iv[0] < params[k]! && params[k]! < iv[1], "\(k)") }
    // A failing run leaves no output file behind.
    let bad = dir.appendingPathComponent("bad.json").path
    let f = try ScalingCLI.run(["fit", csv, "--law", "power", "--x", "nope", "-o", bad])
    #expect(f.status != 0 && !FileManager.default.fileExists(atPath: bad))
}

@Test func optimalFromFitJSON() throws {
    let dir = try ScalingCLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fit = dir.appendingPathComponent("fit.json")
    // Epoch AI's published approach-3 fit of Chinchilla.
    try Data(#"{"law": "chinchilla", "params": {"E": 1.8172, "A": 477.84, "B": 2143.86, "alpha": 0.3473, "beta": 0.3672}}"#.utf8)
        .write(to: fit)
    let r = try ScalingCLI.run(["optimal", fit.path, "--flops", "5.76e23", "--flops", "1e21", "--json"])
    #expect(r.status == 0)
    let allocs = try #require(try ScalingCLI.json(r.stdout)["allocations"] as? [[String: Double]])
    #expect(allocs.count == 2)
    let ref = try Fixture.json(LawsRefOptimal.self, "scaling/laws.json").optimal.allocations
    for (a, e) in zip(allocs, ref.sorted { $0.flops > $1.flops }) {
        #expect(abs(a["n"]! / e.n - 1) < 1e-6 && abs(a["d"]! / e.d - 1) < 1e-6 && abs(a["loss"]! - e.loss) < 1e-12)
        #expect(abs(a["tokens_per_parameter"]! - a["d"]! / a["n"]!) < 1e-9)
    }
    let table = try ScalingCLI.run(["optimal", fit.path, "--flops", "1e21", "--flops", "1e22", "--flops", "1e23"])
    #expect(table.status == 0)
    #expect(table.stdout.split(separator: "\n").count == 5)  // formula, header, 3 rows
    #expect(table.stdout.contains("D/N"))
}

struct LawsRefOptimal: Decodable {
    struct Allocation: Decodable { var flops: Double; var n: Double; var d: Double; var loss: Double }
    struct Optimal: Decodable { var allocations: [Allocation] }
    var optimal: Optimal
}

/// Each broken input must produce exactly one line `Error: <message>` on stderr, exit status 1,
/// nothing on stdout, no crash and no output file.
@Test func brokenInputsGiveOneClearLine() throws {
    let dir = try ScalingCLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    func csv(_ name: String, _ text: String) throws -> String {
        let u = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u.path
    }
    let good = "Model Size,Tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n4e8,8e9,2.7\n8e8,1.6e10,2.6\n1.6e9,3.2e10,2.5\n3.2e9,6.4e10,2.45\n"
    let chin = ["--law", "chinchilla", "--n", "Model Size", "--d", "Tokens"] + ScalingCLI.smallGrid
    let p = { (name: String) in dir.appendingPathComponent(name).path }
    let cases: [(String, [String], String)] = [
        (p("missing.csv"), chin, "\(p("missing.csv")): no such file"),
        (try csv("col.csv", good), ["--law", "chinchilla", "--n", "Model size", "--d", "Tokens"],
         "\(p("col.csv")): no column \"Model size\"; available columns: \"Model Size\", \"Tokens\", \"loss\""),
        (try csv("y.csv", good), chin + ["--y", "Loss"],
         "\(p("y.csv")): no column \"Loss\"; available columns: \"Model Size\", \"Tokens\", \"loss\""),
        (try csv("nan.csv", good.replacingOccurrences(of: "2.7", with: "nan")), chin,
         "\(p("nan.csv")):4:3: column \"loss\": nan is not finite and positive (its logarithm is taken)"),
        (try csv("text.csv", good.replacingOccurrences(of: "4e9", with: "4e9x")), chin,
         "\(p("text.csv")):3:2: column \"Tokens\": \"4e9x\" is not a number"),
        (try csv("neg.csv", good.replacingOccurrences(of: "8e8", with: "-8e8")), chin,
         "\(p("neg.csv")):5:1: column \"Model Size\": -800000000.0 is not finite and positive (its logarithm is taken)"),
        (try csv("zero.csv", good.replacingOccurrences(of: "2.45", with: "0")), chin,
         "\(p("zero.csv")):7:3: column \"loss\": 0.0 is not finite and positive (its logarithm is taken)"),
        (try csv("inf.csv", good.replacingOccurrences(of: "1.6e10", with: "inf")), chin,
         "\(p("inf.csv")):5:2: column \"Tokens\": inf is not finite and positive (its logarithm is taken)"),
        // An empty y cell skips its row (a log's steps without evaluation); any other empty cell is an error.
        (try csv("empty-cell.csv", good.replacingOccurrences(of: ",4e9,", with: ",,")), chin,
         "\(p("empty-cell.csv")):3:2: empty cell in column \"Tokens\""),
        (try csv("ragged.csv", good + "1,2\n"), chin, "\(p("ragged.csv")):8: row has 2 fields, the header has 3"),
        (try csv("quote.csv", good + "\"1e9,2,3\n"), chin, "\(p("quote.csv")):8: unterminated quoted field"),
        (try csv("empty.csv", ""), chin, "\(p("empty.csv")): empty file (expected a header row of column names)"),
        (try csv("header.csv", "Model Size,Tokens,loss\n"), chin, "\(p("header.csv")): the chinchilla law needs at least 6 points, found 0"),
        (try csv("few.csv", String(good.split(separator: "\n").prefix(4).joined(separator: "\n"))), chin,
         "\(p("few.csv")): the chinchilla law needs at least 6 points, found 3"),
        // 20 copies of one row are one point (issue 17: they counted as 20).
        (try csv("same.csv", "Model Size,Tokens,loss\n" + String(repeating: "1e9,2e10,2.5\n", count: 20)), chin,
         "\(p("same.csv")): the chinchilla law needs at least 6 distinct points, found 1 among 20 rows (repeated rows count once)"),
        // One row far outside the others pulled the exponent negative and the fit exited 0 (issue 17).
        (try csv("huge.csv", "x,loss\n" + [1e6, 3e6, 1e7, 3e7, 1e8, 3e8, 1e9].map { "\($0),\(1.8 + 5 * pow($0, -0.3))\n" }.joined()
                 + "1e308,1e300\n"), ["--law", "power", "--x", "x", "--y", "loss"],
         "\(p("huge.csv")): invalid fit: alpha = -"),
        (try csv("dup.csv", "a,a\n1,2\n"), chin, "\(p("dup.csv")):1: column \"a\" appears more than once in the header"),
        (try csv("nod.csv", good), ["--law", "chinchilla", "--n", "Model Size"],
         "--law chinchilla needs --d COLUMN (tokens) or --flops COLUMN (D = C / (6 N))"),
        (try csv("both.csv", good), chin + ["--flops", "loss"], "--law chinchilla takes one of --d and --flops, not both"),
        (try csv("iso.csv", good), ["--law", "isoflop", "--n", "Model Size", "--flops", "Tokens", "--loss", "mse"],
         "--loss does not apply to --law isoflop (it fits parabolas by least squares)"),
        (try csv("isofew.csv", good), ["--law", "isoflop", "--n", "Model Size", "--flops", "Tokens"],
         "\(p("isofew.csv")): the isoflop law needs at least 2 FLOP budgets with 3 or more model sizes and a convex loss; found 0 (skipped: "
         + "2e+09 FLOPs, 1 points: fewer than 3 distinct model sizes; 4e+09 FLOPs, 1 points: fewer than 3 distinct model sizes; "
         + "8e+09 FLOPs, 1 points: fewer than 3 distinct model sizes; 1.6e+10 FLOPs, 1 points: fewer than 3 distinct model sizes; "
         + "3.2e+10 FLOPs, 1 points: fewer than 3 distinct model sizes; 6.4e+10 FLOPs, 1 points: fewer than 3 distinct model sizes)"),
        (try csv("px.csv", good), ["--law", "power"], "--law power needs --x COLUMN"),
        (try csv("delta.csv", good), chin + ["--delta", "0"], "--delta must be positive, got 0.0"),
        (try csv("noconv.csv", good), chin + ["--max-iterations", "1"], "\(p("noconv.csv")): fit did not converge: the best start stopped at the iteration limit"),
    ]
    for (file, args, message) in cases {
        let out = dir.appendingPathComponent("out-\(UUID().uuidString).json").path
        let r = try ScalingCLI.run(["fit", file] + args + ["--json", "--quiet", "-o", out])
        #expect(!r.crashed && r.status == 1, "\(file): status \(r.status)")
        #expect(r.stdout.isEmpty, "\(file)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(file): \(r.stderr)")
        #expect(lines.first.map { $0.hasPrefix("Error: " + message) } == true, "\(file): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
    // `optimal` on bad fit files.
    let fitCases: [(String, String)] = [
        ("not json", "not a JSON object with \"law\" and numeric \"params\""),
        (#"{"law": "power", "params": {"E": 1, "A": 2, "alpha": 0.3}}"#, "law is \"power\"; compute-optimal allocation needs a chinchilla fit"),
        (#"{"law": "chinchilla", "params": {"E": 1, "A": 2, "alpha": 0.3}}"#, "params has no number \"B\""),
        (#"{"law": "chinchilla", "params": {"E": 1, "A": 2, "B": -1, "alpha": 0.3, "beta": 0.3}}"#,
         "invalid fit: B = -1.0; compute-optimal allocation needs positive finite parameters"),
    ]
    for (i, (text, message)) in fitCases.enumerated() {
        let f = try csv("fit\(i).json", text)
        let r = try ScalingCLI.run(["optimal", f, "--flops", "1e21"])
        #expect(!r.crashed && r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("Error: \(f): \(message)") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
    let noFlops = try ScalingCLI.run(["optimal", try csv("fitok.json", #"{"law": "chinchilla", "params": {}}"#)])
    #expect(noFlops.status == 1 && noFlops.stderr == "Error: give at least one --flops C\n")
}

/// Random corruptions of a valid log: every run either succeeds with JSON or fails with one line; never a trap.
@Test func fuzzedCSVsNeverCrash() throws {
    let dir = try ScalingCLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let base = try String(contentsOf: Fixture.url("scaling/synthetic_chinchilla.csv"), encoding: .utf8)
    let junk = ["", "x", "\"", ",", "\n", "nan", "-1", "0", "1e999", "\r\n", " ", "\"\"", "1,2", "\u{0}", "é", "--"]
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next(_ bound: Int) -> Int {  // xorshift64*, fixed seed: the corpus is the same on every run
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % bound
    }
    var failures = 0, successes = 0
    for trial in 0..<40 {
        var chars = Array(base)
        for _ in 0..<(1 + next(4)) {
            let at = next(chars.count)
            let len = next(6)
            chars.replaceSubrange(at..<Swift.min(at + len, chars.count), with: junk[next(junk.count)])
        }
        let file = dir.appendingPathComponent("fuzz\(trial).csv")
        try Data(String(chars).utf8).write(to: file)
        let r = try ScalingCLI.run(["fit", file.path, "--law", "chinchilla", "--n", "Model Size", "--d", "Tokens",
                                    "--json", "--quiet"] + ScalingCLI.smallGrid)
        #expect(!r.crashed, "trial \(trial) crashed: \(r.stderr)")
        if r.status == 0 {
            successes += 1
            #expect((try? ScalingCLI.json(r.stdout)) != nil)
        } else {
            failures += 1
            #expect(r.status == 1 && r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1, "trial \(trial): \(r.stderr)")
        }
    }
    #expect(failures > 10)  // the corruptions do hit the parser
}

/// A table of many runs: `--run` with `--final-only` fits each run's last row, without it all rows; the
/// bootstrap then resamples whole runs; above 2,000 rows the screened fit equals `--full-search`.
@Test func fitRunsFinalOnlyBootstrapByRunAndScreen() throws {
    let dir = try ScalingCLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 60 runs of 40 evaluations (2,400 rows): L = 1.9 + 40 x^-0.35, a run-level offset and row noise.
    var text = "run,tokens,loss\n", state: UInt64 = 7
    func unit() -> Double {  // xorshift64*, fixed seed
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return Double((state &* 0x2545_F491_4F6C_DD1D) >> 11) * 0x1p-53
    }
    for r in 0..<60 {
        let scale = 100 * pow(100, unit()), offset = 0.02 * (unit() - 0.5)
        for k in 1...40 {
            let x = scale * Double(k)
            text += "run\(r),\(x),\((1.9 + 40 * pow(x, -0.35)) * exp(offset + 0.004 * (unit() - 0.5)))\n"
        }
    }
    let csv = dir.appendingPathComponent("runs.csv")
    try Data(text.utf8).write(to: csv)
    let base = ["fit", csv.path, "--law", "power", "--x", "tokens", "--json", "--quiet"]
    let final = try ScalingCLI.run(base + ["--run", "run", "--final-only", "--bootstrap", "20"])
    #expect(final.status == 0, "\(final.stderr)")
    let jf = try ScalingCLI.json(final.stdout)
    #expect(jf["points"] as? Int == 60 && jf["screen"] == nil)
    let cols = try #require(jf["columns"] as? [String: Any])
    #expect(cols["run"] as? String == "run" && cols["runs"] as? Int == 60 && cols["final_only"] as? Bool == true)
    let bf = try #require(jf["bootstrap"] as? [String: Any])
    #expect(bf["resample"] as? String == "runs" && bf["runs"] as? Int == 60)

    let all = try ScalingCLI.run(base + ["--run", "run", "--bootstrap", "20"])
    let ja = try ScalingCLI.json(all.stdout)
    #expect(all.status == 0 && ja["points"] as? Int == 2400)
    let screen = try #require(ja["screen"] as? [String: Any])
    #expect(screen["sample_rows"] as? Int == 256 && screen["warning"] == nil)
    #expect((ja["bootstrap"] as? [String: Any])?["resample"] as? String == "runs")
    // The screened fit is the full search's, to the printed precision.
    let full = try ScalingCLI.json(try ScalingCLI.run(base + ["--full-search"]).stdout)
    #expect(full["screen"] == nil && full["points"] as? Int == 2400)
    let ps = try #require(ja["params"] as? [String: Double]), pf = try #require(full["params"] as? [String: Double])
    for (k, v) in pf { #expect(abs(ps[k]! / v - 1) <= 1e-5, "\(k)") }
    #expect(abs((ja["objective"] as! Double) / (full["objective"] as! Double) - 1) <= 1e-9)
    // Without --run the bootstrap resamples rows.
    let rows = try ScalingCLI.json(try ScalingCLI.run(base + ["--bootstrap", "20"]).stdout)
    #expect((rows["bootstrap"] as? [String: Any])?["resample"] as? String == "rows")

    // Bad input to the new options: one line each, exit 1.
    let bad: [([String], String)] = [
        (["--final-only"], "--final-only needs --run COLUMN (the run id column)"),
        (["--run", "nope"], "\(csv.path): no column \"nope\"; available columns: \"run\", \"tokens\", \"loss\""),
        (["--screen-polish", "0"], "--screen-polish must be at least 1, got 0"),
        (["--screen-sample", "3"], "--screen-sample must be at least 4 rows (the power law's parameters + 1), got 3"),
        (["--full-search", "--screen-sample", "100"],
         "--full-search runs no screen; drop --screen-sample and --screen-polish"),
    ]
    for (args, message) in bad {
        let r = try ScalingCLI.run(base + args)
        #expect(!r.crashed && r.status == 1 && r.stdout.isEmpty, "\(args)")
        #expect(r.stderr == "Error: \(message)\n", "\(args): \(r.stderr)")
    }
    let emptyId = dir.appendingPathComponent("empty-id.csv")
    try Data("run,tokens,loss\na,100,3\n,200,2.9\n".utf8).write(to: emptyId)
    let e = try ScalingCLI.run(["fit", emptyId.path, "--law", "power", "--x", "tokens", "--run", "run", "--quiet"])
    #expect(e.status == 1 && e.stderr == "Error: \(emptyId.path):3:1: empty run id in column \"run\"\n", "\(e.stderr)")
    let iso = try ScalingCLI.run(["fit", csv.path, "--law", "isoflop", "--n", "tokens", "--flops", "tokens",
                                  "--full-search"])
    #expect(iso.status == 1 && iso.stderr == "Error: --full-search, --screen-sample and --screen-polish apply to power "
            + "and chinchilla (isoflop has no multi-start)\n", "\(iso.stderr)")
}
