import Foundation

/// The project's one family of seeded generators. Every draw below is written out here (not taken from the
/// standard library's `random(in:using:)`, whose algorithm no platform or Swift version promises to keep),
/// so a seed gives the same numbers everywhere.
public protocol SeededRandomGenerator: RandomNumberGenerator {
    init(seed: UInt64)
}

extension SeededRandomGenerator {
    /// A uniform integer in `0..<bound` (`bound > 0`) by Lemire's multiply-and-reject method: exact, no
    /// modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform double in `[0, 1)` from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample by Box-Muller, `sqrt(-2 ln u1) cos(2 pi u2)` with `u1, u2` uniform in `(0, 1]`
    /// (one sample per two draws).
    public mutating func normal() -> Double {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53, u2 = (Double(next() >> 11) + 1) * 0x1p-53
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle with ``below(_:)``, so the permutation is pinned by the seed.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a mixing function.
/// It expands a single seed into ``Xoshiro256StarStar`` state, derives per-task seeds, and drives the corpus's
/// shuffles and the models' initial weights.
public struct SplitMix64: SeededRandomGenerator, Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman & Vigna 2018): fast, 256-bit state, seeded by four ``SplitMix64`` outputs.
/// Sequences depend only on the seed, on every platform and Swift version.
public struct Xoshiro256StarStar: SeededRandomGenerator, Sendable, Equatable {
    var _s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        _s = (sm.next(), sm.next(), sm.next(), sm.next())
    }

    /// Restores a generator from ``stateWords``; `nil` unless four words, not all zero.
    public init?(stateWords w: [UInt64]) {
        guard w.count == 4, w.contains(where: { $0 != 0 }) else { return nil }
        _s = (w[0], w[1], w[2], w[3])
    }

    /// The generator's full state (saved in checkpoints so a resumed run draws the same numbers).
    public var stateWords: [UInt64] { [_s.0, _s.1, _s.2, _s.3] }

    public static func == (a: Self, b: Self) -> Bool { a.stateWords == b.stateWords }

    @inline(__always)
    static func _rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self._rotl(_s.1 &* 5, 7) &* 9
        let t = _s.1 << 17
        _s.2 ^= _s.0
        _s.3 ^= _s.1
        _s.1 ^= _s.2
        _s.0 ^= _s.3
        _s.2 ^= t
        _s.3 = Self._rotl(_s.3, 45)
        return result
    }

}
