import Base
import ArgumentParser
import Cluster
import DataMixing
import Pipelines
import Proxies
import Foundation
import Training

/// `autoscale pipeline CONFIG.yaml`: DDO at each small budget, the AutoScale prediction at the target, optional
/// validation trainings at the target, and a report folder (report.json, report.html, the CSV logs).
struct PipelineCommand: RankedCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "The whole AutoScale job from one file: DDOs at small budgets, the prediction, validation at the target, a report.",
        discussion: """
            CONFIG.yaml names the corpus, the proxy model (or `trainer: {command: ...}`, your own trainer behind \
            the ddo run --trainer-command protocol), the small budgets, the target budget and the optional \
            validation seeds (see Docs/autoscale.md and Docs/examples/demo-pipeline.yaml). With a wsd proxy every \
            DDO mixture is one trunk with a cooldown branched at each budget. Every finished \
            training is cached in the report folder, so an interrupted pipeline resumes where it stopped. Under \
            `mpirun -np K` the trainings are spread over the ranks (see Docs/cluster.md).
            """)

    @Argument(help: "Pipeline config YAML.") var config: String
    @Option(help: "Override the config's corpus folder.") var corpus: String?
    @Option(help: "Override the config's report folder (out).") var out: String?
    @Option(help: "OpenBLAS threads per process (default: OPENBLAS_NUM_THREADS, else cores / MPI ranks on the node).")
    var threads: Int?
    @Flag(help: "Print report.json instead of the tables.") var json = false
    @Flag(help: "Show every training's step and evaluation lines on stderr.") var verbose = false
    @Flag(help: "No progress or warnings on stderr.") var quiet = false

    func run(_ comm: any Communicator) throws {
        let say = RankOutput(comm, quiet: quiet)
        defer { say.bar.finish() }
        let pipeline = try Cluster.onEveryRank(comm) {
            try RankOutput.setThreads(threads, comm)
            var settings = try PipelineConfig.load(path: config)
            if let corpus { settings.corpus = corpus }
            if let out { settings.output = out }
            let pipeline = try Pipeline(config: settings)
            do {
                // The proxy's memory and validation tokens (a user's trainer command is on its own).
                if let proxy = settings.proxy, let store = pipeline.store {
                    try DDOArguments.checkMemory(proxy, vocabSize: store.manifest.tokenizer.vocabSize)
                }
                try DDOArguments.checkEvalDomains(settings.settings.evalDomains?.domains, evaluated: pipeline.domains)
            } catch let e as FieldError {
                throw DataMixingError.invalidInput(location: config, message: "\(e.field): \(e.message)")
            }
            if comm.rank == 0 && !quiet, let proxy = settings.proxy, let store = pipeline.store {
                for w in try DDOArguments.evalTokenWarnings(proxy, store: store, domains: pipeline.domains) {
                    say.progress(w)
                }
            }
            return pipeline
        }
        let start = Date()
        pipeline.communicator = comm
        pipeline.progress = { line in
            say.runLine(line) { say.progress("pipeline \($0) (\(String(format: "%.0f", Date().timeIntervalSince(start)))s)") }
        }
        pipeline.training = verbose ? say.training(every: 100) : TrainingProgress(quiet: true, bar: say.bar)
        say.bar.runTotal = pipeline.plannedRuns
        pipeline.quietTrainer = quiet
        let lock = try FolderLock.rankZero(URL(fileURLWithPath: pipeline.config.output), comm)
        defer { lock?.release() }
        let report = try pipeline.run()
        say.bar.finish()
        guard comm.rank == 0 else { return }
        DDOArguments.warn(report.warnings, quiet: quiet)
        if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            print(Self.describe(report), terminator: "")
            print("report: \(pipeline.reportPage.path)")
        }
    }

    /// The weights table and, with validation, the comparison table at the target.
    static func describe(_ r: PipelineReport) -> String {
        let f4 = { (v: Double) in String(format: "%.4f", v) }
        var text = "Optimal weights (DDO at the small budgets, AutoScale at the target)\n"
        let header = ["budget"] + r.domains
        var rows = r.ddo.map { e in ["DDO \(TokenCount.label(e.budget))"] + r.domains.map { f4(e.result.weights[$0]!) } }
        rows.append(["AutoScale \(TokenCount.label(r.target))"] + r.domains.map { f4(r.prediction.weights[$0]!) })
        text += DDOArguments.table(header, rows)
        guard let v = r.validation else { return text }
        text += "\nValidation loss at \(TokenCount.label(r.target)) tokens (nats/token, mean over seeds "
            + v.seeds.map(String.init).joined(separator: ", ") + ")\n"
        let sd = v.seeds.count > 1
        text += DDOArguments.table(["mixture"] + r.domains + ["mean"] + (sd ? ["sd"] : []), v.summaries.map { s in
            [s.mixture] + r.domains.map { f4(s.losses[$0]!) } + [f4(s.meanLoss)] + (sd ? [f4(s.meanLossSD)] : [])
        })
        for c in v.comparisons {
            text += "\n\(c.mixture) - \(c.against): " + String(format: "%+.4f", c.meanDifference)
                + " mean loss (per seed " + c.differences.map { String(format: "%+.4f", $0) }.joined(separator: ", ") + "), "
                + "lower on \(c.wins)/\(c.differences.count) seeds; "
                + (c.differences.count < 2 ? "one seed: the noise is not measured"
                   : c.significant ? String(format: "outside the seed noise (2 x standard error = %.4f)", 2 * c.standardError)
                   : String(format: "inside the seed noise (2 x standard error = %.4f)", 2 * c.standardError))
        }
        if let ranking = r.ranking, let methods = r.methods { text += "\n" + Self.describe(ranking, methods, r) }
        return text + "\n"
    }

    /// The methods' ranking: mean objective over the seeds, the paired differences against uniform and AutoScale
    /// (mean [95% t-interval], `*` when the interval excludes 0: outside the seed noise), proxy runs and tokens.
    static func describe(_ ranking: [PipelineReport.RankedMethod], _ methods: [PipelineReport.MethodEntry],
                         _ r: PipelineReport) -> String {
        let seeds = r.validation?.seeds.count ?? 0
        var text = "\nMethods ranked by mean \(r.objective) at \(TokenCount.label(r.target)) tokens over \(seeds) seed"
            + (seeds == 1 ? "" : "s") + " (differences paired by seed, mean [95% t-interval]; * outside the seed noise)\n"
        func pair(_ p: PipelineReport.PairedDifference?) -> String {
            guard let p else { return "-" }
            guard let lo = p.lower, let hi = p.upper else { return String(format: "%+.4f", p.mean) }
            return String(format: "%+.4f [%+.4f, %+.4f]", p.mean, lo, hi) + (p.insideNoise == false ? " *" : "")
        }
        text += DDOArguments.table(["rank", "method", "objective", "sd", "vs uniform", "vs autoscale", "fitted at",
                                    "proxy runs", "proxy tokens", "seconds"], ranking.map { row in
            let m = methods.first { $0.method == row.method }!
            return ["\(row.rank)", row.method, String(format: "%.4f", row.meanObjective), String(format: "%.4f", row.sdObjective),
                    pair(row.vsUniform), pair(row.vsAutoscale),
                    m.fittedAt.map { TokenCount.label($0) + (m.extrapolated ? " (extrapolated)" : "") } ?? "-",
                    "\(m.proxyRuns)" + (m.reusesDDORuns ? " (DDO's)" : ""), "\(m.proxyTokens)", String(format: "%.1f", m.seconds)]
        })
        return text
    }
}
