import Foundation

/// An error that every rank of the job throws alike: from the same inputs (options, config files) before
/// the ranks diverge, or after a collective that shared the failure (``DistributedMapError``, a diverged
/// data-parallel step). Its text is the underlying error's one line, so a command prints the same
/// message with one rank or many.
public struct SharedError: Error, CustomStringConvertible, LocalizedError {
    public var underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { _oneLine(underlying) }
    public var errorDescription: String? { description }
}

extension Cluster {
    /// Runs `body`, marking what it throws as a ``SharedError`` when `communicator` has several ranks
    /// (with one process errors pass through unchanged). Use it around work whose failure is the same on
    /// every rank.
    public static func onEveryRank<T>(_ communicator: any Communicator, _ body: () throws -> T) throws -> T {
        guard communicator.size > 1 else { return try body() }
        do { return try body() } catch let e as SharedError { throw e } catch { throw SharedError(error) }
    }

    /// Runs `body` on rank 0 only (e.g. creating or claiming a shared folder) and lets every rank know
    /// whether it worked: with several ranks a failure becomes the same ``SharedError`` on every rank
    /// (one broadcast); with one process `body` runs and its errors pass through unchanged.
    public static func onRankZero(_ communicator: any Communicator, _ body: () throws -> Void) throws {
        guard communicator.size > 1 else { return try body() }
        var failure = ""
        if communicator.rank == 0 {
            do { try body() } catch { failure = _oneLine(error) }
        }
        let got = try communicator.broadcast(Array(failure.utf8), root: 0)
        if !got.isEmpty { throw SharedError(ClusterError(String(decoding: got, as: UTF8.self))) }
    }

    /// Runs a command's work on every rank and ends the job the MPI way.
    ///
    /// - One process: `body`, then ``finalize()``; errors propagate unchanged (ArgumentParser prints them).
    /// - Several ranks, `body` returns: ``finalize()``.
    /// - Several ranks, `body` throws a ``SharedError`` or ``DistributedMapError`` (every rank has the same
    ///   one): rank 0 prints its one `Error:` line, every rank meets at a barrier (so no rank exits before the
    ///   line is out), ``finalize()``, exit 1.
    /// - Several ranks, any other error (only this rank knows): prints `rank r: Error: <line>` and
    ///   ``Communicator/abort(_:code:)``s the whole job, so the other ranks never wait for it forever.
    public static func run(_ communicator: any Communicator, _ body: () throws -> Void) throws {
        guard communicator.size > 1 else {
            defer { finalize() }
            return try body()
        }
        do {
            try body()
            finalize()
        } catch let e where e is SharedError || e is DistributedMapError {
            // Rank 0 writes the one line before any rank exits: the launcher's abort notice, printed when the
            // first rank exits nonzero, would otherwise cut into it. Every rank has this error, so the barrier
            // cannot wait forever.
            if communicator.rank == 0 { FileHandle.standardError.write(Data("Error: \(_oneLine(e))\n".utf8)) }
            try? communicator.barrier()
            finalize()
            exit(1)
        } catch {
            communicator.abort("Error: " + _oneLine(error), code: 1)
        }
    }
}
