import Base
import Foundation

/// The DDO objective: a weighted mean over validation domains of perplexity (`exp(loss)`, the paper's
/// choice) or of loss. Lower is better.
public struct DDOObjective: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case meanPPL = "mean-ppl"
        case meanLoss = "mean-loss"
    }

    public var kind: Kind
    /// Validation domains and their (positive) weights; the objective is `Σ w_d v_d / Σ w_d`.
    public var domains: [String]
    public var weights: [Double]

    public init(kind: Kind, domains: [String], weights: [Double]? = nil) {
        self.kind = kind
        self.domains = domains
        self.weights = weights ?? [Double](repeating: 1, count: domains.count)
    }

    /// `Σ_d w_d g(loss_d) / Σ_d w_d` with `g = exp` (mean-ppl) or the identity (mean-loss); `losses[j]` is
    /// the validation loss of `domains[j]`.
    public func value(_ losses: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for (l, w) in zip(losses, weights) {
            num += w * (kind == .meanPPL ? Foundation.exp(l) : l)
            den += w
        }
        return num / den
    }

    /// Parses `--eval-domains`: `d1,d2` (equal weights) or `d1=w1,d2=w2` (a missing weight is 1). Weights
    /// must be positive and finite, names non-empty and distinct. Errors are ``FieldError``s on `field`.
    public static func parseDomains(_ spec: String, field: String = "eval_domains") throws -> (domains: [String], weights: [Double]) {
        var names: [String] = [], weights: [Double] = []
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw FieldError(field, "empty domain name in '\(spec)'")
            }
            guard !names.contains(name) else {
                throw FieldError(field, "domain '\(name)' is listed twice")
            }
            var w = 1.0
            if parts.count == 2 {
                let text = parts[1].trimmingCharacters(in: .whitespaces)
                guard let v = Double(text), v > 0, v.isFinite else {
                    throw FieldError(field, "weight '\(text)' of \(name) is not a positive number")
                }
                w = v
            }
            names.append(name)
            weights.append(w)
        }
        return (names, weights)
    }
}
