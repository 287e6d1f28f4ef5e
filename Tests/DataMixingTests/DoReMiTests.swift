import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// DoReMi's online update against Fixtures/mixing/doremi.json (Fixtures/gen/doremi_update.py: a numpy port of
/// sangmichaelxie/doremi's `doremiv1` update, per-token losses and domain ids in, weight trajectories out).
@Suite struct DoReMiTests {
    struct Reference: Decodable {
        struct Batch: Decodable { var proxy: [Double], reference: [Double], domain: [Int] }
        struct Case: Decodable {
            var name: String, domains: Int, eta: Double, smoothing: Double
            var batches: [Batch], weights: [[Double]], average: [Double]
        }
        var cases: [Case]
    }

    /// Every step's weights and the average equal numpy's to 1e-12 relative; the weights sum to 1 to 1e-12.
    @Test func updateMatchesNumpyPort() throws {
        let ref = try Fixture.shared(Reference.self, "mixing/doremi.json")
        #expect(ref.cases.count == 3)
        for c in ref.cases {
            var u = try DoReMiUpdate(domains: c.domains, eta: c.eta, smoothing: c.smoothing)
            for (s, b) in c.batches.enumerated() {
                try u.step(proxyLoss: b.proxy, referenceLoss: b.reference, domain: b.domain)
                let r = maxRelDiff(u.weights, c.weights[s])
                #expect(r <= 1e-12, "\(c.name) step \(s): relative difference \(r)")
                #expect(abs(u.weights.reduce(0, +) - 1) <= 1e-12)
            }
            let r = maxRelDiff(u.averageWeights, c.average)
            #expect(r <= 1e-12, "\(c.name) average: relative difference \(r)")
        }
    }

    /// A domain whose proxy never exceeds the reference (excess 0) ends below one with positive excess.
    @Test func zeroExcessDomainLosesWeight() throws {
        var u = try DoReMiUpdate(domains: 2)
        for _ in 0..<10 {
            try u.step(proxyLoss: [2, 2, 3, 3], referenceLoss: [2.5, 2.5, 2, 2], domain: [0, 0, 1, 1])
        }
        #expect(u.averageWeights[0] < u.averageWeights[1])
        #expect(u.weights[0] < 0.01)
    }

    /// Bad settings and batches are one line each.
    @Test func badInputs() {
        #expect(throws: DataMixingError.invalidArgument("doremi: --eta must be a finite number > 0, got -1.0")) {
            _ = try DoReMiUpdate(domains: 2, eta: -1)
        }
        #expect(throws: DataMixingError.invalidArgument("doremi: --smoothing must be in [0, 1], got 2.0")) {
            _ = try DoReMiUpdate(domains: 2, smoothing: 2)
        }
        #expect(throws: DataMixingError.invalidArgument("doremi: token domain 5 outside 0..<2")) {
            var u = try DoReMiUpdate(domains: 2)
            try u.step(proxyLoss: [1], referenceLoss: [1], domain: [5])
        }
    }
}
