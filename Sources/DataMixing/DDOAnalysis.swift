import Base
import Foundation

/// Settings of a DDO fit (`autoscale ddo fit` options).
public struct DDOSettings: Sendable {
    /// `nil`: mean-ppl with `val:` columns; must stay `nil` with an `objective` column.
    public var objective: DDOObjective.Kind?
    /// `--eval-domains`: validation domains and weights (`nil`: every `val:` column, equal weights).
    public var evalDomains: (domains: [String], weights: [Double])?
    /// Multiplier bounds (`nil`: the smallest and largest multiplier tested) and the budget (`nil`: the base
    /// run's total).
    public var lower: Double?
    public var upper: Double?
    public var budget: Double?
    /// Which exact curve a domain with two gets (`--fit-rule`; default the notebook's).
    public var fitRule: FitRule
    /// Per-domain caps in tokens (`--caps`; e.g. available tokens x max epochs); `nil` or a missing domain: no cap.
    public var caps: [String: Double]?

    public init(objective: DDOObjective.Kind? = nil, evalDomains: (domains: [String], weights: [Double])? = nil,
                lower: Double? = nil, upper: Double? = nil, budget: Double? = nil, fitRule: FitRule = .notebook,
                caps: [String: Double]? = nil) {
        self.objective = objective
        self.evalDomains = evalDomains
        self.lower = lower
        self.upper = upper
        self.budget = budget
        self.fitRule = fitRule
        self.caps = caps
    }
}

/// A complete DDO fit: per-domain curves and the optimal allocation.
public struct DDOAnalysis: Sendable {
    public var domains: [String]
    /// Index of the base run in the table.
    public var baseRun: Int
    public var baseTokens: [Double]
    /// The objective of every run (table order).
    public var objectives: [Double]
    /// The token quantities of every run (table order, ``domains`` order).
    public var runTokens: [[Double]] = []
    public var fits: [DomainFit]
    public var allocation: Allocation
    public var lower: Double
    public var upper: Double
    public var budget: Double
    public var objectiveName: String
    public var warnings: [String]
    public var fitRule: FitRule = .notebook
    /// The caps used, per domain (`nil`: none).
    public var caps: [Double?] = []
    /// When some domain has two exact fits and the allocation under the other rule differs: that rule, its
    /// curves (every domain's ``DomainFit/alternative`` or its own curve) and its allocation.
    public var alternative: (rule: FitRule, curves: [PowerLawCurve], allocation: Allocation)? = nil
    /// The gain the fitted model promises over the base mixture, in the objective's units:
    /// `objective(base) · Σ_i (y_i(1) - y_i(x_i*))`.
    public var promisedGain: Double = 0
    /// Intervals of the optimal mixture (``DDO/bootstrap(_:settings:options:point:)`` or
    /// ``DDO/replicateIntervals(_:level:)``), when computed.
    public var intervals: MixtureResult.Intervals? = nil

    /// The `result.json` contents.
    public var result: MixtureResult {
        var fitMap: [String: MixtureResult.Fit] = [:]
        for (d, f) in zip(domains, fits) {
            fitMap[d] = .init(a: f.curve.a, b: f.curve.b, c: f.curve.c, x: f.x, y: f.y, residuals: f.residuals,
                              maxAbsResidual: f.maxAbsResidual, rmsResidual: f.rmsResidual, exact: f.exact)
        }
        let tokens = Dictionary(uniqueKeysWithValues: zip(domains, allocation.tokens))
        var r = MixtureResult(domains: domains, budget: budget, tokens: tokens, weights: tokens.mapValues { $0 / budget },
                              fits: fitMap, objective: objectiveName, lower: lower, upper: upper,
                              base: Dictionary(uniqueKeysWithValues: zip(domains, baseTokens)), warnings: warnings)
        r.fitRule = fitRule.rawValue
        r.promisedGain = promisedGain
        if caps.contains(where: { $0 != nil }) {
            r.caps = Dictionary(uniqueKeysWithValues: domains.indices.compactMap { i in caps[i].map { (domains[i], $0) } })
            r.capped = domains.indices.filter { allocation.capped.indices.contains($0) && allocation.capped[$0] }.map { domains[$0] }
        }
        if let alt = alternative {
            let altTokens = Dictionary(uniqueKeysWithValues: zip(domains, alt.allocation.tokens))
            r.alternative = MixtureResult.Alternative(
                fitRule: alt.rule.rawValue,
                domains: domains.indices.filter { fits[$0].alternative != nil }.map { domains[$0] },
                fits: Dictionary(uniqueKeysWithValues: zip(domains, alt.curves)),
                tokens: altTokens, weights: altTokens.mapValues { $0 / budget }, objective: alt.allocation.objective)
        }
        r.intervals = intervals
        return r
    }
}

