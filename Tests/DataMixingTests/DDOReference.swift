import TestSupport

/// `Fixtures/ddo/reference.json`, written by `Fixtures/gen/ddo_reference.py` (scipy/numpy).
struct DDOReference: Decodable {
    struct ExactFit: Decodable {
        var x: [Double], y: [Double], `true`: [Double]
        /// Every exact `(a, b, c)` scipy's root finder found, sorted by `b`.
        var solutions: [[Double]]
    }
    struct LeastSquaresFit: Decodable {
        var x: [Double], y: [Double], params: [Double], cost: Double
        var name: String?
    }
    struct AllocationCase: Decodable {
        var a: [Double], b: [Double], c: [Double], base: [Double]
        var lower: Double, upper: Double, budget: Double
        /// SLSQP's solution and objective.
        var x: [Double], objective: Double
    }
    struct PredictorCase: Decodable {
        struct Target: Decodable { var budget: Double, u: Double, tokens: [Double] }
        /// Budgets x domains, rows sorted by budget.
        var quantities: [[Double]]
        var c: [Double], k: [Double], u: [Double]
        var targets: [Target]
    }
    struct Pipeline: Decodable {
        struct Points: Decodable { var x: [Double], y: [Double] }
        var domains: [String], budget: Double, lower: Double, upper: Double
        var points: [String: Points]
        var fits: [String: [Double]]
        /// SLSQP's optimal tokens.
        var tokens: [String: Double]
        var objective_base: Double
    }
    var exact_fits: [ExactFit]
    var lsq_fits: [LeastSquaresFit]
    var degenerate_fits: [LeastSquaresFit]
    var allocations: [AllocationCase]
    var predictor: [PredictorCase]
    var pipeline: Pipeline

    /// The fixture, read once; a missing or malformed file fails the test that asks, not the whole suite.
    static func shared() throws -> DDOReference { try Fixture.shared(DDOReference.self, "ddo/reference.json") }
}
