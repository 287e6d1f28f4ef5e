import Base
import Foundation
import Base

extension LossTable {
    /// Reads LOSSES.csv (see ``LossTable``) with the ScalingLaws CSV ``Table`` reader; every error names
    /// `file`, `file:line` or `file:line:column`.
    public static func read(path: String) throws -> LossTable { try LossTable(Table.read(path: path)) }

    /// Parses LOSSES.csv text; `source` names it in messages.
    public init(parsing text: String, source: String) throws { try self.init(Table(parsing: text, source: source)) }

    /// Interprets a parsed CSV table: `tokens:<domain>` columns (finite, >= 0), then either `val:<domain>`
    /// columns (finite, >= 0: cross-entropies) or one `objective` column (finite); an optional `run` column of
    /// names; other columns ignored.
    public init(_ table: Table) throws {
        let src = table.source
        var domains: [String] = [], tokenColumns: [Int] = []
        var validation: [String] = [], valColumns: [Int] = []
        for (j, name) in table.columns.enumerated() {
            for (prefix, isTokens) in [("tokens:", true), ("val:", false)] where name.hasPrefix(prefix) {
                let domain = String(name.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
                guard !domain.isEmpty else {
                    throw DataMixingError.invalidInput(location: "\(src):1:\(j + 1)",
                        message: "column \"\(TableError.visible(name))\" names no domain")
                }
                if isTokens { domains.append(domain); tokenColumns.append(j) } else { validation.append(domain); valColumns.append(j) }
            }
        }
        for (names, kind) in [(domains, "tokens:"), (validation, "val:")] {
            if let d = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
                throw DataMixingError.invalidInput(location: "\(src):1",
                    message: "domain \"\(TableError.visible(d))\" has two \(kind) columns")
            }
        }
        let hasObjective = table.columns.contains("objective")
        guard !domains.isEmpty else {
            throw DataMixingError.invalidInput(location: src, message:
                "no tokens:<domain> columns; the header is "
                + table.columns.map { "\"\(TableError.visible($0))\"" }.joined(separator: ","))
        }
        guard hasObjective != !validation.isEmpty else {
            throw DataMixingError.invalidInput(location: src, message: hasObjective
                ? "has both val:<domain> columns and an objective column; keep one"
                : "needs val:<domain> columns (validation losses) or an objective column")
        }
        guard !table.rows.isEmpty else { throw DataMixingError.invalidInput(location: src, message: "has a header but no runs") }
        // Token counts and cross-entropies cannot be negative: the first negative cell, named by file:line:column.
        func nonNegative(_ columns: [Int], _ what: (Double) -> String) throws -> [[Double]] {
            try columns.map { j in
                let values = try table.doubles(table.columns[j])
                if let r = values.firstIndex(where: { $0 < 0 }) {
                    throw DataMixingError.invalidInput(location: "\(src):\(table.lines[r]):\(j + 1)",
                        message: "column \"\(TableError.visible(table.columns[j]))\": \(what(values[r]))")
                }
                return values
            }
        }
        let tokens = try nonNegative(tokenColumns) { "\($0) tokens is negative" }
        let losses = try nonNegative(valColumns) { "\($0) is negative (a validation loss is a cross-entropy, >= 0)" }
        let objective = hasObjective ? try table.doubles("objective") : nil
        let names = table.columns.contains("run") ? try table.strings("run") : nil
        let runs = table.rows.indices.map { r in
            Run(line: table.lines[r], name: names?[r], tokens: tokens.map { $0[r] }, losses: losses.map { $0[r] },
                objective: objective?[r])
        }
        self.init(source: src, domains: domains, validationDomains: validation, runs: runs, tokenColumns: tokenColumns.map { $0 + 1 })
    }
}