/// Direct Data Optimization at one budget (Kang et al., AutoScale, arXiv 2407.20177), from the losses of its runs.
///
/// 1. The base run is the unique row from which every other row differs in exactly one domain's tokens
///    (token quantities compared with relative tolerance `1e-9`).
/// 2. Each run's objective is computed (``DDOObjective`` or the `objective` column) and, for the run that
///    perturbs domain `i`, the point `x = N_i / N_i(base)`, `y = objective / objective(base)` joins domain
///    `i`'s points, together with the base point `(1, 1)`.
/// 3. Every domain's points are fitted by ``PowerLawFitter`` and the budget is allocated by
///    ``KKTAllocation`` within `[lower, upper]` (default: the smallest and largest multiplier tested).
public enum DDO {
    public static func analyze(_ table: LossTable, settings: DDOSettings = DDOSettings()) throws -> DDOAnalysis {
        let m = table.domains.count, src = table.source
        guard m >= 2 else {
            throw DataMixingError.invalidInput(location: src, message: "needs tokens:<domain> columns for at least two domains, found \(m)")
        }
        guard table.runs.count >= 1 + 2 * m else {
            throw DataMixingError.invalidInput(location: src, message:
                "has \(table.runs.count) runs; \(m) domains need the base run and at least two runs perturbing each domain (\(1 + 2 * m))")
        }
        let objectives = try _objectives(table, settings)
        let base = try _baseRun(table)
        let baseTokens = table.runs[base].tokens
        try _requirePositive(table, base: base)
        guard objectives[base] > 0 else {
            throw DataMixingError.invalidInput(location: table.location(base),
                                               message: "the base run's objective is \(objectives[base]); it must be positive (lower is better)")
        }
        var xs = [[Double]](repeating: [1], count: m), ys = [[Double]](repeating: [1], count: m)
        for r in table.runs.indices where r != base {
            let i = _differing(table.runs[r].tokens, baseTokens)[0]
            xs[i].append(table.runs[r].tokens[i] / baseTokens[i])
            ys[i].append(objectives[r] / objectives[base])
        }
        var fits: [DomainFit] = []
        for i in 0..<m {
            let distinct = Set(xs[i]).count
            guard distinct >= 3 else {
                throw DataMixingError.invalidInput(location: src, message:
                    "domain \(table.domains[i]) has \(distinct) distinct token quantities (base run included); the fit needs at least 3: add runs perturbing it")
            }
            fits.append(try PowerLawFitter.fit(x: xs[i], y: ys[i], domain: table.domains[i], rule: settings.fitRule))
        }
        let caps = try _caps(settings.caps, domains: table.domains)
        let tested = xs.flatMap { $0 }
        let lower = settings.lower ?? tested.min()!, upper = settings.upper ?? tested.max()!
        guard lower >= 0, lower.isFinite else { throw FieldError("lower", "must be a non-negative number, got \(lower)") }
        guard upper.isFinite, upper >= lower else {
            throw FieldError("upper", "\(upper) is below the lower bound \(lower)")
        }
        let budget = settings.budget ?? baseTokens.reduce(0, +)
        guard budget > 0, budget.isFinite else { throw FieldError("budget", "must be positive, got \(budget)") }
        let allocation = try KKTAllocation.solve(curves: fits.map(\.curve), baseTokens: baseTokens, budget: budget,
                                                 lower: lower, upper: upper, domains: table.domains, caps: caps)
        var warnings = fits.compactMap(\.warning)
        // Two exact fits in some domain: the other rule's allocation, reported when it differs.
        var alternative: (rule: FitRule, curves: [PowerLawCurve], allocation: Allocation)? = nil
        if fits.contains(where: { $0.alternative != nil }) {
            let curves = fits.map { $0.alternative ?? $0.curve }
            let other: FitRule = settings.fitRule == .notebook ? .smallestB : .notebook
            if let alt = try? KKTAllocation.solve(curves: curves, baseTokens: baseTokens, budget: budget, lower: lower,
                                                  upper: upper, domains: table.domains, caps: caps) {
                let diff = zip(alt.tokens, allocation.tokens).reduce(0.0) { max($0, abs($1.0 - $1.1) / budget) }
                if !(diff <= alternativeWeightTolerance) {
                    alternative = (other, curves, alt)
                    let names = table.domains.indices.filter { fits[$0].alternative != nil }.map { table.domains[$0] }
                    warnings.append(String(format: "domains %@ each have two exact fits; the %@ rule's allocation (used) and the %@ rule's differ by up to %.4g in weight (both in the result: \"alternative\")",
                                           names.joined(separator: ", "), settings.fitRule.rawValue, other.rawValue, diff))
                }
            }
        }
        if lower < tested.min()! || upper > tested.max()! {
            warnings.append(String(format: "bounds [%.6g, %.6g] go beyond the multipliers tested [%.6g, %.6g]: the curves are extrapolated",
                                   lower, upper, tested.min()!, tested.max()!))
        }
        let name = table.hasObjectiveColumn ? "objective" : (settings.objective ?? .meanPPL).rawValue
        var analysis = DDOAnalysis(domains: table.domains, baseRun: base, baseTokens: baseTokens, objectives: objectives, fits: fits,
                                   allocation: allocation, lower: lower, upper: upper, budget: budget, objectiveName: name,
                                   warnings: warnings)
        analysis.fitRule = settings.fitRule
        analysis.runTokens = table.runs.map(\.tokens)
        analysis.caps = caps
        analysis.alternative = alternative
        analysis.promisedGain = objectives[base] * (0..<m).reduce(0) { $0 + fits[$1].curve.value(1) - fits[$1].curve.value(allocation.multipliers[$1]) }
        return analysis
    }

