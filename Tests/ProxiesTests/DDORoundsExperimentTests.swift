import DataMixing
import Foundation
import Proxies
import Testing
import TestSupport

/// DDO rounds through the run cache: what `ddo run --rounds` calls.
@Suite struct DDORoundsExperimentTests {
    let ref: SimulatedWorlds
    init() throws { ref = try SimulatedWorlds.shared() }
    static let rounds = DDORoundsSettings.converging

    /// The round-level entry point with a ``DDOExperiment`` per round (`<out>/round-<r>/`, what `ddo run`
    /// would call) gives the same bits as the per-run closure, and caches every round's runs in its folder.
    @Test func experimentPerRound() throws {
        let world = try #require(ref.worlds.first { $0.name == "noisy" })
        let budget = Int(ref.budgets[0])
        let direct = try DDORounds.run(domains: world.domains, budget: budget, ddo: DDOSettings(objective: .meanLoss),
                                       settings: Self.rounds) { run in world.train(tokens: run.tokens, id: run.id, seed: 2, unit: ref.unit) }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let viaExperiment = try DDORounds.run(domains: world.domains, budget: budget, settings: Self.rounds) { r, plan in
            try DDOExperiment(plan: plan, output: dir.appendingPathComponent("round-\(r)"), settings: DDOSettings(objective: .meanLoss))
                .run { run in world.train(tokens: run.tokens, id: "round-\(r)/\(run.id)", seed: 2, unit: ref.unit) }
        }
        #expect(direct.weights == viaExperiment.weights && direct.rounds.count == viaExperiment.rounds.count)
        let last = viaExperiment.rounds.count
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("round-\(last)/runs/base.json").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("round-\(last)/result.json").path))
    }

}
