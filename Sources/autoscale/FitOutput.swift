import Foundation
import Pipelines
import ScalingLaws

/// The human-readable tables of `autoscale fit` (stdout without `--json`).
enum FitOutput {
    /// `%.6g`-style number.
    static func g(_ v: Double, _ digits: Int = 6) -> String { String(format: "%.\(digits)g", v) }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

    static func formula(_ fit: FittedLaw) -> (symbolic: String, fitted: String) {
        let p = { (name: String) in g(fit.parameter(name) ?? .nan, 5) }
        if fit.law == "power" {
            return ("L(x) = E + A * x^(-alpha)", "L(x) = \(p("E")) + \(p("A")) * x^(-\(p("alpha")))")
        }
        return ("L(N, D) = E + A / N^alpha + B / D^beta",
                "L(N, D) = \(p("E")) + \(p("A")) / N^\(p("alpha")) + \(p("B")) / D^\(p("beta"))")
    }

    /// `--plot`: the power law's rows and curve against x; Chinchilla's rows against D with the law's curve at each
    /// model size (at most 8: evenly through the sorted distinct sizes when there are more, the other sizes' rows as
    /// grey rings). Written by ``FitPlot`` (Pipelines).
    static func plot(_ fit: FittedLaw, columns: FitData, file: String, to url: URL) throws {
        let p = { (name: String) in fit.parameter(name) ?? .nan }
        let name = { (key: String) -> String in
            if case .string(let s)? = columns.names.first(where: { $0.0 == key })?.1 { return s } else { return key }
        }
        var series: [FitPlot.Series]
        let xLabel: String
        if fit.law == "power" {
            series = [.init(label: "L(x) = E + A x^-alpha", x: columns.x, y: columns.y,
                            law: { p("E") + p("A") * pow($0, -p("alpha")) })]
            xLabel = "\(name("x")) (log scale)"
        } else {
            let sizes = Array(Set(columns.n)).sorted()
            let shown = sizes.count <= 8 ? sizes : (0..<8).map { sizes[Int((Double($0) * Double(sizes.count - 1) / 7).rounded())] }
            series = shown.map { n in
                let rows = columns.n.indices.filter { columns.n[$0] == n }
                return .init(label: "N = " + String(format: "%.3g", n), x: rows.map { columns.d[$0] }, y: rows.map { columns.y[$0] },
                             law: { p("E") + p("A") / pow(n, p("alpha")) + p("B") / pow($0, p("beta")) })
            }
            let other = columns.n.indices.filter { !shown.contains(columns.n[$0]) }
            if !other.isEmpty {
                series.append(.init(label: "other sizes", x: other.map { columns.d[$0] }, y: other.map { columns.y[$0] }, law: nil))
            }
            xLabel = (columns.flops.isEmpty ? name("d") : "D = \(name("flops")) / (6 N)") + " (log scale)"
        }
        try FitPlot.write(title: "\(fit.law) law fitted to \(fit.points) points of \(file)", xLabel: xLabel,
                          yLabel: "\(name("y")) (log scale)", series: series, to: url)
    }

    static func source(_ columns: FitData, file: String, points: Int) -> String {
        let cols = columns.names.map { k, v -> String in
            if case .string(let s) = v { return "\(k) = \"\(s)\"" } else { return k }
        }.joined(separator: ", ")
        let dropped = columns.dropped > 0 ? " (after dropping the \(columns.dropped) highest-loss)" : ""
        let runs = columns.runs.map { r in columns.finalOnly ? ", the final row of each of \(r.count) runs"
                                                             : ", \(r.count) runs" } ?? ""
        let skipped = columns.skippedEmptyY > 0 ? " (\(columns.skippedEmptyY) rows with an empty y skipped)" : ""
        return "\(points) points\(runs)\(dropped)\(skipped) from \(file): \(cols)"
    }

    static func intervalHeader(_ b: BootstrapSummary?) -> String {
        guard let b else { return "" }
        return "\(g(100 * b.level, 3))% interval"
    }

    static func intervalCell(_ b: BootstrapSummary?, _ name: String) -> String {
        guard let b, let iv = b.intervals.first(where: { $0.name == name }) else { return "" }
        return "[\(g(iv.lower)), \(g(iv.upper))]"
    }

