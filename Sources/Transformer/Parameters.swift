/// One flat parameter buffer and one flat gradient buffer of the same length, with named views.
final class ParameterStore<F: ModelScalar> {
    let specs: [ParameterSpec]
    let values: AlignedBuffer<F>
    let grads: AlignedBuffer<F>
    private let index: [String: Int]

    init(specs: [ParameterSpec]) {
        self.specs = specs
        let total = specs.map { $0.offset + $0.count }.max() ?? 0
        values = AlignedBuffer(count: total)
        grads = AlignedBuffer(count: total)
        index = Dictionary(uniqueKeysWithValues: specs.enumerated().map { ($1.name, $0) })
    }

    func spec(_ name: String) -> ParameterSpec? { index[name].map { specs[$0] } }
    /// Offset of a parameter the model itself declared (a programming error if missing).
    func offset(_ name: String) -> Int { specs[index[name]!].offset }
}

/// Appends tensors one after another into a flat layout.
struct LayoutBuilder {
    private(set) var specs: [ParameterSpec] = []
    private(set) var total = 0
    @discardableResult
    mutating func add(_ name: String, _ shape: [Int], decay: Bool) -> Int {
        let s = ParameterSpec(name: name, shape: shape, offset: total, decay: decay)
        specs.append(s)
        total += s.count
        return s.offset
    }
}

/// Deterministic normal samples for initialization (SplitMix64 + Box-Muller), same seed -> same weights.
/// (It keeps its `_` for no technical reason: the cores' initialization lines that name it are not
/// edited in this change; rename it together with them.)
struct _InitRNG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    mutating func uniform() -> Double { (Double(nextUInt64() >> 11) + 1) * 0x1p-53 }
    mutating func normal() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * naturalLog(u1)).squareRoot() * cosine(2 * Double.pi * u2)
    }
}

import Foundation
@inline(__always) private func naturalLog(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func cosine(_ x: Double) -> Double { Foundation.cos(x) }

extension ParameterStore {
    /// Fills a tensor with N(0, std^2) samples.
    func fillNormal(_ name: String, std: Double, rng: inout _InitRNG) {
        let s = spec(name)!
        for i in 0..<s.count { values.pointer[s.offset + i] = F(rng.normal() * std) }
    }
    func fill(_ name: String, _ value: F) {
        let s = spec(name)!
        (values.pointer + s.offset).update(repeating: value, count: s.count)
    }
}
