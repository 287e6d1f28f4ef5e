import Foundation
import Testing
import TestSupport
@testable import DataMixing
@testable import Pipelines
import Proxies

/// `methods:` in a pipeline (issue 16): every method's weights validated at the target with paired seeds and ranked,
/// through the POSIX sh + awk simulated-world trainer `Fixtures/trainers/world_trainer.sh` (the `transfer` world of
/// `Fixtures/ddo/worlds.json`, with 0.2% noise per loss; its noiseless law is the fixture's, so the true objective of
/// any mixture is known here).
@Suite struct PipelineMethodsTests {
    struct TQuantiles: Decodable { var p: Double; var quantiles: [[Double]] }

    static func world() throws -> (SimulatedWorlds, SimulatedWorlds.World) {
        let w = try SimulatedWorlds.shared()
        return (w, try #require(w.worlds.first { $0.name == "transfer" }))
    }

    /// The trainer command for the transfer world with `noise`, logging every run id to `log`.
    static func command(noise: Double, log: URL) throws -> String {
        let (_, w) = try world()
        let f = { (v: [Double]) in v.map { String(format: "%.17g", $0) }.joined(separator: " ") }
        return "WORLD_LOG=\(log.path) sh \(Fixture.url("trainers/world_trainer.sh").path) \(noise) '\(w.domains.joined(separator: " "))' "
            + "'\(f(w.E))' '\(f(w.A))' '\(f(w.alpha))' '\(f(w.T.flatMap { $0 }))'"
    }

    /// A config in `dir`: the world's budgets 25M, 50M, 100M, target 1.6B, mean-loss, caps for `natural`, then `extra`.
    static func config(_ dir: URL, _ name: String, _ extra: String, log: URL) throws -> String {
        let path = dir.appendingPathComponent("\(name).yaml")
        try Data("""
            out: \(dir.appendingPathComponent(name).path)
            trainer: {command: "\(try command(noise: 0.002, log: log))"}
            domains: [books, web, wiki, code]
            caps: {books: 2B, web: 3B, wiki: 1.5B, code: 2.5B}
            budgets: [25M, 50M, 100M]
            target: 1.6B
            objective: mean-loss
            \(extra)

            """.utf8).write(to: path)
        return path.path
    }

    static func lines(_ url: URL) -> Int {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static let methods = "methods: [autoscale, ddo, uniform, natural, dml, bimix, olmix, {name: regmix, runs: 12}]"

    /// The whole job: every method in the report, in the config's order, with its proxy runs and tokens; the ranking and
    /// its 95% t-intervals recomputed here from the per-seed objectives the report lists (t from scipy); each method's
    /// validation objective near the world's noiseless objective of its mixture; a rerun trains nothing.
    @Test func everyMethodValidatedAndRanked() throws {
        let dir = try TempDir()
        let log = dir.path("trained.txt")
        let path = try Self.config(dir.url, "methods", "validation: {seeds: [1, 2, 3]}\n" + Self.methods, log: log)
        let report = try Pipeline(config: try PipelineConfig.load(path: path)).run()
        let trained = Self.lines(log)
        // 27 DDO runs (9 per budget), 12 regmix runs, 8 methods x 3 validation seeds.
        #expect(trained == 27 + 12 + 24)

        let methods = try #require(report.methods), ranking = try #require(report.ranking)
        #expect(methods.map(\.method) == ["autoscale", "ddo", "uniform", "natural", "dml", "bimix", "olmix", "regmix"])
        #expect(methods.map(\.mixture) == ["autoscale", "ddo-100M", "uniform", "natural", "dml", "bimix", "olmix", "regmix"])
        let v = try #require(report.validation)
        #expect(v.mixtures.map(\.name) == methods.map(\.mixture) && v.runs.count == 24)
        // Proxy compute: AutoScale all 27 DDO runs; ddo, dml, bimix, olmix the 9 at 100M (reused); regmix its own 12.
        let ddoTokens = try [25_000_000, 50_000_000, 100_000_000].map { b in
            try DDOPlan(domains: report.domains, budget: b).runs.reduce(0) { $0 + $1.tokens.reduce(0, +) }
        }
        let by = Dictionary(uniqueKeysWithValues: methods.map { ($0.method, $0) })
        #expect(by["autoscale"]!.proxyRuns == 27 && by["autoscale"]!.proxyTokens == ddoTokens.reduce(0, +))
        #expect(by["autoscale"]!.extrapolated && by["autoscale"]!.fittedAt == 1_600_000_000)
        for m in ["ddo", "dml", "bimix", "olmix"] {
            #expect(by[m]!.proxyRuns == 9 && by[m]!.proxyTokens == ddoTokens[2] && by[m]!.reusesDDORuns, "\(m)")
            #expect(by[m]!.fittedAt == 100_000_000 && !by[m]!.extrapolated, "\(m)")
        }
        #expect(by["regmix"]!.proxyRuns == 12 && by["regmix"]!.proxyTokens == 1_200_000_000 && !by["regmix"]!.reusesDDORuns)
        #expect(by["uniform"]!.proxyRuns == 0 && by["uniform"]!.fittedAt == nil)
        // natural: proportional to the caps (the available tokens), 2 : 3 : 1.5 : 2.5.
        for (d, c) in zip(["books", "web", "wiki", "code"], [2.0, 3, 1.5, 2.5]) {
            #expect(abs(by["natural"]!.weights[d]! - c / 9) <= 1e-12)
        }
        let out = dir.path("methods")
        let regmixTable = try LossTable.read(path: out.appendingPathComponent("methods/regmix/losses.csv").path)
        #expect(regmixTable.runs.count == 12 && regmixTable.runs.allSatisfy { $0.tokens.reduce(0, +) == 100_000_000 })
        for m in ["dml", "bimix", "olmix", "regmix"] {
            let r = try MixtureResult.read(path: out.appendingPathComponent("methods/\(m)/result.json").path)
            #expect(r.method == m && maxAbsDiff(report.domains.map { r.weights[$0]! }, report.domains.map { by[m]!.weights[$0]! }) == 0)
        }

        // The ranking, recomputed from the per-seed objectives of report.validation.runs.
        let t = try Fixture.shared(TQuantiles.self, "pipeline/t-quantiles.json")
        let t2 = try #require(t.quantiles.first { $0[0] == 2 })[1]
        #expect(ranking.map(\.rank) == Array(1...8))
        #expect(zip(ranking, ranking.dropFirst()).allSatisfy { $0.meanObjective <= $1.meanObjective })
        func objectives(_ mixture: String) -> [Double] {
            v.seeds.map { s in v.runs.first { $0.mixture == mixture && $0.seed == s }!.objective }
        }
        let (worlds, w) = try Self.world()
        for row in ranking {
            let o = objectives(row.mixture)
            #expect(row.objectives == o)
            let mean = o.reduce(0, +) / 3
            let sd = (o.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
            #expect(abs(row.meanObjective - mean) <= 1e-12 && abs(row.sdObjective - sd) <= 1e-12, "\(row.method)")
            for (against, p) in [("uniform", row.vsUniform), ("autoscale", row.vsAutoscale)] {
                guard row.method != against else { #expect(p == nil); continue }
                let p = try #require(p)
                let d = zip(o, objectives(against)).map { $0 - $1 }
                let m = d.reduce(0, +) / 3
                let half = t2 * (d.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 2).squareRoot() / 3.0.squareRoot()
                #expect(p.against == against && maxAbsDiff(p.differences, d) <= 1e-15)
                // Relative to the size of the objectives (dml's vertex answer scores near 450).
                let scale = max(1, abs(mean))
                #expect(abs(p.mean - m) <= 1e-14 * scale && abs(p.lower! - (m - half)) <= 1e-12 * scale
                        && abs(p.upper! - (m + half)) <= 1e-12 * scale, "\(row.method) vs \(against)")
                #expect(p.insideNoise == (m - half <= 0 && 0 <= m + half))
            }
            // The noisy validation objective sits near the world's noiseless objective of the mixture trained: the noise
            // is 0.2% per loss, about 0.12% on a mean of 3 seeds, so 0.5% is 4 standard deviations even when one domain's
            // loss dominates (dml's answer on the DDO table puts every token on one domain: the others' losses sit at
            // the trainer's one-token floor, near 450 on average).
            let tokens = v.mixtures.first { $0.name == row.mixture }!.tokens
            let truth = w.objective(w.domains.map { Double(tokens[$0]!) }, unit: worlds.unit)
            #expect(abs(row.meanObjective - truth) <= 0.005 * truth, "\(row.method): \(row.meanObjective) vs \(truth)")
        }

        // A rerun trains nothing and ranks the same.
        let again = try Pipeline(config: try PipelineConfig.load(path: path)).run()
        #expect(Self.lines(log) == trained)
        #expect(again.ranking?.map(\.method) == ranking.map(\.method) && again.validation == report.validation)
        #expect(again.methods?.map(\.weights) == methods.map(\.weights))
    }

    /// Without `methods:` the report is today's: uniform, the reused DDO weights, AutoScale, no ranking keys.
    @Test func defaultIsUnchanged() throws {
        let dir = try TempDir()
        let log = dir.path("trained.txt")
        let path = try Self.config(dir.url, "plain", "validation: {seeds: [1]}", log: log)
        let config = try PipelineConfig.load(path: path)
        #expect(config.methods == nil)
        let report = try Pipeline(config: config).run()
        #expect(report.validation?.mixtures.map(\.name) == ["uniform", "ddo-100M", "autoscale"])
        #expect(report.validation?.comparisons.map(\.against) == ["uniform", "ddo-100M"])
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(json["methods"] == nil && json["ranking"] == nil)
        #expect(Self.lines(log) == 27 + 3)
    }

    /// Bad `methods:` entries: one line each, naming the file and the key.
    @Test func badMethodsAreOneLine() throws {
        let dir = try TempDir()
        let log = dir.path("trained.txt")
        let cases: [(String, String)] = [
            ("methods: [autoscale, lightgbm]", "'lightgbm' is not a method (expected one of autoscale, ddo, uniform, natural, dml, bimix, regmix, olmix, doremi; not yet in the pipeline: given)"),
            ("methods: [autoscale, given]", "given is not yet in the pipeline"),
            ("methods: [autoscale, doremi]", "doremi trains inside our proxy trainer: it needs proxy: (not trainer:)"),
            ("methods: [dml, uniform, dml]", "dml is listed twice"),
            ("methods: [{name: uniform, runs: 4}]", "uniform trains no runs (runs: applies to dml, bimix, regmix, olmix)"),
            ("methods: [{name: regmix, runs: 5}]", "regmix needs at least 11 runs for 4 domains (runs: 5)"),
            ("methods: [{name: dml, runs: 5}]", "dml needs at least 6 runs for 4 domains (runs: 5)"),
            ("methods: [{name: dml, runs: two}]", "dml runs: 'two' is not an integer >= 1"),
            ("methods: [{name: dml, seeds: 2}]", "unknown key 'seeds' in an entry (expected name, runs)"),
            ("methods: [{runs: 2}]", "an entry needs name:"),
            ("methods: []", "expected a non-empty list"),
            ("methods: dml", "expected a non-empty list"),
        ]
        for (n, (line, message)) in cases.enumerated() {
            let path = try Self.config(dir.url, "bad\(n)", "validation: {seeds: [1]}\n" + line, log: log)
            do {
                _ = try Pipeline(config: try PipelineConfig.load(path: path))
                Issue.record("\(line): accepted")
            } catch let e as DataMixingError {
                let text = e.description
                #expect(!text.contains("\n") && text.hasPrefix("\(path): methods: ") && text.contains(message), "\(text)")
            }
        }
        // Without validation, and natural without available tokens (no caps, no corpus).
        let noValidation = try Self.config(dir.url, "noval", "methods: [autoscale, uniform]", log: log)
        #expect(throws: DataMixingError.self) { try Pipeline(config: try PipelineConfig.load(path: noValidation)) }
        let path = dir.path("nocaps.yaml")
        try Data(try String(contentsOfFile: try Self.config(dir.url, "nocaps0", "validation: {seeds: [1]}\nmethods: [natural]", log: log), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("caps:") }.joined(separator: "\n").utf8).write(to: path)
        do {
            _ = try Pipeline(config: try PipelineConfig.load(path: path.path))
            Issue.record("natural without caps: accepted")
        } catch let e as DataMixingError {
            #expect(e.description == "\(path.path): methods: natural needs the available tokens: a corpus (its manifest) or caps:")
        }
        #expect(Self.lines(log) == 0, "nothing trained")
    }

    /// The t quantile against scipy: the table to 1e-10, the expansion beyond df 30 within 3e-8.
    @Test func tQuantileMatchesScipy() throws {
        let t = try Fixture.shared(TQuantiles.self, "pipeline/t-quantiles.json")
        #expect(t.p == 0.975 && t.quantiles.count == 46)
        for q in t.quantiles {
            let df = Int(q[0])
            #expect(abs(studentT975(df: df) - q[1]) <= (df <= 30 ? 1e-10 : 3e-8), "df \(df)")
        }
    }
}
