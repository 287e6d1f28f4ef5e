import Foundation

/// Ranks as threads of one process: a ``Communicator`` for exercising distributed code (the data-parallel
/// trainer step, ``distributedMap(count:communicator:_:)``) without MPI, e.g. in unit tests.
///
/// ``run(ranks:_:)`` starts one thread per rank (real threads: every rank must run at once, or the
/// barriers would wait forever) and returns each rank's outcome; or create one ``Group`` of `size`
/// ranks and one communicator per thread yourself (`rank` in `0 ..< size`). Every
/// collective is an exchange through the group's board between two barriers; sums are taken in rank
/// order, so every rank gets the same bits, as from `MPI_Allreduce`. ``abort(_:code:)`` ends the process.
public final class ThreadCommunicator: Communicator, @unchecked Sendable {
    /// The shared state of the ranks.
    public final class Group: @unchecked Sendable {
        public let size: Int
        let condition = NSCondition()
        var arrived = 0, generation = 0, ticket = 0
        var board: [Any?]

        public init(size: Int) {
            precondition(size >= 1, "ThreadCommunicator.Group: size must be >= 1")
            self.size = size
            board = Array(repeating: nil, count: size)
        }

        func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let g = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == g { condition.wait() }
            }
        }

        /// Every rank's value, in rank order (values of another type than `T` are a ``ClusterError``).
        func exchange<T>(_ rank: Int, _ value: T) throws -> [T] {
            condition.lock(); board[rank] = value; condition.unlock()
            barrier()
            condition.lock(); let all = board.compactMap { $0 as? T }; condition.unlock()
            barrier()
            guard all.count == size else { throw ClusterError("ThreadCommunicator: ranks called different collectives") }
            return all
        }
    }

    /// Runs `body` on `ranks` threads, one communicator each, and returns every rank's outcome in rank order.
    public static func run<T>(ranks: Int, _ body: @escaping @Sendable (ThreadCommunicator) throws -> T) -> [Result<T, any Error>] {
        let group = Group(size: ranks)
        let outcomes = _Outcomes<T>(ranks)
        let done = DispatchSemaphore(value: 0)
        for r in 0..<ranks {
            let thread = Thread {
                outcomes.set(r, Result { try body(ThreadCommunicator(rank: r, group: group)) })
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<ranks { done.wait() }
        return outcomes.all
    }

    public let rank: Int
    public let group: Group
    public var size: Int { group.size }

    public init(rank: Int, group: Group) {
        precondition((0..<group.size).contains(rank), "ThreadCommunicator: rank \(rank) outside 0..<\(group.size)")
        self.rank = rank
        self.group = group
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        let all = try group.exchange(rank, Array(buffer))
        for i in buffer.indices { buffer[i] = all.dropFirst().reduce(all[0][i]) { $0 + $1[i] } }
    }

    public func allreduceSum(_ values: inout [Double]) throws {
        let all = try group.exchange(rank, values)
        values = values.indices.map { i in all.dropFirst().reduce(all[0][i]) { $0 + $1[i] } }
    }

    public func barrier() throws { group.barrier() }

    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] { try group.exchange(rank, bytes)[root] }

    public func gather(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
        let all = try group.exchange(rank, bytes)
        return rank == root ? all : nil
    }

    /// The group's counter, reset to 0 (collective; the previous counter must be done with).
    public func makeTicketCounter() throws -> TicketCounter {
        group.barrier()
        if rank == 0 { group.condition.lock(); group.ticket = 0; group.condition.unlock() }
        group.barrier()
        return Counter(group: group)
    }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("rank \(rank): \(message)\n".utf8))
        exit(code)
    }

    final class Counter: TicketCounter {
        let group: Group
        init(group: Group) { self.group = group }
        func next() throws -> Int {
            group.condition.lock()
            defer { group.ticket += 1; group.condition.unlock() }
            return group.ticket
        }
    }
}

final class _Outcomes<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<T, any Error>?]
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ v: Result<T, any Error>) { lock.withLock { values[i] = v } }
    var all: [Result<T, any Error>] { lock.withLock { values.map { $0! } } }
}
