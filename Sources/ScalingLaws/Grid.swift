/// One axis of a multi-start grid: an explicit list of values, written on the command line as
/// `START:STOP:STEP` (inclusive of `STOP` up to rounding) or as a comma list `v1,v2,...`.
public struct GridAxis: Sendable, Equatable, CustomStringConvertible {
    public var values: [Double]

    public init(_ values: [Double]) { self.values = values }

    /// `start, start + step, ...` up to and including `stop` (within `1e-9 step`).
    public init(from start: Double, through stop: Double, by step: Double) {
        var v: [Double] = []
        if step > 0 {
            var k = 0
            while true {
                let x = start + Double(k) * step
                if x > stop + 1e-9 * step { break }
                v.append(x)
                k += 1
            }
        }
        values = v
    }

    /// Parses `START:STOP:STEP` or `v1,v2,...`; `nil` when malformed or empty.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let n = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard n.count == 3, n[2] > 0, n[1] >= n[0], (n[1] - n[0]) / n[2] < 1e6 else { return nil }
            self.init(from: n[0], through: n[1], by: n[2])
        } else {
            let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty, v.count == text.split(separator: ",").count, v.allSatisfy(\.isFinite) else { return nil }
            self.init(v)
        }
    }

    public var description: String { values.map { "\($0)" }.joined(separator: ",") }
}

/// The starting grid of a power or Chinchilla fit, in the optimizer's log-space parameters.
///
/// Defaults are Hoffmann et al.'s approach-3 grid: `α, β ∈ {0, 0.5, …, 2}`, `e ∈ {−1, −0.5, …, 1}`,
/// `a, b ∈ {0, 5, …, 25}`: 5·5·5·6·6 = 4,500 starts for Chinchilla, 5·5·6 = 150 for the power law.
public struct StartGrid: Sendable, Equatable {
    public var alpha = GridAxis(from: 0, through: 2, by: 0.5)
    public var beta = GridAxis(from: 0, through: 2, by: 0.5)
    public var e = GridAxis(from: -1, through: 1, by: 0.5)
    public var a = GridAxis(from: 0, through: 25, by: 5)
    public var b = GridAxis(from: 0, through: 25, by: 5)

    public init() {}

    /// Starts for `θ = [e, a, α]`, enumerated as the product (α, e, a).
    public var powerStarts: [[Double]] {
        var out: [[Double]] = []
        for al in alpha.values { for ee in e.values { for aa in a.values { out.append([ee, aa, al]) } } }
        return out
    }

    /// Starts for `θ = [e, a, b, α, β]`, enumerated as the product (α, β, e, a, b) as in Hoffmann et al.
    public var chinchillaStarts: [[Double]] {
        var out: [[Double]] = []
        out.reserveCapacity(alpha.values.count * beta.values.count * e.values.count * a.values.count * b.values.count)
        for al in alpha.values { for be in beta.values { for ee in e.values { for aa in a.values { for bb in b.values {
            out.append([ee, aa, bb, al, be])
        } } } } }
        return out
    }
}
