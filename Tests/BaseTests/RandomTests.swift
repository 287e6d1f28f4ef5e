import Base
import Foundation
import Testing
import TestSupport

/// Base's generators and draws against the independent Python implementation in Fixtures/gen/base_random.py.
@Suite struct RandomTests {
    struct Reference: Decodable {
        struct Generator: Decodable {
            var kind: String
            var seed: String
            var next: [String]
            var below_bounds: [UInt64]
            var below: [UInt64]
            var unit: [Double]
            var normal: [Double]
            var shuffle10: [Int]
        }
        struct Rounding: Decodable { var weights: [Double]; var total: Int; var quantities: [Int] }
        var generators: [Generator]
        var largest_remainder: [Rounding]
    }

    func check<G: SeededRandomGenerator>(_ type: G.Type, _ r: Reference.Generator) throws {
        let seed = try #require(UInt64(r.seed))
        var g = G(seed: seed)
        #expect((0..<5).map { _ in String(g.next()) } == r.next, "\(r.kind) seed \(seed): raw stream")
        g = G(seed: seed)
        // `below` takes an Int; bounds above Int.max are checked through the raw Lemire step instead.
        let bounds = r.below_bounds.filter { $0 <= UInt64(Int.max) }
        #expect(bounds.map { UInt64(g.below(Int($0))) } == Array(r.below.prefix(bounds.count)), "\(r.kind) seed \(seed): below")
        g = G(seed: seed)
        #expect((0..<5).map { _ in g.unit() } == r.unit, "\(r.kind) seed \(seed): unit (exact: 53-bit scaling)")
        g = G(seed: seed)
        let normals = (0..<5).map { _ in g.normal() }
        // libm's log and cos may differ from CPython's by an ulp: 1e-14 absolute.
        #expect(maxAbsDiff(normals, r.normal) <= 1e-14, "\(r.kind) seed \(seed): normal \(normals) vs \(r.normal)")
        g = G(seed: seed)
        var a = Array(0..<10)
        g.shuffle(&a)
        #expect(a == r.shuffle10, "\(r.kind) seed \(seed): shuffle")
    }

    @Test func streamsMatchTheReference() throws {
        let ref = try Fixture.shared(Reference.self, "base/random.json")
        #expect(ref.generators.count == 8)
        for r in ref.generators {
            switch r.kind {
            case "splitmix64": try check(SplitMix64.self, r)
            case "xoshiro256**": try check(Xoshiro256StarStar.self, r)
            default: Issue.record("unknown generator \(r.kind)")
            }
        }
    }

    @Test func largestRemainderMatchesTheReference() throws {
        let ref = try Fixture.shared(Reference.self, "base/random.json")
        #expect(ref.largest_remainder.count == 6)
        for c in ref.largest_remainder {
            let q = try #require(largestRemainder(c.weights, total: c.total))
            #expect(q == c.quantities, "\(c.weights) x \(c.total)")
            #expect(q.reduce(0, +) == c.total)
        }
        #expect(largestRemainder([1, .nan], total: 3) == nil)
        #expect(largestRemainder([0, 0], total: 3) == nil)
        #expect(largestRemainder([1, 1], total: -1) == nil)
    }
}

/// The comparisons every numerical test relies on must fail on NaN and infinity.
@Suite struct ComparisonTests {
    @Test func nanAndInfinityFailTheComparison() {
        #expect(maxAbsDiff([1.0, 2.0], [1.0, 2.0]) == 0)
        #expect(maxAbsDiff([1.0, .nan], [1.0, 2.0]) == .infinity)
        #expect(maxAbsDiff([Float.nan], [Float.nan]) == .infinity)
        #expect(maxAbsDiff([1.0], [Double.infinity]) == .infinity)
        #expect(!(maxAbsDiff([Double.nan, 0], [0, 0]) <= 1e-6))
        #expect(maxRelDiff([1.0, .nan], [1.0, 1.0]) == .infinity)
        #expect(maxRelDiff([0.0], [0.0]) == 0)
        #expect(maxRelDiff([1.0, 2.0], [1.0]) == .infinity)
    }
}

@Suite struct OutputTests {
    @Test func atomicWriteNamesThePathOnFailure() throws {
        let dir = try TempDir()
        let missing = dir.path("no/such/folder/out.json")
        #expect { try AtomicFile.write("x", to: missing) } throws: { e in
            "\(e)" == "\(missing.path): cannot write: folder \(missing.deletingLastPathComponent().path) does not exist"
        }
        let ok = dir.path("out.json")
        try AtomicFile.write("{}", to: ok)
        #expect(try String(contentsOf: ok, encoding: .utf8) == "{}")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.url.path)) == ["out.json"])
    }

    @Test func fieldErrorsRenderPerFrontEnd() throws {
        let e = FieldError("max_epochs", "must be >= 1, got 0")
        #expect("\(e)" == "--max-epochs: must be >= 1, got 0")
        #expect(e.rendered(inFile: "p.yaml", keyPrefix: "proxy.") == "p.yaml: proxy.max_epochs: must be >= 1, got 0")
        #expect(throws: FieldError("tokens", "'x' is not a positive token count (e.g. 1200000, 1.2e6 or 1.2M)")) {
            try TokenCount.parse("x", field: "tokens")
        }
        #expect(try TokenCount.parse("1.2M", field: "tokens") == 1_200_000)
    }
}

/// The one token unit: weights -> quantities -> sequences -> steps.
@Suite struct MixtureBudgetTests {
    @Test func weightsTimesBudget() throws {
        let q = try MixtureBudget(domains: ["a", "b", "c"], weights: [1, 1, 1], total: 100)
        #expect(q.tokens == [34, 33, 33] && q.total == 100)
        let r = try MixtureBudget(domains: ["a", "b", "c"], weights: [0.5, 0.25, 0], total: 1_000_001)
        #expect(r.total == 1_000_001 && r.tokens[2] == 0 && abs(r.tokens[0] - 666_667) <= 1)
        #expect(throws: FieldError("weights", "weights must be finite, non-negative and not all zero")) {
            try MixtureBudget(domains: ["a"], weights: [0], total: 10)
        }
        #expect(throws: FieldError("weight", "2 weights for 1 domains")) {
            try MixtureBudget(domains: ["a"], weights: [1, 2], total: 10, field: "weight")
        }
    }

    /// 720k predicted tokens at context 64 (63 per sequence) and batch 8: 2 x 5,714 sequences, 1,428 steps,
    /// 1,428 x 8 x 63 = 719,712 predicted tokens trained (what the log's last `tokens` row reads).
    @Test func sequencesAndSteps() throws {
        let m = try MixtureBudget(domains: ["a", "b"], weights: [1, 1], total: 720_000)
        #expect(m.sequences(predictedPerSequence: 63) == [5714, 5714])
        #expect(m.steps(predictedPerSequence: 63, batchSize: 8) == 1428)
        #expect(MixtureBudget.sequences(tokens: 94, predictedPerSequence: 63) == 1)
        #expect(MixtureBudget.sequences(tokens: 95, predictedPerSequence: 63) == 2)
    }
}
