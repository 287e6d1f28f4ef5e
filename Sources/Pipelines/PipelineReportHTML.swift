import Proxies
import DataMixing
import Base
import Foundation

/// The offline HTML page of `autoscale pipeline` (`report.html`).
///
/// One self-contained, deterministic XHTML-compatible page (inline CSS and SVG, no scripts, no external
/// files): a summary (the question, the AutoScale weights, the paired validation comparisons), the charts
/// (weights against budget with the predictor's extrapolation and, where the results carry `intervals`, their
/// error bars; the per-domain DDO fits over their measured points; the validation loss curves, or with a
/// trainer command only each run's final point), the tables and links to the files of the report folder.
/// Every iteration follows `domains`, `ddo`, the mixtures, seeds and runs in their report order.
extension PipelineReport {
    public func html() -> String {
        let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1180px;margin:1.5em auto;padding:0 1em;color:#1a1a1a;line-height:1.45}
        h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
        th,td{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
        .summary{background:#f7f9fc;border:1px solid #d8e0ec;padding:.4em 1em;border-radius:4px}
        .good{color:#006d2c}.noise{color:#8a5a00}
        .multiples{display:flex;flex-wrap:wrap;gap:10px}
        figure{margin:0}figcaption{font-size:.82em;max-width:360px}
        svg.chart{font-size:11px;background:#fff}
        svg.chart .axes line{stroke:#444;stroke-width:1}
        svg.chart .axes line.grid{stroke:#e6e6e6}
        svg.chart .frame{fill:none;stroke:#444}
        svg.chart .ctitle{font-weight:bold;font-size:12px}
        svg.chart .marker{stroke:#777;stroke-dasharray:4 3}
        """
        var body = "<h1>AutoScale report</h1>\n" + _summary()
        body += "<h2>Weights against budget</h2>\n"
        body += "<p>Points: the DDO optimal weights at the small budgets. Lines: the AutoScale predictor "
            + "ln N<sub>d</sub>(u) = c<sub>d</sub> + k<sub>d</sub> u, normalised to weights, along the budget "
            + "&#931;<sub>d</sub> N<sub>d</sub>(u) from u = 0 (the smallest budget) to the target (rings)."
            + (_intervalNote().map { " " + $0 } ?? "") + "</p>\n"
        body += _weightsChart().render()
        body += "<h2>Per-domain fitted curves</h2>\n"
        body += "<p>For each domain and DDO budget: the measured y = objective / objective(base) against "
            + "x = N / N(base) and the fit y(x) = (x + a)<sup>-b</sup> + c.</p>\n"
        for d in domains {
            body += "<div class=\"multiples\">\n"
            for e in ddo {
                body += "<figure>\n" + _fitChart(domain: d, entry: e).render()
                    + "<figcaption>\(_fitCaption(domain: d, entry: e))</figcaption>\n</figure>\n"
            }
            body += "</div>\n"
        }
        if let v = validation {
            if v.curves == "final" {
                body += "<h2>Final validation loss at \(_tokens(target)) tokens</h2>\n"
                body += "<p>The trainer command reports only final losses, so each run is one point (its final mean "
                    + "validation loss over the objective's domains), not a curve; colour: mixture.</p>\n"
            } else {
                body += "<h2>Validation loss curves at \(_tokens(target)) tokens</h2>\n"
                body += "<p>Mean validation loss (over the objective's domains) during training; "
                    + "colour: mixture, dash: seed.</p>\n"
            }
            body += _validationChart(v).render()
        }
        body += _tables()
        return "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
            + "<title>AutoScale report: \(_SVGPlot.escape(_tokens(target))) tokens</title>\n<style>\n\(css)\n</style>\n</head>\n<body>\n"
            + body + "</body>\n</html>\n"
    }

    // MARK: Formatting

    /// Okabe-Ito colours (colour-blind safe), the bright yellow last; domain `i` gets `_palette[i % 8]`.
    static let _palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    /// Dash patterns of the seeds in the validation chart.
    static let _dashes: [String?] = [nil, "7 3", "2 3", "9 3 2 3", "4 4"]

    func _color(domain: String) -> String { Self._palette[(domains.firstIndex(of: domain) ?? 0) % Self._palette.count] }

    func _tokens(_ n: Int) -> String { TokenCount.label(n) }
    func _tokens(_ v: Double) -> String { v.isFinite && v >= 0 && v < 1e18 ? TokenCount.label(Int(v.rounded())) : _SVGPlot.number(v) }
    static func _f(_ v: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", v) }
    static func _g(_ v: Double, _ digits: Int = 4) -> String { _SVGPlot.number(Double(String(format: "%.\(digits)g", v)) ?? v) }

    /// `1234567` as `1,234,567`.
    static func _grouped(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `0.3120 [0.2900, 0.3300]`: a weight and its interval, when there is one.
    static func _weight(_ w: Double?, _ bounds: [Double]?) -> String {
        _f(w ?? .nan) + (bounds.flatMap { $0.count == 2 ? " [\(_f($0[0])), \(_f($0[1]))]" : nil } ?? "")
    }

    /// The weight intervals drawn as error bars, in report order: every DDO budget's and the target's result that
    /// carries `intervals`, one `[lower, upper]` per domain.
    func _weightIntervals() -> [(x: Double, domain: String, lower: Double, upper: Double)] {
        var out: [(x: Double, domain: String, lower: Double, upper: Double)] = []
        for (x, result) in ddo.map({ (Double($0.budget), $0.result) }) + [(Double(target), prediction)] {
            guard let iv = result.intervals else { continue }
            for d in domains {
                if let b = iv.weights[d], b.count == 2 { out.append((x, d, b[0], b[1])) }
            }
        }
        return out
    }

    /// What the error bars are, or `nil` without intervals.
    func _intervalNote() -> String? {
        let sets = ddo.compactMap { e in e.result.intervals.map { ("DDO \(_tokens(e.budget))", $0) } }
            + (prediction.intervals.map { [("AutoScale \(_tokens(target))", $0)] } ?? [])
        guard !sets.isEmpty else { return nil }
        let how = { (iv: MixtureResult.Intervals) -> String in
            let n = "\(iv.replicates) replicate\(iv.replicates == 1 ? "" : "s")"
            switch iv.method {
            case "replicates": return "over the DDO seeds (\(n))"
            case "propagated": return "the predictor applied to each replicate of its inputs (\(n))"
            case "bootstrap":
                return "bootstrap of the fit" + (iv.noise.map { " under noise \(Self._g($0))" } ?? "") + " (\(n))"
            default: return "\(_SVGPlot.escape(iv.method)) (\(n))"
            }
        }
        return "Bars: percentile intervals of the weights, " + sets.map { name, iv in
            "\(_SVGPlot.escape(name)): \(Self._g(100 * iv.level, 3))%, \(how(iv))"
        }.joined(separator: "; ") + "."
    }

    func _mixtureLabel(_ name: String) -> String {
        name == "autoscale" ? "AutoScale" : name.hasPrefix("ddo-") ? "DDO \(name.dropFirst(4)) (reused)" : name
    }

    // MARK: Summary

    func _summary() -> String {
        let e = _SVGPlot.escape
        let objectiveName = objective == "mean-ppl" ? "mean validation perplexity" : objective == "mean-loss" ? "mean validation loss" : objective
        let od = domains.filter { objectiveDomains[$0] != nil } + objectiveDomains.keys.filter { !domains.contains($0) }.sorted()
        let equal = Set(objectiveDomains.values).count <= 1
        let over = od == domains && equal ? "all domains"
            : od.map { equal ? $0 : "\($0) (weight \(Self._g(objectiveDomains[$0]!)))" }.joined(separator: ", ")
        var s = "<div class=\"summary\">\n<p><strong>Question:</strong> which mixture of the \(domains.count) domains ("
            + e(domains.joined(separator: ", ")) + ") minimises the \(e(objectiveName)) over \(e(over)) when training on "
            + "<strong>\(e(_tokens(target)))</strong> tokens? DDO at "
            + e(ddo.map { _tokens($0.budget) }.joined(separator: ", ")) + " tokens, then the AutoScale extrapolation.</p>\n"
        s += "<p><strong>AutoScale weights at \(e(_tokens(target))) tokens:</strong> "
            + domains.map { d in
                "<span style=\"color:\(_color(domain: d))\">&#9632;</span> \(e(d)) "
                    + Self._weight(prediction.weights[d], prediction.intervals?.weights[d])
                    + " (\(Self._grouped(Int((prediction.tokens[d] ?? 0).rounded()))) tokens)"
            }.joined(separator: ", ") + ".</p>\n"
        if let v = validation {
            s += "<p>Validation at \(e(_tokens(target))) tokens, seeds \(v.seeds.map(String.init).joined(separator: ", ")) "
                + "(mean validation loss, nats per token, paired by seed):</p>\n<ul>\n"
            for c in v.comparisons { s += "<li>\(_comparisonSentence(c, v))</li>\n" }
            s += "</ul>\n"
        }
        if let c = trainerCommand {
            s += "<p>Every run was trained by your command <code>\(e(c))</code> (final validation losses only).</p>\n"
        }
        if !warnings.isEmpty { s += "<p><strong>\(warnings.count) warning\(warnings.count == 1 ? "" : "s")</strong> (listed below).</p>\n" }
        return s + "</div>\n"
    }

    /// One plain sentence: both means, the per-seed differences, their standard error, the wins, and whether
    /// the gap is outside the seed noise (`Comparison.significant`).
    func _comparisonSentence(_ c: Comparison, _ v: Validation) -> String {
        let e = _SVGPlot.escape
        let mean = { (name: String) in v.summaries.first { $0.mixture == name }?.meanLoss }
        let a = e(_mixtureLabel(c.mixture)), b = e(_mixtureLabel(c.against))
        var s = "<strong>\(a)</strong> against <strong>\(b)</strong>: "
        if let ma = mean(c.mixture), let mb = mean(c.against) { s += "\(Self._f(ma)) against \(Self._f(mb)); " }
        let signed = { (x: Double) in (x > 0 ? "+" : "") + Self._f(x) }
        s += "difference per seed \(c.differences.map(signed).joined(separator: ", ")) "
            + "(mean \(signed(c.meanDifference)), standard error \(Self._f(c.standardError))); "
            + "\(a) is lower on \(c.wins) of \(c.differences.count) seed\(c.differences.count == 1 ? "" : "s"). "
        let direction = c.meanDifference < 0 ? "lower (better)" : c.meanDifference > 0 ? "higher (worse)" : "equal"
        if c.differences.count < 2 {
            s += "<span class=\"noise\">One seed only: the seed noise is not measured, so the gap is not established.</span>"
        } else if c.significant {
            s += "<span class=\"good\">\(a) is \(direction), outside the seed noise</span> (every seed agrees and |mean| &gt; 2 standard errors)."
        } else {
            s += "<span class=\"noise\">The gap is inside the seed noise</span> (the seeds disagree in sign or |mean| &#8804; 2 standard errors)."
        }
        return s
    }

    // MARK: Charts

    /// Weights against budget (log x): DDO optima as dots, the predictor's weights
    /// `w_d(u) = exp(c_d + k_d u) / Σ_e exp(c_e + k_e u)` at `x(u) = Σ_e exp(c_e + k_e u)` for 241 equally
    /// spaced `u` from `min(0, scale)` to `max(1, scale)` (so the line ends at the target when it lies beyond
    /// the fitted budgets), and the prediction at the target as rings; each `intervals` bound `[lower, upper]`
    /// of a DDO budget or the prediction as a vertical error bar at that budget in the domain's colour.
    func _weightsChart() -> _SVGPlot {
        var lines: [String: [(Double, Double)]] = [:]
        if let p = prediction.predictor, p.scale.isFinite {
            let lo = min(0, p.scale), hi = max(1, p.scale), n = 240
            for i in 0...n {
                let u = i == n ? hi : lo + (hi - lo) * Double(i) / Double(n)
                let q = domains.map { Foundation.exp((p.c[$0] ?? .nan) + (p.k[$0] ?? .nan) * u) }
                let total = q.reduce(0, +)
                for (d, v) in zip(domains, q) { lines[d, default: []].append((total, v / total)) }
            }
        }
        let xs = ddo.map { Double($0.budget) } + [Double(target)] + lines.values.joined().map(\.0)
        let ws = ddo.flatMap { e in domains.compactMap { e.result.weights[$0] } } + domains.compactMap { prediction.weights[$0] }
            + lines.values.joined().map(\.1) + _weightIntervals().flatMap { [$0.lower, $0.upper] }
        let top = ws.filter(\.isFinite).max() ?? 1
        var plot = _SVGPlot(title: "Weights against budget", xLabel: "training budget (tokens, log scale)", yLabel: "weight",
                            x: .fitting(xs, kind: .log, pad: 0.04), y: _Scale(kind: .linear, lo: 0, hi: top > 0 ? top * 1.08 : 1))
        plot.width = 640
        plot.height = 320
        plot.xTickLabel = { self._tokens($0) }
        plot.vertical(at: Double(target), label: "target \(_tokens(target))")
        let bars = _weightIntervals()
        for d in domains {
            let color = _color(domain: d)
            if let line = lines[d] { plot.line(line, color: color, series: d) }
            plot.points(ddo.compactMap { e in e.result.weights[d].map { (Double(e.budget), $0) } }, color: color, series: d)
            if let w = prediction.weights[d] { plot.points([(Double(target), w)], color: color, filled: false, series: d) }
            // Over the dots, so a bar shorter than a dot still shows.
            for b in bars where b.domain == d {
                plot.errorBar(at: b.x, lower: b.lower, upper: b.upper, color: color, series: d)
            }
            plot.legendEntry(d, color: color)
        }
        plot.legendEntry("DDO optimum", color: "#555555", marker: .dot)
        plot.legendEntry("AutoScale at target", color: "#555555", marker: .ring)
        if !bars.isEmpty { plot.legendEntry("interval", color: "#555555", marker: .bar) }
        return plot
    }

    /// The measured points of one domain's DDO fit at one budget and the curve `y(x) = (x + a)^(-b) + c` at
    /// 161 log-spaced `x` over `[min x, max x]` of the points (the result's `[lower, upper]` when there are
    /// none); a flat fit (`b = 0`) is the horizontal line `y = 1 + c` marked "flat".
    func _fitChart(domain d: String, entry e: DDOEntry) -> _SVGPlot {
        let fit = e.result.fits[d]
        let px = fit?.x ?? [], py = fit?.y ?? []
        let positive = px.filter { $0 > 0 && $0.isFinite }
        let lo = positive.min() ?? e.result.lower ?? 1.0 / 3, hi = positive.max() ?? e.result.upper ?? 3
        var curve: [(Double, Double)] = []
        if let fit, lo > 0, hi >= lo {
            let shape = PowerLawCurve(a: fit.a, b: fit.b, c: fit.c), n = 160
            for i in 0...n {
                let x = i == n ? hi : lo * Foundation.pow(hi / lo, Double(i) / Double(n))
                curve.append((x, shape.value(x)))
            }
        }
        let color = _color(domain: d)
        var plot = _SVGPlot(title: "\(d) at \(_tokens(e.budget))", xLabel: "x = N / N(base) (log scale)",
                            yLabel: "y = objective / objective(base)",
                            x: .fitting(px + [lo, hi], kind: .log, pad: 0.06), y: .fitting(py + curve.map(\.1), kind: .linear, pad: 0.08))
        plot.width = 360
        plot.height = 240
        plot.line(curve, color: color, series: "fit")
        plot.points(Array(zip(px, py)), color: color, series: "measured")
        if let fit, fit.b == 0, let first = curve.first { plot.text(at: first.0, first.1, "flat", color: color) }
        return plot
    }

    func _fitCaption(domain d: String, entry e: DDOEntry) -> String {
        let esc = _SVGPlot.escape
        guard let fit = e.result.fits[d] else { return "\(esc(d)) at \(esc(_tokens(e.budget))): no fit in the result" }
        var s = "<strong>\(esc(d))</strong> at \(esc(_tokens(e.budget))): "
        if fit.b == 0 {
            s += "flat (b = 0): y = 1 + c = \(Self._g(1 + fit.c)); a = \(Self._g(fit.a)), c = \(Self._g(fit.c))"
        } else {
            s += "a = \(Self._g(fit.a)), b = \(Self._g(fit.b)), c = \(Self._g(fit.c))"
        }
        s += "; max |residual| \(Self._g(fit.maxAbsResidual, 2)) over \(fit.x.count) point\(fit.x.count == 1 ? "" : "s")"
        return s + (fit.exact ? " (exact)" : "")
    }

    /// Mean validation loss against training tokens for every run: colour by mixture, dash by seed. With
    /// `curves == "final"` (a trainer command) every run is its final point, a dot (series `<mixture> seed <s>`).
    func _validationChart(_ v: Validation) -> _SVGPlot {
        let names = v.mixtures.map(\.name) + v.runs.map(\.mixture).filter { n in !v.mixtures.contains { $0.name == n } }
        let mixtureColor = { (name: String) in Self._palette[(names.firstIndex(of: name) ?? 0) % Self._palette.count] }
        let seedDash = { (seed: UInt64) in Self._dashes[(v.seeds.firstIndex(of: seed) ?? 0) % Self._dashes.count] }
        let points = v.runs.flatMap(\.curve)
        var plot = _SVGPlot(title: "Validation loss at \(_tokens(target)) tokens", xLabel: "training tokens",
                            yLabel: "mean validation loss (nats/token)",
                            x: .fitting(points.map { Double($0.tokens) }, kind: .linear, pad: 0.02),
                            y: .fitting(points.map(\.meanLoss), kind: .linear, pad: 0.05))
        plot.width = 720
        plot.height = 340
        plot.xTickLabel = { self._tokens($0) }
        let finalOnly = v.curves == "final"
        if finalOnly { plot.title = "Final validation loss at \(_tokens(target)) tokens" }
        for r in v.runs {
            let pts = r.curve.map { (Double($0.tokens), $0.meanLoss) }
            if finalOnly {
                plot.points(pts, color: mixtureColor(r.mixture), series: "\(r.mixture) seed \(r.seed)")
            } else {
                plot.line(pts, color: mixtureColor(r.mixture), dash: seedDash(r.seed),
                          series: "\(r.mixture) seed \(r.seed)")
            }
        }
        for n in names { plot.legendEntry(_mixtureLabel(n), color: mixtureColor(n), marker: finalOnly ? .dot : .line) }
        if !finalOnly { for s in v.seeds { plot.legendEntry("seed \(s)", color: "#555555", dash: seedDash(s)) } }
        return plot
    }

    // MARK: Tables

    static func _table(_ header: [String], _ rows: [[String]], numericFrom: Int = 1) -> String {
        "<table>\n<tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
            + rows.map { row in
                "<tr>" + row.enumerated().map { $0 >= numericFrom ? "<td class=\"n\">\($1)</td>" : "<td>\($1)</td>" }.joined() + "</tr>\n"
            }.joined() + "</table>\n"
    }

    static func _link(_ path: String) -> String {
        "<a href=\"\(_SVGPlot.escape(path))\">\(_SVGPlot.escape(path))</a>"
    }

    func _tables() -> String {
        let e = _SVGPlot.escape
        let p = prediction.predictor
        let w = { (r: MixtureResult) in self.domains.map { Self._weight(r.weights[$0], r.intervals?.weights[$0]) } }
        var s = "<h2>Weights per budget</h2>\n"
        var rows = ddo.enumerated().map { i, entry in
            ["DDO", e(_tokens(entry.budget)), p.map { i < $0.u.count ? Self._g($0.u[i]) : "" } ?? ""] + w(entry.result)
        }
        rows.append(["AutoScale", e(_tokens(target)), p.map { Self._g($0.scale) } ?? ""] + w(prediction))
        s += Self._table(["", "budget", "u"] + domains.map(e), rows, numericFrom: 1)
        if !_weightIntervals().isEmpty {
            s += "<p>In brackets: the weight's interval (the error bars of the chart).</p>\n"
        }
        if let p {
            s += "<p>Predictor fit ln N<sub>d</sub> = c<sub>d</sub> + k<sub>d</sub> u (rms residual in ln N: "
                + "\(Self._g(p.rmsLogResidual, 2))):</p>\n"
            s += Self._table(["domain", "c", "k", "tokens at target"], domains.map { d in
                [e(d), Self._g(p.c[d] ?? .nan, 6), Self._g(p.k[d] ?? .nan, 6), Self._grouped(Int((prediction.tokens[d] ?? 0).rounded()))]
            })
        }
        if let v = validation {
            s += "<h2>Validation at \(e(_tokens(target))) tokens</h2>\n<p>Final validation loss (nats per token), mean over "
                + "\(v.seeds.count) seed\(v.seeds.count == 1 ? "" : "s"); SD: sample standard deviation of the mean loss over seeds; "
                + "objective: \(e(objective)).</p>\n"
            s += Self._table(["mixture"] + domains.map(e) + ["mean loss", "SD", "objective"], v.summaries.map { m in
                [e(_mixtureLabel(m.mixture))] + domains.map { Self._f(m.losses[$0] ?? .nan) }
                    + [Self._f(m.meanLoss), Self._f(m.meanLossSD), Self._f(m.objective)]
            })
            s += "<h3>Per run</h3>\n"
            let files = v.curves == "final" ? "folder" : "log"
            s += Self._table(["mixture", "seed"] + domains.map(e) + ["mean loss", "objective", files], v.runs.map { r in
                [e(_mixtureLabel(r.mixture)), String(r.seed)] + domains.map { Self._f(r.losses[$0] ?? .nan) }
                    + [Self._f(r.meanLoss), Self._f(r.objective), (r.log ?? r.folder).map(Self._link) ?? ""]
            })
            s += "<h3>Mixtures trained</h3>\n"
            s += Self._table(["mixture"] + domains.map(e), v.mixtures.map { m in
                [e(_mixtureLabel(m.name))] + domains.map { Self._grouped(m.tokens[$0] ?? 0) }
            })
        }
        s += _methodsTable()
        s += "<h2>Warnings</h2>\n"
        s += warnings.isEmpty ? "<p>None.</p>\n" : "<ul>\n" + warnings.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
        s += "<h2>Files</h2>\n<ul>\n<li>\(Self._link("report.json")) (this report's data), \(Self._link("prediction.json"))</li>\n"
        for entry in ddo {
            s += "<li>DDO \(e(_tokens(entry.budget))): \(Self._link("\(entry.folder)/result.json")), "
                + "\(Self._link("\(entry.folder)/losses.csv"))</li>\n"
        }
        if let v = validation, case let logs = v.runs.compactMap(\.log), !logs.isEmpty {
            s += "<li>training logs: " + logs.map(Self._link).joined(separator: ", ") + "</li>\n"
        }
        if let v = validation, case let folders = v.runs.compactMap(\.folder), !folders.isEmpty {
            s += "<li>trainer run folders: " + folders.map(Self._link).joined(separator: ", ") + "</li>\n"
        }
        return s + "</ul>\n"
    }

    /// With `methods:`: the ranking (mean objective over seeds, paired differences with 95% t-intervals) and what
    /// each method cost.
    func _methodsTable() -> String {
        guard let ranking, let methods else { return "" }
        let e = _SVGPlot.escape
        let n = validation?.seeds.count ?? 0
        var s = "<h2>Methods ranked at \(e(_tokens(target))) tokens</h2>\n<p>Mean \(e(objective)) over \(n) seed"
            + (n == 1 ? "" : "s") + "; differences paired by seed, mean [95% t-interval]; <span class=\"good\">green</span>: "
            + "the interval excludes 0 (outside the seed noise). Only AutoScale extrapolates to the target; the fitted "
            + "methods' weights are fitted at the largest DDO budget. Proxy tokens as planned.</p>\n"
        func pair(_ p: PairedDifference?) -> String {
            guard let p else { return "" }
            guard let lo = p.lower, let hi = p.upper else { return Self._f(p.mean) }
            let text = "\(Self._f(p.mean)) [\(Self._f(lo)), \(Self._f(hi))]"
            return p.insideNoise == false ? "<span class=\"good\">\(text)</span>" : text
        }
        s += Self._table(["rank", "method"] + domains.map(e) + ["objective", "SD", "vs uniform", "vs autoscale", "fitted at",
                                                               "proxy runs", "proxy tokens", "seconds", "from"],
                         ranking.map { r in
            let m = methods.first { $0.method == r.method }!
            return [String(r.rank), e(r.method)] + domains.map { Self._f(m.weights[$0] ?? .nan) }
                + [Self._f(r.meanObjective), Self._f(r.sdObjective), pair(r.vsUniform), pair(r.vsAutoscale),
                   m.fittedAt.map { e(_tokens($0)) + (m.extrapolated ? " (extrapolated)" : "") } ?? "",
                   String(m.proxyRuns) + (m.reusesDDORuns ? " (DDO's)" : ""), Self._grouped(m.proxyTokens),
                   String(format: "%.1f", m.seconds), m.source.map(Self._link) ?? ""]
        }, numericFrom: 2)
        return s
    }
}
