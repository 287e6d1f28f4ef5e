/// The mean and the sample standard deviation of a few values (a mixture's validation seeds, paired differences):
///
///     mean = Σ x_i / n,   sd = sqrt(Σ (x_i − mean)² / (n − 1))   (0 for n < 2),   SE = sd / sqrt(n)
///
/// summed in the values' order (the same bits as the loops it replaces). An empty list gives a NaN mean.
public struct SampleStatistics: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    public let sd: Double

    public init(_ x: [Double]) {
        count = x.count
        let m = x.reduce(0, +) / Double(x.count)
        mean = m
        sd = x.count > 1 ? (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot() : 0
    }

    /// The standard error of the mean, `sd / sqrt(n)` (0 for n < 2).
    public var standardError: Double { count > 1 ? sd / Double(count).squareRoot() : 0 }
}
