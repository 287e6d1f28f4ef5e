import Base
import Cluster
import Corpus
import DataMixing
import Proxies
import Foundation
import LinearAlgebra
import Training
import Transformer

/// `autoscale train --tokens 12k,24k,48k`: one WSD trunk, a cooldown branched at each budget.
extension TrainCommand {
    /// `OUT/branches.json`.
    struct BranchesSummary: Codable {
        struct Budget: Codable {
            var label: String
            var tokens: Int
            var steps: Int
            var branchStep: Int
            var cooldownSteps: Int
            var valLoss: [String: Double]
            /// The trunk (constant rate, no cooldown) at this budget's length; empty when it did not get there.
            var trunkValLoss: [String: Double]
            var swaValLoss: [String: Double]
            var emaValLoss: [String: Double]
            enum CodingKeys: String, CodingKey {
                case label, tokens, steps, branchStep = "branch_step", cooldownSteps = "cooldown_steps", valLoss = "val_loss"
                case trunkValLoss = "trunk_val_loss", swaValLoss = "swa_val_loss", emaValLoss = "ema_val_loss"
            }
        }
        var budgets: [Budget]
        var trunkSteps: Int
        /// Optimizer steps of the trunk plus the cooldowns, and of separate runs of every budget.
        var trainedSteps: Int
        var separateSteps: Int
        /// Steps trained by this invocation (less after a resume) and its wall-clock seconds.
        var stepsThisRun: Int
        var seconds: Double
        enum CodingKeys: String, CodingKey {
            case budgets, trunkSteps = "trunk_steps", trainedSteps = "trained_steps", separateSteps = "separate_steps"
            case stepsThisRun = "steps_this_run", seconds
        }
    }

    /// The budgets of a `--tokens` list: labels as given (the output subfolders), distinct and positive.
    static func budgetList(_ spec: String) throws -> [(label: String, tokens: Int)] {
        let labels = spec.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen: Set<Int> = []
        return try labels.map { label in
            guard !label.isEmpty, !label.contains("/"), !label.hasPrefix(".") else {
                throw DataMixingError.invalidInput(location: "--tokens", message: "'\(spec)' has an empty or malformed budget '\(label)'")
            }
            let n = Int(try DDOArguments.tokens(label, option: "--tokens").rounded())
            guard seen.insert(n).inserted else {
                throw DataMixingError.invalidInput(location: "--tokens", message: "budget \(label) (\(n) tokens) is listed twice")
            }
            return (label, n)
        }
    }

