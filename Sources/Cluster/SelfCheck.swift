import Foundation

/// A collective self-test of the communicator, run by `autoscale cluster check` on every rank:
/// each MPI feature that distributed runs use, with the expected answer computed in closed form.
public struct ClusterSelfCheck: Codable, Sendable {
    public var ranks: Int
    /// Whether the communicator is MPI's (several ranks).
    public var mpi: Bool
    /// Whether the binary was built with the `MPI` trait (``Cluster/isMPIBuilt``).
    public var mpiBuilt: Bool
    /// `sum_r (r + 1) * (i + 1)` expected at index `i` of the float allreduce.
    public var allreduceOK: Bool
    public var allreduceDoubleOK: Bool
    public var broadcastOK: Bool
    /// Host names in rank order (gathered to rank 0).
    public var hosts: [String]
    /// Tickets drawn by each rank, in rank order; together they must be exactly `0 ..< tickets`.
    public var ticketsByRank: [[Int]]
    public var ticketsOK: Bool
    /// ``distributedMap(count:communicator:_:)`` of `tickets` jobs returns `i * i` at index `i` on every rank.
    public var mapOK: Bool
    /// With `failJob`: the message of the ``DistributedMapError`` rank 0 caught (`nil` without `failJob`).
    public var mapFailure: String?
    /// With `failJob`: every rank caught a ``DistributedMapError`` naming that job (`true` without `failJob`).
    public var mapFailureOK: Bool

    /// Runs the check; every rank must call it. The result is complete on rank 0 only. `failJob` makes that
    /// job of a second map throw (on whichever rank draws it), to check that every rank gets the failure.
    public static func run(_ comm: Communicator, tickets: Int = 64, failJob: Int? = nil) throws -> ClusterSelfCheck {
        let n = 1000
        var x = (0..<n).map { Float(comm.rank + 1) * Float($0 % 97 + 1) }
        try x.withUnsafeMutableBufferPointer { try comm.allreduceSum($0) }
        let s = Float(comm.size * (comm.size + 1) / 2)
        let allreduceOK = x.enumerated().allSatisfy { $0.element == s * Float($0.offset % 97 + 1) }
        var d = [Double(comm.rank), 0.5]
        try comm.allreduceSum(&d)
        let allreduceDoubleOK = d == [Double(comm.size * (comm.size - 1) / 2), 0.5 * Double(comm.size)]
        let message = Array("autoscale".utf8)
        let got = try comm.broadcast(comm.rank == 0 ? message : [], root: 0)
        let broadcastOK = got == message

        let counter = try comm.makeTicketCounter()
        var mine: [Int] = []
        while true {
            let t = try counter.next()
            if t >= tickets { break }
            mine.append(t)
        }
        try comm.barrier()
        let host = ProcessInfo.processInfo.hostName
        let payload = try JSONEncoder().encode(Entry(host: host, tickets: mine))
        let gathered = try comm.gather(Array(payload), root: 0)
        let squares = try distributedMap(count: tickets, communicator: comm) { $0 * $0 }
        var mapFailure: String?, mapFailureOK = true
        if let failJob {
            do {
                _ = try distributedMap(count: tickets, communicator: comm) { job -> Int in
                    if job == failJob { throw ClusterError("self-check failure injected at job \(job)") }
                    return job
                }
                mapFailureOK = false
            } catch let e as DistributedMapError {
                mapFailure = e.description
                mapFailureOK = e.job == failJob && e.message == "self-check failure injected at job \(failJob)"
            } catch {
                // Single process: the loop rethrows the body's own error.
                mapFailure = "\(error)"
                mapFailureOK = comm.size == 1 && mapFailure == "self-check failure injected at job \(failJob)"
            }
        }
        var flags = [allreduceOK && allreduceDoubleOK && broadcastOK ? 0.0 : 1.0,
                     squares == (0..<tickets).map { $0 * $0 } ? 0 : 1, mapFailureOK ? 0 : 1]
        try comm.allreduceSum(&flags)
        let entries = try (gathered ?? []).map { try JSONDecoder().decode(Entry.self, from: Data($0)) }
        let all = entries.flatMap(\.tickets).sorted()
        return ClusterSelfCheck(
            ranks: comm.size, mpi: !(comm is LocalCommunicator), mpiBuilt: Cluster.isMPIBuilt, allreduceOK: allreduceOK && flags[0] == 0,
            allreduceDoubleOK: allreduceDoubleOK, broadcastOK: broadcastOK, hosts: entries.map(\.host),
            ticketsByRank: entries.map(\.tickets), ticketsOK: comm.rank != 0 || all == Array(0..<tickets),
            mapOK: flags[1] == 0, mapFailure: mapFailure, mapFailureOK: flags[2] == 0)
    }

    struct Entry: Codable { var host: String; var tickets: [Int] }
}
