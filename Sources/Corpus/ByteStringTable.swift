/// Interns byte strings to dense indices 0, 1, 2, ... (open addressing, linear probing, FNV-1a hashes).
/// Used as the encoder's word cache and the trainer's word counter; avoids allocating a key per lookup.
struct ByteStringTable {
    struct Entry { var hash: UInt64; var start: Int; var length: Int }
    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 12) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [Int32](repeating: -1, count: c)
        mask = c - 1
    }

    var count: Int { entries.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ len: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<len { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// Slot holding the string, or the empty slot where it would go (`found` tells which).
    @inline(__always)
    private func probe(_ p: UnsafePointer<UInt8>, _ len: Int, _ h: UInt64) -> (slot: Int, entry: Int) {
        slots.withUnsafeBufferPointer { sl in
            entries.withUnsafeBufferPointer { en in
                arena.withUnsafeBufferPointer { ar in
                    var s = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let e = Int(sl[s])
                        if e < 0 { return (s, -1) }
                        let x = en[e]
                        if x.hash == h && x.length == len && memcmpEqual(ar.baseAddress! + x.start, p, len) { return (s, e) }
                        s = (s + 1) & mask
                    }
                }
            }
        }
    }

    /// Index of the string, or nil.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ len: Int, hash h: UInt64) -> Int? {
        let r = probe(p, len, h)
        return r.entry >= 0 ? r.entry : nil
    }

    /// Index of the string, inserting it when absent (`inserted` tells which).
    @inline(__always)
    mutating func intern(_ p: UnsafePointer<UInt8>, _ len: Int, hash h: UInt64) -> (index: Int, inserted: Bool) {
        let r = probe(p, len, h)
        if r.entry >= 0 { return (r.entry, false) }
        let index = entries.count
        entries.append(Entry(hash: h, start: arena.count, length: len))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: len))
        slots[r.slot] = Int32(index)
        if entries.count * 2 > slots.count { grow() }
        return (index, true)
    }

    /// The bytes of entry `e`.
    func bytes(_ e: Int) -> ArraySlice<UInt8> { arena[entries[e].start..<(entries[e].start + entries[e].length)] }

    private mutating func grow() {
        let c = slots.count * 2
        slots = [Int32](repeating: -1, count: c)
        mask = c - 1
        for (e, x) in entries.enumerated() {
            var s = Int(truncatingIfNeeded: x.hash) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }

    mutating func removeAll() { self = ByteStringTable(capacity: 1 << 12) }
}

@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    for i in 0..<n where a[i] != b[i] { return false }
    return true
}
