import Foundation
import Testing
import TestSupport

/// MPI end-to-end tests: run only when mpirun is installed and the binary was built with the MPI trait
/// (`make test` installs Open MPI and builds with it; plain `swift test` skips them, saying why).
@Suite(.enabled(if: CLI.mpiBuild, "needs mpirun and an autoscale built with --traits MPI"))
struct ClusterCLITests {
    struct Check: Decodable {
        let ranks: Int, mpi: Bool, allreduce_ok: Bool, allreduce_double_ok: Bool, broadcast_ok: Bool, tickets_ok: Bool
        let tickets_by_rank: [[Int]]
    }

    /// Two ranks: collectives give the closed-form answers and the shared counter hands out 0..<200 exactly once.
    @Test func twoRankCollectives() throws {
        let r = try CLI.mpi(ranks: 2, ["cluster", "check", "--json", "--tickets", "200"])
        #expect(r.status == 0, "\(r.stderr)")
        let check = try JSONDecoder().decode(Check.self, from: Data(r.stdout.utf8))
        #expect(check.ranks == 2 && check.mpi)
        #expect(check.allreduce_ok && check.allreduce_double_ok && check.broadcast_ok && check.tickets_ok)
        #expect(check.tickets_by_rank.flatMap { $0 }.sorted() == Array(0..<200))
    }
}
