import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on an output folder, held by one autoscale process at a time: `flock(2)` with
/// `LOCK_EX | LOCK_NB` on `<folder>/.autoscale.lock`.
///
/// The folder is created when missing; the lock file is created with `open(O_CREAT)` (atomic: two processes
/// get the same inode) and holds the owner's pid as text. A second process fails fast with ONE line,
/// `<folder>: in use by another autoscale process (pid P)` (an ``OutputError``). The kernel drops the lock
/// when its process ends however it ends (kill -9 included), so a stale lock file never blocks a rerun.
/// After locking, the descriptor's inode is compared with the path's (`fstat` against `stat`): a file unlinked
/// by ``release()`` between our `open` and `flock` is not a lock, and the open is retried.
public final class FolderLock: @unchecked Sendable {
    public static let fileName = ".autoscale.lock"

    public let folder: URL
    public var fileURL: URL { folder.appendingPathComponent(Self.fileName) }
    private var fd: Int32
    /// Whether this lock created `folder` (then ``release()`` removes it when nothing else is in it).
    public let createdFolder: Bool

    /// Locks `folder` (creating it), or throws `<display>: in use by another autoscale process (pid P)`;
    /// `display` (default: the folder's path) is the name the user gave, e.g. `--out` when the lock lives in
    /// a hidden staging folder beside it.
    public init(folder: URL, display: String? = nil) throws {
        self.folder = folder
        let name = display ?? folder.path
        createdFolder = !FileManager.default.fileExists(atPath: folder.path)
        let path = folder.appendingPathComponent(Self.fileName).path
        for _ in 0..<100 {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw OutputError.diagnose(folder, fallback: "cannot create the folder")
            }
            let d = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard d >= 0 else {
                throw OutputError(path: name, reason: "cannot create the lock file \(Self.fileName) ("
                                  + String(cString: strerror(errno)) + ")")
            }
            if flock(d, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                // The holder writes its pid right after locking: give it up to 0.2 s when it is not there yet.
                var owner = Self.readPid(d)
                for _ in 0..<40 where owner == nil && (e == EWOULDBLOCK || e == EAGAIN) {
                    usleep(5000)
                    owner = Self.readPid(d)
                }
                close(d)
                if e == EWOULDBLOCK || e == EAGAIN {
                    throw OutputError(path: name, reason: "in use by another autoscale process"
                                      + (owner.map { " (pid \($0))" } ?? ""))
                }
                throw OutputError(path: name, reason: "cannot lock \(Self.fileName) (\(String(cString: strerror(e))))")
            }
            var a = stat(), b = stat()
            if fstat(d, &a) == 0, stat(path, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev {
                fd = d
                let text = "\(getpid())\n"
                _ = ftruncate(d, 0)
                _ = text.withCString { pwrite(d, $0, strlen($0), 0) }
                return
            }
            close(d)  // the file was removed after our open: lock the one now at the path
        }
        throw OutputError(path: name, reason: "cannot lock \(Self.fileName): it keeps being replaced")
    }

    /// The pid written in the lock file, if any.
    static func readPid(_ d: Int32) -> Int32? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = pread(d, &buf, buf.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Unlocks (idempotent), unlinking the lock file first while still holding the lock (a process waiting on the
    /// old inode sees it unlinked and opens afresh, see the type's documentation), so a finished command leaves no
    /// lock file; only a killed one does, and it locks nothing. A folder this lock created that holds nothing but
    /// the lock file is removed (a command that failed before writing anything leaves no empty folder).
    public func release() {
        guard fd >= 0 else { return }
        let rest = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        unlink(fileURL.path)
        if createdFolder && rest == [Self.fileName] { rmdir(folder.path) }
        close(fd)
        fd = -1
    }

    deinit { release() }

    /// Runs `body` holding the lock of `folder` (`nil`: no lock, e.g. a rank other than 0 of an MPI job).
    public static func with<T>(_ folder: URL?, display: String? = nil, _ body: () throws -> T) throws -> T {
        guard let folder else { return try body() }
        let lock = try FolderLock(folder: folder, display: display)
        defer { lock.release() }
        return try body()
    }
}
