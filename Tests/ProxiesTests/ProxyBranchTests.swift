import Corpus
import Foundation
import Testing
import TestSupport
import Training
@testable import Proxies
import DataMixing

/// GPT-2 proxies on a synthetic corpus: each cooldown branch off one WSD trunk equals the separate run of its
/// budget bit for bit (same process, same BLAS threads), through the real mixture sampler and batch source.
struct ProxyBranchTests {
    static func corpus(_ dir: URL) throws -> TokenStore {
        var o = CorpusBuilder.Options()
        o.validationBytes = 20_000
        try CorpusBuilder(options: o).build(SyntheticSource.specs(bytes: 60_000), out: dir.appendingPathComponent("corpus"))
        let store = try CorpusStore(dir.appendingPathComponent("corpus"))
        var to = BPETrainer.Options(); to.vocabSize = 300
        var bpe = BPETrainer(options: to)
        for d in store.manifest.domains {
            try store.forEachDocument(domain: d.name, split: .train) { bpe.add($0); return true }
        }
        try TokenizerJSON.save(try bpe.train(), to: dir.appendingPathComponent("tok.json"))
        var t = CorpusTokenization(); t.minValidationTokens = 500
        _ = try t.run(corpus: store, tokenizerFile: dir.appendingPathComponent("tok.json"), out: dir.appendingPathComponent("tokens"))
        return try TokenStore(dir.appendingPathComponent("tokens"))
    }

    /// With averaging the trunk runs to the longest length; without, it stops at the longest branch's branch point
    /// (whose data must go on where the trunk's stopped, not wrap to the stream's start).
    @Test(arguments: [true, false]) func branchesEqualSeparateProxyRuns(averaging: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-branches-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try Self.corpus(dir)
        let settings = try JSONDecoder().decode(ProxyConfig.Settings.self, from: Data("""
            {"model": {"arch": "gpt2", "n_layer": 1, "n_embd": 16, "n_head": 2}, "context": 17, "batch_size": 4,
             "eval_tokens": 128}
            """.utf8))
        let recipe = try JSONDecoder().decode(TrainingRecipe.self, from: Data("""
            {"steps": 1, "seed": 3, "evaluation_interval": 5,
             "schedule": {"kind": "wsd", "peak_lr": 3e-3, "warmup_steps": 2, "cooldown_fraction": 0.2},
             "optimizer": {"weight_decay": 0.1}\(averaging ? #", "averaging": {"ema_decay": 0.9}"# : "")}
            """.utf8))
        let proxy = try ProxyTrainer(config: ProxyConfig(settings: settings, recipe: recipe), store: store,
                                     domains: ["digits", "markov-words", "templates"], progress: TrainingProgress(quiet: true))
        let weights = [0.5, 0.3, 0.2], budgets = [800, 1_600, 3_200]
        var branches: [Int: ProxyTrainer.Run] = [:]
        let (plan, outcome) = try proxy.runBranched(weights: weights, budgets: budgets, directory: dir.appendingPathComponent("trunk"),
                                                    trunkLog: dir.appendingPathComponent("trunk.csv"),
                                                    branchLog: { dir.appendingPathComponent("branch-\($0).csv") }) { branches[$0] = $1 }
        #expect(plan.branches.count == 3)
        #expect(plan.trunkSteps == (averaging ? plan.branches[2].steps : plan.branches[2].branchStep))
        #expect(outcome.stepsTrained == plan.trainedSteps && plan.trainedSteps < plan.separateSteps)
        for (i, budget) in budgets.sorted().enumerated() {
            let log = dir.appendingPathComponent("separate-\(i).csv")
            let separate = try proxy.run(weights: weights, budget: budget, log: log)
            let branch = try #require(branches[i])
            #expect(separate.summary.steps == plan.branches[i].steps)
            #expect(branch.summary.losses == Array(separate.summary.losses.suffix(plan.branches[i].cooldownSteps)))
            #expect(branch.losses == separate.losses && branch.losses.count == 3)
            #expect(Array(branch.model.parameters) == Array(separate.model.parameters))
            let strip = { (url: URL) throws -> [[String]] in
                try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
                    var cells = $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    cells.remove(at: 3 + 3 + 1)  // tokens_per_s after step, tokens, lr, train_loss and 3 val columns
                    return cells
                }
            }
            #expect(try strip(dir.appendingPathComponent("branch-\(i).csv")) == (try strip(log)))
            #expect((outcome.trunkEvaluations[plan.branches[i].steps]?.ema.count ?? 0) == (averaging ? 3 : 0))
        }
    }
}
