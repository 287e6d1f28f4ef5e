import Foundation

/// Runs jobs `0 ..< count` over the ranks of `communicator` and returns every job's result, in index
/// order, on every rank.
///
/// - One process (`size == 1`): a plain loop `(0..<count).map(body)`; an error thrown by `body`
///   propagates unchanged and stops the loop.
/// - Several ranks (collective: every rank calls it, in the same order): jobs are handed out by the
///   communicator's ticket counter, so a rank that finishes a job draws the next one and no rank waits
///   for a slower one while jobs remain. Each rank encodes its `(job, outcome)` pairs as JSON; rank 0
///   gathers them, checks that every job ran exactly once, and broadcasts the ordered outcomes, which
///   every rank decodes. A result therefore crosses ranks as JSON, so `R` must round-trip through
///   `JSONEncoder`/`JSONDecoder` (Swift prints `Double`/`Float` in shortest round-trip form: exact) and
///   must not be an `Optional` (a `nil` result is indistinguishable from a missing one).
/// - Failure with several ranks: a job whose `body` throws is recorded as failed (its message kept) and
///   that rank stops drawing jobs; the other ranks finish the jobs that remain, so nothing deadlocks.
///   After the map every rank throws the same ``DistributedMapError``: the failed job with the lowest
///   index, the rank it ran on and its error's message. A rank that dies (signal, `exit`) cannot be
///   recovered here: the MPI launcher ends the whole job (see Docs/cluster.md).
public func distributedMap<R: Codable>(count: Int, communicator: any Communicator,
                                       _ body: (Int) throws -> R) throws -> [R] {
    precondition(count >= 0, "distributedMap: negative job count")
    if communicator.size == 1 { return try (0..<count).map(body) }

    let counter = try communicator.makeTicketCounter()
    var mine: [_MapEntry<R>] = []
    while true {
        let job = try counter.next()
        if job >= count { break }
        do {
            mine.append(_MapEntry(job: job, rank: communicator.rank, value: try body(job), failure: nil))
        } catch {
            mine.append(_MapEntry(job: job, rank: communicator.rank, value: nil, failure: _oneLine(error)))
            break
        }
    }
    let encoder = JSONEncoder()
    let gathered = try communicator.gather(Array(try encoder.encode(mine)), root: 0)
    var ordered: [_MapEntry<R>] = []
    var problem: String?
    if let gathered {
        var slots = [_MapEntry<R>?](repeating: nil, count: count)
        for bytes in gathered {
            for e in try JSONDecoder().decode([_MapEntry<R>].self, from: Data(bytes)) {
                if slots[e.job] != nil { problem = "job \(e.job) ran twice" }
                slots[e.job] = e
            }
        }
        // A failed rank stops drawing, so jobs after a failure may be missing: fine when a failure is reported.
        let failed = slots.contains { $0?.failure != nil }
        if !failed, let missing = slots.firstIndex(where: { $0 == nil }) { problem = "job \(missing) never ran" }
        ordered = slots.compactMap { $0 }
    }
    let payload = try communicator.broadcast(
        communicator.rank == 0 ? Array(try encoder.encode(_MapOutcome(entries: ordered, problem: problem))) : [], root: 0)
    let outcome = try JSONDecoder().decode(_MapOutcome<R>.self, from: Data(payload))
    if let problem = outcome.problem { throw ClusterError("distributed map: \(problem)") }
    if let f = outcome.entries.first(where: { $0.failure != nil }) {
        throw DistributedMapError(job: f.job, rank: f.rank, message: f.failure ?? "")
    }
    let values = outcome.entries.compactMap(\.value)
    guard values.count == count else { throw ClusterError("distributed map: \(values.count) of \(count) results arrived") }
    return values
}

/// A job of ``distributedMap(count:communicator:_:)`` failed; every rank throws this same error.
public struct DistributedMapError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    /// Index of the failed job (the lowest one, when several failed).
    public var job: Int
    /// The rank that ran it.
    public var rank: Int
    /// The one-line description of the error `body` threw.
    public var message: String

    public init(job: Int, rank: Int, message: String) { self.job = job; self.rank = rank; self.message = message }
    public var description: String { "job \(job) failed on rank \(rank): \(message)" }
    public var errorDescription: String? { description }
}

struct _MapEntry<R: Codable>: Codable {
    var job: Int
    var rank: Int
    var value: R?
    var failure: String?
}

struct _MapOutcome<R: Codable>: Codable {
    var entries: [_MapEntry<R>]
    var problem: String?
}

/// The first line of an error's description (LocalizedError's text when it has one).
func _oneLine(_ error: any Error) -> String {
    let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    return text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
}