    /// Allocations under the two fit rules whose weights differ by at most this are not reported twice.
    public static let alternativeWeightTolerance = 1e-6

    /// `--caps` as one optional cap per domain; every named domain must exist and every cap be positive.
    static func _caps(_ caps: [String: Double]?, domains: [String]) throws -> [Double?] {
        guard let caps else { return [Double?](repeating: nil, count: domains.count) }
        for (d, v) in caps.sorted(by: { $0.key < $1.key }) {
            guard domains.contains(d) else {
                throw FieldError("caps", "no domain '\(d)' (the domains are \(domains.joined(separator: ", ")))")
            }
            guard v > 0, v.isFinite else {
                throw FieldError("caps", "the cap of \(d) must be a positive number of tokens, got \(v)")
            }
        }
        return domains.map { caps[$0] }
    }

    /// Each run's objective value.
    static func _objectives(_ table: LossTable, _ settings: DDOSettings) throws -> [Double] {
        guard let (objective, columns) = try _objectiveSpec(table, settings) else { return table.runs.map { $0.objective ?? .nan } }
        return table.runs.map { run in objective.value(columns.map { run.losses[$0] }) }
    }

    /// The objective and the `val:` columns it reads (`nil` with an objective column).
    static func _objectiveSpec(_ table: LossTable, _ settings: DDOSettings) throws -> (DDOObjective, [Int])? {
        if table.hasObjectiveColumn {
            guard settings.objective == nil, settings.evalDomains == nil else {
                throw DataMixingError.invalidArgument(
                    "\(table.source) has an objective column; --objective and --eval-domains apply to val:<domain> columns only")
            }
            return nil
        }
        var objective = DDOObjective(kind: settings.objective ?? .meanPPL, domains: table.validationDomains)
        var columns = Array(table.validationDomains.indices)
        if let chosen = settings.evalDomains {
            columns = try chosen.domains.map { d in
                guard let j = table.validationDomains.firstIndex(of: d) else {
                    throw FieldError("eval_domains", "\(table.source) has no column val:\(d) (it has "
                        + table.validationDomains.map { "val:\($0)" }.joined(separator: ", ") + ")")
                }
                return j
            }
            objective = DDOObjective(kind: objective.kind, domains: chosen.domains, weights: chosen.weights)
        }
        return (objective, columns)
    }

