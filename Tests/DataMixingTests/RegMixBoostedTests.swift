import Base
import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// RegMix's boosted-trees regressor against Fixtures/mixing/regmix-gbt.json (Fixtures/gen/regmix_gbt.py):
/// scikit-learn's GradientBoostingRegressor at the 48 training mixtures, and a numpy port (lowest-index ties, checked
/// there against scikit-learn to 0 at the training points) at 200 held-out mixtures and in RegMix's search.
@Suite struct RegMixBoostedTests {
    struct Reference: Decodable {
        struct Settings: Decodable { var trees: Int, learning_rate: Double, max_depth: Int, min_samples_leaf: Int }
        struct Node: Decodable { var feature: Int, threshold: Double, left: Int, right: Int, value: Double }
        struct Search: Decodable {
            var seed: UInt64, samples: Int, top_k: Int, prior: [Double], top_indices: [Int], weights: [Double]
            var predicted: Double
        }
        var settings: Settings, domains: [String], mixtures: [[Double]], objectives: [Double], initial: Double
        var sklearn_train_predictions: [Double], test_mixtures: [[Double]], test_predictions: [Double]
        var first_tree: [Node], search: Search
    }

    func reference() throws -> Reference { try Fixture.shared(Reference.self, "mixing/regmix-gbt.json") }

    func model(_ ref: Reference) throws -> GradientBoostedTrees {
        try GradientBoostedTrees.fit(x: ref.mixtures, y: ref.objectives, trees: ref.settings.trees,
                                     learningRate: ref.settings.learning_rate, maxDepth: ref.settings.max_depth,
                                     minSamplesLeaf: ref.settings.min_samples_leaf)
    }

    /// Training predictions equal scikit-learn's to 1e-12 absolute; the first tree equals the port's node for node
    /// (features exactly, thresholds and values to 1e-15).
    @Test func matchesScikitLearnAtTheTrainingPoints() throws {
        let ref = try reference(), m = try model(ref)
        #expect(m.trees.count == ref.settings.trees)
        #expect(maxAbsDiff([m.initial], [ref.initial]) <= 1e-15)
        let ours = ref.mixtures.map(m.predict)
        #expect(maxAbsDiff(ours, ref.sklearn_train_predictions) <= 1e-12)
        let first = try #require(m.trees.first)
        #expect(first.count == ref.first_tree.count)
        #expect(first.map(\.feature) == ref.first_tree.map(\.feature))
        #expect(first.map(\.left) == ref.first_tree.map(\.left))
        #expect(maxAbsDiff(first.map(\.threshold), ref.first_tree.map(\.threshold)) <= 1e-15)
        #expect(maxAbsDiff(first.map(\.value), ref.first_tree.map(\.value)) <= 1e-15)
    }

    /// Held-out predictions equal the port's (the same tie rule) to 1e-12; and the fit is a fit: its RMS residual
    /// is below a third of the objectives' standard deviation.
    @Test func matchesThePortElsewhere() throws {
        let ref = try reference(), m = try model(ref)
        #expect(maxAbsDiff(ref.test_mixtures.map(m.predict), ref.test_predictions) <= 1e-12)
        let mean = ref.objectives.reduce(0, +) / Double(ref.objectives.count)
        let sd = (ref.objectives.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ref.objectives.count))
            .squareRoot()
        let rms = (zip(ref.mixtures.map(m.predict), ref.objectives).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            / Double(ref.objectives.count)).squareRoot()
        #expect(rms < sd / 3, "rms \(rms) vs sd \(sd)")
    }

    /// RegMix's search with the trees: the same candidates, top-k and answer as the port (1e-12).
    @Test func searchMatchesThePort() throws {
        let ref = try reference()
        var rm = try RegMixModel.fitBoosted(domains: ref.domains, mixtures: ref.mixtures, objectives: ref.objectives)
        #expect(rm.regressor == .gbt)
        let w = try rm.search(prior: ref.search.prior, upper: [1, 1, 1], samples: ref.search.samples,
                              topK: ref.search.top_k, seed: ref.search.seed)
        #expect(maxAbsDiff(w, ref.search.weights) <= 1e-12, "\(w) vs \(ref.search.weights)")
        #expect(maxAbsDiff([rm.predict(w)], [ref.search.predicted]) <= 1e-12)
    }

    /// Bad settings are one ``FieldError`` each; constant objectives give a single-leaf forest predicting the mean.
    @Test func refusesBadSettingsAndHandlesConstants() throws {
        let x = [[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]], y = [1.0, 1.0, 1.0]
        #expect(throws: FieldError.self) { try GradientBoostedTrees.fit(x: x, y: y, trees: 0) }
        #expect(throws: FieldError.self) { try GradientBoostedTrees.fit(x: x, y: y, learningRate: 0) }
        #expect(throws: FieldError.self) { try GradientBoostedTrees.fit(x: x, y: y, maxDepth: 0) }
        #expect(throws: DataMixingError.self) { try GradientBoostedTrees.fit(x: x, y: [1, .nan, 1]) }
        let m = try GradientBoostedTrees.fit(x: x, y: y, trees: 5)
        #expect(m.trees.allSatisfy { $0.count == 1 })
        #expect(maxAbsDiff(x.map(m.predict), y) <= 0)
    }
}