    static func bootstrapLine(_ b: BootstrapSummary?) -> String? {
        guard let b else { return nil }
        return "bootstrap  \(b.replicates) replicates (seed \(b.seed), \(b.converged) converged); percentile intervals"
    }

    static func lawTable(_ fit: FittedLaw, columns: FitData, file: String) -> String {
        let (symbolic, fitted) = formula(fit)
        var lines = [
            "law        \(fit.law): \(symbolic)",
            "data       \(source(columns, file: file, points: fit.points))",
        ]
        switch fit.loss {
        case .huber(let delta): lines.append("objective  sum of Huber(delta = \(g(delta))) of log residuals = \(g(fit.objective, 8))")
        case .squared: lines.append("objective  sum of squared log residuals = \(g(fit.objective, 8))")
        }
        if let s = fit.screen {
            let check = s.checkRows.map { ", checked on \($0) rows" } ?? ""
            lines.append("optimizer  L-BFGS from \(fit.starts) starts on a seeded \(s.sampleRows)-row subsample "
                         + "(\(fit.convergedStarts) converged); \(s.basins) basins kept\(check), "
                         + "\(s.polished) polished on all rows, winner ranked \(s.winnerRank + 1); "
                         + "\(fit.evaluations) evaluations; "
                         + "best stopped on \(fit.status)")
            if let w = s.warning { lines.append("warning    " + w) }
        } else {
            lines.append("optimizer  L-BFGS from \(fit.starts) starts (\(fit.convergedStarts) converged), "
                         + "\(fit.evaluations) evaluations; best stopped on \(fit.status)")
        }
        if let b = bootstrapLine(fit.bootstrap) { lines.append(b) }
        lines.append("")
        lines.append(pad("parameter", 12) + pad("value", 16) + intervalHeader(fit.bootstrap))
        for p in fit.parameters {
            lines.append(pad(p.name, 12) + pad(g(p.value), 16) + intervalCell(fit.bootstrap, p.name))
        }
        lines.append("")
        lines.append("fitted     \(fitted)")
        let q = fit.goodness
        lines.append("fit        RMSE of log L \(g(q.rmseLog, 4)), max |log residual| \(g(q.maxAbsLog, 4)), "
                     + "mean relative error \(g(100 * q.meanRelativeError, 3))%, R^2 \(g(q.r2, 5))")
        return trimmed(lines)
    }

    /// Joins lines, dropping trailing spaces left by empty interval cells.
    static func trimmed(_ lines: [String]) -> String {
        lines.map { l in String(l.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }

    static func isoflopTable(_ fit: IsoFLOPFit, columns: FitData, file: String) -> String {
        var lines = [
            "law        isoflop (Chinchilla approach 2): per budget, a parabola of loss in log N; N_opt = k C^a",
            "data       \(source(columns, file: file, points: fit.points))",
            "budgets    \(fit.vertices.count) used" + (fit.skipped.isEmpty ? "" : ", \(fit.skipped.count) skipped"),
        ]
        if let b = bootstrapLine(fit.bootstrap) { lines.append(b) }
        lines.append("")
        lines.append(pad("flops", 14) + pad("points", 8) + pad("N_opt", 14) + pad("D_opt", 14) + "loss at N_opt")
        for v in fit.vertices {
            lines.append(pad(g(v.flops, 4), 14) + pad("\(v.points)", 8) + pad(g(v.nOpt, 4), 14) + pad(g(v.dOpt, 4), 14)
                         + g(v.lossAtOptimum, 5))
        }
        for s in fit.skipped { lines.append(pad(g(s.flops, 4), 14) + pad("\(s.points)", 8) + "skipped: \(s.reason)") }
        lines.append("")
        lines.append(pad("parameter", 12) + pad("value", 16) + intervalHeader(fit.bootstrap))
        lines.append(pad("k", 12) + pad(g(fit.k), 16) + intervalCell(fit.bootstrap, "k"))
        lines.append(pad("a", 12) + pad(g(fit.a), 16) + intervalCell(fit.bootstrap, "a"))
        lines.append("")
        lines.append("fitted     N_opt = \(g(fit.k, 5)) C^\(g(fit.a, 5)),  D_opt = C / (6 N_opt) = \(g(1 / (6 * fit.k), 5)) C^\(g(1 - fit.a, 5))")
        lines.append("fit        RMSE of log N_opt about the line \(g(fit.rmseLogN, 4))")
        return trimmed(lines)
    }
}
