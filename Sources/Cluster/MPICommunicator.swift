#if MPI
import CMPI
import Foundation

/// MPI over `MPI_COMM_WORLD`, standard API only (Open MPI and MPICH).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    // Handle types differ between implementations (pointers in Open MPI, integers in MPICH),
    // so they are inferred from the shim, never spelled out.
    private let comm = autoscale_mpi_comm_world()

    private init() throws {
        var r: Int32 = 0, s: Int32 = 0
        try mpiCheck(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try mpiCheck(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    static func initialize() throws -> MPICommunicator {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        if flag == 0 {
            try mpiCheck(MPI_Init(nil, nil), "MPI_Init")
        }
        // Errors come back as codes (and become thrown Swift errors) instead of aborting silently.
        MPI_Comm_set_errhandler(autoscale_mpi_comm_world(), autoscale_mpi_errors_return())
        return try MPICommunicator()
    }

    static func finalize() {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        if flag == 0 { MPI_Finalize() }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let p = buffer.baseAddress, buffer.count > 0 else { return }
        // MPI counts are Int32: reduce in chunks so buffers over 2^31 elements work too.
        var start = 0
        while start < buffer.count {
            let n = min(buffer.count - start, Int(Int32.max))
            try mpiCheck(MPI_Allreduce(autoscale_mpi_in_place(), p + start, Int32(n), autoscale_mpi_float(),
                                       autoscale_mpi_sum(), comm), "MPI_Allreduce")
            start += n
        }
    }

    public func allreduceSum(_ values: inout [Double]) throws {
        if values.isEmpty { return }
        let n = Int32(values.count)
        try values.withUnsafeMutableBufferPointer { p in
            try mpiCheck(MPI_Allreduce(autoscale_mpi_in_place(), p.baseAddress, n, autoscale_mpi_double(),
                                       autoscale_mpi_sum(), comm), "MPI_Allreduce")
        }
    }

    public func barrier() throws { try mpiCheck(MPI_Barrier(comm), "MPI_Barrier") }

    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        var count = [Int64(bytes.count)]
        try mpiCheck(MPI_Bcast(&count, 1, autoscale_mpi_int64(), Int32(root), comm), "MPI_Bcast")
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
        if count[0] > 0 {
            try mpiCheck(MPI_Bcast(&out, Int32(count[0]), autoscale_mpi_byte(), Int32(root), comm), "MPI_Bcast")
        }
        return out
    }

    public func gather(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
        var mine = Int32(bytes.count)
        var counts = [Int32](repeating: 0, count: size)
        try mpiCheck(MPI_Gather(&mine, 1, autoscale_mpi_int(), &counts, 1, autoscale_mpi_int(), Int32(root), comm), "MPI_Gather")
        var displs = [Int32](repeating: 0, count: size)
        for i in 1..<max(1, size) { displs[i] = displs[i - 1] + counts[i - 1] }
        let total = Int(counts.reduce(0, +))
        var all = [UInt8](repeating: 0, count: rank == root ? max(1, total) : 1)
        var send = bytes.isEmpty ? [0] : bytes
        try mpiCheck(MPI_Gatherv(&send, mine, autoscale_mpi_byte(), &all, &counts, &displs, autoscale_mpi_byte(),
                                 Int32(root), comm), "MPI_Gatherv")
        guard rank == root else { return nil }
        return (0..<size).map { Array(all[Int(displs[$0])..<Int(displs[$0] + counts[$0])]) }
    }

    public func makeTicketCounter() throws -> TicketCounter { try MPITicketCounter(rank: rank) }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("rank \(rank): \(message)\n".utf8))
        MPI_Abort(comm, code)
        exit(code)
    }
}

/// A shared counter in an RMA window on rank 0, advanced with `MPI_Fetch_and_op` under a shared
/// passive-target lock: no rank has to serve requests.
final class MPITicketCounter: TicketCounter {
    private var win = autoscale_mpi_win_null()
    private var base: UnsafeMutableRawPointer?

    init(rank: Int) throws {
        let comm = autoscale_mpi_comm_world()
        let bytes = rank == 0 ? MPI_Aint(MemoryLayout<Int64>.size) : 0
        var b: UnsafeMutableRawPointer? = nil
        try mpiCheck(MPI_Win_allocate(bytes, Int32(MemoryLayout<Int64>.size), autoscale_mpi_info_null(), comm, &b, &win),
                     "MPI_Win_allocate")
        base = b
        if rank == 0, let b { b.storeBytes(of: Int64(0), as: Int64.self) }
        try mpiCheck(MPI_Barrier(comm), "MPI_Barrier")
    }

    func next() throws -> Int {
        var one: Int64 = 1
        var result: Int64 = 0
        try mpiCheck(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win), "MPI_Win_lock")
        try mpiCheck(MPI_Fetch_and_op(&one, &result, autoscale_mpi_int64(), 0, 0, autoscale_mpi_sum(), win),
                     "MPI_Fetch_and_op")
        try mpiCheck(MPI_Win_unlock(0, win), "MPI_Win_unlock")
        return Int(result)
    }

    deinit { MPI_Win_free(&win) }
}

@inline(__always)
func mpiCheck(_ code: Int32, _ call: String) throws {
    guard code != 0 else { return }
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    throw ClusterError("\(call) failed: \(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))")
}
#endif
