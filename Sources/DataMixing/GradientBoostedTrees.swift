import Base
import Foundation

/// A small gradient-boosted regression-trees regressor (squared error), RegMix's nonlinear regressor in place of
/// LightGBM (no LightGBM package is available to a Swift build here). The algorithm is scikit-learn's
/// `GradientBoostingRegressor` with its defaults, written out:
///
///     F_0 = mean(y);   for t = 1...T:  g = y − F_{t−1},  h_t = the depth-limited tree fitted to g,
///                                      F_t = F_{t−1} + ν h_t
///
/// Each tree grows depth first by exact greedy splits: at a node of `n` samples, for every feature in index order,
/// the samples sorted by it, every cut between two values more than 1e-7 apart that leaves at least `minSamplesLeaf`
/// on each side is scored by `S_L²/n_L + S_R²/n_R` (`S` the sum of `g`; the largest is the largest fall in squared
/// error); the best cut's threshold is `a/2 + b/2` between its neighbours, `x_f <= threshold` goes left. A node is a
/// leaf at depth `maxDepth`, below 2 samples or `2 · minSamplesLeaf`, with squared-error impurity `<= DBL_EPSILON`,
/// or without a valid cut; its value is the mean of `g`. Ties between features (several features giving the same
/// partition, common in small nodes) go to the lowest feature index. scikit-learn visits features in a seeded
/// random order instead, so its predictions at the training points equal ours while its predictions elsewhere
/// depend on its seed (Fixtures/gen/regmix_gbt.py: 0 difference at its 48 training points, and the port's
/// held-out predictions differ from scikit-learn seed 0's at 118 of 200; checked once by hand on the same world,
/// scikit-learn's seeds 0-3 differ from each other at 112-117 of 200). Tolerance against the references: 1e-12
/// absolute. Double throughout.
public struct GradientBoostedTrees: Sendable, Equatable {
    /// One node of a tree: `feature < 0` is a leaf with `value`.
    public struct Node: Sendable, Equatable {
        public var feature: Int
        public var threshold: Double
        public var left: Int
        public var right: Int
        public var value: Double
    }

    public var initial: Double
    public var learningRate: Double
    public var maxDepth: Int
    public var minSamplesLeaf: Int
    /// The trees, each a flat array of nodes with the root first.
    public var trees: [[Node]]

    /// What a result JSON states of the forest (`details.regression.boosting`): its settings and `F_0`.
    public struct Summary: Encodable, Sendable, Equatable {
        public var trees: Int
        public var learningRate: Double
        public var maxDepth: Int
        public var minSamplesLeaf: Int
        public var initial: Double

        enum CodingKeys: String, CodingKey {
            case trees, initial
            case learningRate = "learning_rate", maxDepth = "max_depth", minSamplesLeaf = "min_samples_leaf"
        }
    }

    public var summary: Summary {
        Summary(trees: trees.count, learningRate: learningRate, maxDepth: maxDepth, minSamplesLeaf: minSamplesLeaf,
                initial: initial)
    }

