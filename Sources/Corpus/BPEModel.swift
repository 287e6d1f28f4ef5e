/// The data of a byte-level BPE tokenizer: token byte strings, merge ranks and special tokens.
public struct BPEModel: Sendable, Equatable {
    /// Bytes of every token by id (for special tokens: their UTF-8 content).
    public private(set) var tokens: [[UInt8]]
    /// Id of the single-byte token for each byte value.
    public private(set) var byteIds: [Int32]
    /// Merges in rank order: (left id, right id, merged id).
    public private(set) var merges: [Merge]
    /// Special tokens (content, id), matched in raw text before pre-tokenization.
    public private(set) var specials: [Special]
    /// (left << 32 | right) -> (rank << 32 | merged id).
    let mergeTable: [UInt64: UInt64]

    public struct Merge: Sendable, Equatable { public var left, right, result: Int32 }
    public struct Special: Sendable, Equatable { public var content: String; public var id: Int32 }

    public var vocabSize: Int { tokens.count }

    /// Builds a model; validates that ids are in range and that each merge result is left + right.
    public init(tokens: [[UInt8]], byteIds: [Int32], merges: [Merge], specials: [Special]) throws {
        guard byteIds.count == 256 else { throw CorpusError.invalidArgument("BPE model needs 256 byte tokens") }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, m) in merges.enumerated() {
            for id in [m.left, m.right, m.result] where id < 0 || Int(id) >= tokens.count {
                throw CorpusError.invalidArgument("merge \(rank): token id \(id) out of range")
            }
            guard tokens[Int(m.result)] == tokens[Int(m.left)] + tokens[Int(m.right)] else {
                throw CorpusError.invalidArgument("merge \(rank): result is not the concatenation of its parts")
            }
            let key = UInt64(UInt32(m.left)) << 32 | UInt64(UInt32(m.right))
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(m.result)) }
        }
        self.tokens = tokens
        self.byteIds = byteIds
        self.merges = merges
        self.specials = specials
        self.mergeTable = table
    }

    /// Id of the special token with this content, if any.
    public func specialId(_ content: String) -> Int32? { specials.first { $0.content == content }?.id }

    public static func == (a: BPEModel, b: BPEModel) -> Bool {
        a.tokens == b.tokens && a.byteIds == b.byteIds && a.merges == b.merges && a.specials == b.specials
    }
}
