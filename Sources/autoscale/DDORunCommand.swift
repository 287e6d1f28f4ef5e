import ArgumentParser
import Base
import Cluster
import Corpus
import DataMixing
import Proxies
import Foundation
import Training

/// `autoscale ddo run`: plans a DDO at one budget, trains a GPT-2 or BERT proxy per run on the corpus (cached in
/// OUT/runs, resumable), and writes OUT/losses.csv and OUT/result.json.
struct DDORunCommand: RankedCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train the DDO runs of one budget with a proxy model, then fit and allocate (losses.csv, result.json).",
        discussion: """
            --corpus is a token folder (manifest.json from `corpus tokenize`) or a corpus folder holding one in \
            tokens/. Every run trains the proxy of --config from the same seed and evaluates every domain's \
            validation split. Finished runs are cached in OUT/runs/: rerunning skips them, so an interrupted DDO \
            resumes, and new --factors add runs. See Docs/autoscale.md.
            """)

    @Option(help: "Token folder, or a corpus folder with tokens/ inside (with --config).") var corpus: String?
    @Option(help: "Proxy config YAML (see Docs/examples/proxy-tiny.yaml), trained on --corpus.") var config: String?
    @Option(help: ArgumentHelp("Your own trainer instead of the proxy: run with /bin/sh -c once per run, the run's spec as JSON on stdin, the last stdout line {\"losses\": {...}} (Docs/autoscale.md, \"Any trainer\"); needs --domains.",
                               valueName: "command"))
    var trainerCommand: String?
    @Option(help: "Token budget of the base run, e.g. 300000 or 300k; a list 120k,240k,480k runs DDO at each (OUT/ddo-<budget>/, budgets.json): with a wsd proxy every mixture is one trunk with a cooldown branched at each budget.")
    var tokens: String
    @Option(help: "Perturbation factors, e.g. 1/3,3 (default) or 0.25,0.5,2,4.") var factors: String = "1/3,3"
    @Option(help: "Domains to mix: d1,d2,... (default: every domain of the token folder; required with --trainer-command).")
    var domains: String?
    @Option(help: "Seed of the proxy's weights and data order (default: the config's seed, else 0).") var seed: UInt64?
    @Option(help: "Output folder (runs/, losses.csv, result.json).") var out: String
    @Option(help: "mean-ppl (default) or mean-loss.") var objective: String?
    @Option(help: "Validation domains of the objective: d1,d2 or d1=w1,d2=w2 (default: every domain, equal weights).")
    var evalDomains: String?
    @Option(help: "OpenBLAS threads per process (default: OPENBLAS_NUM_THREADS, else cores / MPI ranks on the node).")
    var threads: Int?
    @Option(help: "DDO in rounds: up to N rounds, each re-centred on the last optimum with a shrinking trust region (Docs/autoscale.md, \"DDO in rounds\"); each round in OUT/round-<r>/. 1 (default) is one-shot DDO.")
    var rounds: Int = 1
    @Flag(help: "Print the result as JSON.") var json = false
    @Flag(help: "No progress or warnings on stderr.") var quiet = false

    /// Test hook (see Docs/cluster.md): with `AUTOSCALE_TEST_KILL_AFTER_RUNS=N`, rank 1 of an MPI job kills
    /// itself with SIGKILL right after writing the record of the N-th run it trained.
    static let killAfterRunsVariable = "AUTOSCALE_TEST_KILL_AFTER_RUNS"

    func run(_ comm: any Communicator) throws {
        let say = RankOutput(comm, quiet: quiet)
        defer { say.bar.finish() }
        if tokens.contains(",") { return try runBudgets(comm, say) }
        let (ddo, trainer) = try Cluster.onEveryRank(comm) {
            try RankOutput.setThreads(threads, comm)
            return try setUp(comm, say, budget: Int(try DDOArguments.tokens(tokens, option: "--tokens").rounded()))
        }
        let lock = try FolderLock.rankZero(URL(fileURLWithPath: out), comm)
        defer { lock?.release() }
        if rounds != 1 { return try undoingOnFailure(comm) { try runRounds(ddo, trainer, comm, say) } }
        let start = Date()
        say.bar.runTotal = ddo.plan.runs.count
        let analysis = try undoingOnFailure(comm) {
            try ddo.run(trainer: trainer, communicator: comm) { line in
                say.runLine(line) { say.progress("ddo \($0) (\(String(format: "%.1f", Date().timeIntervalSince(start)))s)") }
            }
        }
        say.bar.finish()
        guard comm.rank == 0 else { return }
        let result = analysis.result
        DDOArguments.warn(result.warnings, quiet: quiet)
        let table = try LossTable.read(path: ddo.lossesURL.path)
        try DDOArguments.emit(result, json: json, output: nil) { DDOFitCommand.describe(analysis, table) }
    }

    /// Runs `body` (holding the lock of --out); when it throws, rank 0 removes what it created in --out if that is
    /// only the run caches' fingerprints and empty folders, i.e. no run finished (Base's ``FailureCleanup``).
    func undoingOnFailure<T>(_ comm: any Communicator, _ body: () throws -> T) throws -> T {
        let cleanup = comm.rank == 0 ? FailureCleanup(root: URL(fileURLWithPath: out), disposable: [RunCache.fingerprintFile]) : nil
        do { return try body() } catch {
            cleanup?.clean()
            throw error
        }
    }

    /// Counts the runs a rank trained (the kill hook's state; one rank, one thread).
    final class Counter: @unchecked Sendable { var value = 0 }

    /// Options, config, corpus and the plan at `budget`: the same on every rank. The experiment carries the
    /// kill hook on rank 1 of an MPI job when ``killAfterRunsVariable`` is set.
    func setUp(_ comm: any Communicator, _ say: RankOutput, budget: Int) throws -> (DDOExperiment, any RunTrainer) {
        let settings = DDOSettings(objective: try objective.map(DDOArguments.objective),
                                   evalDomains: try evalDomains.map { try DDOObjective.parseDomains($0) })
        let listed = try domains.map { try DDOObjective.parseDomains($0, field: "domains").domains }
        let trainer: any RunTrainer
        if let trainerCommand {
            guard corpus == nil, config == nil else {
                throw FieldError("trainer_command", "trains the runs itself; give it without --corpus and --config")
            }
            guard let listed else { throw FieldError("domains", "is required with --trainer-command (d1,d2,...)") }
            trainer = try CommandTrainer(command: trainerCommand, domains: listed, seed: seed ?? 0, quiet: quiet)
        } else {
            guard let corpus, let config else {
                throw FieldError("config", "give --corpus and --config (our proxy) or --trainer-command (yours)")
            }
            var proxy = try ProxyConfig.load(path: config)
            if let seed { proxy.recipe.seed = seed }
            let store = try TokenStore(resolving: corpus)
            let names = listed ?? store.manifest.domains.map(\.name)
            for d in names { _ = try store.manifest.domain(d) }
            try DDOArguments.checkMemory(proxy, vocabSize: store.manifest.tokenizer.vocabSize)
            try DDOArguments.checkEvalDomains(settings.evalDomains?.domains, evaluated: names)
            trainer = try ProxyTrainer(config: proxy, store: store, domains: names, progress: say.training(every: 50))
            if comm.rank == 0 && !quiet {
                for w in try DDOArguments.evalTokenWarnings(proxy, store: store, domains: names) { say.progress(w) }
            }
        }
        let plan = try DDOPlan(domains: trainer.domains, budget: budget, factors: try DDOArguments.factors(factors))
        var experiment = DDOExperiment(plan: plan, output: URL(fileURLWithPath: out), settings: settings)
        if comm.size > 1, comm.rank == 1, let n = ProcessInfo.processInfo.environment[Self.killAfterRunsVariable].flatMap(Int.init) {
            let trained = Counter()
            experiment.afterRecord = { run in
                trained.value += 1
                guard trained.value >= n else { return }
                FileHandle.standardError.write(Data("rank 1: \(Self.killAfterRunsVariable)=\(n): killed after run \(run.id)\n".utf8))
                raise(SIGKILL)
            }
        }
        return (experiment, trainer)
    }

    /// `--rounds N`: ``DDORoundsRun`` with ``DDORoundsSettings/converging`` (at most N rounds), each round in
    /// `OUT/round-<r>/`, then `OUT/result.json` and `OUT/rounds.json`.
    func runRounds(_ ddo: DDOExperiment, _ trainer: any RunTrainer, _ comm: any Communicator, _ say: RankOutput) throws {
        guard rounds >= 1 else { throw FieldError("rounds", "must be at least 1, got \(rounds)") }
        guard factors == "1/3,3" else { throw FieldError("factors", "do not apply with --rounds (each round sets its own trust region)") }
        var settings = DDORoundsSettings.converging
        settings.maxRounds = rounds
        var engine = DDORoundsRun(domains: ddo.plan.domains, budget: ddo.plan.budget, output: ddo.output,
                                  settings: ddo.settings, rounds: settings)
        engine.afterRecord = ddo.afterRecord
        let start = Date()
        let (result, out) = try engine.run(trainer: trainer, communicator: comm) { line in
            say.runLine(line) { say.progress("ddo \($0) (\(String(format: "%.1f", Date().timeIntervalSince(start)))s)") }
        }
        say.bar.finish()
        guard comm.rank == 0 else { return }
        DDOArguments.warn(out.warnings, quiet: quiet)
        try DDOArguments.emit(out, json: json, output: nil) {
            let rows = result.rounds.enumerated().map { r, round in
                ["\(r + 1)", String(format: "%.4g", round.factor), String(format: "%.4g", round.move)]
                    + round.weights.map { String(format: "%.4f", $0) }
            } + [["answer (\(result.answer.rawValue))", "", ""] + result.weights.map { String(format: "%.4f", $0) }]
            return "DDO in rounds at \(ddo.plan.budget) tokens: \(result.rounds.count) rounds, \(result.runCount) runs, "
                + (result.converged ? "converged" : "not converged") + "\n"
                + DDOArguments.table(["round", "factor", "move"] + result.domains, rows)
        }
    }
}
