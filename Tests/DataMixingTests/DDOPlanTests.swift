import Base
import Testing
@testable import DataMixing

@Suite struct DDOPlanTests {
    /// Uniform base, largest-remainder rounding (1000/3 → 334, 333, 333, ties to the first domain), and one run
    /// per domain and factor with only that domain changed: 2m+1 runs with the default factors.
    @Test func uniformPlan() throws {
        let plan = try DDOPlan(domains: ["web", "code", "books"], budget: 1000)
        #expect(plan.baseTokens == [334, 333, 333])
        #expect(plan.runs.count == 7)
        #expect(plan.runs.map(\.id) == ["base", "web-x0.333333", "web-x3", "code-x0.333333", "code-x3", "books-x0.333333", "books-x3"])
        #expect(plan.runs[1].tokens == [111, 333, 333])
        #expect(plan.runs[6].tokens == [334, 333, 999])
        #expect(plan.runs[4].perturbedDomain == 1 && plan.runs[4].factor == 3)
    }

    /// Weighted base and more factors: quantities follow the weights and sum to the budget.
    @Test func weightedPlanWithMoreFactors() throws {
        let plan = try DDOPlan(domains: ["a", "b"], budget: 1001, baseWeights: [3, 1], factors: [0.25, 0.5, 2, 4])
        #expect(plan.baseTokens == [751, 250])
        #expect(plan.runs.count == 9)
        #expect(plan.runs.last!.tokens == [751, 1000])
    }

    /// Bad domains, factors and budgets are argument errors.
    @Test func rejectsBadPlans() {
        #expect(throws: DataMixingError.self) { try DDOPlan(domains: ["only"], budget: 100) }
        #expect(throws: DataMixingError.self) { try DDOPlan(domains: ["a", "a"], budget: 100) }
        #expect(throws: DataMixingError.self) { try DDOPlan(domains: ["a,b", "c"], budget: 100) }
        // Bad factors name the setting (rendered `--factors:` by the CLI, `factors:` in a pipeline file).
        #expect(throws: FieldError("factors", "need at least two distinct positive factors other than 1, got 3")) {
            try DDOPlan(domains: ["a", "b"], budget: 100, factors: [3])
        }
        #expect(throws: FieldError.self) { try DDOPlan(domains: ["a", "b"], budget: 100, factors: [1, 3]) }
        #expect(throws: FieldError.self) { try DDOPlan(domains: ["a", "b"], budget: 100, factors: [-1, 3]) }
        #expect(throws: DataMixingError.self) { try DDOPlan(domains: ["a", "b"], budget: 4, factors: [0.1, 3]) }
    }
}
