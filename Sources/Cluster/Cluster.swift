import Foundation

/// Entry point of the distributed layer: starts MPI when the process was launched by
/// `mpirun`/`srun` and the binary was built with the `MPI` trait, else a single process.
public enum Cluster {
    /// Whether this binary was built with MPI support (`swift build --traits MPI`; `make` does it
    /// when pkg-config finds `mpi`).
    public static var isMPIBuilt: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The world size the launcher announced in the environment (Open MPI, MPICH/Hydra, PMIx, an `srun`
    /// step: `SLURM_STEP_NUM_TASKS`, which a batch script outside `srun` does not have), if any.
    public static func launcherWorldSize(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS"] {
            if let v = env[key], let n = Int(v) { return n }
        }
        return nil
    }

    nonisolated(unsafe) private static var current: Communicator?

    /// The process group, created on first use. Launched by an MPI launcher with more than one rank
    /// but built without MPI, it throws instead of letting every rank do the whole job.
    public static func world() throws -> Communicator {
        if let c = current { return c }
        let launched = launcherWorldSize() ?? 1
        #if MPI
        let c: Communicator = launched > 1 ? try MPICommunicator.initialize() : LocalCommunicator()
        #else
        if launched > 1 {
            throw ClusterError("launched as \(launched) MPI ranks, but this autoscale was built without MPI: "
                + "install libopenmpi-dev and rebuild with `make build` (or `swift build --traits MPI`)")
        }
        let c: Communicator = LocalCommunicator()
        #endif
        current = c
        return c
    }

    /// Finalizes MPI if it was started (call once before a normal exit).
    public static func finalize() {
        #if MPI
        if current is MPICommunicator { MPICommunicator.finalize() }
        #endif
        current = nil
    }

    /// OpenBLAS threads per rank: `OPENBLAS_NUM_THREADS` when set, else the node's cores divided by
    /// the ranks on this node (`OMPI_COMM_WORLD_LOCAL_SIZE`, `MPI_LOCALNRANKS`, `SLURM_NTASKS_PER_NODE`), at least 1.
    public static func defaultThreadsPerRank(cores: Int, env: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let v = env["OPENBLAS_NUM_THREADS"], let n = Int(v), n > 0 { return n }
        let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"]
            .compactMap { env[$0].flatMap { Int($0) } }.first ?? 1
        return max(1, cores / max(1, local))
    }
}
