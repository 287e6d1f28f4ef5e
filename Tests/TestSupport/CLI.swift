import Foundation

/// Runs the built `autoscale` binary for end-to-end tests.
public enum CLI {
    /// The binary next to the test bundle (`.build/<config>/autoscale`), which `swift test` builds
    /// because the end-to-end test target depends on the executable.
    /// On Linux the tests run as `.build/<triple>/<config>/<package>PackageTests.xctest`, an executable, so the
    /// build folder is that of the running process (`/proc/self/exe`); an xctest bundle elsewhere.
    public static var binary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [exe.deletingLastPathComponent()]
            + Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
        let buildDir = candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("autoscale").path) }
            ?? Fixture.root.deletingLastPathComponent().appendingPathComponent(".build/release")
        return buildDir.appendingPathComponent("autoscale")
    }

    /// Exit status and captured output of one run.
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output, bytes as written.
        public var stdoutData: Data
        public var stderr: String
        /// Whether the process ended on a signal (a trap), not an exit.
        public var crashed: Bool
        /// Standard output decoded as UTF-8.
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    }

    /// A fresh temporary directory for one test (see ``makeTemporaryDirectory(_:)``).
    public static func tempDir() throws -> URL { try makeTemporaryDirectory() }

    /// Runs `executable` (default: the autoscale binary) with `arguments`, feeding `stdin`, in `directory`.
    public static func run(_ arguments: [String], stdin: String? = nil, executable: URL? = nil,
                           directory: URL? = nil, environment: [String: String]? = nil) throws -> Result {
        try run(arguments, stdinData: stdin.map { Data($0.utf8) }, executable: executable, directory: directory,
                environment: environment)
    }

    /// As ``run(_:stdin:executable:directory:environment:)`` with raw bytes on standard input.
    public static func run(_ arguments: [String], stdinData: Data?, executable: URL? = nil,
                           directory: URL? = nil, environment: [String: String]? = nil) throws -> Result {
        let p = Process()
        p.executableURL = executable ?? binary
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdinData { inp.fileHandleForWriting.write(stdinData) }
        try inp.fileHandleForWriting.close()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdoutData: outData, stderr: String(decoding: errData, as: UTF8.self),
                      crashed: p.terminationReason == .uncaughtSignal)
    }

    /// `mpirun`, when on PATH.
    public static var mpirun: URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let u = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return nil
    }

    /// Whether `mpirun` is on PATH and the binary reports an MPI build (`cluster check --json`: `mpi_built`).
    public static let mpiBuild: Bool = {
        guard mpirun != nil, let r = try? run(["cluster", "check", "--json", "--tickets", "1"]), r.status == 0,
              let j = try? JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any] else { return false }
        return j["mpi_built"] as? Bool == true
    }()

    /// Runs the autoscale binary under `mpirun -np ranks` (oversubscribed; as root when root).
    public static func mpi(ranks: Int, _ arguments: [String], directory: URL? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        guard let mpirun else { throw CocoaError(.fileNoSuchFile) }
        var args = ["--oversubscribe", "-np", String(ranks)]
        if getuid() == 0 { args.insert("--allow-run-as-root", at: 0) }
        return try run(args + [binary.path] + arguments, executable: mpirun, directory: directory,
                       environment: environment.merging(["OMPI_MCA_rmaps_base_oversubscribe": "1", "OPENBLAS_NUM_THREADS": "1"]) { a, _ in a })
    }
}

/// A fresh temporary directory, removed by the caller when done (or use ``TempDir``, removed when released).
public func makeTemporaryDirectory(_ prefix: String = "autoscale-test") throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

/// The tests' one temporary folder: fresh, removed when the test releases it (or at ``cleanup()``).
public final class TempDir {
    public let url: URL
    public init(_ prefix: String = "autoscale-test") throws { url = try makeTemporaryDirectory(prefix) }
    deinit { cleanup() }

    public func cleanup() { try? FileManager.default.removeItem(at: url) }

    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> URL {
        let u = path(relative)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: u)
        return u
    }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> URL { try write(relative, Array(text.utf8)) }
}
