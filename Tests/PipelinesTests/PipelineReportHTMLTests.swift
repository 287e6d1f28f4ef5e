import Base
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import DataMixing
@testable import Pipelines

/// The HTML report on a small synthetic pipeline report: three domains (one named `a<b&c`, one with a flat
/// fit), DDO at 1k and 3k tokens, the real predictor's extrapolation to 30k, two seeds of validation.
@Suite struct PipelineReportHTMLTests {
    static let domains = ["web", "a<b&c", "code"]
    static let curves = [
        "web": PowerLawCurve(a: 0.2, b: 0.5, c: 0.1),
        "a<b&c": PowerLawCurve(a: 0, b: 0, c: -0.02),
        "code": PowerLawCurve(a: -0.2, b: 1.2, c: 0.3),
    ]

    /// A DDO result at `budget` whose fits pass through points at x = 1/3, 1, 3 (with a residual of 1e-4 on
    /// the last one) and whose optimal quantities are `tokens`.
    static func ddoEntry(budget: Int, tokens: [Double]) -> PipelineReport.DDOEntry {
        var fits: [String: MixtureResult.Fit] = [:]
        for d in domains {
            let curve = curves[d]!, x = [1, 1.0 / 3, 3]
            let residuals = [0, 0, 1e-4]
            let y = zip(x, residuals).map { curve.value($0) + $1 }
            fits[d] = .init(a: curve.a, b: curve.b, c: curve.c, x: x, y: y, residuals: residuals,
                            maxAbsResidual: 1e-4, rmsResidual: 1e-4 / 3.0.squareRoot(), exact: false)
        }
        let total = tokens.reduce(0, +)
        let result = MixtureResult(domains: domains, budget: Double(budget),
                                   tokens: Dictionary(uniqueKeysWithValues: zip(domains, tokens)),
                                   weights: Dictionary(uniqueKeysWithValues: zip(domains, tokens.map { $0 / total })),
                                   fits: fits, objective: "mean-ppl", lower: 1.0 / 3, upper: 3,
                                   base: Dictionary(uniqueKeysWithValues: domains.map { ($0, Double(budget) / 3) }))
        return .init(budget: budget, folder: "ddo-\(TokenCount.label(budget))", result: result, seeds: [1])
    }

    /// Final mean losses per (mixture, seed): AutoScale beats uniform on both seeds by far more than the
    /// spread (significant), and beats the reused DDO weights on one seed only (inside the noise).
    static let finals: [String: [Double]] = ["uniform": [5.30, 5.32], "ddo-3k": [5.19, 5.25], "autoscale": [5.20, 5.21]]

    static func report(validation withValidation: Bool = true) throws -> PipelineReport {
        let ddo = [ddoEntry(budget: 1000, tokens: [500, 200, 300]), ddoEntry(budget: 3000, tokens: [1400, 400, 1200])]
        let prediction = try MixtureResult.predicted(from: ddo.map(\.result), sources: ddo.map(\.folder), budget: 30000)
        var validation: PipelineReport.Validation?
        if withValidation {
            let seeds: [UInt64] = [1, 2]
            let names = ["uniform", "ddo-3k", "autoscale"]
            let mixtures = names.map { n in
                PipelineReport.Mixture(name: n, weights: Dictionary(uniqueKeysWithValues: domains.map { ($0, 1.0 / 3) }),
                                       tokens: Dictionary(uniqueKeysWithValues: domains.map { ($0, 10000) }))
            }
            var runs: [PipelineReport.Run] = []
            for (s, seed) in seeds.enumerated() {
                for n in names {
                    let final = finals[n]![s]
                    let losses = Dictionary(uniqueKeysWithValues: domains.enumerated().map { ($1, final + 0.1 * Double($0 - 1)) })
                    runs.append(.init(mixture: n, seed: seed, losses: losses, meanLoss: final, objective: Foundation.exp(final),
                                      curve: [.init(tokens: 3000, meanLoss: 8.1), .init(tokens: 15000, meanLoss: 6.2 + 0.01 * Double(s)),
                                              .init(tokens: 30000, meanLoss: final)],
                                      log: "validation/seed-\(seed)/\(n).csv"))
                }
            }
            let summaries = names.map { n in
                let f = finals[n]!, mean = (f[0] + f[1]) / 2
                return PipelineReport.Summary(mixture: n, losses: Dictionary(uniqueKeysWithValues: domains.map { ($0, mean) }),
                                              meanLoss: mean, meanLossSD: abs(f[0] - f[1]) / 2.0.squareRoot(), objective: Foundation.exp(mean))
            }
            let comparisons = names.dropLast().map { PipelineReport.Comparison(mixture: "autoscale", against: $0, runs: runs, seeds: seeds) }
            validation = .init(seeds: seeds, mixtures: mixtures, runs: runs, summaries: summaries, comparisons: comparisons)
        }
        return PipelineReport(domains: domains, objective: "mean-ppl", objectiveDomains: Dictionary(uniqueKeysWithValues: domains.map { ($0, 1.0) }),
                              budgets: [1000, 3000], target: 30000, ddo: ddo, prediction: prediction, validation: validation,
                              warnings: ["prediction: a <warning> & more"])
    }

