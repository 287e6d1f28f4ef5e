import Foundation

/// DoReMi's online domain-weight update (Xie et al. 2023, arXiv 2305.10429, Algorithm 1), as the public code
/// (sangmichaelxie/doremi, `doremiv1`) computes it from one batch:
///
///     λ_i = mean over the batch's tokens t of domain i of max(ℓ_proxy(t) − ℓ_ref(t), 0)
///           (a domain absent from the batch keeps its previous λ_i; λ starts at 0)
///     log α' = log α + η λ − logsumexp(log α + η λ)
///     α ← (1 − c) α' + c / k
///
/// The answer is the average of α over the steps (after each update). Defaults: η = 1, c = 1e-3 (the paper's).
/// Double throughout (this is fitting, not model math).
public struct DoReMiUpdate: Sendable, Equatable {
    public let eta: Double
    public let smoothing: Double
    /// The current domain weights α (sum 1).
    public private(set) var weights: [Double]
    /// The last per-domain excess losses λ.
    public private(set) var scores: [Double]
    /// Σ over steps of α (after each update) and the number of steps.
    public private(set) var weightSum: [Double]
    public private(set) var steps: Int = 0

    /// `initial` defaults to uniform; `eta` must be finite and > 0, `smoothing` in [0, 1].
    public init(domains: Int, eta: Double = 1, smoothing: Double = 1e-3, initial: [Double]? = nil) throws {
        guard domains >= 1 else { throw DataMixingError.invalidArgument("doremi: need at least one domain") }
        guard eta.isFinite, eta > 0 else {
            throw DataMixingError.invalidArgument("doremi: --eta must be a finite number > 0, got \(eta)")
        }
        guard smoothing.isFinite, smoothing >= 0, smoothing <= 1 else {
            throw DataMixingError.invalidArgument("doremi: --smoothing must be in [0, 1], got \(smoothing)")
        }
        let w = initial ?? Array(repeating: 1 / Double(domains), count: domains)
        guard w.count == domains, w.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataMixingError.invalidArgument("doremi: initial weights must be \(domains) finite numbers > 0")
        }
        let s = w.reduce(0, +)
        self.eta = eta
        self.smoothing = smoothing
        self.weights = w.map { $0 / s }
        self.scores = Array(repeating: 0, count: domains)
        self.weightSum = Array(repeating: 0, count: domains)
    }

    /// One update from a batch's per-token losses of the proxy and the reference model and each token's domain.
    public mutating func step(proxyLoss: [Double], referenceLoss: [Double], domain: [Int]) throws {
        let k = weights.count
        guard proxyLoss.count == referenceLoss.count, proxyLoss.count == domain.count else {
            throw DataMixingError.invalidArgument("doremi: proxy losses, reference losses and domains differ in length")
        }
        var sum = Array(repeating: 0.0, count: k), count = Array(repeating: 0, count: k)
        for t in domain.indices {
            let d = domain[t]
            guard d >= 0, d < k else { throw DataMixingError.invalidArgument("doremi: token domain \(d) outside 0..<\(k)") }
            guard proxyLoss[t].isFinite, referenceLoss[t].isFinite else {
                throw DataMixingError.invalidArgument("doremi: non-finite loss at token \(t)")
            }
            sum[d] += max(proxyLoss[t] - referenceLoss[t], 0)
            count[d] += 1
        }
        for i in 0..<k where count[i] > 0 { scores[i] = sum[i] / Double(count[i]) }
        let logits = (0..<k).map { log(weights[$0]) + eta * scores[$0] }
        let m = logits.max()!
        let lse = m + log(logits.reduce(0) { $0 + exp($1 - m) })
        weights = logits.map { (1 - smoothing) * exp($0 - lse) + smoothing / Double(k) }
        for i in 0..<k { weightSum[i] += weights[i] }
        steps += 1
    }

    /// The average of α over the steps so far (the current α before any step).
    public var averageWeights: [Double] {
        steps == 0 ? weights : weightSum.map { $0 / Double(steps) }
    }
}

