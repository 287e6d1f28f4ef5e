import Base
import Cluster
import DataMixing
import Foundation

/// Anything that trains one mixture and returns its validation losses: our GPT-2 ``ProxyTrainer`` or a
/// user's own script (``CommandTrainer``). `ddo run` and the pipeline plan, cache, resume and spread runs
/// over MPI ranks the same way whichever it is.
public protocol RunTrainer {
    /// The training domains, in the order of `tokens`.
    var domains: [String] { get }
    /// Everything a run's losses depend on besides its token quantities (the ``RunCache`` claim).
    var fingerprint: String { get }
    /// Trains run `id` on `tokens[i]` predicted tokens of `domains[i]` and returns the final validation loss
    /// (nats per token) of every validation domain. `folder` is the run's own folder (it exists); `log`, when
    /// given, is where a CSV training log goes, if the trainer writes one.
    func train(id: String, tokens: [Int], folder: URL, log: URL?) throws -> [String: Double]
}

extension ProxyTrainer: RunTrainer {
    public func train(id: String, tokens: [Int], folder: URL, log: URL?) throws -> [String: Double] {
        try train(tokens: tokens, log: log)
    }
}

/// A user's trainer behind the one stable protocol (Docs/autoscale.md, "Any trainer"):
///
/// - the tool runs `command` with `/bin/sh -c`, once per run, in the working directory;
/// - standard input is one JSON object, `{"id": "...", "out": "DIR/runs/<id>", "seed": S, "tokens": {"d1": n1,
///   ...}}` (keys sorted; `out` exists and is the command's to use; tokens are predicted tokens);
/// - the LAST line of its standard output is `{"losses": {"d1": l1, ...}}`: the validation loss of every
///   training domain (more domains may be given), in nats per token, finite and >= 0;
/// - its standard error passes through, or with `quiet` goes to `out/stderr.log`.
///
/// A nonzero exit, no JSON last line, a missing domain or a non-finite or negative loss is one error naming
/// the run and the command; the run is then not cached.
public struct CommandTrainer: RunTrainer, Sendable {
    public var command: String
    public var domains: [String]
    public var seed: UInt64
    /// Keep the command's standard error in the run folder instead of passing it through.
    public var quiet: Bool

    public init(command: String, domains: [String], seed: UInt64, quiet: Bool = false) throws {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FieldError("trainer_command", "is empty")
        }
        self.command = command
        self.domains = domains
        self.seed = seed
        self.quiet = quiet
    }

    public var fingerprint: String { "command \(command) seed \(seed) domains \(domains)" }

    /// The JSON object the command reads: keys sorted, one line.
    public func spec(id: String, tokens: [Int], folder: URL) -> String {
        let counts = JSONValue.object(zip(domains, tokens).sorted { $0.0 < $1.0 }.map { ($0.0, .integer($0.1)) })
        return JSONValue.object([("id", .string(id)), ("out", .string(folder.path)), ("seed", .integer(Int(seed))),
                                 ("tokens", counts)]).serialized()
    }

    public func train(id: String, tokens: [Int], folder: URL, log: URL?) throws -> [String: Double] {
        func fail(_ why: String) -> DataMixingError {
            .invalidArgument("run \(id): trainer command '\(command)' \(why)")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        if quiet {
            let url = folder.appendingPathComponent("stderr.log")
            FileManager.default.createFile(atPath: url.path, contents: nil)
            p.standardError = try FileHandle(forWritingTo: url)
        } else {
            p.standardError = FileHandle.standardError
        }
        // A command that exits without reading its spec closes the pipe: writing to it must be an EPIPE error,
        // not a SIGPIPE that kills this process (exit 141) with the failure unreported and --out left behind.
        signal(SIGPIPE, SIG_IGN)
        do { try p.run() } catch { throw fail("could not start (\(error.localizedDescription))") }
        // Write the spec from another thread so a command that prints before reading cannot deadlock us.
        let data = Data((spec(id: id, tokens: tokens, folder: folder) + "\n").utf8)
        let writer = input.fileHandleForWriting
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            _ = try? writer.write(contentsOf: data)
            try? writer.close()
            group.leave()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        if p.terminationReason == .uncaughtSignal { throw fail("was killed by signal \(p.terminationStatus)") }
        guard p.terminationStatus == 0 else { throw fail("exited with status \(p.terminationStatus)") }
        return try Self.losses(fromOutput: out, domains: domains, fail: fail)
    }

    /// Parses the last non-empty line of the command's output: `{"losses": {"d": l, ...}}`.
    static func losses(fromOutput out: Data, domains: [String], fail: (String) -> DataMixingError) throws -> [String: Double] {
        let text = String(decoding: out, as: UTF8.self)
        guard let last = text.split(whereSeparator: \.isNewline).last(where: { !$0.allSatisfy(\.isWhitespace) }) else {
            throw fail("printed nothing; its last output line must be {\"losses\": {...}}")
        }
        struct Reply: Decodable { var losses: [String: Double] }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(last.utf8)) else {
            throw fail("did not end with a JSON line {\"losses\": {\"domain\": loss, ...}} (last line: \(TableError.visible(String(last))))")
        }
        for d in domains where reply.losses[d] == nil {
            throw fail("returned no loss for domain \(d) (it gave "
                       + TableError.visible(reply.losses.keys.sorted().joined(separator: ", ")) + ")")
        }
        for (d, v) in reply.losses.sorted(by: { $0.key < $1.key }) where !(v.isFinite && v >= 0) {
            throw fail("returned loss \(v) for domain \(d); losses must be finite and >= 0 (nats per token)")
        }
        return reply.losses
    }
}

extension DDOExperiment {
    /// Runs the plan with `trainer` (our proxy or a user's command): the folder's ``RunCache`` is claimed with
    /// the trainer's fingerprint first, so a folder's cached runs all come from one configuration; run `id`
    /// gets the folder `runs/<id>/` for its own files. With several ranks, rank 0 claims the folder and each
    /// run trains on the rank that draws it (see ``run(communicator:progress:train:)``).
    public func run(trainer: any RunTrainer, communicator: any Communicator = LocalCommunicator(),
                    progress: (String) -> Void = { _ in }) throws -> DDOAnalysis {
        guard trainer.domains == plan.domains else {
            throw DataMixingError.invalidArgument("the trainer's domains \(trainer.domains) differ from the plan's \(plan.domains)")
        }
        try Cluster.onRankZero(communicator) { try cache.claim(fingerprint: trainer.fingerprint) }
        return try run(communicator: communicator, progress: progress) { run in
            try trainer.train(id: run.id, tokens: run.tokens, folder: cache.records.appendingPathComponent(run.id), log: nil)
        }
    }
}
