import Foundation

/// A failure to write an output, naming the path; never a raw system error.
public struct OutputError: Error, Equatable, CustomStringConvertible, LocalizedError, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }

    /// Why `url` cannot be written: its folder is missing, not a folder, or not writable; or `fallback`.
    public static func diagnose(_ url: URL, fallback: String) -> OutputError {
        let fm = FileManager.default
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        if !fm.fileExists(atPath: dir, isDirectory: &isDir) {
            return OutputError(path: url.path, reason: "cannot write: folder \(dir) does not exist")
        }
        if !isDir.boolValue { return OutputError(path: url.path, reason: "cannot write: \(dir) is not a folder") }
        if !fm.isWritableFile(atPath: dir) {
            return OutputError(path: url.path, reason: "cannot write: folder \(dir) is not writable")
        }
        if fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            return OutputError(path: url.path, reason: "cannot write: it is a folder")
        }
        return OutputError(path: url.path, reason: fallback)
    }
}

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file beside the
/// target, which is then renamed over it (rename is atomic within a filesystem).
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw OutputError.diagnose(url, fallback: "cannot write (\(error.localizedDescription))")
        }
    }

    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }
}

/// The project's one JSON form for files: pretty-printed, keys sorted, slashes unescaped (deterministic bytes).
public func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try e.encode(value)
}

/// Writes a whole output folder into a hidden sibling first and renames it into place only when complete,
/// so a failure never leaves a half-written output. An existing target is replaced only if it holds
/// `marker` (i.e. is an earlier output of the same kind) or is empty.
public struct StagedDirectory {
    public let target: URL
    public let staging: URL

    public init(target: URL, marker: String) throws {
        self.target = target.standardizedFileURL
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: self.target.path, isDirectory: &isDir) {
            let contents = (try? fm.contentsOfDirectory(atPath: self.target.path)) ?? []
            guard isDir.boolValue, contents.isEmpty || contents.contains(marker) else {
                throw OutputError(path: self.target.path,
                                  reason: "exists and is not an earlier output (no \(marker)); refusing to replace it")
            }
        }
        staging = self.target.deletingLastPathComponent()
            .appendingPathComponent(".\(self.target.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw OutputError.diagnose(self.target, fallback: "cannot create the folder")
        }
    }

    /// Writes `bytes` to `relative` inside the staging folder.
    public func write(_ bytes: Data, to relative: String) throws {
        let url = staging.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: url)
        } catch {
            throw OutputError(path: target.appendingPathComponent(relative).path, reason: "cannot write (\(error.localizedDescription))")
        }
    }

    /// The staging URL of `relative` (for writers that take a URL).
    public func url(_ relative: String) -> URL { staging.appendingPathComponent(relative) }

    /// Moves the finished folder into place. When the target cannot be replaced (a folder whose contents cannot
    /// be removed), the staging folder is removed too and the error names the target: a failed command leaves
    /// no hidden `.<name>.partial-<pid>` behind (issue 17).
    public func commit() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: target.path) { try? fm.removeItem(at: target) }
        do { try fm.moveItem(at: staging, to: target) } catch {
            abandon()
            let why = fm.fileExists(atPath: target.path) ? "it exists and cannot be removed" : error.localizedDescription
            throw OutputError(path: target.path, reason: "cannot move the finished output into place (\(why))")
        }
    }

    /// Removes the staging folder (after a failure).
    public func abandon() { try? FileManager.default.removeItem(at: staging) }
}
