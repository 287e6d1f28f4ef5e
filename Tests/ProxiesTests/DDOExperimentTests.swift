import Foundation
import Testing
import TestSupport
@testable import DataMixing
import Proxies

@Suite struct DDOExperimentTests {
    /// A stand-in trainer: validation loss of each domain falls with a mix of the training quantities.
    final class FakeTrainer: @unchecked Sendable {
        var calls: [String] = []
        func train(_ run: DDOPlan.Run) -> [String: Double] {
            calls.append(run.id)
            let n = run.tokens.map(Double.init)
            return ["p": 2 + 30 * Foundation.pow(n[0] + 0.2 * n[1], -0.3), "q": 1.5 + 20 * Foundation.pow(0.3 * n[0] + n[1], -0.25)]
        }
    }

    func scratch() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("ddo-exp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// First run trains all 2m+1 runs; a rerun trains none; deleting one cache file retrains just that run;
    /// extending the factors trains only the new runs. The written result.json decodes to the analysis' result,
    /// which equals a fresh analysis of the in-memory table.
    @Test func cachesResumesAndExtends() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = FakeTrainer()
        let plan = try DDOPlan(domains: ["p", "q"], budget: 20000)
        let exp = DDOExperiment(plan: plan, output: dir)
        let first = try exp.run { trainer.train($0) }
        #expect(trainer.calls.count == 5)
        let again = try exp.run { trainer.train($0) }
        #expect(trainer.calls.count == 5)
        #expect(again.allocation == first.allocation)
        try FileManager.default.removeItem(at: exp.cache.url(plan.runs[3].id))
        _ = try exp.run { trainer.train($0) }
        #expect(trainer.calls.suffix(1) == [plan.runs[3].id])
        let wider = DDOExperiment(plan: try DDOPlan(domains: ["p", "q"], budget: 20000, factors: [1.0 / 3, 0.5, 2, 3]), output: dir)
        let extended = try wider.run { trainer.train($0) }
        #expect(trainer.calls.count == 6 + 4)
        #expect(extended.fits.allSatisfy { $0.x.count == 5 })
        let written = try MixtureResult.read(path: wider.resultURL.path)
        #expect(written == extended.result)
        #expect(written.objective == "mean-ppl")
        let reread = try DDO.analyze(LossTable.read(path: wider.lossesURL.path))
        #expect(reread.result == written)
    }

    /// A trainer that fails midway leaves the finished runs cached and no losses.csv/result.json; the rerun
    /// trains only the rest.
    @Test func interruptedRunRestartsCleanly() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = FakeTrainer()
        let plan = try DDOPlan(domains: ["p", "q"], budget: 20000)
        let exp = DDOExperiment(plan: plan, output: dir)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try exp.run { run in
                if run.id == plan.runs[2].id { throw Stop() }
                return trainer.train(run)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: exp.resultURL.path))
        #expect(trainer.calls.count == 2)
        _ = try exp.run { trainer.train($0) }
        #expect(trainer.calls.suffix(3) == plan.runs[2...].map(\.id))
    }
}
