import Foundation

/// A group of cooperating processes: one process (``LocalCommunicator``) or the ranks of an MPI job
/// (`MPICommunicator`, built with the `MPI` trait).
///
/// Collective calls must be made by every rank in the same order, as in MPI.
public protocol Communicator: AnyObject {
    /// This process's index, `0 ..< size`.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }
    /// Elementwise sum over all ranks, in place (`MPI_Allreduce` with `MPI_IN_PLACE`).
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Elementwise sum of Doubles over all ranks, in place.
    func allreduceSum(_ values: inout [Double]) throws
    /// Waits until every rank has called it.
    func barrier() throws
    /// Sends `root`'s bytes to every rank.
    func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8]
    /// Every rank's bytes, in rank order, on `root` (`nil` elsewhere).
    func gather(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]?
    /// A counter shared by all ranks; `next()` hands out `0, 1, 2, ...` once each, across ranks
    /// (dynamic work distribution). Collective: every rank creates it, in the same order.
    func makeTicketCounter() throws -> TicketCounter
    /// Ends every rank of the job with `code` after printing `message` to stderr.
    func abort(_ message: String, code: Int32) -> Never
}

/// Hands out increasing integers, each exactly once over all ranks.
public protocol TicketCounter: AnyObject {
    func next() throws -> Int
}

/// An error from the distributed layer, with one line that names the MPI call.
public struct ClusterError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// The single-process communicator: collectives are identities.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allreduceSum(_ values: inout [Double]) throws {}
    public func barrier() throws {}
    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] { bytes }
    public func gather(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? { [bytes] }
    public func makeTicketCounter() throws -> TicketCounter { LocalTicketCounter() }
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}

final class LocalTicketCounter: TicketCounter {
    var value = 0
    func next() throws -> Int { defer { value += 1 }; return value }
}
