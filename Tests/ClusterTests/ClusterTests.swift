import Foundation
import Testing
import TestSupport
@testable import Cluster

@Suite struct ClusterTests {
    @Test func localCommunicatorIsIdentity() throws {
        let c = LocalCommunicator()
        #expect(c.rank == 0 && c.size == 1)
        var x: [Float] = [1, 2, 3]
        try x.withUnsafeMutableBufferPointer { try c.allreduceSum($0) }
        #expect(x == [1, 2, 3])
        #expect(try c.gather([7, 8], root: 0) == [[7, 8]])
        let t = try c.makeTicketCounter()
        #expect(try (0..<4).map { _ in try t.next() } == [0, 1, 2, 3])
        let check = try ClusterSelfCheck.run(c, tickets: 5)
        #expect(check.allreduceOK && check.allreduceDoubleOK && check.broadcastOK && check.ticketsOK)
        #expect(check.ticketsByRank == [[0, 1, 2, 3, 4]])
    }

    @Test func launcherEnvironment() {
        #expect(Cluster.launcherWorldSize(["OMPI_COMM_WORLD_SIZE": "4"]) == 4)
        #expect(Cluster.launcherWorldSize(["PMI_SIZE": "3"]) == 3)
        #expect(Cluster.launcherWorldSize(["SLURM_STEP_NUM_TASKS": "8"]) == 8)
        #expect(Cluster.launcherWorldSize([:]) == nil)
        #expect(Cluster.defaultThreadsPerRank(cores: 8, env: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]) == 4)
        #expect(Cluster.defaultThreadsPerRank(cores: 2, env: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"]) == 1)
        #expect(Cluster.defaultThreadsPerRank(cores: 8, env: ["OPENBLAS_NUM_THREADS": "3", "MPI_LOCALNRANKS": "2"]) == 3)
        #expect(Cluster.defaultThreadsPerRank(cores: 2, env: [:]) == 2)
    }
}
