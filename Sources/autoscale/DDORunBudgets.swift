import Base
import Cluster
import DataMixing
import Foundation
import Proxies

/// `autoscale ddo run --tokens 4k,8k,16k`: DDO at every budget of the list, in `OUT/ddo-<label>/` each.
extension DDORunCommand {
    func runBudgets(_ comm: any Communicator, _ say: RankOutput) throws {
        guard rounds == 1 else { throw FieldError("rounds", "takes one --tokens budget, not a list") }
        let list = try TrainCommand.budgetList(tokens)
        let (one, trainer) = try Cluster.onEveryRank(comm) { () throws -> (DDOExperiment, any RunTrainer) in
            try RankOutput.setThreads(threads, comm)
            return try setUp(comm, say, budget: list[0].tokens)
        }
        let budgets = list.map { DDOBudgets.Budget(label: $0.label, tokens: $0.tokens) }
        let out = URL(fileURLWithPath: self.out), start = Date()
        let lock = try FolderLock.rankZero(out, comm)
        defer { lock?.release() }
        func line(_ text: String) {
            say.runLine(text) { say.progress("ddo \($0) (\(String(format: "%.1f", Date().timeIntervalSince(start)))s)") }
        }
        var ddo = try DDOBudgets(domains: one.plan.domains, budgets: budgets, factors: one.plan.factors,
                                 output: out, settings: one.settings)
        if let hook = one.afterRecord { ddo.afterRecord = { run, _ in hook(run) } }
        let analyses: [DDOAnalysis] = try undoingOnFailure(comm) {
            if let proxy = trainer as? ProxyTrainer {
                let kind = proxy.config.recipe.schedule.kind
                guard kind == "wsd" else {
                    let file = config ?? "the config"
                    throw FieldError("tokens", "a list of budgets needs a proxy config whose schedule is kind: wsd (one "
                                     + "trunk, a cooldown branched at each budget); \(file) has kind: \(kind)")
                }
                say.bar.runTotal = one.plan.runs.count  // one trunk per mixture, a cooldown branched at each budget
                return try ddo.run(trainer: proxy, communicator: comm, progress: line)
            }
            // A user's trainer trains each budget's runs separately (nothing to branch from).
            say.bar.runTotal = ddo.experiments.reduce(0) { $0 + $1.plan.runs.count }
            return try ddo.runSeparately(trainer: trainer, communicator: comm, progress: line)
        }
        say.bar.finish()
        let folders = ddo.experiments.map(\.output)
        guard comm.rank == 0 else { return }
        for a in analyses { DDOArguments.warn(a.result.warnings, quiet: quiet) }
        if json {
            let items = try analyses.map { String(decoding: try $0.result.jsonData(), as: UTF8.self) }
            print("[\n" + items.joined(separator: ",\n") + "\n]")
            return
        }
        for (a, folder) in zip(analyses, folders) {
            let table = try LossTable.read(path: folder.appendingPathComponent("losses.csv").path)
            print("== \(folder.lastPathComponent)")
            print(DDOFitCommand.describe(a, table), terminator: "")
        }
        print("wrote \(self.out)/{" + folders.map(\.lastPathComponent).joined(separator: ",") + "}/, budgets.json")
    }
}
