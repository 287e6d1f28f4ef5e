import Foundation
import Base

/// `Fixtures/ddo/worlds.json`, written by `Fixtures/gen/ddo_worlds.py` (scipy): simulated trainers whose
/// validation losses follow a known law, and the true optimal mixtures (see the script for the method).
public struct SimulatedWorlds: Decodable {
    public struct Optimum: Decodable {
        public var budget: Double
        public var weights: [Double]
        /// The objective at the optimum and at uniform weights.
        public var objective: Double
        public var uniform_objective: Double
        public var kkt_residual: Double
    }

    /// `L_j(N) = E_j + A_j max(Σ_i T_ji N_i / unit, 1 / unit)^(-alpha_j)` for validation domain `j`; returned losses are
    /// multiplied by `1 + noise · z`, `z` the standard normal ``gaussian(seed:id:domain:)``.
    public struct World: Decodable {
        public var name: String
        public var domains: [String]
        public var noise: Double
        public var E: [Double]
        public var A: [Double]
        public var alpha: [Double]
        public var T: [[Double]]
        /// At each of the fixture's small budgets, then at the target.
        public var optima: [Optimum]

        /// The noiseless losses at per-domain tokens (`unit` from the fixture).
        public func losses(_ tokens: [Double], unit: Double) -> [Double] {
            domains.indices.map { j in
                // At least one token's worth (the trainers' floor: a domain with no tokens and no transfer).
                let effective = Swift.max(domains.indices.reduce(0.0) { $0 + T[j][$1] * tokens[$1] / unit }, 1 / unit)
                return E[j] + A[j] * Foundation.pow(effective, -alpha[j])
            }
        }

        /// The objective, mean-loss: `(1/m) Σ_j L_j`.
        public func objective(_ tokens: [Double], unit: Double) -> Double {
            let l = losses(tokens, unit: unit)
            return l.reduce(0, +) / Double(l.count)
        }

        /// The in-process simulated trainer: the losses of `tokens`, with the noise of `(seed, id)`. It is
        /// `Docs/examples/simulated_trainer.py` given `{"id": id, "tokens": ..., "seed": seed}` on stdin.
        public func train(tokens: [Int], id: String, seed: Int, unit: Double) -> [String: Double] {
            let clean = losses(tokens.map(Double.init), unit: unit)
            var out: [String: Double] = [:]
            for (j, d) in domains.enumerated() {
                out[d] = noise == 0 ? clean[j] : clean[j] * (1 + noise * SimulatedWorlds.gaussian(seed: seed, id: id, domain: d))
            }
            return out
        }
    }

    /// Requests answered by `Docs/examples/simulated_trainer.py` (the script's draws `z` and losses).
    public struct Sample: Decodable {
        public struct Request: Decodable { public var id: String, tokens: [String: Int], seed: Int, out: String }
        public var world: String
        public var request: Request
        public var losses: [String: Double]
        public var z: [String: Double]
    }

    public var unit: Double
    public var objective: String
    public var budgets: [Double]
    public var target: Double
    public var worlds: [World]
    public var trainer_samples: [Sample]?

    /// A standard normal draw fixed by `(seed, id, domain)`, identical to the Python script's: FNV-1a 64 of the
    /// UTF-8 bytes of `"<seed>/<id>/<domain>"` seeds SplitMix64; two 53-bit uniforms `u1, u2` give Box-Muller
    /// `sqrt(-2 ln(1 - u1)) cos(2π u2)`.
    public static func gaussian(seed: Int, id: String, domain: String) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(seed)/\(id)/\(domain)".utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
        var g = SplitMix64(seed: h)
        let u1 = g.unit(), u2 = g.unit()
        return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// The fixture, read once; a missing or malformed file fails the test that asks.
    public static func shared() throws -> SimulatedWorlds { try Fixture.shared(SimulatedWorlds.self, "ddo/worlds.json") }
}
