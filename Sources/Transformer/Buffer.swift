/// A heap buffer of `count` zero-initialized elements, 64-byte aligned, freed with its owner.
/// Kernels work on its raw pointer; nothing in a hot loop allocates.
final class AlignedBuffer<F: ModelScalar> {
    let pointer: UnsafeMutablePointer<F>
    let count: Int

    init(count: Int) {
        self.count = count
        let bytes = Swift.max(1, count) * MemoryLayout<F>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer = raw.bindMemory(to: F.self, capacity: Swift.max(1, count))
        pointer.initialize(repeating: 0, count: Swift.max(1, count))
    }
    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    var buffer: UnsafeMutableBufferPointer<F> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    func zero() { pointer.update(repeating: 0, count: count) }
}

/// Carves one allocation into named-by-position slices (a bump allocator): the activations
/// of one (B, T) shape are laid out once and reused by every step with that shape.
struct Arena<F: ModelScalar> {
    private(set) var sizes: [Int] = []
    /// Reserves `count` elements and returns the slice's offset.
    mutating func reserve(_ count: Int) -> Int {
        let offset = sizes.reduce(0, +)
        sizes.append((count + 15) / 16 * 16)  // keep every slice 64-byte aligned
        return offset
    }
    var total: Int { sizes.reduce(0, +) }
}
