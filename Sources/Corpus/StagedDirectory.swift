import Foundation

/// Writes a whole output folder into a hidden sibling first and renames it into place only when complete,
/// so a failure never leaves a half-written output. An existing target is replaced only if it holds
/// `marker` (i.e. is an earlier output of the same kind) or is empty.
struct StagedDirectory {
    let target: URL
    let staging: URL

    init(target: URL, marker: String) throws {
        self.target = target.standardizedFileURL
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: self.target.path, isDirectory: &isDir) {
            let contents = (try? fm.contentsOfDirectory(atPath: self.target.path)) ?? []
            guard isDir.boolValue, contents.isEmpty || contents.contains(marker) else {
                throw CorpusError.writeFailed(path: self.target.path, reason: "exists and is not an earlier output (no \(marker)); refusing to replace it")
            }
        }
        staging = self.target.deletingLastPathComponent()
            .appendingPathComponent(".\(self.target.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw CorpusError.writeFailed(path: staging.path, reason: "cannot create folder")
        }
    }

    /// Writes `bytes` to `relative` inside the staging folder.
    func write(_ bytes: Data, to relative: String) throws {
        let url = staging.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: url)
        } catch {
            throw CorpusError.writeFailed(path: target.appendingPathComponent(relative).path, reason: "\(error.localizedDescription)")
        }
    }

    /// Moves the finished folder into place.
    func commit() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: target.path) { try? fm.removeItem(at: target) }
        do { try fm.moveItem(at: staging, to: target) } catch {
            throw CorpusError.writeFailed(path: target.path, reason: "cannot move finished output into place")
        }
    }

    /// Removes the staging folder (after a failure).
    func abandon() { try? FileManager.default.removeItem(at: staging) }
}

/// Encodes a value as pretty, key-sorted JSON (deterministic bytes).
func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try e.encode(value)
}
