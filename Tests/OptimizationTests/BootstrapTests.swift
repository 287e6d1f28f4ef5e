import Base
import Optimization
import Testing
import TestSupport

@Test func generatorsMatchReferenceSequences() throws {
    let fx = try OptimizationFixture.load().prng
    var sm = SplitMix64(seed: 1234567)
    #expect((0..<5).map { _ in String(sm.next()) } == fx.splitmix_1234567)
    var xo = Xoshiro256StarStar(seed: 42)
    #expect((0..<5).map { _ in String(xo.next()) } == fx.xoshiro_42)
    for b in fx.bootstrap {
        #expect(Bootstrap.indices(count: b.n, replicate: b.replicate, seed: b.seed) == b.indices)
    }
}

@Test func quantilesMatchNumpyPercentile() throws {
    let fx = try OptimizationFixture.load().quantiles
    #expect(maxAbsDiff(fx.q.map { Bootstrap.quantile(fx.values, $0) }, fx.expected) < 1e-14)
    let (lo, hi) = Bootstrap.percentileInterval(fx.values, level: 0.95)
    #expect(abs(lo - fx.expected[1]) < 1e-14 && abs(hi - fx.expected[3]) < 1e-14)
}

@Test func bootstrapIsReproducibleAndCoversTheMean() {
    var rng = Xoshiro256StarStar(seed: 1)
    let data = (0..<200).map { _ in rng.unit() }
    let mean = { (idx: [Int]) -> Double? in idx.reduce(0) { $0 + data[$1] } / Double(idx.count) }
    let a = Bootstrap.replicate(count: data.count, replicates: 300, seed: 9, mean)
    let b = Bootstrap.replicate(count: data.count, replicates: 300, seed: 9, mean)
    let c = Bootstrap.replicate(count: data.count, replicates: 300, seed: 10, mean)
    #expect(a == b)
    #expect(a != c)
    let (lo, hi) = Bootstrap.percentileInterval(a)
    let sampleMean = data.reduce(0, +) / 200
    #expect(lo < sampleMean && sampleMean < hi)
    // Uniform(0,1) mean has standard error sqrt(1/12/200) ≈ 0.0204; the 95% interval is about ±0.04.
    #expect(hi - lo > 0.05 && hi - lo < 0.11)
    var r2 = Xoshiro256StarStar(seed: 3)
    #expect((0..<1000).allSatisfy { _ in (0..<7).contains(r2.below(7)) })
}
