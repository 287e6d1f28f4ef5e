import Foundation
import Testing
import TestSupport
@testable import Pipelines

/// `autoscale fit --plot`: the law's line lies on the law, the rows are the dots, the file stands alone.
struct FitPlotTests {
    @Test func theLineIsTheLawAndTheDotsAreTheRows() throws {
        let law = { (x: Double) in 1.5 + 40 * pow(x, -0.3) }
        let x = [1e3, 3e3, 1e4, 3e4, 1e5], y = x.map { law($0) * 1.01 }
        let series = [FitPlot.Series(label: "power law", x: x, y: y, law: law),
                      FitPlot.Series(label: "other", x: [2e3], y: [9], law: nil)]
        let chart = FitPlot.chart(title: "t", xLabel: "x", yLabel: "y", series: series)
        let svg = FitPlot.svg(title: "t", xLabel: "x", yLabel: "y", series: series)
        let lines = svg.split(separator: "\n").map(String.init)
        #expect(lines[1].hasPrefix("<style>") && svg.hasSuffix("</svg>\n"))
        // Coordinates are written to 6 decimals: a point read back is within ~1e-8 relative on these log axes.
        func numbers(_ line: String, _ attribute: String) -> [Double] {
            guard let r = line.range(of: attribute + "=\"") else { return [] }
            let rest = line[r.upperBound...]
            return rest[..<rest.firstIndex(of: "\"")!].split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }
        }
        let polyline = try #require(lines.first { $0.hasPrefix("<polyline") })
        let pts = numbers(polyline, "points")
        #expect(pts.count == 2 * 161)
        for k in stride(from: 0, to: pts.count, by: 2) {
            let px = chart.xScale.invert(pts[k]), py = chart.yScale.invert(pts[k + 1])
            #expect(abs(py / law(px) - 1) < 1e-6, "\(px)")
        }
        #expect(abs(chart.xScale.invert(pts[0]) / 1e3 - 1) < 1e-7 && abs(chart.xScale.invert(pts[320]) / 1e5 - 1) < 1e-7)
        let dots = lines.filter { $0.hasPrefix("<circle data-series=\"power law\"") }
        #expect(dots.count == 5)
        for (i, d) in dots.enumerated() {
            let cx = chart.xScale.invert(numbers(d, "cx")[0]), cy = chart.yScale.invert(numbers(d, "cy")[0])
            #expect(abs(cx / x[i] - 1) < 1e-7 && abs(cy / y[i] - 1) < 1e-7, "\(i)")
        }
        // The series without a law: grey rings, no line.
        #expect(lines.filter { $0.hasPrefix("<circle data-series=\"other\"") && $0.contains("fill=\"#ffffff\" stroke=\"#999999\"") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("<polyline") }.count == 1)
        #expect(FitPlot.svg(title: "t", xLabel: "x", yLabel: "y", series: series) == svg)
    }
}
