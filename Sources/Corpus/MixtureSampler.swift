import Base
/// A seeded, deterministic stream of fixed-length training sequences drawn from several domains in
/// given proportions.
///
/// Each domain's token stream (documents joined by `<|endoftext|>`) of length L is cut into
/// k = floor((L - 1) / T) windows of T + 1 tokens at stride T (inputs = window[0..<T], targets =
/// window[1...T]). The stream of n sequences is split over the domains by Webster's divisor method
/// (Sainte-Laguë) on the weights, built one sequence at a time: sequence i goes to the domain d with
/// the largest w_d / (c_d + 1/2), c_d its sequences so far (ties: the lowest index). Webster's method is
/// house-monotone, so every prefix of the stream is the same apportionment of the shorter stream: the
/// first m sequences of the n-sequence stream ARE the m-sequence stream (same weights and seed), sequence
/// for sequence. The j-th sequence of a domain is the j-th window of the concatenation of seeded epoch
/// permutations of its k windows (a fresh permutation per epoch), also independent of n; when a domain
/// needs more than k windows it is repeated in ceil(n_d / k) epochs (a warning names the epoch count;
/// above `maxEpochs` it is an error). So a run of a small budget sees exactly the first sequences of a
/// longer run's stream, repetition included (what cooldown branches off one trunk need).
public struct MixtureSampler: Sendable {
    public struct Plan: Sendable, Equatable {
        public var domain: String
        /// Tokens asked for: the request (token init), or the domain's exact share of `n * T` (weight init), rounded.
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

    /// A stream from token requests: weights `w_d = q_d` and `n = sum_d round(q_d / T)` sequences (the count a
    /// per-domain rounding gives), split by Webster's apportionment (see the type's documentation), so domain d
    /// gets about q_d / T sequences (within one, but for Webster's rare misses of the quota).
    ///
    /// - Parameters:
    ///   - domains: (name, training shard, requested tokens) per domain; requests of 0 are allowed.
    ///   - maxEpochs: largest allowed number of passes over a domain's unique tokens.
    public init(domains: [(name: String, shard: TokenShard, tokens: Int)], sequenceLength: Int, seed: UInt64,
                maxEpochs: Int = 4) throws {
        guard sequenceLength >= 1 else { throw CorpusError.invalidArgument("sequence length must be >= 1") }
        for d in domains where d.tokens < 0 {
            throw CorpusError.invalidArgument("domain '\(d.name)': requested tokens must be >= 0")
        }
        let n = domains.reduce(0) { $0 + MixtureBudget.sequences(tokens: $1.tokens, predictedPerSequence: sequenceLength) }
        try self.init(domains: domains.map { ($0.name, $0.shard, Double($0.tokens)) },
                      sequences: n, sequenceLength: sequenceLength,
                      seed: seed, maxEpochs: maxEpochs, requested: domains.map(\.tokens))
    }

    /// A stream of `sequences` sequences split over the domains by Webster's method on `weight` (non-negative,
    /// finite, not all zero; only their ratios matter). Its first m sequences equal the stream of `sequences: m`
    /// with the same weights and seed. Ties are decided on the given Doubles, so runs meant to share a stream
    /// must pass the same weight values (not weights re-derived from rounded token counts).
    public init(domains: [(name: String, shard: TokenShard, weight: Double)], sequences: Int, sequenceLength: Int,
                seed: UInt64, maxEpochs: Int = 4) throws {
        try self.init(domains: domains, sequences: sequences, sequenceLength: sequenceLength, seed: seed,
                      maxEpochs: maxEpochs, requested: nil)
    }

    private init(domains: [(name: String, shard: TokenShard, weight: Double)], sequences n: Int, sequenceLength: Int,
                 seed: UInt64, maxEpochs: Int, requested: [Int]?) throws {
        guard sequenceLength >= 1 else { throw CorpusError.invalidArgument("sequence length must be >= 1") }
        guard maxEpochs >= 1 else { throw CorpusError.invalidArgument("--max-epochs must be >= 1") }
        guard n >= 0 else { throw CorpusError.invalidArgument("the number of sequences must be >= 0, got \(n)") }
        let w = domains.map(\.weight)
        guard w.allSatisfy({ $0 >= 0 && $0.isFinite }), n == 0 || w.contains(where: { $0 > 0 }) else {
            throw CorpusError.invalidArgument("weights must be finite, non-negative and not all zero")
        }
        let t = sequenceLength
        let assignment = Self.websterOrder(weights: w, count: n)
        var counts = [Int](repeating: 0, count: domains.count)
        for d in assignment { counts[Int(d)] += 1 }
        let weightSum = w.reduce(0, +)
        var plans: [Plan] = [], warnings: [String] = []
        var windows: [[Int]] = []
        for (d, (name, shard, weight)) in domains.enumerated() {
            let nd = counts[d]
            let q = requested?[d] ?? (weightSum > 0 ? Int((weight / weightSum * Double(n * t)).rounded()) : 0)
            let k = max(0, (shard.count - 1) / t)
            if nd > 0 && k == 0 {
                throw CorpusError.tooLittleText(domain: name, detail: "\(shard.count) tokens cannot fill one sequence of \(t + 1)")
            }
            let epochs = nd == 0 ? 0 : (nd + k - 1) / k
            if epochs > maxEpochs {
                throw CorpusError.tooManyEpochs(domain: name, requested: q, unique: k * t, epochs: epochs, limit: maxEpochs)
            }
            if epochs > 1 {
                warnings.append("warning: domain '\(name)': \(q) tokens requested but \(k * t) unique; repeating it over \(epochs) epochs")
            }
            var g = SplitMix64(seed: derivedSeed(seed, name))
            var picks: [Int] = []
            picks.reserveCapacity(nd)
            for _ in 0..<epochs {
                var perm = Array(0..<k)
                g.shuffle(&perm)
                picks += perm.prefix(nd - picks.count).map { $0 * t }
            }
            windows.append(picks)
            plans.append(Plan(domain: name, requestedTokens: q, sequences: nd, uniqueTokens: k * t, windowsPerEpoch: k, epochs: epochs))
        }
        var next = [Int](repeating: 0, count: domains.count)
        order = assignment.map { d in
            defer { next[Int(d)] += 1 }
            return (d, windows[Int(d)][next[Int(d)]])
        }
        self.sequenceLength = t
        self.plans = plans
        self.warnings = warnings
        self.shards = domains.map(\.shard)
    }

    /// The domain of each of the first `count` sequences by Webster's sequential divisor method: the next sequence
    /// goes to the domain with the largest `w_d / (c_d + 1/2)` (compared as `w_a (2 c_b + 1) > w_b (2 c_a + 1)`),
    /// ties to the lowest index. Every prefix of length m holds Webster's apportionment of m.
    public static func websterOrder(weights w: [Double], count: Int) -> [Int32] {
        var c = [Double](repeating: 0, count: w.count)
        var out: [Int32] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            var best = 0
            for d in 1..<max(1, w.count) where w[d] * (2 * c[best] + 1) > w[best] * (2 * c[d] + 1) { best = d }
            c[best] += 1
            out.append(Int32(best))
        }
        return out
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