    /// scikit-learn's defaults: 100 trees, learning rate 0.1, depth 3, one sample per leaf.
    public static func fit(x: [[Double]], y: [Double], trees: Int = 100, learningRate: Double = 0.1,
                           maxDepth: Int = 3, minSamplesLeaf: Int = 1) throws -> GradientBoostedTrees {
        guard !x.isEmpty, x.count == y.count, let p = x.first?.count, p >= 1, x.allSatisfy({ $0.count == p }) else {
            throw DataMixingError.invalidArgument("gbt: needs as many feature rows of one width as objectives")
        }
        guard x.allSatisfy({ $0.allSatisfy(\.isFinite) }), y.allSatisfy(\.isFinite) else {
            throw DataMixingError.invalidArgument("gbt: features and objectives must be finite")
        }
        guard (1...100_000).contains(trees) else { throw FieldError("trees", "must be from 1 to 100000, got \(trees)") }
        guard learningRate.isFinite, learningRate > 0, learningRate <= 1 else {
            throw FieldError("learning_rate", "must be in (0, 1], got \(learningRate)")
        }
        guard (1...32).contains(maxDepth) else { throw FieldError("max_depth", "must be from 1 to 32, got \(maxDepth)") }
        guard minSamplesLeaf >= 1 else { throw FieldError("min_samples_leaf", "must be >= 1, got \(minSamplesLeaf)") }
        let n = y.count
        let initial = y.reduce(0, +) / Double(n)
        var model = GradientBoostedTrees(initial: initial, learningRate: learningRate, maxDepth: maxDepth,
                                         minSamplesLeaf: minSamplesLeaf, trees: [])
        var f = [Double](repeating: initial, count: n)
        for _ in 0..<trees {
            let g = (0..<n).map { y[$0] - f[$0] }
            var nodes: [Node] = []
            model.grow(x, g, Array(0..<n), depth: 0, into: &nodes)
            for i in 0..<n { f[i] += learningRate * Self.evaluate(nodes, x[i]) }
            model.trees.append(nodes)
        }
        return model
    }

    /// `F_T(x) = F_0 + ν Σ_t h_t(x)`, summed in tree order.
    public func predict(_ x: [Double]) -> Double {
        trees.reduce(initial) { $0 + learningRate * Self.evaluate($1, x) }
    }

    static func evaluate(_ nodes: [Node], _ x: [Double]) -> Double {
        var k = 0
        while nodes[k].feature >= 0 { k = x[nodes[k].feature] <= nodes[k].threshold ? nodes[k].left : nodes[k].right }
        return nodes[k].value
    }

    /// Appends the subtree of `samples` to `nodes` (depth first, left before right); returns its root's index.
    @discardableResult
    func grow(_ x: [[Double]], _ g: [Double], _ samples: [Int], depth: Int, into nodes: inout [Node]) -> Int {
        let n = samples.count
        var sum = 0.0, squares = 0.0
        for i in samples { sum += g[i]; squares += g[i] * g[i] }
        let me = nodes.count
        nodes.append(Node(feature: -1, threshold: 0, left: -1, right: -1, value: sum / Double(n)))
        let impurity = squares / Double(n) - (sum / Double(n)) * (sum / Double(n))
        if depth >= maxDepth || n < 2 || n < 2 * minSamplesLeaf || impurity <= Double.ulpOfOne { return me }
        var best = -Double.infinity, bestFeature = -1, bestThreshold = 0.0, bestOrder: [Int] = []
        for f in 0..<x[0].count {
            let order = samples.sorted { (x[$0][f], $0) < (x[$1][f], $1) }
            guard x[order[n - 1]][f] > x[order[0]][f] + 1e-7 else { continue }
            var left = 0.0
            for k in 1..<n {
                left += g[order[k - 1]]
                let a = x[order[k - 1]][f], b = x[order[k]][f]
                guard b > a + 1e-7, k >= minSamplesLeaf, n - k >= minSamplesLeaf else { continue }
                let right = sum - left
                let proxy = left * left / Double(k) + right * right / Double(n - k)
                if proxy > best { (best, bestFeature, bestThreshold, bestOrder) = (proxy, f, a / 2 + b / 2, order) }
            }
        }
        guard bestFeature >= 0 else { return me }
        let goesLeft = bestOrder.filter { x[$0][bestFeature] <= bestThreshold }
        let goesRight = bestOrder.filter { x[$0][bestFeature] > bestThreshold }
        nodes[me].feature = bestFeature
        nodes[me].threshold = bestThreshold
        nodes[me].left = grow(x, g, goesLeft, depth: depth + 1, into: &nodes)
        nodes[me].right = grow(x, g, goesRight, depth: depth + 1, into: &nodes)
        return me
    }
}
