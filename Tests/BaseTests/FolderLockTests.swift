import Base
import Foundation
import Testing
import TestSupport

/// `FolderLock`: one holder at a time (flock is per open file description, so a second lock in the same process
/// conflicts exactly as another process's does), the one-line refusal with the holder's pid, release and re-lock,
/// and no empty folder left by a lock that created it.
@Suite struct FolderLockTests {
    @Test func secondLockFailsWithOneLineNamingThePid() throws {
        let tmp = try TempDir()
        let folder = tmp.path("out")
        let first = try FolderLock(folder: folder)
        let pid = try String(contentsOf: first.fileURL, encoding: .utf8)
        #expect(pid == "\(getpid())\n")
        let error = #expect(throws: OutputError.self) { try FolderLock(folder: folder, display: "runs/out") }
        #expect(error?.description == "runs/out: in use by another autoscale process (pid \(getpid()))")
        first.release()
        let again = try FolderLock(folder: folder)
        again.release()
        again.release()  // idempotent
    }

    @Test func createdFolderIsRemovedWhenNothingWasWritten() throws {
        let tmp = try TempDir()
        let empty = tmp.path("a/b")
        try FolderLock.with(empty) {}
        #expect(!FileManager.default.fileExists(atPath: empty.path))
        let used = tmp.path("c")
        try FolderLock.with(used) { try Data("x".utf8).write(to: used.appendingPathComponent("result.json")) }
        #expect(FileManager.default.fileExists(atPath: used.appendingPathComponent("result.json").path))
        // An existing folder is never removed, even when empty.
        let existing = tmp.path("d")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        try FolderLock.with(existing) {}
        #expect(FileManager.default.fileExists(atPath: existing.path))
    }

    @Test func unlinkedLockFileIsNotALock() throws {
        let tmp = try TempDir()
        let folder = tmp.path("out")
        let first = try FolderLock(folder: folder)
        first.release()
        #expect(!FileManager.default.fileExists(atPath: first.fileURL.path))
        // A new lock creates a fresh lock file and holds it.
        let second = try FolderLock(folder: folder)
        #expect(throws: OutputError.self) { try FolderLock(folder: folder) }
        second.release()
    }

    @Test func unwritableParentIsOneLine() throws {
        let error = #expect(throws: OutputError.self) { try FolderLock(folder: URL(fileURLWithPath: "/proc/no/such/out")) }
        #expect(error?.description.hasPrefix("/proc/no/such/out: cannot write") == true, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
    }
}
