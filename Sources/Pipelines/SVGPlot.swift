import Proxies
import Base
import DataMixing
import Foundation

/// One axis scale: data values on `[lo, hi]` mapped to pixels on `[start, end]`.
///
/// Linear: `p = start + (v - lo)/(hi - lo) · (end - start)`. Log: the same in `ln v` (`v > 0`; other values
/// map to NaN, which the plot drops). `invert` is the exact inverse (up to round-off).
struct _Scale: Sendable, Equatable {
    enum Kind: Sendable { case linear, log }
    var kind: Kind
    var lo: Double
    var hi: Double
    var start = 0.0
    var end = 1.0

    private func t(_ v: Double) -> Double { kind == .log ? (v > 0 ? Foundation.log(v) : .nan) : v }

    func callAsFunction(_ v: Double) -> Double {
        start + (t(v) - t(lo)) / (t(hi) - t(lo)) * (end - start)
    }

    func invert(_ p: Double) -> Double {
        let s = t(lo) + (p - start) / (end - start) * (t(hi) - t(lo))
        return kind == .log ? Foundation.exp(s) : s
    }

    /// A scale over `values` (non-finite ones, and non-positive ones for log, ignored) padded by `pad` of the
    /// span on each side (in `ln v` for log). A single value gets ±10% (or ±0.5 for 0). `include` values
    /// (e.g. 0 for a weight axis) widen the range without padding past them.
    static func fitting(_ values: [Double], kind: Kind, pad: Double = 0.05, include: [Double] = []) -> _Scale {
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        var lo = usable.min() ?? 1, hi = usable.max() ?? 1
        if lo == hi {
            if kind == .log { lo /= 1.1; hi *= 1.1 } else if lo == 0 { lo = -0.5; hi = 0.5 } else {
                let d = abs(lo) * 0.1
                lo -= d
                hi += d
            }
        } else if kind == .log {
            let f = Foundation.pow(hi / lo, pad)
            lo /= f
            hi *= f
        } else {
            let d = (hi - lo) * pad
            lo -= d
            hi += d
        }
        for v in include where v.isFinite {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return _Scale(kind: kind, lo: lo, hi: hi)
    }

    /// Tick values inside `[lo, hi]`. Linear: multiples of a 1-2-5 step giving about `count` ticks (the step
    /// rounds `span / count` at the geometric midpoints √2, √10, √50). Log: decades when the range spans more
    /// than three, else the 1-2-5 values of each decade (if two fall inside), else 1..9 (if three do), else
    /// the linear ticks.
    func ticks(count: Int = 5) -> [Double] {
        let inside = { (v: Double) in v >= self.lo * (1 - 1e-12) - 1e-300 && v <= self.hi * (1 + 1e-12) + 1e-300 }
        if kind == .log {
            let d0 = Int(Foundation.floor(Foundation.log10(lo))), d1 = Int(Foundation.ceil(Foundation.log10(hi)))
            let decades = Foundation.log10(hi / lo)
            for set in decades > 3 ? [[1.0]] : [[1.0, 2, 5], Array(stride(from: 1.0, through: 9, by: 1))] {
                let ticks = (d0...d1).flatMap { d in set.map { $0 * Foundation.pow(10, Double(d)) } }.filter(inside)
                if ticks.count >= (set.count == 9 ? 3 : 2) { return ticks }
            }
            // Fewer than three 1..9 values inside (a narrow range): the linear ticks.
            return _Scale(kind: .linear, lo: lo, hi: hi).ticks(count: count).filter { $0 > 0 }
        }
        let raw = (hi - lo) / Double(Swift.max(1, count))
        guard raw > 0, raw.isFinite else { return [lo] }
        let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let norm = raw / mag
        let step = (norm < 2.0.squareRoot() ? 1 : norm < 10.0.squareRoot() ? 2 : norm < 50.0.squareRoot() ? 5 : 10) * mag
        let first = Int(Foundation.ceil(lo / step - 1e-9)), last = Int(Foundation.floor(hi / step + 1e-9))
        guard first <= last else { return [] }
        // `+ 0` turns -0 into 0.
        return (first...last).map { Double($0) * step + 0 }
    }
}

/// A small generic SVG chart: a frame with ticked, labelled axes, a title, data series in data coordinates
/// (polylines, points, vertical markers, text) and an optional legend on the right.
///
/// Data are stored in data units and mapped at `render()` through `xScale`/`yScale`, whose pixel ranges
/// follow the layout (the legend's width included). Coordinates are written with 6 decimals (so a point read
/// back through the scales is within 5e-7 px of the original: data recovered to about 1e-8 relative); points that map to NaN or infinity are dropped,
/// and a polyline is split there. Text is XML-escaped; the output is deterministic.
struct _SVGPlot {
    enum Marker: Sendable { case none, dot, ring, line, bar }

