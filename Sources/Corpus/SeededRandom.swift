import Optimization

/// The corpus's seeded draws on Optimization's ``SplitMix64`` (Steele, Lea & Flood 2014), whose output sequence
/// is fixed by its seed, so shuffles and samples are identical across runs, machines and Swift versions.
extension SplitMix64 {
    /// Uniform integer in `0..<bound` (Lemire's multiply-shift with rejection; exact, no modulo bias).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        while true {
            let m = next().multipliedFullWidth(by: b)
            if m.low >= (0 &- b) % b { return Int(m.high) }
        }
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Fisher-Yates shuffle written out here (not the standard library's), so the permutation is pinned by the seed.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}
