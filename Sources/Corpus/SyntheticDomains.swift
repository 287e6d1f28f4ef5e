import Base
/// Synthetic domains with known structure and entropy, for fast tests of the whole data pipeline.
///
/// The "language" of each domain (word lists, transition tables) is fixed by `structureSeed`; the documents
/// drawn from it by the seed the builder passes. Entropy (exact, in bits, of the random choices):
/// - `digits`: lines of 8 groups of 8 uniform decimal digits: log2(10) = 3.32 bits per digit (64 digits per
///   72-byte line: 2.95 bits/byte); spaces and newlines are deterministic.
/// - `markov-words`: order-1 Markov chain over 64 pseudo-words, each followed by one of 4 fixed successors
///   uniformly: 2 bits per word.
/// - `markov-chars`: order-2 Markov chain over `a`-`z` and space, each 2-character context followed by one of
///   3 fixed characters uniformly: log2(3) = 1.585 bits per character.
/// - `templates`: sentences from 8 templates with two slots of 16 fillers each: 11 bits per sentence.
/// - `copies`: a random 24-word sentence over a 512-word list (9 bits/word) repeated 5 times: 216 bits per
///   document; the last four copies are predictable from the first.
public struct SyntheticSource: DocumentSource {
    public enum Kind: String, CaseIterable, Sendable { case digits, markovWords = "markov-words", markovChars = "markov-chars", templates, copies }

    public let kind: Kind
    /// Approximate bytes of text produced.
    public let bytes: Int
    public let structureSeed: UInt64

    public init(kind: Kind, bytes: Int, structureSeed: UInt64 = 7) {
        self.kind = kind; self.bytes = bytes; self.structureSeed = structureSeed
    }

    public var origin: String { "synthetic:\(kind.rawValue)" }

    /// All synthetic domains, each with `bytes` of text.
    public static func specs(bytes: Int) -> [DomainSpec] {
        Kind.allCases.map { DomainSpec(name: $0.rawValue, source: SyntheticSource(kind: $0, bytes: bytes)) }
    }

    static func pseudoWords(_ count: Int, _ g: inout SplitMix64) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        var out: [[UInt8]] = []
        while out.count < count {
            let w = (0..<(3 + g.below(5))).map { _ in UInt8(0x61 + g.below(26)) }
            if seen.insert(w).inserted { out.append(w) }
        }
        return out
    }

    public func forEachDocument(seed: UInt64, _ body: (RawDocument) throws -> Bool) throws {
        var s = SplitMix64(seed: structureSeed &+ UInt64(Kind.allCases.firstIndex(of: kind)!))
        var g = SplitMix64(seed: seed)
        var produced = 0
        let words = Self.pseudoWords(kind == .copies ? 512 : 64, &s)
        let successors = (0..<64).map { _ in (0..<4).map { _ in s.below(64) } }
        let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz ".utf8)
        let charNext = (0..<(27 * 27)).map { _ in (0..<3).map { _ in s.below(27) } }
        let fillers = Self.pseudoWords(32, &s)
        let templates = (0..<8).map { i in ("The \(i) report says that ", " will meet ", " next week.") }
        while produced < bytes {
            var doc: [UInt8] = []
            switch kind {
            case .digits:
                for _ in 0..<40 {
                    for grp in 0..<8 {
                        if grp > 0 { doc.append(0x20) }
                        for _ in 0..<8 { doc.append(UInt8(0x30 + g.below(10))) }
                    }
                    doc.append(0x0A)
                }
            case .markovWords:
                var w = g.below(64)
                for i in 0..<200 {
                    doc += words[w]
                    doc.append(i % 16 == 15 ? 0x0A : 0x20)
                    w = successors[w][g.below(4)]
                }
            case .markovChars:
                var a = g.below(26), b = g.below(26)
                doc += [alphabet[a], alphabet[b]]
                for _ in 0..<2000 {
                    let c = charNext[a * 27 + b][g.below(3)]
                    doc.append(alphabet[c])
                    (a, b) = (b, c)
                }
            case .templates:
                for _ in 0..<20 {
                    let t = templates[g.below(8)]
                    doc += Array(t.0.utf8) + fillers[g.below(16)] + Array(t.1.utf8) + fillers[16 + g.below(16)] + Array(t.2.utf8)
                    doc.append(0x0A)
                }
            case .copies:
                let sentence = (0..<24).map { _ in words[g.below(512)] }
                for _ in 0..<5 {
                    doc += Array(sentence.joined(separator: [0x20]))
                    doc += [0x2E, 0x0A]
                }
            }
            produced += doc.count
            if try !body(RawDocument(bytes: doc)) { return }
        }
    }
}
