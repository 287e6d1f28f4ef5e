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
        #expect(throws: DataMixingError.self) { try DDOObjective.parseDomains("p,p") }
        #expect(throws: DataMixingError.self) { try DDOObjective.parseDomains("p=-1") }
        #expect(throws: DataMixingError.self) { try DDOObjective.parseDomains("p,") }
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
}
