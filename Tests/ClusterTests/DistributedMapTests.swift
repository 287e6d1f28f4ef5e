import Foundation
import Testing
@testable import Cluster

/// ``distributedMap(count:communicator:_:)`` with one process: a plain ordered loop whose errors pass
/// through unchanged. (The several-rank path runs under mpirun in EndToEndTests/DistributedCLITests.)
@Suite struct DistributedMapTests {
    struct Boom: Error, Equatable { var job: Int }

    @Test func localIsAnOrderedLoop() throws {
        var calls: [Int] = []
        let r = try distributedMap(count: 6, communicator: LocalCommunicator()) { i -> String in
            calls.append(i)
            return "job\(i)"
        }
        #expect(calls == [0, 1, 2, 3, 4, 5])
        #expect(r == ["job0", "job1", "job2", "job3", "job4", "job5"])
        #expect(try distributedMap(count: 0, communicator: LocalCommunicator()) { $0 }.isEmpty)
    }

    @Test func localErrorStopsTheLoopAndIsRethrownUnchanged() throws {
        var calls: [Int] = []
        #expect(throws: Boom(job: 2)) {
            _ = try distributedMap(count: 5, communicator: LocalCommunicator()) { i -> Int in
                calls.append(i)
                if i >= 2 { throw Boom(job: i) }
                return i
            }
        }
        #expect(calls == [0, 1, 2])
    }

    @Test func selfCheckReportsAnInjectedFailure() throws {
        let c = try ClusterSelfCheck.run(LocalCommunicator(), tickets: 8, failJob: 3)
        #expect(c.mapOK && c.mapFailureOK)
        #expect(c.mapFailure == "self-check failure injected at job 3")
        let plain = try ClusterSelfCheck.run(LocalCommunicator(), tickets: 8)
        #expect(plain.mapOK && plain.mapFailureOK && plain.mapFailure == nil)
    }

    @Test func errorsAreOneLineAndSharedOnlyWithSeveralRanks() throws {
        let e = DistributedMapError(job: 4, rank: 1, message: "disk full")
        #expect(e.description == "job 4 failed on rank 1: disk full")
        #expect(_oneLine(ClusterError("first\nsecond")) == "first")
        // One process: onEveryRank passes the error through as it is.
        #expect(throws: Boom(job: 1)) { try Cluster.onEveryRank(LocalCommunicator()) { throw Boom(job: 1) } }
        #expect(SharedError(ClusterError("x\ny")).description == "x")
    }
}
