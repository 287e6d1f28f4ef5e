/// The trainer's random-number generator: xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
///
/// Batch sources draw from it (sampling, shuffling, dynamic masking), so its four state words are
/// saved in every checkpoint: a resumed run draws exactly the numbers the uninterrupted run would.
public struct TrainingRNG: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the four words with consecutive SplitMix64 outputs of `seed` (never all zero).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// Restores a generator from ``stateWords``; rejects anything but four words, not all zero.
    public init(stateWords: [UInt64]) throws {
        guard stateWords.count == 4, stateWords.contains(where: { $0 != 0 }) else {
            throw TrainingError.invalidConfiguration(field: "rng", reason: "expected four state words, not all zero")
        }
        s0 = stateWords[0]; s1 = stateWords[1]; s2 = stateWords[2]; s3 = stateWords[3]
    }

    /// The generator's full state.
    public var stateWords: [UInt64] { [s0, s1, s2, s3] }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}
