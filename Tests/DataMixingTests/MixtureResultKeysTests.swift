import Base
import DataMixing
import Foundation
import Testing
import TestSupport

/// `result.json` and `prediction.json` are written with snake_case keys (0.5.0); files of the older camelCase keys
/// still read (`predict` reads results of older folders) to the same result.
struct MixtureResultKeysTests {
    static let renamed = ["max_abs_residual": "maxAbsResidual", "rms_residual": "rmsResidual", "fit_rule": "fitRule",
                          "promised_gain": "promisedGain", "rms_log_residual": "rmsLogResidual",
                          "noise_effect": "noiseEffect", "replicate_tokens": "replicateTokens"]

    static var result: MixtureResult {
        var r = MixtureResult(domains: ["Web", "code"], budget: 100, tokens: ["Web": 60, "code": 40],
                              weights: ["Web": 0.6, "code": 0.4],
                              fits: ["Web": .init(a: 1, b: 0.5, c: 0.1, x: [1, 2], y: [1, 0.9], residuals: [0, 1e-3],
                                                  maxAbsResidual: 1e-3, rmsResidual: 7e-4, exact: false)],
                              predictor: .init(budgets: [10, 20], u: [0, 1], c: ["Web": 1], k: ["Web": 2], scale: 1.5,
                                               rmsLogResidual: 0.01, sources: ["a.json", "b.json"]))
        r.fitRule = "smallest-b"
        r.promisedGain = 0.25
        r.alternative = .init(fitRule: "notebook", domains: ["Web"], fits: ["Web": .init(a: 1, b: 1, c: 0)],
                              tokens: ["Web": 50, "code": 50], weights: ["Web": 0.5, "code": 0.5], objective: 2)
        r.intervals = .init(method: "bootstrap", level: 0.9, noise: 0.01, noiseEffect: 0.13, seed: 3, replicates: 2,
                            failed: 0, weights: ["Web": [0.5, 0.7]], tokens: ["Web": [50, 70]],
                            replicateTokens: [["Web": 50, "code": 50], ["Web": 70, "code": 30]])
        return r
    }

    @Test func writtenSnakeCaseReadInBothSpellings() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("result.json")
        try Self.result.write(to: file)
        var text = try String(contentsOf: file, encoding: .utf8)
        for (new, old) in Self.renamed {
            #expect(text.contains("\"\(new)\"") && !text.contains("\"\(old)\""), "\(new)")
        }
        #expect(text.contains("\"Web\""))  // domain names are data, as given
        #expect(try MixtureResult.read(path: file.path) == Self.result)
        for (new, old) in Self.renamed { text = text.replacingOccurrences(of: "\"\(new)\"", with: "\"\(old)\"") }
        let legacy = dir.appendingPathComponent("legacy.json")
        try text.write(to: legacy, atomically: true, encoding: .utf8)
        #expect(text.contains("\"replicateTokens\"") && !text.contains("\"replicate_tokens\""))
        #expect(try MixtureResult.read(path: legacy.path) == Self.result)
    }
}
