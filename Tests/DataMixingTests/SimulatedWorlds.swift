import Foundation
import TestSupport
@testable import DataMixing

/// `Fixtures/ddo/worlds.json`, written by `Fixtures/gen/ddo_worlds.py` (scipy): simulated trainers whose
/// validation losses follow a known law, and the true optimal mixtures (see the script for the method).
struct SimulatedWorlds: Decodable {
    struct Optimum: Decodable {
        var budget: Double
        var weights: [Double]
        /// The objective at the optimum and at uniform weights.
        var objective: Double
        var uniform_objective: Double
        var kkt_residual: Double
    }

    /// `L_j(N) = E_j + A_j (Σ_i T_ji N_i / unit)^(-alpha_j)` for validation domain `j`; returned losses are
    /// multiplied by `1 + noise · z`, `z` the standard normal ``gaussian(seed:id:domain:)``.
    struct World: Decodable {
        var name: String
        var domains: [String]
        var noise: Double
        var E: [Double]
        var A: [Double]
        var alpha: [Double]
        var T: [[Double]]
        /// At each of the fixture's small budgets, then at the target.
        var optima: [Optimum]

        /// The noiseless losses at per-domain tokens (`unit` from the fixture).
        func losses(_ tokens: [Double], unit: Double) -> [Double] {
            domains.indices.map { j in
                let effective = domains.indices.reduce(0.0) { $0 + T[j][$1] * tokens[$1] / unit }
                return E[j] + A[j] * Foundation.pow(effective, -alpha[j])
            }
        }

        /// The objective, mean-loss: `(1/m) Σ_j L_j`.
        func objective(_ tokens: [Double], unit: Double) -> Double {
            let l = losses(tokens, unit: unit)
            return l.reduce(0, +) / Double(l.count)
        }

        /// The in-process simulated trainer: the losses of `tokens`, with the noise of `(seed, id)`. It is
        /// `Docs/examples/simulated_trainer.py` given `{"id": id, "tokens": ..., "seed": seed}` on stdin.
        func train(tokens: [Int], id: String, seed: Int, unit: Double) -> [String: Double] {
            let clean = losses(tokens.map(Double.init), unit: unit)
            var out: [String: Double] = [:]
            for (j, d) in domains.enumerated() {
                out[d] = noise == 0 ? clean[j] : clean[j] * (1 + noise * SimulatedWorlds.gaussian(seed: seed, id: id, domain: d))
            }
            return out
        }
    }

    /// Requests answered by `Docs/examples/simulated_trainer.py` (the script's draws `z` and losses).
    struct Sample: Decodable {
        struct Request: Decodable { var id: String, tokens: [String: Int], seed: Int, out: String }
        var world: String
        var request: Request
        var losses: [String: Double]
        var z: [String: Double]
    }

    var unit: Double
    var objective: String
    var budgets: [Double]
    var target: Double
    var worlds: [World]
    var trainer_samples: [Sample]?

    /// A standard normal draw fixed by `(seed, id, domain)`, identical to the Python script's: FNV-1a 64 of the
    /// UTF-8 bytes of `"<seed>/<id>/<domain>"` seeds SplitMix64; two 53-bit uniforms `u1, u2` give Box-Muller
    /// `sqrt(-2 ln(1 - u1)) cos(2π u2)`.
    static func gaussian(seed: Int, id: String, domain: String) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(seed)/\(id)/\(domain)".utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        func next() -> UInt64 {
            h = h &+ 0x9e37_79b9_7f4a_7c15
            var z = h
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        let u1 = Double(next() >> 11) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    static let shared: SimulatedWorlds = try! Fixture.json(SimulatedWorlds.self, "ddo/worlds.json")
}
