import Base
import Foundation
import ScalingLaws

/// The numeric columns a fit needs, read from a ``Table`` with every cell checked (positive and finite,
/// since logarithms are taken), and the names they came from.
struct FitData {
    var y: [Double] = []
    var x: [Double] = []
    var n: [Double] = []
    var d: [Double] = []
    var flops: [Double] = []
    var names: [(String, JSONValue)] = []
    var dropped = 0
    /// Rows skipped because their y cell was empty (a training log's steps without an evaluation).
    var skippedEmptyY = 0
    /// The runs (`--run`), over the rows kept; `finalOnly`: one row per run, its last in the file.
    var runs: RunGroups?
    var finalOnly = false

    /// Rows whose y cell is empty are skipped first (counted in ``skippedEmptyY``): `train`'s `log.csv` has a
    /// validation cell only on evaluation steps, a trainer state's `eval_loss` only on evaluation entries. Every other
    /// empty cell of a column the fit uses is an error naming its place; so is a y column with no value at all.
    static func load(_ table: Table, law: FitCommand.Law, y: String, x: String?, n: String?, d: String?,
                     flops: String?, dropHighest: Int, run: String? = nil,
                     finalOnly: Bool = false) throws -> FitData {
        var out = FitData()
        if finalOnly && run == nil { throw CLIError("--final-only needs --run COLUMN (the run id column)") }
        let yIndex = try table.columnIndex(y)
        let valued = table.rows.indices.filter { !table.rows[$0][yIndex].isEmpty }
        out.skippedEmptyY = table.rows.count - valued.count
        if valued.isEmpty && !table.rows.isEmpty {
            throw CLIError("\(table.source): column \"\(table.columns[yIndex])\" is empty in all \(table.rows.count) rows")
        }
        let table = out.skippedEmptyY > 0 ? table.rows(at: valued) : table
        func need(_ col: String?, _ flag: String) throws -> String {
            guard let c = col else { throw CLIError("--law \(law.rawValue) needs \(flag) COLUMN") }
            return c
        }
        switch law {
        case .power:
            if n != nil || d != nil || flops != nil { throw CLIError("--law power takes --x (not --n, --d or --flops)") }
            let xc = try need(x, "--x")
            out.x = try table.doubles(xc, .positive)
            out.names = [("x", .string(xc))]
        case .chinchilla:
            if x != nil { throw CLIError("--law chinchilla takes --n and --d or --flops (not --x)") }
            let nc = try need(n, "--n")
            out.n = try table.doubles(nc, .positive)
            switch (d, flops) {
            case (let dc?, nil):
                out.d = try table.doubles(dc, .positive)
                out.names = [("n", .string(nc)), ("d", .string(dc))]
            case (nil, let fc?):
                out.flops = try table.doubles(fc, .positive)
                out.d = zip(out.flops, out.n).map { $0 / (6 * $1) }
                out.names = [("n", .string(nc)), ("flops", .string(fc))]
            case (nil, nil): throw CLIError("--law chinchilla needs --d COLUMN (tokens) or --flops COLUMN (D = C / (6 N))")
            default: throw CLIError("--law chinchilla takes one of --d and --flops, not both")
            }
        case .isoflop:
            if x != nil || d != nil { throw CLIError("--law isoflop takes --n and --flops (not --x or --d)") }
            let nc = try need(n, "--n"), fc = try need(flops, "--flops")
            out.n = try table.doubles(nc, .positive)
            out.flops = try table.doubles(fc, .positive)
            out.names = [("n", .string(nc)), ("flops", .string(fc))]
        }
        out.y = try table.doubles(y, .positive)
        out.names.append(("y", .string(y)))
        guard dropHighest >= 0 else { throw CLIError("--drop-highest-loss must be non-negative") }
        if let rc = run {
            let cells = try table.strings(rc)
            let j = try table.columnIndex(rc)
            if let i = cells.firstIndex(where: \.isEmpty) {
                let place = "\(table.source):\(table.lines[i]):\(j + 1)"
                throw CLIError("\(place): empty run id in column \"\(table.columns[j])\"")
            }
            out.runs = RunGroups(ids: cells)
            out.names.append(("run", .string(rc)))
            if finalOnly {
                out.pick(out.runs!.finalRows)
                out.finalOnly = true
            }
        }
        if dropHighest > 0 {
            guard dropHighest < out.y.count else {
                throw CLIError("--drop-highest-loss \(dropHighest) would drop all \(out.y.count) points")
            }
            let yy = out.y
            let keep = yy.indices.sorted { yy[$0] < yy[$1] || (yy[$0] == yy[$1] && $0 < $1) }
                .dropLast(dropHighest).sorted()
            out.pick(Array(keep))
            out.dropped = dropHighest
        }
        return out
    }

    /// Keeps rows `keep` (ascending) of every column and of the run groups.
    mutating func pick(_ keep: [Int]) {
        func sub<T>(_ v: [T]) -> [T] { v.isEmpty ? v : keep.map { v[$0] } }
        y = sub(y); x = sub(x); n = sub(n); d = sub(d); flops = sub(flops)
        runs = runs?.subset(keep)
    }

    func features(_ law: FitCommand.Law) -> [[Double]] {
        law == .power ? x.map { [$0] } : zip(n, d).map { [$0, $1] }
    }

    var json: JSONValue {
        var m = names + [("skipped_empty_y", .integer(skippedEmptyY)), ("dropped_highest_loss", .integer(dropped))]
        if let r = runs { m += [("runs", .integer(r.count)), ("final_only", .bool(finalOnly))] }
        return .object(m)
    }
}
