import Base
import Foundation
import ScalingLaws
import Testing

/// A trainer_state.json as transformers writes it (`json.dumps(indent=2, sort_keys=True)`): training entries,
/// evaluation entries, the final summary entry, and a NaN grad_norm (Python writes the bare token).
let trainerState = """
    {
      "best_metric": null,
      "epoch": 1.0,
      "eval_steps": 2,
      "global_step": 4,
      "log_history": [
        {
          "epoch": 0.5,
          "grad_norm": 1.25,
          "learning_rate": 5e-05,
          "loss": 3.5,
          "step": 2
        },
        {
          "epoch": 0.5,
          "eval_loss": 3.25,
          "eval_runtime": 0.1,
          "step": 2
        },
        {
          "epoch": 1.0,
          "grad_norm": NaN,
          "learning_rate": 0.0,
          "loss": 3.0,
          "step": 4
        },
        {"epoch": 1.0, "eval_loss": 2.875, "eval_runtime": 0.1, "step": 4},
        {
          "epoch": 1.0,
          "step": 4,
          "total_flos": 1.5e+18,
          "train_loss": 3.25,
          "train_runtime": 2.5
        }
      ],
      "logging_steps": 2,
      "trial_name": "log_history [",
      "trial_params": {"log_history": [{"x": 1}]}
    }

    """

@Test func trainerStateLogHistoryBecomesATable() throws {
    let t = try LogFile.parse(Data(trainerState.utf8), source: "trainer_state.json")
    #expect(t.columns == ["epoch", "eval_loss", "eval_runtime", "grad_norm", "learning_rate", "loss", "step",
                          "total_flos", "train_loss", "train_runtime"])
    // The line where each entry's `{` stands.
    #expect(t.lines == [7, 14, 20, 27, 28])
    #expect(t.rows[0] == ["0.5", "", "", "1.25", "5e-05", "3.5", "2", "", "", ""])
    #expect(t.rows[2][3] == "nan" && t.rows[2][4] == "0.0")
    #expect(t.rows[4][7] == "1.5e+18" && t.rows[4][8] == "3.25")
    #expect(try t.rows(at: [1, 3]).doubles("eval_loss") == [3.25, 2.875])
    #expect(t.rows(at: [1, 3]).lines == [14, 27])
    // A missing key is an empty cell, named with the entry's line; NaN is named as a value.
    let empty = #expect(throws: TableError.self) { try t.doubles("eval_loss") }
    #expect(empty?.description == "trainer_state.json:7:2: empty cell in column \"eval_loss\"")
    let nan = #expect(throws: TableError.self) { try t.rows(at: [2]).doubles("grad_norm") }
    #expect(nan?.description == "trainer_state.json:20:4: column \"grad_norm\": nan is not finite")
    // Leading white space and a byte-order mark move the lines with them.
    let shifted = try LogFile.parse(Data(("\u{FEFF}\n\n" + trainerState).utf8), source: "s")
    #expect(shifted.lines == [9, 16, 22, 29, 30] && shifted.rows == t.rows)
}

@Test func csvLogsParseAsBeforeAndBadTrainerStatesAreOneLine() throws {
    let csv = "step,loss\n1,2.5\n2,2.25\n"
    let a = try LogFile.parse(Data(csv.utf8), source: "log.csv"), b = try Table(parsing: csv, source: "log.csv")
    #expect(a.columns == b.columns && a.rows == b.rows && a.lines == b.lines)
    let cases: [(String, String)] = [
        ("{\"log_history\": [1]}", "s.json: cannot read: log_history[0] is not an object"),
        ("{\"global_step\": 3}", "s.json: cannot read: no \"log_history\" list (expected a Hugging Face trainer_state.json)"),
        ("{\"log_history\": [", "s.json: cannot read: not valid JSON (a file starting with '{' is read as a Hugging Face "
         + "trainer_state.json)"),
    ]
    for (text, message) in cases {
        let e = #expect(throws: TableError.self) { try LogFile.parse(Data(text.utf8), source: "s.json") }
        #expect(e?.description == message)
    }
    let empty = try LogFile.parse(Data("{\"log_history\": []}".utf8), source: "e")
    #expect(empty.columns.isEmpty && empty.rows.isEmpty)
}
