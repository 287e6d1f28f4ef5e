import Base
import Cluster
import Corpus
import DataMixing
import Foundation
import LinearAlgebra
import Training
import Transformer

/// `autoscale train`: one proxy trained on a mixture, into an output folder written whole or not at all.
///
/// The folder: `log.csv` (the training log), `result.json` (``Result``), `model/` (a Hugging Face GPT-2
/// folder), `proxy.txt` and `run.json` (the ``RunCache`` fingerprint and record). It is staged in a hidden
/// sibling and renamed into place when complete (``StagedDirectory``): a killed run leaves the old folder
/// (or none). A folder that already holds this trainer's finished run of the same quantities is reused as
/// it is (`cached`), through the same run cache as `ddo run` and the pipeline.
public enum TrainRun {
    /// `OUT/result.json` (keys in snake case). Token counts are predicted tokens (Docs/architecture.md).
    public struct Result: Codable, Sendable, Equatable {
        public var domains: [String]
        public var weights: [String: Double]
        /// Requested tokens per domain: the budget split by largest remainder.
        public var tokens: [String: Int]
        public var steps: Int
        /// Predicted tokens trained: steps x batch_size x (context - 1).
        public var trainedTokens: Int
        public var valLoss: [String: Double]
        public var tokensPerSecond: Double
        /// Mean wall-clock seconds of a training step, and of its collectives (0 with one process).
        public var stepSeconds: Double
        public var allreduceSeconds: Double
        public var ranks: Int
        public var threadsPerRank: Int

        public init(domains: [String], weights: [String: Double], tokens: [String: Int], steps: Int, trainedTokens: Int,
                    valLoss: [String: Double], tokensPerSecond: Double, stepSeconds: Double, allreduceSeconds: Double,
                    ranks: Int, threadsPerRank: Int) {
            self.domains = domains; self.weights = weights; self.tokens = tokens; self.steps = steps
            self.trainedTokens = trainedTokens; self.valLoss = valLoss; self.tokensPerSecond = tokensPerSecond
            self.stepSeconds = stepSeconds; self.allreduceSeconds = allreduceSeconds; self.ranks = ranks
            self.threadsPerRank = threadsPerRank
        }

        enum CodingKeys: String, CodingKey {
            case domains, weights, tokens, steps, trainedTokens = "trained_tokens", valLoss = "val_loss"
            case tokensPerSecond = "tokens_per_second", stepSeconds = "step_seconds", allreduceSeconds = "allreduce_seconds"
            case ranks, threadsPerRank = "threads_per_rank"
        }
    }

    /// Trains `trainer` on `mixture` into `out` (or returns the folder's cached result) and returns the
    /// result and whether it was cached. Every rank calls it alike; only rank 0 writes.
    /// `weights` are the mixture as given (normalized); the sampler draws from them (``ProxyTrainer/run(weights:budget:log:communicator:)``),
    /// so a branch of a multi-budget run and a separate run of one budget see the same stream.
    public static func train(_ trainer: ProxyTrainer, weights: [Double], mixture: MixtureBudget, out: URL,
                             communicator: any Communicator = LocalCommunicator()) throws -> (result: Result, cached: Bool) {
        let tokens = Dictionary(uniqueKeysWithValues: zip(mixture.domains, mixture.tokens))
        let existing = RunCache(folder: out)
        let cached: Result? = try Cluster.onEveryRank(communicator) {
            guard (try? String(contentsOf: existing.fingerprintURL, encoding: .utf8)) == trainer.fingerprint + "\n",
                  existing.cached("run", tokens: tokens) != nil,
                  FileManager.default.fileExists(atPath: out.appendingPathComponent("model/config.json").path),
                  let data = try? Data(contentsOf: out.appendingPathComponent("result.json")) else { return nil }
            return try? JSONDecoder().decode(Result.self, from: data)
        }
        if let cached { return (cached, true) }

        let stage = communicator.rank == 0 ? try StagedDirectory(target: out, marker: "result.json") : nil
        do {
            let run = try trainer.run(weights: weights, budget: mixture.total, log: stage?.url("log.csv"), communicator: communicator)
            let s = run.summary
            let result = Result(
                domains: mixture.domains, weights: Dictionary(uniqueKeysWithValues: zip(mixture.domains, weights)),
                tokens: tokens, steps: s.steps, trainedTokens: s.tokens, valLoss: run.losses,
                tokensPerSecond: s.tokensPerSecond, stepSeconds: run.stepSeconds,
                allreduceSeconds: s.steps > 0 ? run.communicationSeconds / Double(s.steps) : 0,
                ranks: communicator.size, threadsPerRank: BLASThreads.count)
            if let stage {
                try Checkpoint.save(run.model, to: stage.url("model"))
                try stage.write(prettyJSON(result), to: "result.json")
                let cache = RunCache(folder: stage.staging)
                try cache.claim(fingerprint: trainer.fingerprint)
                try cache.store(RunRecord(id: "run", tokens: tokens, losses: run.losses))
                try stage.commit()
            }
            return (result, false)
        } catch {
            stage?.abandon()
            throw error
        }
    }
}
