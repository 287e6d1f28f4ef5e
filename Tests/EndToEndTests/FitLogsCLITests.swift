import Foundation
import Testing
import TestSupport

/// `autoscale fit` on the logs trainers write (issue 18, "Logs in"): `train`'s own log.csv (validation cells only on
/// evaluation steps), Hugging Face Trainer's trainer_state.json, and `-` for standard input.
struct FitLogsCLITests {
    /// `L(t) = 2 + 30 t^-0.5` at `t = 124 · step`, evaluated every 5th of 40 steps, as `train` writes its log
    /// (header of TrainingLog; empty validation cells between evaluations).
    static func trainLog(evaluateEvery: Int = 5) -> (log: String, evaluated: String) {
        var log = "step,tokens,lr,train_loss,val_loss:digits,tokens_per_s\n", evaluated = "tokens,val_loss:digits\n"
        for step in 1...40 {
            let t = Double(124 * step), loss = 2 + 30 / t.squareRoot()
            let val = step % evaluateEvery == 0 ? "\(loss * (1 + 0.001 * Double(step % 3)))" : ""
            log += "\(step),\(124 * step),0.003,\(loss + 0.1),\(val),5000\n"
            if !val.isEmpty { evaluated += "\(124 * step),\(val)\n" }
        }
        return (log, evaluated)
    }

    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let u = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u.path
    }

    /// The empty validation cells of a train log are skipped and counted (on stderr, in `columns.skipped_empty_y` and
    /// the table's data line); the fit equals the fit of the evaluated rows alone, bit for bit. Before, the first
    /// empty cell stopped the command.
    @Test func trainLogRowsWithoutAValidationLossAreSkippedAndCounted() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (log, evaluated) = Self.trainLog()
        let logPath = try Self.write(log, "log.csv", in: dir), evalPath = try Self.write(evaluated, "eval.csv", in: dir)
        let args = ["--law", "power", "--x", "tokens", "--y", "val_loss:digits", "--json"]
        let a = try CLI.run(["fit", logPath] + args), b = try CLI.run(["fit", evalPath] + args + ["--quiet"])
        try #require(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(a.stderr.contains("autoscale fit: skipped 32 of 40 rows of \(logPath) with an empty \"val_loss:digits\" cell\n"))
        var ja = try ScalingCLI.json(a.stdout), jb = try ScalingCLI.json(b.stdout)
        let ca = try #require(ja["columns"] as? [String: Any]), cb = try #require(jb["columns"] as? [String: Any])
        #expect(ca["skipped_empty_y"] as? Int == 32 && cb["skipped_empty_y"] as? Int == 0)
        #expect(ja["points"] as? Int == 8)
        ja["columns"] = nil; jb["columns"] = nil
        #expect(NSDictionary(dictionary: ja) == NSDictionary(dictionary: jb))
        let table = try CLI.run(["fit", logPath, "--law", "power", "--x", "tokens", "--y", "val_loss:digits", "--quiet"])
        #expect(table.status == 0 && table.stdout.contains("8 points (32 rows with an empty y skipped) from \(logPath)"))
        #expect(table.stderr.isEmpty)
        // Only y cells are skipped: an empty x cell on an evaluated row, or a y column with no value, is one line.
        let holed = try Self.write(log.replacingOccurrences(of: "\n10,1240,", with: "\n10,,"), "holed.csv", in: dir)
        let none = try Self.write(Self.trainLog(evaluateEvery: 41).log, "none.csv", in: dir)
        for (file, y, message) in [(holed, "val_loss:digits", "\(holed):11:2: empty cell in column \"tokens\""),
                                   (none, "val_loss:digits", "\(none): column \"val_loss:digits\" is empty in all 40 rows")] {
            let r = try CLI.run(["fit", file, "--law", "power", "--x", "tokens", "--y", y, "--quiet"])
            #expect(r.status == 1 && !r.crashed && r.stdout.isEmpty)
            #expect(r.stderr == "Error: \(message)\n")
        }
    }

    /// trainer_state.json's log_history: `--x step --y eval_loss` fits the evaluation entries (the training and summary
    /// entries have no eval_loss and are skipped), the same fit as a CSV of those rows; `-` reads either form from
    /// standard input with the same result, and errors there name `<stdin>`.
    @Test func trainerStateAndStandardInput() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var entries: [String] = [], csv = "step,eval_loss\n"
        for step in stride(from: 10, through: 100, by: 10) {
            let loss = 1.5 + 8 / pow(Double(step), 0.4) * (1 + 0.002 * Double(step % 3))
            entries.append("    {\n      \"epoch\": \(Double(step) / 100),\n      \"grad_norm\": NaN,\n      \"learning_rate\": 5e-05,\n"
                           + "      \"loss\": \(loss + 0.2),\n      \"step\": \(step)\n    }")
            entries.append("    {\n      \"epoch\": \(Double(step) / 100),\n      \"eval_loss\": \(loss),\n"
                           + "      \"eval_runtime\": 0.5,\n      \"step\": \(step)\n    }")
            csv += "\(step),\(loss)\n"
        }
        entries.append("    {\n      \"step\": 100,\n      \"total_flos\": 1.2e+16,\n      \"train_loss\": 2.5\n    }")
        let state = "{\n  \"epoch\": 1.0,\n  \"global_step\": 100,\n  \"log_history\": [\n" + entries.joined(separator: ",\n")
            + "\n  ],\n  \"max_steps\": 100\n}\n"
        let statePath = try Self.write(state, "trainer_state.json", in: dir), csvPath = try Self.write(csv, "eval.csv", in: dir)
        let args = ["--law", "power", "--x", "step", "--y", "eval_loss", "--json"]
        let a = try CLI.run(["fit", statePath] + args), b = try CLI.run(["fit", csvPath] + args + ["--quiet"])
        try #require(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(a.stderr.contains("skipped 11 of 21 rows of \(statePath) with an empty \"eval_loss\" cell"))
        var ja = try ScalingCLI.json(a.stdout), jb = try ScalingCLI.json(b.stdout)
        #expect((ja["columns"] as? [String: Any])?["skipped_empty_y"] as? Int == 11 && ja["points"] as? Int == 10)
        ja["columns"] = nil; jb["columns"] = nil
        #expect(NSDictionary(dictionary: ja) == NSDictionary(dictionary: jb))
        // Standard input: the same bytes give the same output, in either form.
        for (path, text) in [(statePath, state), (csvPath, csv)] {
            let file = try CLI.run(["fit", path] + args + ["--quiet"]), stdin = try CLI.run(["fit", "-"] + args + ["--quiet"], stdin: text)
            #expect(stdin.status == 0 && stdin.stdout == file.stdout, "\(path): \(stdin.stderr)")
        }
        // Errors name the entry's line (entry 1 starts on line 5); a column that is not there lists the keys.
        let nan = try CLI.run(["fit", statePath, "--law", "power", "--x", "step", "--y", "grad_norm", "--quiet"])
        #expect(nan.status == 1 && nan.stderr == "Error: \(statePath):5:4: column \"grad_norm\": nan is not finite and "
                + "positive (its logarithm is taken)\n")
        let missing = try CLI.run(["fit", "-", "--law", "power", "--x", "steps", "--quiet"], stdin: state)
        #expect(missing.status == 1 && missing.stderr.hasPrefix("Error: <stdin>: no column \"steps\"; available columns: \"epoch\", "))
        let broken = try CLI.run(["fit", "-", "--law", "power", "--x", "step", "--quiet"], stdin: "{\"log_history\": 3}")
        #expect(broken.status == 1 && broken.stderr == "Error: <stdin>: cannot read: no \"log_history\" list (expected a "
                + "Hugging Face trainer_state.json)\n")
    }
}
