import Base
import Foundation

/// `autoscale fit --plot FILE.svg`: the rows a law was fitted to and the fitted law, on log-log axes, drawn with the
/// report's SVG code (``_SVGPlot``) as a standalone SVG file (its styles inside; deterministic bytes).
///
/// Each ``Series`` is drawn as dots (its rows) and a line: its law at 161 log-spaced x over the range of every
/// series' x (`x_k = lo · (hi/lo)^(k/160)`). Both axes are log, padded by 5% of the span; the y axis spans the
/// rows and the lines. Colours: the report's Okabe-Ito palette, series `i` gets colour `i % 8`; a series without
/// a law (`law == nil`) is drawn as grey rings.
public enum FitPlot {
    public struct Series {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var law: ((Double) -> Double)?
        public init(label: String, x: [Double], y: [Double], law: ((Double) -> Double)?) {
            self.label = label; self.x = x; self.y = y; self.law = law
        }
    }

    /// The chart (its scales and elements; ``svg(title:xLabel:yLabel:series:)`` renders it).
    static func chart(title: String, xLabel: String, yLabel: String, series: [Series]) -> _SVGPlot {
        let xs = series.flatMap(\.x).filter { $0 > 0 && $0.isFinite }
        let lo = xs.min() ?? 1, hi = xs.max() ?? 1
        let grid = (0...160).map { lo * pow(hi / lo, Double($0) / 160) }
        let curves = series.map { s in s.law.map { f in grid.map { ($0, f($0)) } } ?? [] }
        var plot = _SVGPlot(title: title, xLabel: xLabel, yLabel: yLabel, x: .fitting(xs, kind: .log),
                            y: .fitting(series.flatMap(\.y) + curves.joined().map(\.1), kind: .log))
        plot.width = 640
        plot.height = 360
        var colour = 0
        for (s, curve) in zip(series, curves) {
            let points = zip(s.x, s.y).map { ($0, $1) }
            guard s.law != nil else {
                plot.points(points, color: "#999999", filled: false, series: s.label)
                plot.legendEntry(s.label, color: "#999999", marker: .ring)
                continue
            }
            let c = PipelineReport._palette[colour % PipelineReport._palette.count]
            colour += 1
            plot.line(curve, color: c, series: s.label)
            plot.points(points, color: c, series: s.label)
            plot.legendEntry(s.label, color: c)
        }
        return plot
    }

    /// The standalone SVG text.
    public static func svg(title: String, xLabel: String, yLabel: String, series: [Series]) -> String {
        let text = chart(title: title, xLabel: xLabel, yLabel: yLabel, series: series).render()
        let style = "<style>svg.chart{font-family:system-ui,Helvetica,Arial,sans-serif;font-size:11px;background:#fff}"
            + "svg.chart .axes line{stroke:#444;stroke-width:1}svg.chart .axes line.grid{stroke:#e6e6e6}"
            + "svg.chart .frame{fill:none;stroke:#444}svg.chart .ctitle{font-weight:bold;font-size:12px}</style>\n"
        guard let end = text.firstIndex(of: "\n") else { return text }
        return String(text[...end]) + style + String(text[text.index(after: end)...])
    }

    /// Writes ``svg(title:xLabel:yLabel:series:)`` to `url` atomically.
    public static func write(title: String, xLabel: String, yLabel: String, series: [Series], to url: URL) throws {
        try AtomicFile.write(svg(title: title, xLabel: xLabel, yLabel: yLabel, series: series), to: url)
    }
}
