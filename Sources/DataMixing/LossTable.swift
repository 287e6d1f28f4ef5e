import Foundation

/// The contents of LOSSES.csv: one row per training run, with the token quantity of every domain
/// (`tokens:<domain>` columns) and either per-domain validation losses (`val:<domain>` columns) or one
/// precomputed `objective` column (lower is better). An optional `run` column names the runs; any other
/// column is ignored.
public struct LossTable: Sendable, Equatable {
    public struct Run: Sendable, Equatable {
        /// The 1-based line in the file (`nil` for a table built in memory).
        public var line: Int?
        public var name: String?
        /// Tokens per domain, in ``LossTable/domains`` order.
        public var tokens: [Double]
        /// Validation losses, in ``LossTable/validationDomains`` order (empty with an objective column).
        public var losses: [Double]
        /// The `objective` cell, when the table has that column.
        public var objective: Double?

        public init(line: Int? = nil, name: String? = nil, tokens: [Double], losses: [Double] = [], objective: Double? = nil) {
            self.line = line
            self.name = name
            self.tokens = tokens
            self.losses = losses
            self.objective = objective
        }
    }

    /// The name used in messages (the path).
    public var source: String
    public var domains: [String]
    /// Domains with a `val:` column; empty when the table has an `objective` column instead.
    public var validationDomains: [String]
    public var runs: [Run]
    /// The 1-based column of each `tokens:<domain>` in the file (for messages), when read from a file.
    public var tokenColumns: [Int]?

    public var hasObjectiveColumn: Bool { validationDomains.isEmpty }

    public init(source: String, domains: [String], validationDomains: [String], runs: [Run], tokenColumns: [Int]? = nil) {
        self.source = source
        self.domains = domains
        self.validationDomains = validationDomains
        self.runs = runs
        self.tokenColumns = tokenColumns
    }

    /// `file:line` of run `r` (or `file` when the line is unknown).
    public func location(_ r: Int, column: Int? = nil) -> String {
        guard let line = runs[r].line else { return source }
        return column.map { "\(source):\(line):\($0)" } ?? "\(source):\(line)"
    }

    /// The CSV text: `run` (when every run has a name), `tokens:<d>`, then `val:<d>` or `objective`.
    /// Numbers are written with full round-trip precision (`Double.description`; whole token counts without
    /// a fraction).
    public func csv() -> String {
        let named = runs.allSatisfy { $0.name != nil }
        var header = named ? ["run"] : []
        header += domains.map { "tokens:\($0)" }
        header += hasObjectiveColumn ? ["objective"] : validationDomains.map { "val:\($0)" }
        var lines = [header.joined(separator: ",")]
        for r in runs {
            var cells = named ? [Self._quote(r.name!)] : []
            cells += r.tokens.map(Self._number)
            cells += hasObjectiveColumn ? [Self._number(r.objective ?? .nan)] : r.losses.map(Self._number)
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes ``csv()`` atomically.
    public func write(to url: URL) throws { try Data(csv().utf8).write(to: url, options: .atomic) }

    static func _number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }

    static func _quote(_ s: String) -> String {
        s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
