import Base
import Foundation

/// Compute-optimal allocation under a Chinchilla law `L(N, D) = E + A/N^α + B/D^β` and `C = 6 N D`:
///
///     N_opt = G (C/6)^(β/(α+β)),   D_opt = (C/6) / N_opt,   G = (α A / (β B))^(1/(α+β))
///
/// (minimizing `A N^(−α) + B D^(−β)` on the constraint by a Lagrange multiplier).
public struct ComputeOptimal: Sendable {
    public var e: Double, a: Double, b: Double, alpha: Double, beta: Double

    public struct Allocation: Sendable, Equatable {
        public var flops: Double
        public var n: Double
        public var d: Double
        public var tokensPerParameter: Double { d / n }
        public var loss: Double
    }

    /// Throws unless every coefficient is positive and finite.
    public init(E: Double, A: Double, B: Double, alpha: Double, beta: Double) throws {
        for (name, v) in [("E", E), ("A", A), ("B", B), ("alpha", alpha), ("beta", beta)] {
            guard v.isFinite && v > 0 else {
                throw ScalingLawError.invalidFit("\(name) = \(v); compute-optimal allocation needs positive finite parameters")
            }
        }
        e = E; a = A; b = B; self.alpha = alpha; self.beta = beta
    }

    public func loss(n: Double, d: Double) -> Double { e + a * pow(n, -alpha) + b * pow(d, -beta) }

    public func allocation(flops c: Double) -> Allocation {
        let g = pow(alpha * a / (beta * b), 1 / (alpha + beta))
        let n = g * pow(c / 6, beta / (alpha + beta))
        let d = (c / 6) / n
        return Allocation(flops: c, n: n, d: d, loss: loss(n: n, d: d))
    }
}

extension ComputeOptimal {
    /// Reads a chinchilla fit (the JSON of `autoscale fit --law chinchilla --json`: `law` and numeric `params` E, A,
    /// B, alpha, beta); every failure is one ``ScalingLawError/badFitFile(path:detail:)`` line naming the file.
    public static func load(fitFile path: String) throws -> ComputeOptimal {
        func fail(_ detail: String) -> ScalingLawError { .badFitFile(path: path, detail: detail) }
        guard FileManager.default.fileExists(atPath: path) else { throw fail("no such file") }
        // JSONDecoder parses numbers exactly (JSONSerialization can be off by an ulp).
        struct FitFile: Decodable { var law: String?; var params: [String: Double]? }
        let fit: FitFile
        do { fit = try JSONDecoder().decode(FitFile.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw fail("not a JSON object with \"law\" and numeric \"params\" (expected the output of `autoscale fit --json`)")
        }
        guard let law = fit.law else { throw fail("no \"law\" field") }
        guard law == "chinchilla" else {
            throw fail("law is \"\(TableError.visible(law))\"; compute-optimal allocation needs a chinchilla fit")
        }
        guard let params = fit.params else { throw fail("no \"params\" object") }
        func value(_ name: String) throws -> Double {
            guard let v = params[name] else { throw fail("params has no number \"\(name)\"") }
            return v
        }
        do {
            return try ComputeOptimal(E: value("E"), A: value("A"), B: value("B"), alpha: value("alpha"), beta: value("beta"))
        } catch let e as ScalingLawError where !(e.description.hasPrefix(path + ": ")) {
            throw fail(e.description)
        }
    }
}
