import ArgumentParser
import Cluster
import Foundation

/// `autoscale cluster check`: verifies the MPI collectives that distributed runs use.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect the MPI setup (run under mpirun/srun).",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run allreduce, broadcast, gather and the shared work counter on every rank; rank 0 reports.")

        @Option(help: "Tickets the shared counter hands out.")
        var tickets = 64

        @Option(help: ArgumentHelp("Make this job of a test map throw, to check that every rank reports it.", visibility: .hidden))
        var failJob: Int?

        @Flag(help: "Print one JSON object.")
        var json = false

        @OptionGroup var progress: ProgressOptions

        func run() throws {
            let comm = try Cluster.world()
            defer { Cluster.finalize() }
            let result = try ClusterSelfCheck.run(comm, tickets: tickets, failJob: failJob)
            guard comm.rank == 0 else { return }
            if json {
                let enc = JSONEncoder()
                enc.keyEncodingStrategy = .convertToSnakeCase  // mpi_built, allreduce_ok, tickets_by_rank, ...
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(result), as: UTF8.self))
            } else {
                print("ranks \(result.ranks) (MPI: \(result.mpi ? "yes" : "no, built \(Cluster.isMPIBuilt ? "with" : "without") MPI"))")
                print("hosts: \(result.hosts.joined(separator: ", "))")
                print("allreduce float: \(result.allreduceOK ? "ok" : "WRONG"), double: \(result.allreduceDoubleOK ? "ok" : "WRONG")")
                print("broadcast: \(result.broadcastOK ? "ok" : "WRONG")")
                print("work counter: \(result.ticketsOK ? "ok" : "WRONG") (tickets per rank: \(result.ticketsByRank.map(\.count)))")
                print("distributed map: \(result.mapOK ? "ok" : "WRONG")")
                if let f = result.mapFailure { print("injected failure: \(result.mapFailureOK ? "ok" : "WRONG") (\(f))") }
            }
            if !(result.allreduceOK && result.allreduceDoubleOK && result.broadcastOK && result.ticketsOK && result.mapOK
                 && result.mapFailureOK) {
                throw ClusterError("cluster check failed")
            }
        }
    }
}