    // MARK: Parsing helpers

    /// Every element (name and attributes) of the page, parsed as XML after dropping the doctype line.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }
    }

    static func parse(_ html: String) throws -> [(name: String, attributes: [String: String])] {
        let prefix = "<!DOCTYPE html>\n"
        #expect(html.hasPrefix(prefix))
        let parser = XMLParser(data: Data(html.dropFirst(prefix.count).utf8))
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        #expect(ok, "XML error: \(String(describing: parser.parserError)) at line \(parser.lineNumber), column \(parser.columnNumber)")
        return collector.elements
    }

    /// The `(x, y)` pixel pairs of the polylines (or circles) of `series` in an SVG fragment, in order.
    static func pixels(_ svg: String, element: String, series: String) throws -> [(Double, Double)] {
        let elements = try parse("<!DOCTYPE html>\n" + svg)
        let chosen = elements.filter { $0.name == element && $0.attributes["data-series"] == series }
        if element == "circle" { return chosen.map { (Double($0.attributes["cx"]!)!, Double($0.attributes["cy"]!)!) } }
        return chosen.flatMap { e in
            e.attributes["points"]!.split(separator: " ").map { pair in
                let p = pair.split(separator: ",").map { Double($0)! }
                return (p[0], p[1])
            }
        }
    }

    // MARK: Tests

    /// The page parses as XML (so every `<svg>` and other element is closed), has the expected charts, and every
    /// numeric coordinate in it is finite; without validation there is one chart fewer.
    @Test func pageIsWellFormedWithFiniteCoordinates() throws {
        for withValidation in [true, false] {
            let html = try Self.report(validation: withValidation).html()
            let elements = try Self.parse(html)
            let svgs = elements.filter { $0.name == "svg" }.count
            // One weights chart, 3 domains x 2 budgets of fits, the validation chart.
            #expect(svgs == 1 + 6 + (withValidation ? 1 : 0))
            #expect(html.components(separatedBy: "<svg").count == html.components(separatedBy: "</svg>").count)
            let numeric: Set = ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "points", "viewBox", "transform"]
            var checked = 0
            for e in elements {
                for (key, value) in e.attributes where numeric.contains(key) {
                    let tokens = value.split(whereSeparator: { " ,()".contains($0) }).filter { Double($0) != nil || $0.lowercased().contains("nan") || $0.lowercased().contains("inf") }
                    for t in tokens {
                        #expect(Double(t)?.isFinite == true, "\(e.name) \(key)=\(value)")
                        checked += 1
                    }
                }
            }
            #expect(checked > 1000)
            #expect(!html.contains("<script") && !html.contains("https://") && !html.contains(" src=") && !html.contains("@import"))
            #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1
                == html.components(separatedBy: "xmlns=\"http://").count - 1, "only namespace URLs, no external resources")
            #expect(html.contains("validation/seed-2/autoscale.csv") == withValidation)
            for link in ["report.json", "prediction.json", "ddo-1k/result.json", "ddo-3k/losses.csv"] {
                #expect(html.contains("href=\"\(link)\""))
            }
        }
    }

    /// Domain names (one with `<` and `&`) are escaped everywhere, appear in the weights chart's legend, and
    /// the warnings are escaped too.
    @Test func domainNamesAreEscapedAndInTheLegend() throws {
        let report = try Self.report()
        let html = report.html()
        #expect(!html.contains("a<b&c"))
        #expect(!html.contains("<warning>"))
        #expect(html.contains("a &lt;warning&gt; &amp; more"))
        let svg = report._weightsChart().render()
        let legend = try #require(svg.range(of: "<g class=\"legend\">")).upperBound
        let legendText = String(svg[legend...])
        for d in Self.domains { #expect(legendText.contains(">\(_SVGPlot.escape(d))</text>"), "\(d)") }
        #expect(legendText.contains("a&lt;b&amp;c"))
        #expect(html.contains(svg))
    }

    /// The fitted curves' polyline points, mapped back through the chart's scales, satisfy
    /// y = (x + a)^(-b) + c to 1e-6 relative; the measured points map back to the fit's x, y to 1e-6; the flat
    /// fit is a horizontal line marked "flat".
    @Test func fittedCurvesLieOnTheCurve() throws {
        let report = try Self.report()
        let html = report.html()
        for entry in report.ddo {
            for d in Self.domains {
                let plot = report._fitChart(domain: d, entry: entry)
                let svg = plot.render()
                #expect(html.contains(svg))
                let fit = entry.result.fits[d]!
                let curve = PowerLawCurve(a: fit.a, b: fit.b, c: fit.c)
                let line = try Self.pixels(svg, element: "polyline", series: "fit")
                #expect(line.count == 161)
                var worst = 0.0
                for (px, py) in line {
                    let x = plot.xScale.invert(px), y = plot.yScale.invert(py)
                    worst = max(worst, abs(y - curve.value(x)) / abs(curve.value(x)))
                }
                #expect(worst < 1e-6, "\(d) at \(entry.budget): \(worst)")
                let ends = [line.first!, line.last!].map { plot.xScale.invert($0.0) }
                #expect(maxRelDiff(ends, [fit.x.min()!, fit.x.max()!]) < 1e-6)
                let dots = try Self.pixels(svg, element: "circle", series: "measured")
                #expect(maxRelDiff(dots.map { plot.xScale.invert($0.0) }, fit.x) < 1e-6)
                #expect(maxRelDiff(dots.map { plot.yScale.invert($0.1) }, fit.y) < 1e-6)
                #expect(svg.contains(">flat</text>") == (fit.b == 0))
                if fit.b == 0 { #expect(Set(line.map(\.1)).count == 1) }
            }
        }
    }

    /// The extrapolated weight lines end at the target budget and the prediction's weights (1e-6 relative),
    /// start at the smallest DDO budget's weights (the two-budget fit is exact), and the DDO dots sit at
    /// their budgets and weights.
    @Test func extrapolationEndsAtThePrediction() throws {
        let report = try Self.report()
        let plot = report._weightsChart()
        let svg = plot.render()
        #expect(report.prediction.predictor!.scale > 1)
        for d in Self.domains {
            let line = try Self.pixels(svg, element: "polyline", series: d)
            let back = line.map { (plot.xScale.invert($0.0), plot.yScale.invert($0.1)) }
            #expect(back.count == 241)
            #expect(abs(back.last!.0 / 30000 - 1) < 1e-6)
            #expect(abs(back.last!.1 / report.prediction.weights[d]! - 1) < 1e-6, "\(d): \(back.last!.1)")
            #expect(abs(back.first!.0 / 1000 - 1) < 1e-6)
            #expect(abs(back.first!.1 / report.ddo[0].result.weights[d]! - 1) < 1e-6)
            #expect(zip(back, back.dropFirst()).allSatisfy { $0.0 < $1.0 }, "budget increases along the line")
            let dots = try Self.pixels(svg, element: "circle", series: d)
            let expected: [(Double, Double)] = report.ddo.map { (Double($0.budget), $0.result.weights[d]!) } + [(30000.0, report.prediction.weights[d]!)]
            #expect(maxRelDiff(dots.map { plot.xScale.invert($0.0) }, expected.map(\.0)) < 1e-6)
            #expect(maxRelDiff(dots.map { plot.yScale.invert($0.1) }, expected.map(\.1)) < 1e-6)
        }
    }

    /// The summary states each paired comparison from `Comparison.significant`: AutoScale vs uniform is
    /// outside the seed noise, vs the reused DDO weights inside it; the per-seed differences are quoted.
    @Test func summaryStatesTheComparisons() throws {
        let report = try Self.report()
        let v = report.validation!
        #expect(v.comparisons.map(\.significant) == [true, false])
        let uniform = report._comparisonSentence(v.comparisons[0], v)
        #expect(uniform.contains("outside the seed noise"))
        #expect(uniform.contains("-0.1000, -0.1100"))
        #expect(uniform.contains("lower on 2 of 2 seeds"))
        let ddo = report._comparisonSentence(v.comparisons[1], v)
        #expect(ddo.contains("inside the seed noise"))
        #expect(ddo.contains("+0.0100, -0.0400"))
        #expect(ddo.contains("lower on 1 of 2 seeds"))
        let html = report.html()
        #expect(html.contains(uniform) && html.contains(ddo))
        // The validation chart has one line per run and a legend naming mixtures and seeds.
        let chart = report._validationChart(v).render()
        #expect(chart.components(separatedBy: "<polyline").count - 1 == 6)
        for label in ["uniform", "DDO 3k (reused)", "AutoScale", "seed 1", "seed 2"] { #expect(chart.contains(">\(label)</text>")) }
    }

    /// Known intervals: DDO at 1k and 3k (replicates) and the prediction (propagated), `[lower, upper]` per domain
    /// in `domains` order; web's upper bound at the target (0.93) is above every weight, so the axis must grow.
    static let bounds: [[[Double]]] = [
        [[0.42, 0.58], [0.15, 0.26], [0.25, 0.33]],
        [[0.40, 0.55], [0.10, 0.17], [0.35, 0.45]],
        [[0.30, 0.93], [0.01, 0.12], [0.20, 0.40]],
    ]

    static func intervals(_ method: String, _ b: [[Double]]) -> MixtureResult.Intervals {
        .init(method: method, level: 0.9, replicates: 2, failed: 0,
              weights: Dictionary(uniqueKeysWithValues: zip(domains, b)), tokens: [:], replicateTokens: [])
    }

    static func reportWithIntervals(ddo: Bool = true) throws -> PipelineReport {
        var report = try Self.report()
        if ddo {
            for k in report.ddo.indices { report.ddo[k].result.intervals = intervals("replicates", bounds[k]) }
        }
        report.prediction.intervals = intervals("propagated", bounds[2])
        return report
    }

    /// The `<line>` elements of `class` (and `series`, if given) in an SVG fragment: their end points, in order.
    static func lines(_ svg: String, class name: String, series: String? = nil) throws
        -> [(x1: Double, y1: Double, x2: Double, y2: Double)] {
        try parse("<!DOCTYPE html>\n" + svg).filter {
            $0.name == "line" && $0.attributes["class"] == name
                && (series == nil || $0.attributes["data-series"] == series)
        }.map { e in
            let v = { (k: String) in Double(e.attributes[k] ?? "") ?? .nan }
            return (v("x1"), v("y1"), v("x2"), v("y2"))
        }
    }

    /// Each interval is one vertical error bar in its domain's series at its budget, from its lower to its upper
    /// bound (mapped back through the chart's scales: 1e-6 relative), with a 6 px cap at each end; the y axis
    /// covers the highest bound; the weights table lists `weight [lower, upper]`; the legend and the note say what
    /// the bars are. Only the prediction's intervals: three bars, at the target.
    @Test func intervalsAreErrorBarsAtTheirCoordinates() throws {
        let report = try Self.reportWithIntervals()
        let plot = report._weightsChart()
        let svg = plot.render()
        let html = report.html()
        #expect(html.contains(svg))
        let budgets = [1000.0, 3000, 30000]
        for (j, d) in Self.domains.enumerated() {
            let bars = try Self.lines(svg, class: "errorbar", series: d)
            #expect(bars.count == 3, "\(d)")
            for (k, bar) in bars.enumerated() {
                #expect(bar.x1 == bar.x2, "\(d) \(k): vertical")
                #expect(abs(plot.xScale.invert(bar.x1) / budgets[k] - 1) < 1e-6, "\(d) \(k): x")
                #expect(abs(plot.yScale.invert(bar.y1) / Self.bounds[k][j][0] - 1) < 1e-6, "\(d) \(k): lower")
                #expect(abs(plot.yScale.invert(bar.y2) / Self.bounds[k][j][1] - 1) < 1e-6, "\(d) \(k): upper")
                #expect(bar.y2 >= plot.yScale.end && bar.y1 <= plot.yScale.start, "\(d) \(k): inside the frame")
            }
        }
        let bars = try Self.lines(svg, class: "errorbar"), caps = try Self.lines(svg, class: "errorcap")
        #expect(bars.count == 9 && caps.count == 18)
        for (bar, pair) in zip(bars, stride(from: 0, to: caps.count, by: 2).map { (caps[$0], caps[$0 + 1]) }) {
            for (cap, y) in [(pair.0, bar.y1), (pair.1, bar.y2)] {
                #expect(abs(cap.x1 - (bar.x1 - 3)) < 1e-5 && abs(cap.x2 - (bar.x1 + 3)) < 1e-5)
                #expect(cap.y1 == y && cap.y2 == y)
            }
        }
        #expect(plot.y.hi >= 0.93, "the axis covers the highest bound")
        let legend = try #require(svg.range(of: "<g class=\"legend\">")).upperBound
        #expect(svg[legend...].contains(">interval</text>"))
        #expect(html.contains("<td class=\"n\">0.5000 [0.4200, 0.5800]</td>"), "web at 1k in the weights table")
        #expect(html.contains("Bars: percentile intervals of the weights, DDO 1k: 90%, "
                              + "over the DDO seeds (2 replicates); DDO 3k: 90%"))
        #expect(html.contains("AutoScale 30k: 90%, the predictor applied to each replicate of its inputs "
                              + "(2 replicates)."))

        let only = try Self.reportWithIntervals(ddo: false)
        let onlyPlot = only._weightsChart()
        let onlyBars = try Self.lines(onlyPlot.render(), class: "errorbar")
        #expect(onlyBars.count == 3)
        #expect(onlyBars.allSatisfy { abs(onlyPlot.xScale.invert($0.x1) / 30000 - 1) < 1e-6 })
        #expect(!only.html().contains("0.5000 ["))
        #expect(only.html().contains("Bars: percentile intervals of the weights, AutoScale 30k"))
    }

    /// Without intervals nothing of the above: no bars, caps, legend entry, brackets or note.
    @Test func noIntervalsNoBars() throws {
        let report = try Self.report()
        #expect(report.ddo.allSatisfy { $0.result.intervals == nil } && report.prediction.intervals == nil)
        let svg = report._weightsChart().render()
        #expect(try Self.lines(svg, class: "errorbar").isEmpty && (try Self.lines(svg, class: "errorcap")).isEmpty)
        #expect(!svg.contains(">interval</text>"))
        let html = report.html()
        #expect(!html.contains("errorbar") && !html.contains("Bars:") && !html.contains("In brackets"))
        #expect(!html.contains(" ["))
    }

    /// With a trainer command (`curves == "final"`) each run is one dot at its final point, not a line; the page
    /// says why, names the command and links each run's folder instead of a log.
    @Test func finalOnlyValidationIsDots() throws {
        var report = try Self.report()
        var v = report.validation!
        v.curves = "final"
        for k in v.runs.indices {
            v.runs[k].curve = [v.runs[k].curve.last!]
            v.runs[k].folder = "validation/seed-\(v.runs[k].seed)/\(v.runs[k].mixture)"
            v.runs[k].log = nil
        }
        report.validation = v
        report.trainerCommand = "python3 train.py --fast <x>"
        let plot = report._validationChart(v)
        let chart = plot.render()
        #expect(!chart.contains("<polyline"))
        for r in v.runs {
            let dots = try Self.pixels(chart, element: "circle", series: "\(r.mixture) seed \(r.seed)")
            #expect(dots.count == 1)
            #expect(abs(plot.xScale.invert(dots[0].0) / 30000 - 1) < 1e-6)
            #expect(abs(plot.yScale.invert(dots[0].1) / r.meanLoss - 1) < 1e-6)
        }
        #expect(!chart.contains(">seed 1</text>"), "no dash legend without lines")
        let html = report.html()
        _ = try Self.parse(html)
        #expect(html.contains("Final validation loss at 30k tokens") && html.contains("reports only final losses"))
        #expect(html.contains("<code>python3 train.py --fast &lt;x&gt;</code>"))
        #expect(html.contains("href=\"validation/seed-2/autoscale\"") && !html.contains("autoscale.csv"))
    }

    /// Same report, same bytes: the page of a JSON round trip of the report (fresh dictionaries) is identical.
    @Test func outputIsDeterministic() throws {
        let report = try Self.report()
        let copy = try JSONDecoder().decode(PipelineReport.self, from: JSONEncoder().encode(report))
        #expect(copy == report)
        #expect(copy.html() == report.html())
    }

    /// Ticks: 1-2-5 values on a log axis within a decade or so, decades over many, 1-2-5 steps on a linear
    /// axis; scales invert exactly.
    @Test func scalesAndTicks() {
        #expect(_Scale(kind: .log, lo: 0.3, hi: 3.2).ticks() == [0.5, 1, 2])
        #expect(maxAbsDiff(_Scale(kind: .log, lo: 0.9, hi: 1.5).ticks(), [0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5]) < 1e-12)
        #expect(_Scale(kind: .log, lo: 1.5, hi: 4.5).ticks().map { ($0 * 10).rounded() / 10 } == [2, 3, 4])
        #expect(_Scale(kind: .log, lo: 50, hi: 2e6).ticks().map { ($0).rounded() } == [100, 1000, 10000, 100000, 1000000])
        #expect(maxAbsDiff(_Scale(kind: .linear, lo: 0, hi: 1.08).ticks(), [0, 0.2, 0.4, 0.6, 0.8, 1]) < 1e-12)
        #expect(_Scale(kind: .linear, lo: -3.7, hi: 12).ticks() == [-2, 0, 2, 4, 6, 8, 10, 12])
        let s = _Scale(kind: .log, lo: 1e3, hi: 3e4, start: 60, end: 400)
        #expect(abs(s(1e3) - 60) < 1e-12 && abs(s(3e4) - 400) < 1e-9)
        #expect(abs(s.invert(s(7777)) / 7777 - 1) < 1e-13)
        #expect(s(-1).isNaN)
        #expect(_SVGPlot.coord(12.5) == "12.5" && _SVGPlot.coord(3) == "3" && _SVGPlot.coord(-0.0000001) == "0")
        #expect(PipelineReport._grouped(1234567) == "1,234,567" && PipelineReport._grouped(999) == "999")
    }
}