    struct LegendEntry {
        var label: String
        var color: String
        var dash: String?
        var marker: Marker
    }

    enum Element {
        case line([(Double, Double)], color: String, dash: String?, width: Double, series: String?)
        case points([(Double, Double)], color: String, filled: Bool, series: String?)
        case vertical(Double, label: String)
        case text(Double, Double, String, color: String)
        case errorBar(Double, lower: Double, upper: Double, color: String, series: String?)
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var x: _Scale
    var y: _Scale
    var width = 460.0
    var height = 290.0
    var xTickLabel: (Double) -> String = _SVGPlot.number
    var yTickLabel: (Double) -> String = _SVGPlot.number
    private(set) var elements: [Element] = []
    private(set) var legend: [LegendEntry] = []

    init(title: String, xLabel: String, yLabel: String, x: _Scale, y: _Scale) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.y = y
    }

    mutating func line(_ points: [(Double, Double)], color: String, dash: String? = nil, width: Double = 1.6, series: String? = nil) {
        elements.append(.line(points, color: color, dash: dash, width: width, series: series))
    }

    mutating func points(_ points: [(Double, Double)], color: String, filled: Bool = true, series: String? = nil) {
        elements.append(.points(points, color: color, filled: filled, series: series))
    }

    /// A vertical error bar at `x` from `lower` to `upper` (data units): one `<line class="errorbar">` between the
    /// two mapped ends and a 6 px cap (`<line class="errorcap">`) at each; dropped when an end does not map.
    mutating func errorBar(at x: Double, lower: Double, upper: Double, color: String, series: String? = nil) {
        elements.append(.errorBar(x, lower: lower, upper: upper, color: color, series: series))
    }

    /// A dashed grey vertical line across the plot at `x`, labelled at the top.
    mutating func vertical(at x: Double, label: String) { elements.append(.vertical(x, label: label)) }

    /// Text just above the data point `(x, y)`.
    mutating func text(at x: Double, _ y: Double, _ s: String, color: String) { elements.append(.text(x, y, s, color: color)) }

    mutating func legendEntry(_ label: String, color: String, dash: String? = nil, marker: Marker = .line) {
        legend.append(LegendEntry(label: label, color: color, dash: dash, marker: marker))
    }

    // Layout: margins around the plot area; the legend column allows 7.2 px per character.
    private static let left = 62.0, top = 28.0, bottom = 44.0
    private var right: Double {
        legend.isEmpty ? 16 : 40 + 7.2 * Double(legend.map(\.label.count).max() ?? 0)
    }

    /// The scales with their pixel ranges (y grows downwards in SVG).
    var xScale: _Scale { var s = x; s.start = Self.left; s.end = width - right; return s }
    var yScale: _Scale { var s = y; s.start = renderedHeight - Self.bottom; s.end = Self.top; return s }
    /// `height`, or taller when the legend needs it.
    var renderedHeight: Double { max(height, Self.top + 8 + 16 * Double(legend.count) + Self.bottom) }

    static func number(_ v: Double) -> String {
        let s = String(format: "%g", v)
        return s == "-0" ? "0" : s
    }

