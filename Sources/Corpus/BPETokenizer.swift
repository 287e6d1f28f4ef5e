import HeapModule

/// Byte-level BPE encoding and decoding, id-for-id equal to HF `tokenizers` with a ByteLevel pre-tokenizer
/// (no prefix space) and a BPE model without dropout (checked against fixtures from the `tokenizers` package).
///
/// Encoding: special tokens are cut out of the raw text first (leftmost, longest match); each remaining
/// segment is split by `PreTokenizer`; each piece starts as its byte tokens and repeatedly merges the
/// adjacent pair of lowest merge rank (leftmost on ties) until no pair has a merge. Pieces are cached.
/// Not thread-safe (the cache mutates): use one instance per thread.
public final class BPETokenizer {
    public let model: BPEModel
    private var encoder: _BPEEncoder

    public init(model: BPEModel) {
        self.model = model
        encoder = _BPEEncoder(model: model)
    }

    /// Ids of a string.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        var s = text
        s.withUTF8 { encoder.encode($0, into: &out) }
        return out
    }

    /// Ids of UTF-8 bytes; invalid sequences are replaced by U+FFFD first and counted.
    public func encode(utf8 bytes: [UInt8]) -> (ids: [Int32], replacements: Int) {
        let (valid, replaced) = TextCleaning.repairUTF8(bytes)
        var out: [Int32] = []
        out.reserveCapacity(valid.count / 3)
        valid.withUnsafeBufferPointer { encoder.encode($0, into: &out) }
        return (out, replaced)
    }

    /// Appends the ids of valid UTF-8 text to `out`.
    public func encode(validUTF8 text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        encoder.encode(text, into: &out)
    }

    /// The bytes the ids stand for (special tokens give their content).
    public func decodeBytes(_ ids: [Int32]) throws -> [UInt8] {
        var out: [UInt8] = []
        for (i, id) in ids.enumerated() {
            guard id >= 0, Int(id) < model.tokens.count else {
                throw CorpusError.invalidArgument("id \(id) at position \(i) is outside the vocabulary (size \(model.tokens.count))")
            }
            out += model.tokens[Int(id)]
        }
        return out
    }

    /// Decoded text; byte sequences that are not valid UTF-8 become U+FFFD (as in HF's ByteLevel decoder).
    public func decode(_ ids: [Int32]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}

/// The encoder state: model tables plus the piece cache and scratch buffers.
struct _BPEEncoder {
    let model: BPEModel
    private var cache = ByteStringTable(capacity: 1 << 16)
    private var cacheStart: [Int32] = []
    private var cacheCount: [Int32] = []
    private var cacheIds: [Int32] = []
    private var syms: [Int32] = []
    private var ranks: [UInt64] = []
    private let specialFirstBytes: [Bool]
    private let specialBytes: [([UInt8], Int32)]
    static let cacheLimit = 1 << 20

    init(model: BPEModel) {
        self.model = model
        var first = [Bool](repeating: false, count: 256)
        specialBytes = model.specials.map { (Array($0.content.utf8), $0.id) }.filter { !$0.0.isEmpty }
        for (b, _) in specialBytes { first[Int(b[0])] = true }
        specialFirstBytes = first
    }

