import Base
/// A seeded, deterministic stream of fixed-length training sequences drawn from several domains in
/// requested token quantities.
///
/// Each domain's token stream (documents joined by `<|endoftext|>`) of length L is cut into
/// k = floor((L - 1) / T) windows of T + 1 tokens at stride T (inputs = window[0..<T], targets =
/// window[1...T]). A request of q tokens becomes n = round(q / T) sequences, so the domain contributes
/// n * T training tokens with |n * T - q| <= T / 2 (within one sequence). When n > k the windows are
/// repeated in ceil(n / k) epochs, each a fresh seeded permutation (a warning names the epoch count;
/// above `maxEpochs` it is an error). Domains are interleaved by stride scheduling: the j-th sequence of
/// domain d gets the key (j + u_d) / n_d with a seeded offset u_d in [0, 1), and the stream is sorted by
/// key, so every prefix holds each domain in proportion to its request (within one sequence per domain).
public struct MixtureSampler: Sendable {
    public struct Plan: Sendable, Equatable {
        public var domain: String
        public var requestedTokens: Int
        public var sequences: Int
        public var uniqueTokens: Int
        public var windowsPerEpoch: Int
        public var epochs: Int
    }

    public let sequenceLength: Int
    public let plans: [Plan]
    /// Human-readable warnings (domains repeated in epochs).
    public let warnings: [String]
    private let shards: [TokenShard]
    /// Stream order: (domain index, window start offset in the domain's stream).
    private let order: [(domain: Int32, start: Int)]

    /// - Parameters:
    ///   - domains: (name, training shard, requested tokens) per domain; requests of 0 are allowed.
    ///   - maxEpochs: largest allowed number of passes over a domain's unique tokens.
    public init(domains: [(name: String, shard: TokenShard, tokens: Int)], sequenceLength: Int, seed: UInt64,
                maxEpochs: Int = 4) throws {
        guard sequenceLength >= 1 else { throw CorpusError.invalidArgument("sequence length must be >= 1") }
        guard maxEpochs >= 1 else { throw CorpusError.invalidArgument("--max-epochs must be >= 1") }
        let t = sequenceLength
        var plans: [Plan] = [], warnings: [String] = []
        var windows: [[Int]] = []
        for (name, shard, q) in domains {
            guard q >= 0 else { throw CorpusError.invalidArgument("domain '\(name)': requested tokens must be >= 0") }
            let n = MixtureBudget.sequences(tokens: q, predictedPerSequence: t)
            let k = max(0, (shard.count - 1) / t)
            if n > 0 && k == 0 {
                throw CorpusError.tooLittleText(domain: name, detail: "\(shard.count) tokens cannot fill one sequence of \(t + 1)")
            }
            let epochs = n == 0 ? 0 : (n + k - 1) / k
            if epochs > maxEpochs {
                throw CorpusError.tooManyEpochs(domain: name, requested: q, unique: k * t, epochs: epochs, limit: maxEpochs)
            }
            if epochs > 1 {
                warnings.append("warning: domain '\(name)': \(q) tokens requested but \(k * t) unique; repeating it over \(epochs) epochs")
            }
            var g = SplitMix64(seed: derivedSeed(seed, name))
            var picks: [Int] = []
            picks.reserveCapacity(n)
            for _ in 0..<epochs {
                var perm = Array(0..<k)
                g.shuffle(&perm)
                picks += perm.prefix(n - picks.count).map { $0 * t }
            }
            windows.append(picks)
            plans.append(Plan(domain: name, requestedTokens: q, sequences: n, uniqueTokens: k * t, windowsPerEpoch: k, epochs: epochs))
        }
        var keyed: [(key: Double, domain: Int32, j: Int)] = []
        var g = SplitMix64(seed: seed ^ 0x1A7E_12EA)
        for (d, picks) in windows.enumerated() {
            let u = g.unit()
            let n = Double(picks.count)
            for j in 0..<picks.count { keyed.append(((Double(j) + u) / n, Int32(d), j)) }
        }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.domain < $1.domain }
        order = keyed.map { ($0.domain, windows[Int($0.domain)][$0.j]) }
        self.sequenceLength = t
        self.plans = plans
        self.warnings = warnings
        self.shards = domains.map(\.shard)
    }

    /// Number of sequences in the stream.
    public var count: Int { order.count }

    /// Index (into `plans`) of the domain of sequence `i`.
    public func domainIndex(at i: Int) -> Int { Int(order[i].domain) }

    /// Sequence `i`: T + 1 tokens.
    public func sequence(at i: Int) -> [Int32] {
        let (d, start) = order[i]
        return shards[Int(d)].tokens(start..<(start + sequenceLength + 1))
    }

    /// Sequence `i` as (inputs, targets), each of length T.
    public func inputsAndTargets(at i: Int) -> (inputs: [Int32], targets: [Int32]) {
        let s = sequence(at: i)
        return (Array(s.dropLast()), Array(s.dropFirst()))
    }
}

/// Validation sequences of one domain in a fixed order: consecutive, non-overlapping windows of T + 1
/// tokens at stride T from the start of the validation shard (the same for every run and seed).
public struct ValidationReader: Sendable {
    public let shard: TokenShard
    public let sequenceLength: Int
    /// Number of windows (at most `maxSequences` when given).
    public let count: Int

    public init(shard: TokenShard, sequenceLength: Int, maxSequences: Int? = nil) throws {
        guard sequenceLength >= 1 else { throw CorpusError.invalidArgument("sequence length must be >= 1") }
        let k = max(0, (shard.count - 1) / sequenceLength)
        guard k > 0 else {
            throw CorpusError.badShard(path: shard.url.path, detail: "\(shard.count) tokens cannot fill one sequence of \(sequenceLength + 1)")
        }
        self.shard = shard
        self.sequenceLength = sequenceLength
        count = min(k, maxSequences ?? k)
    }

    public func sequence(at i: Int) -> [Int32] {
        precondition(i >= 0 && i < count, "validation index out of range")
        return shard.tokens((i * sequenceLength)..<(i * sequenceLength + sequenceLength + 1))
    }
}
