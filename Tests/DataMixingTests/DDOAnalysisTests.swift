import Base
import Foundation
import Testing
import TestSupport
@testable import DataMixing

@Suite struct DDOAnalysisTests {
    /// A two-domain table with an objective column built from known exact curves y_a = (x+0.5)^-0.8 + c_a,
    /// y_b = (x+1)^-0.3 + c_b (c so that y(1) = 1) and base objective 10.
    func table(shuffled: Bool = false) -> LossTable {
        let ya = PowerLawCurve(a: 0.5, b: 0.8, c: 1 - Foundation.pow(1.5, -0.8))
        let yb = PowerLawCurve(a: 1, b: 0.3, c: 1 - Foundation.pow(2, -0.3))
        var runs = [LossTable.Run(line: 2, tokens: [300, 600], objective: 10)]
        for f in [1.0 / 3, 3] {
            runs.append(.init(line: runs.count + 2, tokens: [300 * f, 600], objective: 10 * ya.value(f)))
            runs.append(.init(line: runs.count + 2, tokens: [300, 600 * f], objective: 10 * yb.value(f)))
        }
        if shuffled { runs.swapAt(0, 3) }
        return LossTable(source: "l.csv", domains: ["a", "b"], validationDomains: [], runs: runs)
    }

    /// Base found wherever it is; the points are (x, objective/objective(base)) and each fit passes through them;
    /// the allocation meets the base budget inside the tested range [1/3, 3] and is what KKTAllocation gives.
    @Test func objectiveColumnEndToEnd() throws {
        for shuffled in [false, true] {
            let r = try DDO.analyze(table(shuffled: shuffled))
            #expect(r.baseRun == (shuffled ? 3 : 0))
            #expect(r.baseTokens == [300, 600])
            #expect(r.fits.allSatisfy { $0.exact && $0.x.count == 3 })
            #expect(maxAbsDiff(r.fits[0].x.sorted(), [1.0 / 3, 1, 3]) < 1e-15)
            #expect(r.lower == 1.0 / 3 && r.upper == 3 && r.budget == 900)
            let direct = try KKTAllocation.solve(curves: r.fits.map(\.curve), baseTokens: [300, 600], budget: 900, lower: 1.0 / 3, upper: 3)
            #expect(r.allocation == direct)
            let json = r.result
            #expect(json.objective == "objective" && json.domains == ["a", "b"])
            #expect(abs(json.weights["a"]! + json.weights["b"]! - 1) < 1e-12)
        }
    }

    /// mean-ppl and mean-loss by hand on val columns, with and without --eval-domains weights.
    @Test func objectives() throws {
        let kinds: [(DDOObjective.Kind, [Double], Double)] = [
            (.meanPPL, [1, 1], (Foundation.exp(2.0) + Foundation.exp(3.0)) / 2),
            (.meanPPL, [3, 1], (3 * Foundation.exp(2.0) + Foundation.exp(3.0)) / 4),
            (.meanLoss, [1, 1], 2.5),
        ]
        for (kind, w, expected) in kinds {
            let o = DDOObjective(kind: kind, domains: ["p", "q"], weights: w)
            #expect(abs(o.value([2, 3]) - expected) < 1e-13 * expected)
        }
        let parsed = try DDOObjective.parseDomains("p=3, q")
        #expect(parsed.domains == ["p", "q"] && parsed.weights == [3, 1])
        #expect(throws: FieldError("eval_domains", "domain 'p' is listed twice")) { try DDOObjective.parseDomains("p,p") }
        #expect(throws: FieldError("weights", "weight '-1' of p is not a positive number")) {
            try DDOObjective.parseDomains("p=-1", field: "weights")
        }
        #expect(throws: FieldError.self) { try DDOObjective.parseDomains("p,") }
    }

    /// Broken tables give one line naming the file and line.
    @Test func diagnosesBrokenTables() throws {
        var twoChanged = table()
        twoChanged.runs[2].tokens = [100, 200]
        #expect { try DDO.analyze(twoChanged) } throws: {
            ($0 as? DataMixingError)?.description
                == "l.csv:4: row differs from the base run (l.csv:2) in 2 domains (a, b); every other run must change exactly one domain's tokens"
        }
        var duplicateBase = table()
        duplicateBase.runs.append(.init(line: 7, tokens: [300, 600], objective: 10.1))
        #expect { try DDO.analyze(duplicateBase) } throws: {
            ($0 as? DataMixingError)?.description
                == "l.csv:7: row has the same tokens as the base run (l.csv:2); merge repeated runs into one row"
        }
        var missing = table()
        missing.runs[4].tokens = [300, 200]  // b perturbed to 1/3 twice, never to 3
        #expect { try DDO.analyze(missing) } throws: {
            ($0 as? DataMixingError)?.description
                == "l.csv: domain b has 2 distinct token quantities (base run included); the fit needs at least 3: add runs perturbing it"
        }
        #expect { try DDO.analyze(table(), settings: DDOSettings(objective: .meanLoss)) } throws: {
            ($0 as? DataMixingError)?.description
                == "l.csv has an objective column; --objective and --eval-domains apply to val:<domain> columns only"
        }
        #expect { try DDO.analyze(table(), settings: DDOSettings(budget: 5000)) } throws: {
            ($0 as? DataMixingError)?.description.hasPrefix("budget 5000 is infeasible") == true
        }
    }

    /// A base run with zero tokens of a domain (or of every domain) is refused at its own row, wherever it is, never
    /// taken as a perturbation while another row is made the base and blamed (issue 17); a run perturbing a domain to
    /// zero tokens beside a real base is still a point of that domain's curve (x = 0).
    @Test func zeroTokenBaseIsRefusedAtItsRow() throws {
        for (tokens, domain) in [([0.0, 600], "a"), ([300, 0], "b"), ([0, 0], "a")] {
            for shuffled in [false, true] {
                var t = table(shuffled: shuffled)
                let base = t.runs.firstIndex { $0.line == 2 }!
                t.runs[base].tokens = tokens
                #expect { try DDO.analyze(t) } throws: {
                    ($0 as? DataMixingError)?.description
                        == "l.csv:2: the base run has 0.0 tokens of \(domain); it needs a positive quantity of every domain"
                }
            }
        }
        var toZero = table()
        toZero.runs[1].tokens = [0, 600]
        let a = try DDO.analyze(toZero)
        #expect(a.baseRun == 0 && a.baseTokens == [300, 600])
    }
}

