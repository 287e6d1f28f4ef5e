import Foundation
import Testing
import TestSupport

/// Drives the built `autoscale` on `mix plan` and `mix fit`.
@Suite struct MixCLITests {
    struct Result: Decodable {
        struct Details: Decodable { var predicted_objective: Double?, runs: Int? }
        var method: String, domains: [String], budget: Double, weights: [String: Double], tokens: [String: Double]
        var details: Details
    }

    /// `L_i(r) = c_i + k_i exp(-β_i r_i)` (mean-loss, equal weights): the analytic optimum
    /// `r_i = (ln(k_i β_i) - ln λ)/β_i`, `ln λ = (Σ ln(k_i β_i)/β_i - 1) / Σ 1/β_i` (interior for these
    /// values).
    static let c = [1.5, 0.8, 2.0], k = [1.0, 1.5, 0.8], beta = [3.0, 4.0, 5.0]
    static var optimum: [Double] {
        let lnLambda = ((0..<3).reduce(0) { $0 + log(k[$1] * beta[$1]) / beta[$1] } - 1)
            / beta.reduce(0) { $0 + 1 / $1 }
        return (0..<3).map { (log(k[$0] * beta[$0]) - lnLambda) / beta[$0] }
    }

    /// Fills a plan's CSV skeleton with the known law's losses (full precision).
    static func fill(_ skeleton: String) -> String {
        var lines = skeleton.split(separator: "\n").map(String.init)
        lines[0] += ",val:web,val:code,val:books"
        for i in 1..<lines.count {
            let q = lines[i].split(separator: ",").dropFirst().map { Double($0)! }
            let r = q.map { $0 / q.reduce(0, +) }
            lines[i] += "," + (0..<3).map { String(c[$0] + k[$0] * exp(-beta[$0] * r[$0])) }.joined(separator: ",")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// plan (dml, 12 runs) -> the test trains nothing but fills the table from the known law -> `mix fit --method
    /// dml` recovers the analytic optimum to 1e-6; `-o` writes the same JSON it prints; the plan is seeded (the same
    /// CSV twice) and its runs sum to the budget.
    @Test func planFillFitRecoversKnownOptimum() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["mix", "plan", "--method", "dml", "--domains", "web,code,books", "--tokens", "1.2M", "--runs", "12",
                    "--seed", "3", "--csv"]
        let plan = try CLI.run(args), again = try CLI.run(args)
        #expect(plan.status == 0 && plan.stdout == again.stdout, "\(plan.stderr)")
        let rows = plan.stdout.split(separator: "\n").dropFirst()
        let totals = rows.map { $0.split(separator: ",").dropFirst().reduce(0) { $0 + (Int($1) ?? -1) } }
        #expect(rows.count == 12 && totals.allSatisfy { $0 == 1_200_000 })
        let csv = dir.appendingPathComponent("losses.csv"), saved = dir.appendingPathComponent("r.json")
        try Self.fill(plan.stdout).write(to: csv, atomically: true, encoding: .utf8)
        let fit = try CLI.run(["mix", "fit", csv.path, "--method", "dml", "--objective", "mean-loss", "--json",
                               "-o", saved.path])
        #expect(fit.status == 0 && fit.stderr.isEmpty, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: fit.stdoutData)
        let w = ["web", "code", "books"].map { r.weights[$0] ?? .nan }
        #expect(r.method == "dml" && r.budget == 1_200_000 && r.details.runs == 12)
        #expect(maxAbsDiff(w, Self.optimum) <= 1e-6, "\(w) vs \(Self.optimum)")
        #expect(try Data(contentsOf: saved) == fit.stdoutData.dropLast())
        let table = try CLI.run(["mix", "fit", csv.path, "--method", "dml", "--objective", "mean-loss"])
        #expect(table.status == 0
                && table.stdout.contains("dml mixture from \(csv.path), 12 runs, objective mean-loss"))
    }

