import Optimization
import Testing
import TestSupport

/// Tilted double well `f(x) = (x² − 1)² + 0.1 x`: a local minimum near +0.99 and the global one near −1.01.
struct DoubleWell: DifferentiableObjective {
    var dimension: Int { 1 }
    func value(at x: [Double], gradient g: inout [Double]) -> Double {
        let t = x[0] * x[0] - 1
        g[0] = 4 * x[0] * t + 0.1
        return t * t + 0.1 * x[0]
    }
}

@Test func multiStartFindsTheGlobalMinimumDeterministically() throws {
    let starts = MultiStart.grid([[-2, -1, -0.5, 0.5, 1, 2]])
    #expect(starts == [[-2], [-1], [-0.5], [0.5], [1], [2]])
    var o = LBFGS.Options()
    o.gradientTolerance = 1e-10
    o.relativeFunctionTolerance = 1e-15
    let one = try MultiStart(optimizer: LBFGS(options: o), threads: 1).minimize(DoubleWell(), starts: starts)
    let two = try MultiStart(optimizer: LBFGS(options: o), threads: 2).minimize(DoubleWell(), starts: starts)
    // The global minimizer solves f'(x) = 0 on [-2, -0.5]; found independently by bisection.
    let root = try Bisection.root(in: -2, -0.5) { 4 * $0 * ($0 * $0 - 1) + 0.1 }
    // f ≈ −0.1 is resolved to ~1e-17 and f'' ≈ 8, so x is determined to ~2e-9.
    #expect(abs(one.best.result.x[0] - root) < 1e-8)
    #expect(one.bestIndex == two.bestIndex && one.values == two.values && one.best.result.x == two.best.result.x)
    #expect(one.ran == 6 && one.values.allSatisfy(\.isFinite))
    #expect(one.values.filter { $0 > 0 }.count == 3)  // the starts right of the barrier end in the local minimum
    #expect(throws: OptimizationError.self) {
        try MultiStart().minimize(NaNEverywhere(), starts: [[0], [1]])
    }
}

@Test func productGrid() {
    #expect(MultiStart.grid([[1, 2], [3], [4, 5]]) == [[1, 3, 4], [1, 3, 5], [2, 3, 4], [2, 3, 5]])
}

struct NaNEverywhere: DifferentiableObjective {
    var dimension: Int { 1 }
    func value(at x: [Double], gradient g: inout [Double]) -> Double { .nan }
}
