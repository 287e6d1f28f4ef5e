import ArgumentParser
import Base
import Cluster
import Foundation
import LinearAlgebra
import Proxies
import Training

/// A command that runs on every rank of an MPI job (one process without MPI): `run()` joins the world and
/// runs ``run(_:)`` under ``Cluster/run(_:_:)``, so a failure on any rank ends the job with its one line.
protocol RankedCommand: ParsableCommand {
    func run(_ comm: any Communicator) throws
}

extension RankedCommand {
    func run() throws {
        let comm = try Cluster.world()
        try Cluster.run(comm) { try run(comm) }
    }
}

/// A command's progress lines on stderr, prefixed with `rank r: ` in an MPI job of several ranks
/// (`quiet` silences them), and its progress bar (Base's ``ProgressBar``): drawn when stderr is a terminal and the
/// job is one process (the ranks' lines would interleave), the plain step lines otherwise.
struct RankOutput {
    let prefix: String
    let quiet: Bool
    let bar: ProgressBar

    init(_ comm: any Communicator, quiet: Bool) {
        prefix = comm.size > 1 ? "rank \(comm.rank): " : ""
        self.quiet = quiet
        bar = ProgressBar(quiet: quiet, terminal: comm.size == 1 && isatty(STDERR_FILENO) != 0)
    }

    func progress(_ line: String) {
        bar.line(prefix + line)
    }

    /// A line of a run loop (``RunProgressLine``: `DDOExperiment`, `DDOBudgets`, the pipeline's own and validation
    /// runs) starts the bar's next run; every line is printed through `say`.
    func runLine(_ line: String, _ say: (String) -> Void) {
        if RunProgressLine.startsRun(line) { bar.startRun() }
        say(line)
    }

    /// Training progress (every `every` steps) through the same prefix, advancing the bar.
    func training(every: Int) -> TrainingProgress {
        let prefix = prefix, bar = bar
        return TrainingProgress(quiet: quiet, every: every, bar: bar) { bar.line(prefix + $0) }
    }

    /// Sets OpenBLAS's threads (also the model kernels' workers): `threads` when given, else
    /// ``Cluster/defaultThreadsPerRank(cores:env:)`` in an MPI job; one process without `--threads` keeps
    /// OpenBLAS's own default.
    static func setThreads(_ threads: Int?, _ comm: any Communicator) throws {
        if let threads {
            guard threads >= 1 else { throw FieldError("threads", "must be >= 1, got \(threads)") }
            BLASThreads.count = threads
        } else if comm.size > 1 {
            BLASThreads.count = Cluster.defaultThreadsPerRank(cores: BLASThreads.cores)
        }
    }
}

extension FolderLock {
    /// The lock of an output folder in a command: taken by rank 0 only (the other ranks of an MPI job write into
    /// the same folder under rank 0's lock), its failure shared by every rank (one line).
    static func rankZero(_ folder: URL, _ comm: any Communicator) throws -> FolderLock? {
        var lock: FolderLock?
        try Cluster.onRankZero(comm) { lock = try FolderLock(folder: folder) }
        return lock
    }
}
