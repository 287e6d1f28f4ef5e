import Base
import Testing

/// `SampleStatistics` against numpy (`x.mean()`, `x.std(ddof=1)`, `/ sqrt(n)`) on five validation losses.
@Suite struct SampleStatisticsTests {
    @Test func matchesNumpy() {
        let s = SampleStatistics([5.1563, 4.8443, 5.0149, 4.9, 5.3])
        // numpy 2.4.6: 5.043100000000001, 0.1868195252108301, 0.08354823157913036; tolerance 1e-14 relative.
        #expect(s.count == 5)
        #expect(abs(s.mean - 5.043100000000001) <= 1e-14 * 5.0431)
        #expect(abs(s.sd - 0.1868195252108301) <= 1e-14 * 0.1868)
        #expect(abs(s.standardError - 0.08354823157913036) <= 1e-14 * 0.0835)
    }

    @Test func oneValueHasNoSpread() {
        let s = SampleStatistics([3.25])
        #expect(s.mean == 3.25)
        #expect(s.sd == 0)
        #expect(s.standardError == 0)
    }
}