    /// Domains whose quantities differ (relative tolerance 1e-9).
    static func _differing(_ a: [Double], _ b: [Double]) -> [Int] {
        a.indices.filter { abs(a[$0] - b[$0]) > 1e-9 * max(abs(a[$0]), abs(b[$0])) }
    }

    /// Refuses a base run without a positive quantity of every domain, naming its row and column.
    static func _requirePositive(_ table: LossTable, base: Int) throws {
        for (i, v) in table.runs[base].tokens.enumerated() where !(v > 0) {
            throw DataMixingError.invalidInput(location: table.location(base, column: table.tokenColumns?[i]),
                                               message: "the base run has \(v) tokens of \(table.domains[i]); it needs a positive quantity of every domain")
        }
    }

    /// The base run: the row every other row differs from in exactly one domain.
    static func _baseRun(_ table: LossTable) throws -> Int {
        let runs = table.runs
        let oneOff = runs.indices.map { r in runs.indices.filter { s in s != r && _differing(runs[r].tokens, runs[s].tokens).count == 1 }.count }
        let candidates = runs.indices.filter { oneOff[$0] == runs.count - 1 }
        if candidates.count == 1 { return candidates[0] }
        if candidates.count > 1 {
            throw DataMixingError.invalidInput(location: table.source, message:
                "cannot tell the base run: rows at \(candidates.map { table.location($0) }.joined(separator: ", ")) each differ from every other row in exactly one domain")
        }
        // A base run with no tokens of some domain differs from the runs perturbing other domains in two domains,
        // so no row is a candidate: find it as the row that holds every column's most common quantity except
        // where it has none, and refuse it (issue 17: another row was taken for the base and blamed).
        let common = table.domains.indices.map { i -> Double in
            let column = runs.map { $0.tokens[i] }
            // How many rows hold each row's quantity (to the tolerance of `_differing`); the first most common.
            let holders = column.map { a in column.filter { _differing([$0], [a]).isEmpty }.count }
            return column[holders.indices.max { holders[$0] < holders[$1] }!]
        }
        // (When a row holds `common` itself, that row is the base and a zero elsewhere is a perturbation to 0.)
        if !runs.contains(where: { _differing($0.tokens, common).isEmpty }), let zero = runs.indices.first(where: { r in
            let diff = _differing(runs[r].tokens, common)
            return !diff.isEmpty && diff.allSatisfy { !(runs[r].tokens[$0] > 0) }
        }) {
            try _requirePositive(table, base: zero)
        }
        // No base: blame the first row that breaks the pattern around the most plausible base.
        let base = runs.indices.max { (oneOff[$0], $1) < (oneOff[$1], $0) }!
        for s in runs.indices where s != base {
            let diff = _differing(runs[s].tokens, runs[base].tokens)
            if diff.isEmpty {
                throw DataMixingError.invalidInput(location: table.location(s), message:
                    "row has the same tokens as the base run (\(table.location(base))); merge repeated runs into one row")
            }
            if diff.count > 1 {
                throw DataMixingError.invalidInput(location: table.location(s), message:
                    "row differs from the base run (\(table.location(base))) in \(diff.count) domains ("
                    + diff.map { table.domains[$0] }.joined(separator: ", ") + "); every other run must change exactly one domain's tokens")
            }
        }
        throw DataMixingError.invalidInput(location: table.source, message: "no base run found")
    }
}
