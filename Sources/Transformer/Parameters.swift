import Base
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

extension ParameterStore {
    /// Fills a tensor with N(0, std^2) samples (Base's seeded Box-Muller: same seed, same weights).
    func fillNormal(_ name: String, std: Double, rng: inout SplitMix64) {
        let s = spec(name)!
        for i in 0..<s.count { values.pointer[s.offset + i] = F(rng.normal() * std) }
    }
    func fill(_ name: String, _ value: F) {
        let s = spec(name)!
        (values.pointer + s.offset).update(repeating: value, count: s.count)
    }
}
