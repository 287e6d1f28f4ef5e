import Base
import DataMixing
import Foundation

/// One finished training: the quantities it trained on and its final validation losses (nats per predicted
/// token, per validation domain).
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: String
    public var tokens: [String: Int]
    public var losses: [String: Double]

    public init(id: String, tokens: [String: Int], losses: [String: Double]) {
        self.id = id
        self.tokens = tokens
        self.losses = losses
    }
}

/// The one run cache, used by `ddo run`, the pipeline's validation runs and `train`.
///
/// A folder is tied to one trainer by its fingerprint (`proxy.txt`: everything a run's losses depend on
/// besides its token quantities); a folder claimed by another fingerprint is refused, so cached runs of
/// another configuration are never mixed in. Each finished run is one record `<records>/<id>.json`,
/// written atomically (temporary file, then rename), so an interrupted run leaves nothing and is trained
/// again; a record counts only when its quantities are the ones asked for.
public struct RunCache: Sendable {
    /// The claimed folder (it holds `proxy.txt`).
    public let folder: URL
    /// Where the records live (`folder` itself, or a subfolder such as `runs/`).
    public let records: URL

    public init(folder: URL, recordsIn subfolder: String? = nil) {
        self.folder = folder
        records = subfolder.map { folder.appendingPathComponent($0) } ?? folder
    }

    /// The fingerprint file's name.
    public static let fingerprintFile = "proxy.txt"
    public var fingerprintURL: URL { folder.appendingPathComponent(Self.fingerprintFile) }

    /// Writes the fingerprint into a new folder, or checks it against the folder's.
    ///
    /// The claim is atomic: the text goes to a temporary file that is then hard-linked to `proxy.txt`
    /// (`link(2)` fails with `EEXIST` when the name exists, so of several processes claiming at once exactly one
    /// creates it); a loser reads the winner's fingerprint and is refused unless it is the same.
    public func claim(fingerprint: String) throws {
        let text = fingerprint + "\n"
        func refuse() -> Error {
            DataMixingError.invalidInput(location: fingerprintURL.path, message:
                "the runs in this folder were trained with another proxy config, seed or corpus; use a new --out")
        }
        if let old = try? String(contentsOf: fingerprintURL, encoding: .utf8) {
            guard old == text else { throw refuse() }
            return
        }
        try Self.makeFolder(records)
        let tmp = folder.appendingPathComponent(".proxy.txt.claim-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        do { try Data(text.utf8).write(to: tmp) } catch {
            throw OutputError.diagnose(fingerprintURL, fallback: "cannot write (\(error.localizedDescription))")
        }
        defer { unlink(tmp.path) }
        if link(tmp.path, fingerprintURL.path) == 0 { return }
        let e = errno
        guard e == EEXIST else {
            throw OutputError(path: fingerprintURL.path, reason: "cannot create (\(String(cString: strerror(e))))")
        }
        // Another process claimed the folder first: the same fingerprint joins it, another is refused.
        guard (try? String(contentsOf: fingerprintURL, encoding: .utf8)) == text else { throw refuse() }
    }

    public func url(_ id: String) -> URL { records.appendingPathComponent("\(id).json") }

    /// The record of `id` if present, readable and for exactly `tokens`.
    public func cached(_ id: String, tokens: [String: Int]) -> RunRecord? {
        guard let data = try? Data(contentsOf: url(id)), let r = try? JSONDecoder().decode(RunRecord.self, from: data),
              r.id == id, r.tokens == tokens else { return nil }
        return r
    }

    /// Checks the losses (every value finite and non-negative: a cross-entropy) and writes the record.
    public func store(_ record: RunRecord) throws {
        for (d, v) in record.losses.sorted(by: { $0.key < $1.key }) where !(v.isFinite && v >= 0) {
            throw DataMixingError.invalidInput(location: "run \(record.id)", message: "validation loss of \(d) is \(v)")
        }
        try Self.makeFolder(records)
        try AtomicFile.write(prettyJSON(record), to: url(record.id))
    }

    static func makeFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw OutputError(path: url.path, reason: "cannot create the folder")
        }
    }
}