    func runBranches(_ comm: any Communicator) throws {
        let start = Date()
        let say = RankOutput(comm, quiet: quiet || comm.rank != 0)
        defer { say.bar.finish() }
        let (trainer, mix, list) = try Cluster.onEveryRank(comm) { () throws -> (ProxyTrainer, Mixture, [(label: String, tokens: Int)]) in
            try RankOutput.setThreads(threads, comm)
            let proxy = try loadProxy(comm)
            let budgets = try Self.budgetList(tokens).sorted { $0.tokens < $1.tokens }
            let store = try TokenStore(resolving: corpus)
            let domains = try Self.mixture(weights, store: store, tokens: 1)
            try prepare(proxy, store: store, domains: domains.budget.domains, say: say)
            let proxyTrainer = try ProxyTrainer(config: proxy, store: store, domains: domains.budget.domains,
                                                progress: say.training(every: 10))
            do { _ = try proxyTrainer.cooldownPlan(weights: domains.weights, budgets: budgets.map(\.tokens)) } catch let e as TrainingError {
                throw DataMixingError.invalidInput(location: "--tokens \(tokens)", message: "\(config): \(e)")
            }
            return (proxyTrainer, domains, budgets)
        }
        let mixWeights = mix.weights, names = mix.budget.domains
        let out = URL(fileURLWithPath: self.out), fm = FileManager.default
        let trunkDir = out.appendingPathComponent("trunk")
        let lock = try FolderLock.rankZero(out, comm)
        defer { lock?.release() }
        try Cluster.onRankZero(comm) { try fm.createDirectory(at: trunkDir, withIntermediateDirectories: true) }
        try comm.barrier()
        func final(_ i: Int) -> URL { out.appendingPathComponent(list[i].label) }
        // Each budget's folder is staged whole (Base's StagedDirectory: log, model, result) and renamed into place.
        final class Stages { var byBranch: [Int: StagedDirectory] = [:] }
        let stages = Stages()
        func stage(_ i: Int) throws -> StagedDirectory {
            if let st = stages.byBranch[i] { return st }
            let st = try StagedDirectory(target: final(i), marker: "result.json")
            stages.byBranch[i] = st
            return st
        }
        // A failure abandons the budgets' staged folders (no hidden `.<budget>.partial-<pid>` is left behind).
        defer { for st in stages.byBranch.values { st.abandon() } }
        let (plan, outcome) = try trainer.runBranched(
            weights: mixWeights, budgets: list.map(\.tokens), directory: trunkDir, trunkLog: trunkDir.appendingPathComponent("log.csv"),
            branchLog: { i in
                guard comm.rank == 0 else { return nil }
                return (try? stage(i))?.url("log.csv")
            }, communicator: comm,
            isFinished: { fm.fileExists(atPath: final($0).appendingPathComponent("result.json").path) },
            finish: { i, run in
                guard comm.rank == 0 else { return }
                let s = run.summary
                let q = try MixtureBudget(domains: names, weights: mixWeights, total: list[i].tokens)
                let result = TrainRun.Result(
                    domains: names, weights: Dictionary(uniqueKeysWithValues: zip(names, mixWeights)),
                    tokens: Dictionary(uniqueKeysWithValues: zip(names, q.tokens)), steps: s.steps, trainedTokens: s.tokens,
                    valLoss: run.losses, tokensPerSecond: s.tokensPerSecond, stepSeconds: run.stepSeconds,
                    allreduceSeconds: s.steps > 0 ? run.communicationSeconds / Double(s.steps) : 0,
                    ranks: comm.size, threadsPerRank: BLASThreads.count)
                let st = try stage(i)
                try HFModelFolder.save(run.model, tokenizer: trainer.store.tokenizerURL, to: st.url("model"))
                try st.write(prettyJSON(result), to: "result.json")
                try st.commit()
                stages.byBranch[i] = nil
            })
        say.bar.finish()
        guard comm.rank == 0 else { return }
        var budgets: [BranchesSummary.Budget] = []
        for (i, b) in plan.branches.enumerated() {
            let r = try JSONDecoder().decode(TrainRun.Result.self, from: Data(contentsOf: final(i).appendingPathComponent("result.json")))
            let e = outcome.trunkEvaluations[b.steps]
            budgets.append(.init(label: list[i].label, tokens: list[i].tokens, steps: b.steps, branchStep: b.branchStep,
                                 cooldownSteps: b.cooldownSteps, valLoss: r.valLoss, trunkValLoss: e?.raw ?? [:],
                                 swaValLoss: e?.swa ?? [:], emaValLoss: e?.ema ?? [:]))
        }
        let summary = BranchesSummary(budgets: budgets, trunkSteps: plan.trunkSteps, trainedSteps: plan.trainedSteps,
                                      separateSteps: plan.separateSteps, stepsThisRun: outcome.stepsTrained,
                                      seconds: Date().timeIntervalSince(start))
        let data = try prettyJSON(summary)
        try AtomicFile.write(data, to: out.appendingPathComponent("branches.json"))
        if json { print(String(decoding: data, as: UTF8.self)); return }
        print("one trunk of \(plan.trunkSteps) steps + cooldowns: \(plan.trainedSteps) steps for \(budgets.count) budgets "
              + "(separate runs: \(plan.separateSteps); this invocation \(outcome.stepsTrained)), "
              + String(format: "%.1f s", summary.seconds))
        func mean(_ m: [String: Double]) -> String { m.isEmpty ? "-" : String(format: "%.4f", m.values.reduce(0, +) / Double(m.count)) }
        print("  budget  steps  branch@  mean val loss  trunk  swa  ema")
        for b in budgets {
            print("  \(b.label)  \(b.steps)  \(b.branchStep)  \(mean(b.valLoss))  \(mean(b.trunkValLoss))  \(mean(b.swaValLoss))  \(mean(b.emaValLoss))")
        }
        print("wrote \(self.out)/<budget>/{log.csv,result.json,model/}, trunk/log.csv, branches.json")
    }
}
