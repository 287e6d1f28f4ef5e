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

/// The several-rank path of ``distributedMap(count:communicator:_:)`` with ranks as threads
/// (``ThreadCommunicator``): dynamic hand-out, ordered results on every rank, failures shared.
@Suite struct DistributedMapThreadTests {
    static func onRanks<T>(_ ranks: Int, _ body: @escaping @Sendable (ThreadCommunicator) throws -> T) -> [Result<T, any Error>] {
        ThreadCommunicator.run(ranks: ranks, body)
    }

    @Test func everyRankGetsAllResultsInOrder() throws {
        let ranksOfJobs = NSLock()
        nonisolated(unsafe) var ranByRank: [Int: Int] = [:]
        let outcomes = Self.onRanks(3) { comm in
            try distributedMap(count: 25, communicator: comm) { job -> [String: Double] in
                ranksOfJobs.withLock { ranByRank[job, default: 0] += 1 }
                usleep(UInt32(200 * (comm.rank + 1)))
                return ["job": Double(job), "half": Double(job) / 2]
            }
        }
        let expected = (0..<25).map { ["job": Double($0), "half": Double($0) / 2] }
        for o in outcomes { #expect(try o.get() == expected) }
        #expect(ranByRank.count == 25 && ranByRank.values.allSatisfy { $0 == 1 })   // each job ran exactly once
    }

    @Test func aFailureOnOneRankReachesEveryRankWithoutDeadlock() throws {
        let outcomes = Self.onRanks(3) { comm -> (DistributedMapError?, [Int]) in
            var caught: DistributedMapError?
            do {
                _ = try distributedMap(count: 30, communicator: comm) { job -> Int in
                    if job == 11 || job == 17 { throw ClusterError("bad job \(job)\nsecond line") }
                    return job
                }
            } catch let e as DistributedMapError { caught = e }
            // The same ranks map again afterwards: nothing was left half-collective.
            return (caught, try distributedMap(count: 4, communicator: comm) { $0 * 10 })
        }
        var ranks = Set<Int>()
        for o in outcomes {
            let (e, again) = try o.get()
            let error = try #require(e)
            #expect(error.job == 11 && error.message == "bad job 11")   // the lowest failed job, first line only
            ranks.insert(error.rank)
            #expect(again == [0, 10, 20, 30])
        }
        #expect(ranks.count == 1)   // the same error (same failing rank) everywhere
    }

    @Test func onRankZeroSharesTheFailure() throws {
        let outcomes = Self.onRanks(2) { comm in
            try Cluster.onRankZero(comm) { if comm.rank == 0 { throw ClusterError("cannot create /x") } }
        }
        for o in outcomes {
            #expect(throws: SharedError.self) { try o.get() }
            if case .failure(let e) = o { #expect("\(e)" == "cannot create /x") }
        }
    }
}