    /// A 40-run regmix plan over web, code, books at 60k tokens, filled from the known law, as `dir/losses.csv`.
    static func regmixTable(in dir: URL) throws -> URL {
        let plan = try CLI.run(["mix", "plan", "--method", "regmix", "--domains", "web,code,books", "--tokens", "60000",
                                "--runs", "40", "--csv"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let csv = dir.appendingPathComponent("losses.csv")
        try fill(plan.stdout).write(to: csv, atomically: true, encoding: .utf8)
        return csv
    }

    /// regmix on a regmix plan of 40 runs filled from the same law: the answer is within 0.05 of the optimum in
    /// every weight (a top-128 mean of a 100,000-draw sample under a quadratic fit: close, not exact), and the JSON
    /// carries the method, the budget and the prediction.
    @Test func regmixPlanFillFit() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try Self.regmixTable(in: dir)
        let fit = try CLI.run(["mix", "fit", csv.path, "--method", "regmix", "--objective", "mean-loss", "--json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: fit.stdoutData)
        let w = ["web", "code", "books"].map { r.weights[$0] ?? .nan }
        #expect(r.method == "regmix" && r.budget == 60000 && r.details.predicted_objective != nil)
        #expect(maxAbsDiff(w, Self.optimum) <= 0.05, "\(w) vs \(Self.optimum)")
    }

    /// regmix with `--regressor gbt` on the same 40-run plan: boosted trees are piecewise constant, so the answer
    /// is coarser than the ridge fit's; within 0.1 of the optimum in every weight, the JSON names the regressor.
    @Test func regmixBoostedTreesPlanFillFit() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = try Self.regmixTable(in: dir)
        let fit = try CLI.run(["mix", "fit", csv.path, "--method", "regmix", "--regressor", "gbt",
                               "--objective", "mean-loss", "--json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: fit.stdoutData)
        let w = ["web", "code", "books"].map { r.weights[$0] ?? .nan }
        #expect(maxAbsDiff(w, Self.optimum) <= 0.1, "\(w) vs \(Self.optimum)")
        let object = try JSONSerialization.jsonObject(with: fit.stdoutData) as? [String: Any]
        let regression = (object?["details"] as? [String: Any])?["regression"] as? [String: Any]
        #expect(regression?["regressor"] as? String == "gbt")
        #expect((regression?["boosting"] as? [String: Any])?["trees"] as? Double == 100)
        #expect(regression?["coefficients"] == nil)
        let text = try CLI.run(["mix", "fit", csv.path, "--method", "regmix", "--regressor", "gbt",
                                "--objective", "mean-loss"])
        #expect(text.status == 0 && text.stdout.contains("boosted trees (100, learning rate 0.1, depth 3)"))
    }

    /// bimix: a bimix plan (no run without tokens of a domain) filled from a known power law `L_i = A_i r_i^{-α_i}`
    /// -> `mix fit --method bimix` reaches the analytic optimum (`α_i A_i r_i^{-α_i-1}` equal, by bisection) to 1e-8.
    @Test func bimixPlanFillFit() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = [2.0, 1.2, 2.6], alpha = [0.3, 0.6, 0.2]
        let plan = try CLI.run(["mix", "plan", "--method", "bimix", "--domains", "web,code,books", "--tokens", "1.2M",
                                "--runs", "5", "--csv"])
        #expect(plan.status == 0, "\(plan.stderr)")
        var lines = plan.stdout.split(separator: "\n").map(String.init)
        lines[0] += ",val:web,val:code,val:books"
        for i in 1..<lines.count {
            let q = lines[i].split(separator: ",").dropFirst().map { Double($0)! }
            lines[i] += "," + (0..<3).map { String(a[$0] * pow(q[$0] / 1.2e6, -alpha[$0])) }.joined(separator: ",")
        }
        let csv = dir.appendingPathComponent("losses.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
        let fit = try CLI.run(["mix", "fit", csv.path, "--method", "bimix", "--objective", "mean-loss", "--json"])
        #expect(fit.status == 0 && fit.stderr.isEmpty, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: fit.stdoutData)
        func share(_ nu: Double) -> [Double] { (0..<3).map { pow(alpha[$0] * a[$0] / nu, 1 / (alpha[$0] + 1)) } }
        var lo = 1e-6, hi = 1e6
        for _ in 0..<200 {
            let mid = (lo * hi).squareRoot()
            if share(mid).reduce(0, +) > 1 { lo = mid } else { hi = mid }
        }
        let w = ["web", "code", "books"].map { r.weights[$0] ?? .nan }
        #expect(r.method == "bimix" && r.details.runs == 5)
        #expect(maxAbsDiff(w, share(lo)) <= 1e-8, "\(w) vs \(share(lo))")
    }

    /// olmix on the committed table with the fixture's second case (available web=1M, code=50k, books=60k,
    /// λ = 0.1, R = 4): the weights equal the scipy reference to 1e-8 and code sits at its repetition cap 1/6; the
    /// table output names the prior and the cap.
    @Test func olmixOnTheFixtureTable() throws {
        let args = ["mix", "fit", Fixture.url("mixing-methods-losses.csv").path, "--method", "olmix", "--available",
                    "web=1M,code=50k,books=60k", "--kl-weight", "0.1", "--repetition", "4"]
        let fit = try CLI.run(args + ["--json"])
        #expect(fit.status == 0 && fit.stderr.isEmpty, "\(fit.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: fit.stdoutData)
        let w = ["web", "code", "books"].map { r.weights[$0] ?? .nan }
        #expect(r.method == "olmix" && r.details.runs == 20)
        #expect(maxAbsDiff(w, [0.6876129742168938, 1.0 / 6, 0.14572035911643952]) <= 1e-8, "\(w)")
        let text = try CLI.run(args)
        #expect(text.status == 0 && text.stdout.contains("objective mean-loss")
                && text.stdout.contains("KL weight 0.1 toward the prior web=0.9009,code=0.04505,books=0.05405, "
                                        + "repetition caps x4 (at the cap: code)"), "\(text.stdout)")
    }

    /// Fixed mixtures without a table: natural from --available, capped; given from a result file.
    @Test func fixedMixturesFromTheCommandLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let natural = try CLI.run(["mix", "fit", "--method", "natural", "--domains", "web,code", "--budget", "1000",
                                   "--available", "web=3M,code=1M", "--caps", "web=700", "--json"])
        #expect(natural.status == 0, "\(natural.stderr)")
        let r = try JSONDecoder().decode(Result.self, from: natural.stdoutData)
        #expect(maxAbsDiff([r.weights["web"] ?? .nan, r.weights["code"] ?? .nan], [0.7, 0.3]) <= 1e-15)
        let file = dir.appendingPathComponent("llama.json")
        try #"{"tokens": {"web": 3, "code": 1}}"#.write(to: file, atomically: true, encoding: .utf8)
        let given = try CLI.run(["mix", "fit", "--method", "given", "--domains", "web,code", "--budget", "4",
                                 "--weights-file", file.path, "--json"])
        let g = try JSONDecoder().decode(Result.self, from: given.stdoutData)
        #expect(given.status == 0 && g.tokens == ["web": 3, "code": 1] && g.method == "given")
    }

    /// Bad input: one line on stderr starting `Error: `, exit status 1, never a trap.
    @Test func badInputsGetOneLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ text: String) throws -> String {
            let u = dir.appendingPathComponent(name)
            try text.write(to: u, atomically: true, encoding: .utf8)
            return u.path
        }
        let few = try file("few.csv", "tokens:a,tokens:b,val:a\n1,3,2.0\n2,2,1.9\n3,1,1.8\n")
        let noVal = try file("noval.csv", "tokens:a,tokens:b\n1,3\n2,2\n")
        let nan = try file("nan.csv", "tokens:a,tokens:b,val:a\n1,3,nan\n2,2,1.9\n")
        let zero = try file("zero.csv", "tokens:a,tokens:b,val:a\n1,3,2.0\n2,2,1.9\n0,4,2.4\n3,1,1.85\n")
        let objective = try file("obj.csv", "tokens:a,tokens:b,objective\n1,3,2.0\n2,2,1.9\n3,1,1.8\n")
        let two = try file("two.csv", "tokens:a,tokens:b,val:a\n1,3,2.0\n2,2,1.9\n1,3,2.01\n")
        let cases: [([String], String)] = [
            (["mix", "fit", few, "--method", "lightgbm"], "Error: --method: 'lightgbm' is not one of dml, regmix"),
            (["mix", "fit", few, "--method", "dml"],
             "Error: \(few): has 3 runs at distinct mixtures; dml needs at least 4"),
            (["mix", "fit", noVal, "--method", "dml"], "Error: \(noVal): needs val:<domain> columns"),
            (["mix", "fit", nan, "--method", "regmix"], "Error: \(nan):2:3: column \"val:a\""),
            (["mix", "fit", few, "--method", "given"], "Error: --weights: given needs --weights or --weights-file"),
            (["mix", "fit", few, "--method", "regmix", "--regressor", "xgboost"],
             "Error: --regressor: 'xgboost' is not one of ridge, gbt"),
            (["mix", "fit", few, "--method", "dml", "--regressor", "gbt"],
             "Error: --regressor: applies to regmix, not dml"),
            (["mix", "fit", few, "--method", "regmix", "--regressor", "gbt", "--ridge", "1"],
             "Error: --ridge: applies to the ridge regressor, not gbt"),
            (["mix", "fit", few, "--method", "regmix", "--huber-delta", "1"],
             "Error: --huber-delta: applies to dml, olmix, not regmix"),
            (["mix", "fit", few, "--method", "uniform", "--caps", "a=1,b=1"], "Error: --caps: the caps sum to"),
            (["mix", "fit", few, "--method", "uniform", "--caps", "c=1"], "Error: --caps: no domain 'c'"),
            (["mix", "fit", "--method", "dml"], "Error: --method: dml fits a loss table: give LOSSES.csv"),
            (["mix", "fit", "--method", "uniform", "--domains", "a,b"], "Error: --budget: give the budget"),
            (["mix", "fit", few, "--method", "dml", "--eval-domains", "z"],
             "Error: --eval-domains: \(few) has no column val:z"),
            (["mix", "plan", "--method", "regmix", "--domains", "a,b,c", "--tokens", "1M", "--runs", "5"],
             "Error: --runs: regmix with 3 domains needs at least 7 runs, got 5"),
            (["mix", "plan", "--method", "uniform", "--domains", "a,b", "--tokens", "1M", "--runs", "5"],
             "Error: --method: 'uniform' is not one of dml, regmix"),
            (["mix", "plan", "--method", "dml", "--domains", "a,b", "--tokens", "lots", "--runs", "5"],
             "Error: --tokens:"),
            (["mix", "fit", "/nonexistent.csv", "--method", "dml"], "Error: /nonexistent.csv"),
            (["mix", "fit", zero, "--method", "bimix"],
             "Error: \(zero):4: the run trains no tokens of a; bimix fits ln val:a against ln r_a and needs r_a > 0"),
            (["mix", "fit", two, "--method", "bimix"],
             "Error: \(two): has 2 runs at distinct mixtures; bimix needs at least 3 for its 2 parameters"),
            (["mix", "fit", objective, "--method", "bimix"], "Error: \(objective): has an objective column; bimix"),
            (["mix", "fit", few, "--method", "olmix"],
             "Error: \(few): has 3 runs at distinct mixtures; olmix needs at least 4"),
            (["mix", "fit", few, "--method", "olmix", "--kl-weight=-1"],
             "Error: --kl-weight: '-1' is not a non-negative number"),
            (["mix", "fit", Fixture.url("mixing-methods-losses.csv").path, "--method", "olmix", "--repetition", "2"],
             "Error: --repetition: the repetition caps are available tokens x R / budget: give --available"),
            (["mix", "fit", few, "--method", "dml", "--kl-weight", "0.1"],
             "Error: --kl-weight: applies to olmix, not dml"),
            (["mix", "plan", "--method", "bimix", "--domains", "a,b,c", "--tokens", "1M", "--runs", "2"],
             "Error: --runs: bimix with 3 domains needs at least 3 runs, got 2"),
        ]
        for (args, prefix) in cases {
            let r = try CLI.run(args)
            #expect(r.status == 1 && !r.crashed && r.stderr.hasPrefix(prefix)
                    && r.stderr.split(separator: "\n").count == 1, "\(args): \(r.status) \(r.stderr)")
        }
    }
}
