import Optimization

/// The trainer's random-number generator: xoshiro256** seeded through SplitMix64 (the Optimization
/// layer's). Batch sources draw from it (sampling, shuffling, dynamic masking), so its four state
/// words are saved in every checkpoint: a resumed run draws exactly the numbers the uninterrupted run would.
public typealias TrainingRNG = Xoshiro256StarStar
