import Foundation
import Testing
import TestSupport
@testable import DataMixing

/// ``LogQuadraticModel`` against `Fixtures/ddo/pooled.json` (Fixtures/gen/ddo_pooled.py: numpy `lstsq` for the
/// fit, scipy SLSQP cross-checked by trust-constr for the optimum, on runs of the simulated worlds' law).
@Suite struct LogQuadraticModelTests {
    struct Case: Decodable {
        var name: String
        var tokens: [[Double]]
        var objectives: [Double]
        var budget: Double
        var caps: [Double?]?
        var centre: [Double], intercept: Double, linear: [Double], quadratic: [Double]
        var lower: [Double], upper: [Double], optimum: [Double], rms: Double
    }
    struct File: Decodable { var cases: [Case] }
    static func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol }

    /// The fit's coefficients and residual to 1e-9 absolute (the objective is about 3, its coefficients 1e-2 to
    /// 1e-1; least squares by different LAPACK paths), the box to 1e-9, the optimum's weights to 1e-7 (SLSQP's
    /// own accuracy at ftol 1e-15) and its budget to 1e-12 relative; our optimum is no worse in the model than
    /// scipy's (to 1e-13).
    @Test func matchesNumpyAndScipy() throws {
        let file = try Fixture.json(File.self, "ddo/pooled.json")
        #expect(file.cases.count == 3)
        for c in file.cases {
            let model = try LogQuadraticModel.fit(tokens: c.tokens, objectives: c.objectives, caps: c.caps)
            let pairs = zip(model.centre + [model.intercept] + model.linear + model.quadratic + model.lower + model.upper + [model.rms],
                            c.centre + [c.intercept] + c.linear + c.quadratic + c.lower + c.upper + [c.rms])
            for (a, b) in pairs { #expect(Self.close(a, b, 1e-9), "\(c.name): \(a) vs \(b)") }
            let tokens = try model.allocate(budget: c.budget)
            let total = tokens.reduce(0, +)
            #expect(Self.close(total, c.budget, 1e-12 * c.budget), "\(c.name): spends \(total) of \(c.budget)")
            let ref = c.optimum.reduce(0, +)
            for (a, b) in zip(tokens, c.optimum) { #expect(Self.close(a / total, b / ref, 1e-7), "\(c.name): \(tokens) vs \(c.optimum)") }
            #expect(model.value(tokens) <= model.value(c.optimum) + 1e-13, "\(c.name)")
        }
    }

    /// A binding cap holds the domain at its cap (the fixture's capped case: wiki at 30M of 100M).
    @Test func capBinds() throws {
        let c = try #require(try Fixture.json(File.self, "ddo/pooled.json").cases.first { $0.name == "capped" })
        let tokens = try LogQuadraticModel.fit(tokens: c.tokens, objectives: c.objectives, caps: c.caps).allocate(budget: c.budget)
        #expect(Self.close(tokens[2], 30e6, 1e-6 * 30e6), "\(tokens)")
    }

    /// Too few runs, a domain never varied, a budget outside the box, a non-positive quantity: one-line errors.
    @Test func refusesWhatItCannotIdentify() throws {
        let c = try #require(try Fixture.json(File.self, "ddo/pooled.json").cases.first { $0.name == "separable" })
        #expect { try LogQuadraticModel.fit(tokens: Array(c.tokens.prefix(6)), objectives: Array(c.objectives.prefix(6))) } throws: {
            "\($0)".contains("has 6 runs; the log-quadratic model of 3 domains has 7 coefficients")
        }
        var flat = c.tokens
        for r in flat.indices { flat[r][1] = 1000 }
        #expect { try LogQuadraticModel.fit(tokens: flat, objectives: c.objectives) } throws: {
            "\($0)".contains("domain #2 has fewer than 3 distinct quantities")
        }
        var zero = c.tokens
        zero[3][0] = 0
        #expect { try LogQuadraticModel.fit(tokens: zero, objectives: c.objectives) } throws: {
            "\($0)".contains("run 4 has a quantity that is not positive")
        }
        let model = try LogQuadraticModel.fit(tokens: c.tokens, objectives: c.objectives)
        #expect { try model.allocate(budget: 1e12) } throws: { "\($0)".contains("outside what the log-quadratic model's box holds") }
        #expect { try model.allocate(budget: .nan) } throws: { "\($0)".contains("outside what the log-quadratic model's box holds") }
    }
}
