import Base
import ArgumentParser
import Foundation
import Optimization
import Pipelines
import ScalingLaws

/// `autoscale fit FILE.csv --law power|chinchilla|isoflop ...`: fits a scaling law to a CSV log.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a scaling law (power, chinchilla, isoflop) to a CSV log or a trainer_state.json.",
        discussion: """
            power       L(x) = E + A x^(-alpha)              --x COL
            chinchilla  L(N, D) = E + A/N^alpha + B/D^beta   --n COL, and --d COL
                                                             or --flops COL (D = C/(6N))
            isoflop     per FLOP budget, a parabola in log N gives N_opt;
                        then N_opt = k C^a                   --n COL --flops COL
            power and chinchilla minimize the summed Huber loss (or squared
            error) of log-loss residuals by L-BFGS from every start of a grid;
            above 2000 rows the starts are screened on a seeded subsample and
            the best basins polished on all rows (--full-search: every row).
            --run COL names runs: --final-only fits each run's last row, and
            --bootstrap resamples whole runs. FILE may be a Hugging Face
            trainer_state.json (its log_history, e.g. --x step --y eval_loss)
            or - (stdin); rows with an empty y cell are skipped and counted.
            See Docs/scaling-laws.md.
            """)

    enum Law: String, ExpressibleByArgument, CaseIterable { case power, chinchilla, isoflop }
    enum LossName: String, ExpressibleByArgument, CaseIterable { case huber, mse }

    @Argument(help: "The log: a CSV file with a header row of column names, a Hugging Face trainer_state.json, or - (stdin).")
    var file: String
    @Option(help: "The law to fit: power, chinchilla or isoflop.") var law: Law
    @Option(name: .customLong("y"), help: "Loss column.") var yColumn = "loss"
    @Option(name: .customLong("x"), help: "Power law: the x column (e.g. compute or tokens).") var xColumn: String?
    @Option(name: .customLong("n"), help: "Parameter-count column (chinchilla, isoflop).") var nColumn: String?
    @Option(name: .customLong("d"), help: "Token-count column (chinchilla).") var dColumn: String?
    @Option(name: .customLong("flops"), help: "FLOP column (chinchilla: D = C / (6 N); isoflop: the budget).")
    var flopsColumn: String?
    @Option(help: "Objective on log residuals: huber or mse (power, chinchilla).") var loss: LossName?
    @Option(help: "Huber threshold delta.") var delta: Double = 1e-3
    @Option(help: "Bootstrap replicates for percentile intervals (0: none).") var bootstrap: Int = 0
    @Option(help: "Bootstrap seed.") var seed: UInt64 = 0
    @Option(help: "Bootstrap interval level.") var level: Double = 0.95
    @Option(parsing: .unconditional, help: "Grid of alpha starts: START:STOP:STEP or v1,v2,... (default 0:2:0.5).") var gridAlpha: GridAxis?
    @Option(parsing: .unconditional, help: "Grid of beta starts (default 0:2:0.5).") var gridBeta: GridAxis?
    @Option(parsing: .unconditional, help: "Grid of e = log E starts (default -1:1:0.5).") var gridE: GridAxis?
    @Option(parsing: .unconditional, help: "Grid of a = log A starts (default 0:25:5).") var gridA: GridAxis?
    @Option(parsing: .unconditional, help: "Grid of b = log B starts (default 0:25:5).") var gridB: GridAxis?
    @Option(help: "Drop the K highest-loss points before fitting (Epoch AI drop 5 of Chinchilla's).")
    var dropHighestLoss: Int = 0
    @Option(help: "isoflop: relative tolerance within which FLOP values form one budget.") var flopsTolerance: Double = 0.01
    @Option(help: "L-BFGS iteration limit per start (power, chinchilla).") var maxIterations: Int = 15000
    @Option(name: .customLong("run"), help: "Run id column: one id, one run (--final-only; bootstrap by run).")
    var runColumn: String?
    @Flag(help: "Fit each run's final row only (its last row in the file); needs --run.") var finalOnly = false
    @Flag(help: "power, chinchilla: every start on every row, however many (default: screen above 2000 rows).")
    var fullSearch = false
    @Option(help: "Rows of the seeded subsample every start is screened on (default 256).") var screenSample: Int?
    @Option(help: "Distinct basins kept from the screen (default 4).") var screenPolish: Int?
    @Option(help: "Worker threads (0: all cores).") var threads: Int = 0
    @Option(name: .shortAndLong, help: "Also write the JSON result to this file (atomically).") var output: String?
    @Option(help: "Also draw the rows and the fitted law on log axes into this SVG file (power, chinchilla).")
    var plot: String?
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        let started = Date(), bar = ProgressBar(quiet: quiet)
        defer { bar.finish() }
        func progress(_ message: String) { self.progress(message, bar) }
        let replicate: @Sendable () -> Void = { [bootstrap] in bar.advance(of: bootstrap, unit: "replicates") }
        try validateOptions()
        let table = try LogFile.read(path: file)
        let columns = try FitData.load(table, law: law, y: yColumn, x: xColumn, n: nColumn, d: dColumn,
                                       flops: flopsColumn, dropHighest: dropHighestLoss, run: runColumn,
                                       finalOnly: finalOnly)
        if columns.skippedEmptyY > 0 {
            progress("skipped \(columns.skippedEmptyY) of \(table.rows.count) rows of \(table.source) with an empty "
                     + "\"\(yColumn)\" cell")
        }
        let result: JSONValue
        let text: String
        switch law {
        case .isoflop:
            var fit = try Self.naming(table.source) {
                try IsoFLOPFit.fit(n: columns.n, flops: columns.flops, loss: columns.y, relativeTolerance: flopsTolerance)
            }
            if bootstrap > 0 {
                progress("bootstrap: \(bootstrap) replicates, seed \(seed)")
                fit.bootstrap = try fit.bootstrap(n: columns.n, flops: columns.flops, loss: columns.y,
                                                  relativeTolerance: flopsTolerance, runs: columns.runs,
                                                  replicates: bootstrap, seed: seed, level: level,
                                                  onReplicate: replicate)
                bar.finish()
            }
            result = fit.json(extra: [("columns", columns.json)])
            text = FitOutput.isoflopTable(fit, columns: columns, file: file)
        case .power, .chinchilla:
            var fitter = LawFitter()
            fitter.loss = (loss ?? .huber) == .huber ? .huber(delta: delta) : .squared
            fitter.threads = threads
            fitter.optimizer.options.maxIterations = maxIterations
            fitter.polish.maxIterations = maxIterations
            if let g = gridAlpha { fitter.grid.alpha = g }
            if let g = gridBeta { fitter.grid.beta = g }
            if let g = gridE { fitter.grid.e = g }
            if let g = gridA { fitter.grid.a = g }
            if let g = gridB { fitter.grid.b = g }
            fitter.screening.enabled = !fullSearch
            if let s = screenSample { fitter.screening.sampleRows = s }
            if let k = screenPolish { fitter.screening.polishCount = k }
            let starts = law == .power ? fitter.grid.powerStarts.count : fitter.grid.chinchillaStarts.count
            let screened = fitter.screening.applies(rows: columns.y.count)
            progress("fitting \(law.rawValue) law to \(columns.y.count) points: L-BFGS from \(starts) starts"
                     + (screened ? " screened on \(fitter.screening.sampleRows) rows" : ""))
            var fit = try Self.naming(table.source) {
                law == .power ? try fitter.fitPower(x: columns.x, loss: columns.y)
                              : try fitter.fitChinchilla(n: columns.n, d: columns.d, loss: columns.y)
            }
            progress(String(format: "fit: %.2f s, %d evaluations", Date().timeIntervalSince(started), fit.evaluations))
            if let w = fit.screen?.warning {
                FileHandle.standardError.write(Data(("autoscale fit: warning: " + w + "\n").utf8))
            }
            if bootstrap > 0 {
                progress("bootstrap: \(bootstrap) replicates by \(columns.runs == nil ? "row" : "run"), seed \(seed)")
                fit.bootstrap = try fitter.bootstrap(fit, features: columns.features(law), loss: columns.y,
                                                     runs: columns.runs, replicates: bootstrap, seed: seed,
                                                     level: level, onReplicate: replicate)
                bar.finish()
            }
            result = fit.json(extra: [("columns", columns.json)])
            text = FitOutput.lawTable(fit, columns: columns, file: file)
            if let plot { try FitOutput.plot(fit, columns: columns, file: file, to: URL(fileURLWithPath: plot)) }
        }
        let line = result.serialized()
        if let out = output {
            do { try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw CLIError("\(out): cannot write: \(error.localizedDescription)")
            }
        }
        print(json ? line : text)
        progress(String(format: "done in %.2f s", Date().timeIntervalSince(started)))
    }

    /// A fitting error (too few points, no convergence, ...) as one line naming the file it came from.
    static func naming<T>(_ source: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ScalingLawError { throw CLIError("\(source): \(e)") }
    }

    func validateOptions() throws {
        if law == .isoflop && plot != nil { throw CLIError("--plot draws power and chinchilla fits, not --law isoflop") }
        if law == .isoflop && loss != nil { throw CLIError("--loss does not apply to --law isoflop (it fits parabolas by least squares)") }
        guard delta > 0 && delta.isFinite else { throw CLIError("--delta must be positive, got \(delta)") }
        guard bootstrap >= 0 && bootstrap != 1 else { throw CLIError("--bootstrap needs 0 or at least 2 replicates, got \(bootstrap)") }
        guard level > 0 && level < 1 else { throw CLIError("--level must lie in (0, 1), got \(level)") }
        guard flopsTolerance >= 0 else { throw CLIError("--flops-tolerance must be non-negative") }
        guard maxIterations >= 1 else { throw CLIError("--max-iterations must be at least 1") }
        guard threads >= 0 else { throw CLIError("--threads must be non-negative") }
        if let r = runColumn, r.trimmingCharacters(in: .whitespaces).isEmpty {
            throw CLIError("--run needs a column name")
        }
        let screenOptions = fullSearch || screenSample != nil || screenPolish != nil
        if law == .isoflop && screenOptions {
            throw CLIError("--full-search, --screen-sample and --screen-polish apply to power and chinchilla "
                           + "(isoflop has no multi-start)")
        }
        if fullSearch && (screenSample != nil || screenPolish != nil) {
            throw CLIError("--full-search runs no screen; drop --screen-sample and --screen-polish")
        }
        let needed = law == .power ? 4 : 6
        if let s = screenSample, s < needed {
            throw CLIError("--screen-sample must be at least \(needed) rows (the \(law.rawValue) law's parameters "
                           + "+ 1), got \(s)")
        }
        if let k = screenPolish, k < 1 { throw CLIError("--screen-polish must be at least 1, got \(k)") }
    }

    /// `autoscale fit: ` lines on stderr, above the bootstrap's progress bar on a terminal.
    func progress(_ message: String, _ bar: ProgressBar) {
        bar.line("autoscale fit: " + message)
    }
}

extension GridAxis: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// A one-line error for the command line (`Error: <message>`, exit status 1).
struct CLIError: Error, CustomStringConvertible, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
    var errorDescription: String? { message }
}