@Suite struct LossTableFileTests {
    let ref: DDOReference.Pipeline
    init() throws { ref = try DDOReference.shared().pipeline }

    /// The whole DDO from Fixtures/ddo/losses_3domains.csv (rows shuffled, base not first) under the smallest-b
    /// rule: the points, the exact fits (smallest-b solution of scipy's root finder, 1e-6 relative) and the
    /// allocation (SLSQP on those curves, tokens to 1e-6 relative) agree with the Python reference.
    @Test func fixtureDDOMatchesScipy() throws {
        let table = try LossTable.read(path: Fixture.url("ddo/losses_3domains.csv").path)
        #expect(table.domains == ref.domains && table.validationDomains == ref.domains)
        let r = try DDO.analyze(table, settings: DDOSettings(fitRule: .smallestB))
        #expect(abs(r.objectives[r.baseRun] - ref.objective_base) < 1e-12 * ref.objective_base)
        #expect(abs(r.lower - ref.lower) < 1e-15 && r.upper == ref.upper && r.budget == ref.budget)
        for (i, d) in ref.domains.enumerated() {
            let p = ref.points[d]!
            let order = r.fits[i].x.indices.sorted { r.fits[i].x[$0] < r.fits[i].x[$1] }
            let refOrder = p.x.indices.sorted { p.x[$0] < p.x[$1] }
            #expect(maxAbsDiff(order.map { r.fits[i].y[$0] }, refOrder.map { p.y[$0] }) < 1e-13)
            let c = r.fits[i].curve
            #expect(maxRelDiff([c.a, c.b, c.c], ref.fits[d]!, floor: 1) < 1e-6, "\(d): \(c)")
            #expect(r.fits[i].exact)
        }
        #expect(maxRelDiff(r.allocation.tokens, ref.domains.map { ref.tokens[$0]! }) < 1e-6, "\(r.allocation.tokens)")
    }

    /// CSV written by LossTable.csv() reads back to the same runs (full precision).
    @Test func csvRoundTrip() throws {
        let table = try LossTable.read(path: Fixture.url("ddo/losses_3domains.csv").path)
        let back = try LossTable(parsing: table.csv(), source: table.source)
        #expect(back.runs.map(\.tokens) == table.runs.map(\.tokens))
        #expect(back.runs.map(\.losses) == table.runs.map(\.losses))
        #expect(back.runs.map(\.name) == table.runs.map(\.name))
    }

    /// Header and cell errors name file:line:column.
    @Test(arguments: [
        ("run,val:a\nx,1\n", "t.csv: no tokens:<domain> columns; the header is \"run\",\"val:a\""),
        ("tokens:a,tokens:b\n1,2\n", "t.csv: needs val:<domain> columns (validation losses) or an objective column"),
        ("tokens:a,tokens:b,val:a,objective\n1,2,3,4\n", "t.csv: has both val:<domain> columns and an objective column; keep one"),
        ("tokens:a,tokens:,objective\n1,2,3\n", "t.csv:1:2: column \"tokens:\" names no domain"),
        ("tokens:a,tokens:b,objective\n1,2,3\n1,-2,3\n", "t.csv:3:2: column \"tokens:b\": -2.0 tokens is negative"),
        ("tokens:a,tokens:b,objective\n1,2,3\n1,x,3\n", "t.csv:3:2: column \"tokens:b\": \"x\" is not a number"),
        ("tokens:a,tokens:b,objective\n", "t.csv: has a header but no runs"),
        ("tokens:a,tokens: a,objective\n1,2,3\n", "t.csv:1: domain \"a\" has two tokens: columns"),
    ])
    func headerAndCellErrors(_ text: String, _ message: String) throws {
        #expect { try LossTable(parsing: text, source: "t.csv") } throws: { "\($0)" == message }
    }
}