    mutating func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard !specialBytes.isEmpty else { return encodeSegment(text, into: &out) }
        var segmentStart = 0
        var i = 0
        let n = text.count
        while i < n {
            if specialFirstBytes[Int(text[i])], let (len, id) = special(at: i, text) {
                if i > segmentStart { encodeSegment(UnsafeBufferPointer(rebasing: text[segmentStart..<i]), into: &out) }
                out.append(id)
                i += len
                segmentStart = i
            } else {
                i += 1
            }
        }
        if n > segmentStart { encodeSegment(UnsafeBufferPointer(rebasing: text[segmentStart..<n]), into: &out) }
    }

    /// Longest special token starting at `i`.
    private func special(at i: Int, _ text: UnsafeBufferPointer<UInt8>) -> (Int, Int32)? {
        var best: (Int, Int32)? = nil
        for (bytes, id) in specialBytes where bytes.count <= text.count - i && bytes.count > (best?.0 ?? 0) {
            var match = true
            for k in 0..<bytes.count where text[i + k] != bytes[k] { match = false; break }
            if match { best = (bytes.count, id) }
        }
        return best
    }

    private mutating func encodeSegment(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard let base = text.baseAddress else { return }
        PreTokenizer.bmpClasses.withUnsafeBufferPointer { table in
            var i = 0
            while i < text.count {
                let e = PreTokenizer.pieceEnd(text, i, table.baseAddress!)
                encodePiece(base + i, e - i, into: &out)
                i = e
            }
        }
    }

    @inline(__always)
    private mutating func encodePiece(_ p: UnsafePointer<UInt8>, _ len: Int, into out: inout [Int32]) {
        if len == 1 { out.append(model.byteIds[Int(p[0])]); return }
        let h = ByteStringTable.hash(p, len)
        if let e = cache.find(p, len, hash: h) {
            let s = Int(cacheStart[e]), c = Int(cacheCount[e])
            if c == 1 { out.append(cacheIds[s]) } else {
                cacheIds.withUnsafeBufferPointer { ids in for k in s..<(s + c) { out.append(ids[k]) } }
            }
            return
        }
        merge(p, len)
        out.append(contentsOf: syms)
        if cache.count >= Self.cacheLimit {
            cache.removeAll(); cacheStart.removeAll(); cacheCount.removeAll(); cacheIds.removeAll()
        }
        _ = cache.intern(p, len, hash: h)
        cacheStart.append(Int32(cacheIds.count))
        cacheCount.append(Int32(syms.count))
        cacheIds.append(contentsOf: syms)
    }

    @inline(__always)
    private func rank(_ a: Int32, _ b: Int32) -> UInt64 {
        model.mergeTable[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))] ?? UInt64.max
    }

    /// Pieces at least this long merge with a heap (O(m log m)) instead of rescanning (O(m^2)).
    static let heapThreshold = 64

    /// Leaves the BPE ids of the piece in `syms`.
    mutating func merge(_ p: UnsafePointer<UInt8>, _ len: Int) {
        if len >= Self.heapThreshold { return mergeWithHeap(p, len) }
        syms.removeAll(keepingCapacity: true)
        ranks.removeAll(keepingCapacity: true)
        for i in 0..<len { syms.append(model.byteIds[Int(p[i])]) }
        for i in 0..<(len - 1) { ranks.append(rank(syms[i], syms[i + 1])) }
        while !ranks.isEmpty {
            var best = UInt64.max, at = -1
            for (i, r) in ranks.enumerated() where r < best { best = r; at = i }
            if at < 0 { break }
            syms[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            syms.remove(at: at + 1)
            ranks.remove(at: at)
            if at > 0 { ranks[at - 1] = rank(syms[at - 1], syms[at]) }
            if at < ranks.count { ranks[at] = rank(syms[at], syms[at + 1]) }
        }
    }

    /// The same merges for long pieces: symbols in a linked list and a min-heap of candidate pairs keyed by
    /// (rank, position), stale entries skipped when popped; equal to the rescanning loop (lowest rank first,
    /// leftmost on ties) because every adjacent pair present is in the heap.
    private mutating func mergeWithHeap(_ p: UnsafePointer<UInt8>, _ len: Int) {
        var sym = (0..<len).map { model.byteIds[Int(p[$0])] }
        var next = (0..<len).map { $0 + 1 < len ? $0 + 1 : -1 }
        var prev = (0..<len).map { $0 - 1 }
        var heap = Heap<_MergeCandidate>()
        func push(_ i: Int, _ sym: [Int32], _ next: [Int]) {
            let j = next[i]
            guard j >= 0 else { return }
            let r = rank(sym[i], sym[j])
            if r != UInt64.max {
                heap.insert(_MergeCandidate(rank: r >> 32, position: i, left: sym[i], right: sym[j], merged: Int32(truncatingIfNeeded: r & 0xFFFF_FFFF)))
            }
        }
        for i in 0..<(len - 1) { push(i, sym, next) }
        while let top = heap.popMin() {
            let i = top.position, j = next[i]
            guard j >= 0, sym[i] == top.left, sym[j] == top.right else { continue }
            sym[i] = top.merged
            sym[j] = -1
            next[i] = next[j]
            if next[j] >= 0 { prev[next[j]] = i }
            if prev[i] >= 0 { push(prev[i], sym, next) }
            push(i, sym, next)
        }
        syms.removeAll(keepingCapacity: true)
        var i = 0
        while i >= 0 { syms.append(sym[i]); i = next[i] }
    }
}

/// A merge candidate of `mergeWithHeap`, ordered by (rank, position).
struct _MergeCandidate: Comparable {
    var rank: UInt64
    var position: Int
    var left, right, merged: Int32
    static func < (a: Self, b: Self) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.position < b.position }
    static func == (a: Self, b: Self) -> Bool { a.rank == b.rank && a.position == b.position }
}
