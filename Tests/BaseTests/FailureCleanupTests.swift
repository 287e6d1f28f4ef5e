import Base
import Foundation
import Testing
import TestSupport

/// What a failed command leaves behind (issue 17): `FailureCleanup` removes the fingerprints and empty folders a
/// failed command created and nothing else, keeps everything when it created a file worth keeping, and a
/// `StagedDirectory` whose target cannot be replaced removes its hidden staging folder.
@Suite struct FailureCleanupTests {
    static func contents(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    @Test func onlyFingerprintsAndEmptyFoldersAreRemovedWithTheFolderTheLockCreated() throws {
        let tmp = try TempDir()
        let out = tmp.path("out")
        let lock = try FolderLock(folder: out)
        let cleanup = FailureCleanup(root: out, disposable: ["proxy.txt"])
        _ = try tmp.write("out/proxy.txt", "fingerprint\n")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("runs/a-1/deeper"), withIntermediateDirectories: true)
        _ = try tmp.write("out/ddo-1k/proxy.txt", "fingerprint\n")
        #expect(cleanup.clean())
        #expect(Self.contents(out) == [FolderLock.fileName])
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: out.path), "the lock removes the folder it created")
    }

    @Test func whatExistedBeforeStays() throws {
        let tmp = try TempDir()
        let out = tmp.path("out")
        _ = try tmp.write("out/proxy.txt", "old\n")
        _ = try tmp.write("out/runs/old.json", "{}")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("empty-before"), withIntermediateDirectories: true)
        let cleanup = FailureCleanup(root: out, disposable: ["proxy.txt"])
        try FileManager.default.createDirectory(at: out.appendingPathComponent("runs/new"), withIntermediateDirectories: true)
        #expect(cleanup.clean())
        #expect(Self.contents(out) == ["empty-before", "proxy.txt", "runs"])
        #expect(Self.contents(out.appendingPathComponent("runs")) == ["old.json"])
        #expect(try String(contentsOf: out.appendingPathComponent("proxy.txt"), encoding: .utf8) == "old\n")
    }

    @Test func anyOtherNewFileKeepsEverything() throws {
        let tmp = try TempDir()
        let out = tmp.path("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let cleanup = FailureCleanup(root: out, disposable: ["proxy.txt"])
        _ = try tmp.write("out/proxy.txt", "fp\n")
        _ = try tmp.write("out/runs/a.json", "{}")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("runs/b"), withIntermediateDirectories: true)
        #expect(!cleanup.clean())
        #expect(Self.contents(out) == ["proxy.txt", "runs"])
        #expect(Self.contents(out.appendingPathComponent("runs")) == ["a.json", "b"])
    }

    /// Makes `file` (inside `folder`) unremovable: `chmod 555` on the folder for a normal user; root ignores
    /// permissions, so there `chattr +i` on the file. Returns the undo, or nil when neither works here.
    static func pin(_ file: URL, in folder: URL) -> (() -> Void)? {
        if getuid() != 0 {
            chmod(folder.path, 0o555)
            return { chmod(folder.path, 0o755) }
        }
        func chattr(_ flag: String) -> Bool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            p.arguments = [flag, file.path]
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        return chattr("+i") ? { _ = chattr("-i") } : nil
    }

    @Test func unreplaceableTargetLeavesNoStagingFolder() throws {
        let tmp = try TempDir()
        let target = tmp.path("model")
        let old = try tmp.write("model/config.json", "{\"old\": true}")
        guard let unpin = Self.pin(old, in: target) else {
            Issue.record("cannot make a file unremovable on this machine (no chattr for root)")
            return
        }
        defer { unpin() }
        let stage = try StagedDirectory(target: target, marker: "config.json")
        try stage.write(Data("{\"new\": true}".utf8), to: "config.json")
        try stage.write(Data(count: 1 << 16), to: "model.safetensors")
        #expect(FileManager.default.fileExists(atPath: stage.staging.path))
        do {
            try stage.commit()
            Issue.record("commit replaced a folder that cannot be removed")
        } catch let e as OutputError {
            #expect(e.path == target.path)
            #expect(e.description.contains("cannot move the finished output into place"), "\(e)")
            #expect(!e.description.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: stage.staging.path), "no stray \(stage.staging.lastPathComponent)")
        #expect(Self.contents(tmp.url) == ["model"])
        #expect(try String(contentsOf: old, encoding: .utf8) == "{\"old\": true}")
    }
}
