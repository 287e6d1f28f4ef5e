import Cluster
import Foundation
import Testing
@testable import DataMixing
import Proxies

/// ``DDOExperiment/run(communicator:progress:train:)`` over 3 ranks simulated by threads
/// (`Cluster.ThreadCommunicator`): the same bytes as one process, and a run failing on one rank reaches
/// every rank as one line naming the run and the rank, with a resumable cache. (The MPI path runs end to
/// end in EndToEndTests/DistributedCLITests.)
@Suite struct DistributedDDOTests {
    /// A deterministic stand-in trainer (losses fall with a mix of the quantities).
    static func losses(_ run: DDOPlan.Run) -> [String: Double] {
        let n = run.tokens.map(Double.init)
        return ["p": 2 + 30 * Foundation.pow(n[0] + 0.2 * n[1], -0.3), "q": 1.5 + 20 * Foundation.pow(0.3 * n[0] + n[1], -0.25)]
    }

    static func scratch() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("ddo-dist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static func files(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for sub in ["", "runs/"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path) where name != "runs" {
                out[sub + name] = try Data(contentsOf: dir.appendingPathComponent(sub + name))
            }
        }
        return out
    }

    @Test func threeRanksWriteTheBytesOfOneProcess() throws {
        let one = try Self.scratch(), many = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: one); try? FileManager.default.removeItem(at: many) }
        let plan = try DDOPlan(domains: ["p", "q"], budget: 20000, factors: [0.25, 0.5, 2, 4])
        let reference = try DDOExperiment(plan: plan, output: one).run { Self.losses($0) }
        let outcomes = ThreadCommunicator.run(ranks: 3) { comm in
            try DDOExperiment(plan: plan, output: many).run(communicator: comm) { Self.losses($0) }.result
        }
        for o in outcomes { #expect(try o.get() == reference.result) }
        let a = try Self.files(one), b = try Self.files(many)
        #expect(a.count == 2 + 9 && a.keys.sorted() == b.keys.sorted())
        for (name, data) in a { #expect(b[name] == data, "\(name)") }
    }

    @Test func aRunFailingOnOneRankIsOneSharedLineAndTheRerunResumes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try DDOPlan(domains: ["p", "q"], budget: 20000)
        let bad = plan.runs[3].id
        struct Broken: Error, CustomStringConvertible { var description: String { "proxy diverged" } }
        let failed = ThreadCommunicator.run(ranks: 2) { comm in
            try DDOExperiment(plan: plan, output: dir).run(communicator: comm) { run in
                if run.id == bad { throw Broken() }
                return Self.losses(run)
            }
        }
        var messages = Set<String>()
        for o in failed {
            #expect(throws: SharedError.self) { try o.get() }
            if case .failure(let e) = o { messages.insert("\(e)") }
        }
        #expect(messages.count == 1)
        let line = try #require(messages.first)
        #expect(line.hasPrefix("run 4/5 \(bad) failed on rank ") && line.hasSuffix(": proxy diverged"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("losses.csv").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/\(bad).json").path))

        let trained = NSLock()
        nonisolated(unsafe) var retrained: [String] = []
        let resumed = ThreadCommunicator.run(ranks: 2) { comm in
            try DDOExperiment(plan: plan, output: dir).run(communicator: comm) { run in
                trained.withLock { retrained.append(run.id) }
                return Self.losses(run)
            }.result
        }
        let fresh = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: fresh) }
        let reference = try DDOExperiment(plan: plan, output: fresh).run { Self.losses($0) }
        for o in resumed { #expect(try o.get() == reference.result) }
        // The other rank finished every other run before the failure was shared: only the failed run is retrained.
        #expect(retrained == [bad])
    }
}
