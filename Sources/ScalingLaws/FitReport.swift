import Base
/// The JSON objects printed by `autoscale fit --json` (and read back by `autoscale optimal`).
extension FittedLaw {
    /// `{"law", "params", "objective", "points", "loss", "delta"?, "starts", "converged_starts",
    /// "evaluations", "status", "goodness", "ci"?, "bootstrap"?}`; `extra` members are appended.
    public func json(extra: [(String, JSONValue)] = []) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("law", .string(law)),
            ("params", .object(parameters.map { ($0.name, .number($0.value)) })),
            ("objective", .number(objective)),
            ("points", .integer(points)),
            ("loss", .string(loss.name)),
        ]
        if case .huber(let delta) = loss { m.append(("delta", .number(delta))) }
        m += [
            ("starts", .integer(starts)),
            ("converged_starts", .integer(convergedStarts)),
            ("evaluations", .integer(evaluations)),
            ("status", .string(status)),
            ("goodness", goodness.json),
        ]
        if let s = screen { m.append(("screen", s.json)) }
        if let b = bootstrap { m += b.jsonMembers }
        return .object(m + extra)
    }
}

extension ScreenSummary {
    /// `{"sample_rows", "check_rows"?, "seed", "basins", "limit_reached", "polished", "winner_rank",
    /// "sample_objectives", "check_objectives"?, "full_objectives", "warning"?}`.
    var json: JSONValue {
        var m: [(String, JSONValue)] = [("sample_rows", .integer(sampleRows))]
        if let c = checkRows { m.append(("check_rows", .integer(c))) }
        m += [("seed", _seedJSON(seed)), ("basins", .integer(basins)), ("limit_reached", .bool(limitReached)),
              ("polished", .integer(polished)), ("winner_rank", .integer(winnerRank)),
              ("sample_objectives", .array(sampleObjectives.map { .number($0) }))]
        if let c = checkObjectives { m.append(("check_objectives", .array(c.map { .number($0) }))) }
        m.append(("full_objectives", .array(fullObjectives.map { $0.isFinite ? .number($0) : .null })))
        if let w = warning { m.append(("warning", .string(w))) }
        return .object(m)
    }
}

/// A seed as a JSON integer when it fits, else as a decimal string.
func _seedJSON(_ seed: UInt64) -> JSONValue { seed <= UInt64(Int.max) ? .integer(Int(seed)) : .string(String(seed)) }

extension IsoFLOPFit {
    /// `{"law": "isoflop", "params": {"k", "a"}, "points", "vertices": [...], "skipped": [...], ...}`.
    public func json(extra: [(String, JSONValue)] = []) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("law", .string("isoflop")),
            ("params", .object([("k", .number(k)), ("a", .number(a))])),
            ("points", .integer(points)),
            ("budgets", .integer(vertices.count)),
            ("d_opt", .object([("coefficient", .number(1 / (6 * k))), ("exponent", .number(1 - a))])),
            ("rmse_log_n", .number(rmseLogN)),
            ("vertices", .array(vertices.map {
                .object([("flops", .number($0.flops)), ("n_opt", .number($0.nOpt)), ("d_opt", .number($0.dOpt)),
                         ("loss", .number($0.lossAtOptimum)), ("points", .integer($0.points))])
            })),
            ("skipped", .array(skipped.map {
                .object([("flops", .number($0.flops)), ("points", .integer($0.points)), ("reason", .string($0.reason))])
            })),
        ]
        if let b = bootstrap { m += b.jsonMembers }
        return .object(m + extra)
    }
}

extension GoodnessOfFit {
    var json: JSONValue {
        .object([("rmse_log", .number(rmseLog)), ("max_abs_log", .number(maxAbsLog)),
                 ("mean_relative_error", .number(meanRelativeError)), ("r2", .number(r2))])
    }
}

extension BootstrapSummary {
    var jsonMembers: [(String, JSONValue)] {
        var b: [(String, JSONValue)] = [("replicates", .integer(replicates)), ("converged", .integer(converged)),
                                        ("seed", _seedJSON(seed)), ("level", .number(level)),
                                        ("resample", .string(resampledRuns == nil ? "rows" : "runs"))]
        if let r = resampledRuns { b.append(("runs", .integer(r))) }
        return [("ci", .object(intervals.map { ($0.name, .array([.number($0.lower), .number($0.upper)])) })),
                ("bootstrap", .object(b))]
    }
}