    /// A pixel coordinate: 6 decimals, trailing zeros removed.
    static func coord(_ v: Double) -> String {
        var s = String(format: "%.6f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Finite mapped points, split into runs at the points that are not.
    private func mapped(_ pts: [(Double, Double)]) -> [[(Double, Double)]] {
        let xs = xScale, ys = yScale
        var runs: [[(Double, Double)]] = [[]]
        for (a, b) in pts {
            let p = (xs(a), ys(b))
            if p.0.isFinite && p.1.isFinite { runs[runs.count - 1].append(p) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
        }
        return runs.filter { !$0.isEmpty }
    }

    private func seriesAttribute(_ s: String?) -> String { s.map { " data-series=\"\(Self.escape($0))\"" } ?? "" }

    func render() -> String {
        let xs = xScale, ys = yScale, c = Self.coord
        let x0 = xs.start, x1 = xs.end, y0 = ys.start, y1 = ys.end, height = renderedHeight
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(c(width))\" height=\"\(c(height))\" "
            + "viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        out += "<text class=\"ctitle\" x=\"\(c(x0))\" y=\"16\">\(Self.escape(title))</text>\n"
        // Grid, ticks and tick labels.
        out += "<g class=\"axes\">\n"
        for t in x.ticks() {
            let p = c(xs(t))
            out += "<line class=\"grid\" x1=\"\(p)\" y1=\"\(c(y0))\" x2=\"\(p)\" y2=\"\(c(y1))\"/>"
            out += "<line x1=\"\(p)\" y1=\"\(c(y0))\" x2=\"\(p)\" y2=\"\(c(y0 + 4))\"/>"
            out += "<text x=\"\(p)\" y=\"\(c(y0 + 15))\" text-anchor=\"middle\">\(Self.escape(xTickLabel(t)))</text>\n"
        }
        for t in y.ticks() {
            let p = c(ys(t))
            out += "<line class=\"grid\" x1=\"\(c(x0))\" y1=\"\(p)\" x2=\"\(c(x1))\" y2=\"\(p)\"/>"
            out += "<line x1=\"\(c(x0 - 4))\" y1=\"\(p)\" x2=\"\(c(x0))\" y2=\"\(p)\"/>"
            out += "<text x=\"\(c(x0 - 6))\" y=\"\(c(ys(t) + 4))\" text-anchor=\"end\">\(Self.escape(yTickLabel(t)))</text>\n"
        }
        out += "<rect class=\"frame\" x=\"\(c(x0))\" y=\"\(c(y1))\" width=\"\(c(x1 - x0))\" height=\"\(c(y0 - y1))\"/>\n"
        out += "<text x=\"\(c((x0 + x1) / 2))\" y=\"\(c(height - 8))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out += "<text x=\"14\" y=\"\(c((y0 + y1) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(c((y0 + y1) / 2)))\">"
            + "\(Self.escape(yLabel))</text>\n</g>\n<g class=\"data\">\n"
        for e in elements {
            switch e {
            case let .line(pts, color, dash, w, series):
                for run in mapped(pts) {
                    let dashAttr = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                    out += "<polyline\(seriesAttribute(series)) fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(c(w))\"\(dashAttr) points=\""
                        + run.map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ") + "\"/>\n"
                }
            case let .points(pts, color, filled, series):
                for p in mapped(pts).joined() {
                    let fill = filled ? color : "#ffffff"
                    out += "<circle\(seriesAttribute(series)) cx=\"\(c(p.0))\" cy=\"\(c(p.1))\" r=\"3.5\" fill=\"\(fill)\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
                }
            case let .vertical(v, label):
                let p = xs(v)
                guard p.isFinite else { continue }
                out += "<line class=\"marker\" x1=\"\(c(p))\" y1=\"\(c(y0))\" x2=\"\(c(p))\" y2=\"\(c(y1))\"/>"
                out += "<text x=\"\(c(p - 3))\" y=\"\(c(y1 + 11))\" text-anchor=\"end\">\(Self.escape(label))</text>\n"
            case let .errorBar(v, lower, upper, color, series):
                let p = xs(v), lo = ys(lower), hi = ys(upper)
                guard p.isFinite, lo.isFinite, hi.isFinite else { continue }
                let stroke = "stroke=\"\(color)\" stroke-width=\"1.4\""
                out += "<line class=\"errorbar\"\(seriesAttribute(series)) x1=\"\(c(p))\" y1=\"\(c(lo))\" "
                    + "x2=\"\(c(p))\" y2=\"\(c(hi))\" \(stroke)/>"
                for end in [lo, hi] {
                    out += "<line class=\"errorcap\" x1=\"\(c(p - 3))\" y1=\"\(c(end))\" "
                        + "x2=\"\(c(p + 3))\" y2=\"\(c(end))\" \(stroke)/>"
                }
                out += "\n"
            case let .text(a, b, s, color):
                let p = (xs(a), ys(b))
                guard p.0.isFinite, p.1.isFinite else { continue }
                out += "<text x=\"\(c(p.0))\" y=\"\(c(p.1 - 4))\" fill=\"\(color)\">\(Self.escape(s))</text>\n"
            }
        }
        out += "</g>\n"
        if !legend.isEmpty {
            out += "<g class=\"legend\">\n"
            for (i, entry) in legend.enumerated() {
                let ly = y1 + 8 + 16 * Double(i), lx = x1 + 12
                switch entry.marker {
                case .none: break
                case .dot, .ring:
                    out += "<circle cx=\"\(c(lx + 9))\" cy=\"\(c(ly))\" r=\"3.5\" fill=\"\(entry.marker == .dot ? entry.color : "#ffffff")\" "
                        + "stroke=\"\(entry.color)\" stroke-width=\"1.5\"/>"
                case .bar:
                    out += "<line x1=\"\(c(lx + 9))\" y1=\"\(c(ly - 6))\" x2=\"\(c(lx + 9))\" y2=\"\(c(ly + 6))\" "
                        + "stroke=\"\(entry.color)\" stroke-width=\"1.4\"/>"
                case .line:
                    let dashAttr = entry.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                    out += "<line x1=\"\(c(lx))\" y1=\"\(c(ly))\" x2=\"\(c(lx + 18))\" y2=\"\(c(ly))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(dashAttr)/>"
                }
                out += "<text x=\"\(c(lx + 22))\" y=\"\(c(ly + 4))\">\(Self.escape(entry.label))</text>\n"
            }
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }
}
