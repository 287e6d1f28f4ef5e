import Foundation

/// One row of the CSV training log.
public struct TrainingLogRow: Sendable, Equatable {
    public var step: Int
    public var tokens: Int
    public var learningRate: Double
    public var trainLoss: Double
    /// Held-out mean loss per evaluation set (empty on steps without evaluation).
    public var validationLoss: [String: Double] = [:]
    public var swaValidationLoss: [String: Double] = [:]
    public var emaValidationLoss: [String: Double] = [:]
    public var tokensPerSecond: Double
}

/// The CSV training log, read directly by `autoscale fit` and any CSV reader.
///
/// Header: `step,tokens,lr,train_loss,val_loss:<name>...,tokens_per_s` then, when averaging is on,
/// `swa_val_loss:<name>...` and `ema_val_loss:<name>...`. One row per optimizer step: `step` is the
/// number of completed steps, `tokens` the training tokens consumed so far, `lr` the rate of this
/// step, `train_loss` the mean loss of its micro-batches (before the update), validation columns
/// hold the held-out loss after the update on evaluation steps and are empty otherwise, and
/// `tokens_per_s` is this step's throughput (wall clock; the only non-deterministic column).
/// Numbers are printed in Swift's shortest round-trip form, so a reader recovers them exactly.
public final class TrainingLog {
    public let url: URL
    public let evaluationNames: [String]
    public let swa: Bool
    public let ema: Bool
    private var handle: FileHandle?

    public init(url: URL, evaluationNames: [String], swa: Bool = false, ema: Bool = false) throws {
        try Self.validate(evaluationNames: evaluationNames)
        self.url = url; self.evaluationNames = evaluationNames; self.swa = swa; self.ema = ema
    }

    deinit { try? handle?.close() }

    /// Evaluation-set names become CSV column names: non-empty, distinct, no commas, quotes or newlines.
    public static func validate(evaluationNames: [String]) throws {
        for n in evaluationNames where n.isEmpty || n.contains(where: { ",\"\n\r".contains($0) }) {
            throw TrainingError.invalidConfiguration(
                field: "evaluation set name", reason: "'\(n)' must be non-empty without commas, quotes or newlines")
        }
        guard Set(evaluationNames).count == evaluationNames.count else {
            throw TrainingError.invalidConfiguration(field: "evaluation set name", reason: "names must be distinct")
        }
    }

    /// The header columns.
    public var columns: [String] {
        ["step", "tokens", "lr", "train_loss"] + evaluationNames.map { "val_loss:\($0)" } + ["tokens_per_s"]
            + (swa ? evaluationNames.map { "swa_val_loss:\($0)" } : [])
            + (ema ? evaluationNames.map { "ema_val_loss:\($0)" } : [])
    }

    /// Whether ``open(resumingAfter:)`` has run.
    public var isOpen: Bool { handle != nil }

    /// Opens the log. A fresh run (`resumingAfter: nil`) writes just the header; a resumed run
    /// keeps the existing rows with `step <= resumingAfter` (rewritten atomically) and appends after
    /// them, or starts a new file when there is none. ``Trainer/run()`` opens its log itself, resuming
    /// after the trainer's current step when it is past 0.
    public func open(resumingAfter step: Int?) throws {
        var text = columns.joined(separator: ",") + "\n"
        if let step, FileManager.default.fileExists(atPath: url.path) {
            guard let old = try? String(contentsOf: url, encoding: .utf8) else {
                throw TrainingError.log(path: url.path, reason: "cannot read the existing log to resume it")
            }
            var lines = old.split(separator: "\n", omittingEmptySubsequences: true)
            guard let head = lines.first, String(head) == columns.joined(separator: ",") else {
                throw TrainingError.log(path: url.path, reason: "line 1: header differs from this run's columns")
            }
            lines.removeFirst()
            for (i, line) in lines.enumerated() {
                guard let s = Int(line.prefix { $0 != "," }) else {
                    throw TrainingError.log(path: url.path, reason: "line \(i + 2), column 1: step is not an integer")
                }
                if s <= step { text += line + "\n" }
            }
        }
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
            handle = try FileHandle(forWritingTo: url)
            try handle!.seekToEnd()
        } catch {
            throw TrainingError.log(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Writes to `destination` (atomically) the header and the rows with `step <= through` of the log at `source`,
    /// with the evaluation cells (`val_loss:`, `swa_val_loss:`, `ema_val_loss:`) emptied on rows whose step fails
    /// `keepEvaluation`: a cooldown branch's log starts with the trunk's rows as a separate run of the branch's
    /// length would have written them (the trunk also evaluates at other branches' lengths).
    public static func copyPrefix(from source: URL, to destination: URL, through step: Int,
                                  keepEvaluation: (Int) -> Bool) throws {
        guard let old = try? String(contentsOf: source, encoding: .utf8) else {
            throw TrainingError.log(path: source.path, reason: "cannot read the trunk's log")
        }
        var lines = old.split(separator: "\n", omittingEmptySubsequences: true)
        guard let head = lines.first else { throw TrainingError.log(path: source.path, reason: "line 1: no header") }
        lines.removeFirst()
        let prefixes = ["val_loss:", "swa_val_loss:", "ema_val_loss:"]
        var evaluationColumns = Set<Int>()
        for (i, name) in head.split(separator: ",", omittingEmptySubsequences: false).enumerated()
        where prefixes.contains(where: { name.hasPrefix($0) }) { evaluationColumns.insert(i) }
        var text = head + "\n"
        for (i, line) in lines.enumerated() {
            guard let s = Int(line.prefix { $0 != "," }) else {
                throw TrainingError.log(path: source.path, reason: "line \(i + 2), column 1: step is not an integer")
            }
            guard s <= step else { continue }
            if keepEvaluation(s) { text += line + "\n"; continue }
            text += line.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                .map { evaluationColumns.contains($0.offset) ? "" : String($0.element) }.joined(separator: ",") + "\n"
        }
        do { try Data(text.utf8).write(to: destination, options: .atomic) } catch {
            throw TrainingError.log(path: destination.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Appends one row.
    public func append(_ row: TrainingLogRow) throws {
        guard let handle else { throw TrainingError.log(path: url.path, reason: "append before open") }
        func cells(_ m: [String: Double]) -> [String] { evaluationNames.map { m[$0].map { "\($0)" } ?? "" } }
        var fields = ["\(row.step)", "\(row.tokens)", "\(row.learningRate)", "\(row.trainLoss)"]
        fields += cells(row.validationLoss)
        fields.append("\(row.tokensPerSecond)")
        if swa { fields += cells(row.swaValidationLoss) }
        if ema { fields += cells(row.emaValidationLoss) }
        do { try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8)) } catch {
            throw TrainingError.log(path: url.path, reason: "cannot append: \(error.localizedDescription)")
        }
    }
}
