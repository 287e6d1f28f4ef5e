import Foundation

/// Undoes what a failed command created in its output folder when it created nothing worth keeping (issue 17:
/// a failed `ddo run` left `proxy.txt` and an empty `runs/`).
///
/// ``init(root:disposable:)`` notes every path under `root` before the command writes; after a failure,
/// ``clean()`` compares. When every new file is disposable (a name in `disposable`, such as the run cache's
/// `proxy.txt`, or the ``FolderLock`` file), those files and the new folders (then empty) are removed, deepest
/// first, and `root` is left to its lock (which removes it when it created it and nothing else is in it). When the
/// command created any other file (a finished run's record, a checkpoint, a file a user's trainer wrote such as
/// its `stderr.log`), nothing is removed: that is progress a rerun resumes from, or the failure's own evidence.
public struct FailureCleanup: Sendable {
    public let root: URL
    public let disposable: Set<String>
    let before: Set<String>

    public init(root: URL, disposable: Set<String>) {
        self.root = root.standardizedFileURL
        self.disposable = disposable.union([FolderLock.fileName])
        before = Set(Self.tree(self.root).map(\.path))
    }

    /// The paths under `root` (relative), with whether each is a folder.
    static func tree(_ root: URL) -> [(path: String, isFolder: Bool)] {
        let fm = FileManager.default
        var out: [(String, Bool)] = []
        var stack = [""]
        while let rel = stack.popLast() {
            let dir = rel.isEmpty ? root.path : root.path + "/" + rel
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
                let child = rel.isEmpty ? name : rel + "/" + name
                var isDir: ObjCBool = false
                // A symbolic link counts as a file (never followed).
                let link = (try? fm.destinationOfSymbolicLink(atPath: root.path + "/" + child)) != nil
                let folder = !link && fm.fileExists(atPath: root.path + "/" + child, isDirectory: &isDir) && isDir.boolValue
                out.append((child, folder))
                if folder { stack.append(child) }
            }
        }
        return out
    }

    /// Removes what the command created when all of it is disposable; returns whether it did.
    @discardableResult
    public func clean() -> Bool {
        let new = Self.tree(root).filter { !before.contains($0.path) }
        let files = new.filter { !$0.isFolder }
        guard files.allSatisfy({ disposable.contains(Self.name($0.path)) }) else { return false }
        // The lock file stays: its lock removes it (and `root`, when it created it) on release.
        for f in files where f.path != FolderLock.fileName { unlink(root.path + "/" + f.path) }
        // Deepest first, so a folder's new subfolders are gone before it.
        for d in new.filter(\.isFolder).sorted(by: { $0.path.count > $1.path.count }) { rmdir(root.path + "/" + d.path) }
        return true
    }

    static func name(_ path: String) -> String { (path as NSString).lastPathComponent }
}
