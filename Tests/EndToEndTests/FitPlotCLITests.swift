import Foundation
import Testing
import TestSupport

/// `autoscale fit --plot FILE.svg`: written beside the usual output (power: one curve; chinchilla: one per model size);
/// refused for isoflop with one line and no file.
@Test func fitPlotWritesTheSVG() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let power = dir.appendingPathComponent("power.svg"), chin = dir.appendingPathComponent("chin.svg")
    let a = try CLI.run(["fit", Fixture.url("scaling/synthetic_power.csv").path, "--law", "power", "--x", "compute",
                         "--plot", power.path, "--json", "--quiet"])
    let plain = try CLI.run(["fit", Fixture.url("scaling/synthetic_power.csv").path, "--law", "power", "--x", "compute",
                             "--json", "--quiet"])
    #expect(a.status == 0 && a.stdout == plain.stdout, "\(a.stderr)")
    let svg = try String(contentsOf: power, encoding: .utf8)
    #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>\n"))
    #expect(svg.components(separatedBy: "<circle data-series=").count - 1 == 20)
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
    let b = try CLI.run(["fit", Fixture.url("scaling/synthetic_chinchilla.csv").path, "--law", "chinchilla", "--n", "Model Size",
                         "--d", "Tokens", "--plot", chin.path, "--quiet"] + ScalingCLI.smallGrid)
    #expect(b.status == 0, "\(b.stderr)")
    let c = try String(contentsOf: chin, encoding: .utf8)
    #expect(c.components(separatedBy: "<circle data-series=").count - 1 == 48)
    let curves = c.components(separatedBy: "<polyline").count - 1
    #expect(curves == 8)  // 48 model sizes: 8 curves, the other sizes as rings
    let iso = dir.appendingPathComponent("iso.svg")
    let r = try CLI.run(["fit", Fixture.url("scaling/synthetic_isoflop.csv").path, "--law", "isoflop", "--n", "params",
                         "--flops", "flops", "--plot", iso.path])
    #expect(r.status == 1 && r.stderr == "Error: --plot draws power and chinchilla fits, not --law isoflop\n")
    #expect(!FileManager.default.fileExists(atPath: iso.path))
}
