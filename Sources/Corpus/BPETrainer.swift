import HeapModule

/// Byte-level BPE training (Sennrich et al. 2016 on GPT-2 byte pieces).
///
/// Text is split by `PreTokenizer` into pieces whose frequencies are counted; every piece starts as its
/// bytes (token ids 0...255 = byte values). Each step merges the adjacent pair with the highest total
/// frequency (ties: smaller left id, then smaller right id) into a new token `256 + step`, until the
/// vocabulary (including special tokens, which come last) reaches `vocabSize` or no pair occurs
/// `minFrequency` times. Pair counts are updated incrementally: only words containing the merged pair
/// are rewritten, their old pairs' counts decremented and new pairs' incremented; a max-heap with lazy
/// invalidation finds the best pair.
public struct BPETrainer {
    public struct Options: Sendable {
        public var vocabSize = 4096
        public var specialTokens = ["<|endoftext|>"]
        public var minFrequency: Int64 = 2
        public init() {}
    }

    public var options: Options
    private var words = ByteStringTable(capacity: 1 << 16)
    private var counts: [Int64] = []
    /// Bytes of text seen.
    public private(set) var bytesSeen = 0

    public init(options: Options = Options()) { self.options = options }

    /// Number of distinct pieces counted so far.
    public var distinctPieces: Int { words.count }

    /// Counts the pieces of valid UTF-8 text.
    public mutating func add(_ text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress else { return }
        bytesSeen += text.count
        PreTokenizer.split(text) { start, end in
            let p = base + start, len = end - start
            let (index, inserted) = words.intern(p, len, hash: ByteStringTable.hash(p, len))
            if inserted { counts.append(1) } else { counts[index] += 1 }
        }
    }

    /// Counts the pieces of a string.
    public mutating func add(_ text: String) {
        var s = text
        s.withUTF8 { add($0) }
    }

    /// Runs the merges and returns the model (ids: 256 bytes, merges, then special tokens). `progress` gets a line
    /// every 1000 merges, `advance(merges, target)` every merge (a progress bar).
    public func train(progress: (String) -> Void = { _ in },
                      advance: (_ merges: Int, _ target: Int) -> Void = { _, _ in }) throws -> BPEModel {
        let specials = options.specialTokens
        let targetMerges = options.vocabSize - 256 - specials.count
        guard targetMerges >= 0 else {
            throw CorpusError.invalidArgument("vocabulary size \(options.vocabSize) is below 256 byte tokens + \(specials.count) special tokens")
        }
        guard Set(specials).count == specials.count, !specials.contains("") else {
            throw CorpusError.invalidArgument("special tokens must be distinct and non-empty")
        }
        var syms: [[Int32]] = (0..<words.count).map { e in words.bytes(e).map { Int32($0) } }
        var pairCounts: [UInt64: Int64] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
        for (w, s) in syms.enumerated() where s.count > 1 {
            for i in 0..<(s.count - 1) {
                let k = key(s[i], s[i + 1])
                pairCounts[k, default: 0] += counts[w]
                pairWords[k, default: []].append(Int32(w))
            }
        }
        var heap = Heap(pairCounts.map { _PairCount(count: $0.value, key: $0.key) })

        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var merges: [BPEModel.Merge] = []
        var stamp = [Int32](repeating: -1, count: syms.count)
        var delta: [UInt64: Int64] = [:]  // pair-count changes of one merge; reused, keeps its capacity
        while merges.count < targetMerges, let top = heap.popMax() {
            let actual = pairCounts[top.key] ?? 0
            if actual != top.count {
                if actual > 0 { heap.insert(_PairCount(count: actual, key: top.key)) }
                continue
            }
            if actual < options.minFrequency { break }
            let a = Int32(truncatingIfNeeded: top.key >> 32), b = Int32(truncatingIfNeeded: top.key & 0xFFFF_FFFF)
            let z = Int32(tokens.count)
            tokens.append(tokens[Int(a)] + tokens[Int(b)])
            merges.append(.init(left: a, right: b, result: z))
            delta.removeAll(keepingCapacity: true)
            let mergeIndex = Int32(merges.count)
            for w32 in pairWords.removeValue(forKey: top.key) ?? [] {
                let w = Int(w32)
                if stamp[w] == mergeIndex { continue }
                stamp[w] = mergeIndex
                let old = syms[w]
                var new: [Int32] = []
                new.reserveCapacity(old.count)
                var i = 0
                while i < old.count {
                    if i + 1 < old.count && old[i] == a && old[i + 1] == b { new.append(z); i += 2 } else { new.append(old[i]); i += 1 }
                }
                if new.count == old.count { continue }
                let c = counts[w]
                for j in 0..<(old.count - 1) { delta[key(old[j], old[j + 1]), default: 0] -= c }
                for j in 0..<max(0, new.count - 1) {
                    let k = key(new[j], new[j + 1])
                    delta[k, default: 0] += c
                    if new[j] == z || new[j + 1] == z { pairWords[k, default: []].append(w32) }
                }
                syms[w] = new
            }
            for (k, d) in delta where d != 0 {
                let v = (pairCounts[k] ?? 0) + d
                if v <= 0 { pairCounts.removeValue(forKey: k) } else { pairCounts[k] = v }
                if d > 0 { heap.insert(_PairCount(count: v, key: k)) }
            }
            advance(merges.count, targetMerges)
            if merges.count % 1000 == 0 { progress("tokenizer: \(merges.count)/\(targetMerges) merges") }
        }
        var specialList: [BPEModel.Special] = []
        for s in specials {
            specialList.append(.init(content: s, id: Int32(tokens.count)))
            tokens.append(Array(s.utf8))
        }
        return try BPEModel(tokens: tokens, byteIds: (0..<256).map { Int32($0) }, merges: merges, specials: specialList)
    }
}

/// A pair with its count; the maximum is the highest count, then the smaller pair key.
struct _PairCount: Comparable {
    var count: Int64
    var key: UInt64
    static func < (a: Self, b: Self) -> Bool { a.count != b.count ? a.count < b.count : a.key > b.key }
}
