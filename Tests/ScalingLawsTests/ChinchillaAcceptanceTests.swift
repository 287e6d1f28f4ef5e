import Base
import Foundation
import ScalingLaws
import Testing
import TestSupport

/// The real Chinchilla points (Epoch AI's extraction of Hoffmann et al. Figure 4), read from
/// `../shared/data/chinchilla/` when present; never copied into the repository.
let chinchillaPath: String? = Fixture.sharedData.map { $0.appendingPathComponent("chinchilla/svg_extracted_data.csv").path }
    .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }

func chinchillaData() throws -> (n: [Double], d: [Double], loss: [Double]) {
    let t = try Table.read(path: try #require(chinchillaPath))
    let n = try t.doubles("Model Size", .positive), c = try t.doubles("Training FLOP", .positive)
    let loss = try t.doubles("loss", .positive)
    // Epoch AI drop the 5 highest-loss points; D = C / (6 N).
    let keep = loss.indices.sorted { loss[$0] < loss[$1] }.dropLast(5).sorted()
    return (keep.map { n[$0] }, keep.map { c[$0] / (6 * n[$0]) }, keep.map { loss[$0] })
}

@Test(.enabled(if: chinchillaPath != nil, "../shared/data/chinchilla/svg_extracted_data.csv is not present"))
func chinchillaApproach3ReproducesEpoch() throws {
    let data = try chinchillaData()
    #expect(data.n.count == 240)
    let t0 = Date()
    let fit = try LawFitter().fitChinchilla(n: data.n, d: data.d, loss: data.loss)

    // Epoch AI's published grid fit: E = 1.8172, alpha = 0.3473, beta = 0.3672 (A = 477.84, B = 2143.86).
    let e = try #require(fit.parameter("E")), alpha = try #require(fit.parameter("alpha"))
    let beta = try #require(fit.parameter("beta"))
    #expect(abs(e / 1.8172 - 1) < 0.005)
    #expect(abs(alpha / 0.3473 - 1) < 0.005)
    #expect(abs(beta / 0.3672 - 1) < 0.005)
    #expect(fit.starts == 4500)
}
