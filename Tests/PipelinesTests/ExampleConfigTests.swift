import Foundation
import Testing
import TestSupport
@testable import DataMixing
@testable import Pipelines
import Proxies

/// The shipped configurations under `Docs/examples/` load, and say what `Docs/autoscale.md` and the README
/// say they do (the demo's numbers were measured with exactly these settings).
@Suite struct ExampleConfigTests {
    static let examples = Fixture.root.deletingLastPathComponent().appendingPathComponent("Docs/examples")

    /// Paths inside the configs are relative to the repository root, where `make` runs.
    static func load(_ name: String) throws -> PipelineConfig {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(URL(fileURLWithPath: cwd).standardizedFileURL == examples.deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL,
                "tests run from the repository root")
        return try PipelineConfig.load(path: examples.appendingPathComponent(name).path)
    }

    @Test func demoPipeline() throws {
        let c = try Self.load("demo-pipeline.yaml")
        #expect(c.budgets == [120_000, 240_000, 480_000] && c.target == 960_000 && c.factors == [1.0 / 3, 3])
        #expect(c.settings.evalDomains?.domains == ["code", "manuals"] && c.settings.evalDomains?.weights == [1, 1])
        #expect(c.validation == .init(seeds: [1, 2], evaluations: 5))
        #expect(c.output == "out/demo/pipeline" && c.domains == nil && c.ddoSeeds == nil)
        // AutoScale, the reused 480k DDO weights, uniform, and two fitted methods on the DDO runs (no own runs).
        #expect(c.methods == [.init(.autoscale), .init(.ddo), .init(.uniform), .init(.dml), .init(.bimix)])
        #expect(c.methods?.allSatisfy { $0.ownRuns(domains: 6) == nil } == true)
        // The inline proxy is proxy-tiny with 4x the validation tokens and WSD (20% 1-sqrt cooldown) for its cosine.
        var expected = try ProxyConfig.load(path: Self.examples.appendingPathComponent("proxy-tiny.yaml").path)
        expected.settings.evalTokens = 16_384
        expected.recipe.schedule.kind = "wsd"
        expected.recipe.schedule.cooldownFraction = 0.2
        expected.recipe.schedule.shape = "1-sqrt"
        expected.recipe.schedule.finalFraction = nil
        #expect(c.proxy == expected)
    }

    /// The corpus experiment is the demo with three seeds and every method (regmix at its 22-run minimum for 6
    /// domains, the others on the DDO runs or none).
    @Test func corpusExperiment() throws {
        let c = try Self.load("corpus-experiment.yaml"), demo = try Self.load("demo-pipeline.yaml")
        #expect(c.proxy == demo.proxy && c.budgets == demo.budgets && c.target == demo.target && c.factors == demo.factors)
        #expect(c.settings.evalDomains?.domains == demo.settings.evalDomains?.domains)
        #expect(c.validation == .init(seeds: [1, 2, 3], evaluations: 5) && c.output == "out/demo/experiment")
        #expect(c.methods?.map(\.kind) == [.autoscale, .ddo, .uniform, .natural, .dml, .bimix, .olmix, .regmix, .doremi])
        #expect(c.methods?.compactMap { $0.ownRuns(domains: 6) } == [22])
    }

    /// The trainer example: the simulated trainer of the noisy world in place of a proxy, no corpus, no caps.
    @Test func trainerPipeline() throws {
        let c = try Self.load("trainer-pipeline.yaml")
        #expect(c.trainer == .init(command: "python3 Docs/examples/simulated_trainer.py noisy") && c.proxy == nil)
        #expect(c.corpus == nil && c.caps == nil && c.domains == ["books", "web", "wiki", "code"])
        #expect(c.budgets == [25_000_000, 50_000_000, 100_000_000] && c.target == 1_600_000_000)
        #expect(c.ddoSeeds == [1, 2, 3] && c.validation == .init(seeds: [1, 2], evaluations: 10))
        #expect(c.settings.objective == .meanLoss && c.output == "out/trainer-pipeline")
    }

    /// The rounds example: the same trainer, DDO in up to 12 rounds at each budget, one DDO seed.
    @Test func roundsPipeline() throws {
        let c = try Self.load("rounds-pipeline.yaml")
        #expect(c.trainer == .init(command: "python3 Docs/examples/simulated_trainer.py noisy") && c.proxy == nil)
        #expect(c.rounds == 12 && c.ddoSeeds == nil && c.factors == [1.0 / 3, 3])
        #expect(c.budgets == [25_000_000, 50_000_000, 100_000_000] && c.target == 1_600_000_000)
        #expect(c.settings.objective == .meanLoss && c.output == "out/rounds-pipeline")
    }

    /// The BERT example: a tiny BERT proxy with WSD at three budgets, the mean masked-LM loss of every domain.
    @Test func bertPipeline() throws {
        let c = try Self.load("bert-pipeline.yaml")
        #expect(c.budgets == [60_000, 120_000, 240_000] && c.target == 480_000 && c.factors == [1.0 / 3, 3])
        #expect(c.settings.objective == .meanLoss && c.settings.evalDomains == nil && c.output == "out/bert/pipeline")
        #expect(c.validation == .init(seeds: [1, 2], evaluations: 5))
        let proxy = try #require(c.proxy)
        #expect(proxy.isBert && proxy.settings.context == 64 && proxy.sequenceTokens == 62)
        #expect(proxy.settings.model == .init(arch: "bert", nLayer: 2, nEmbd: 64, nHead: 2))
        #expect(proxy.recipe.schedule.kind == "wsd")
    }

    @Test func allDomainsPipeline() throws {
        let c = try Self.load("all-domains-pipeline.yaml")
        #expect(c.budgets == [120_000, 360_000] && c.target == 1_200_000 && c.settings.evalDomains == nil)
        #expect(c.validation == .init(seeds: [1, 2], evaluations: 10) && c.output == "out/demo/all-domains")
        #expect(c.proxy == (try ProxyConfig.load(path: Self.examples.appendingPathComponent("proxy-tiny.yaml").path)))
    }
}
