/// The runs of a table with a run (or group) id column: each distinct id is one run, numbered in order of
/// first appearance.
public struct RunGroups: Sendable, Equatable {
    /// Run ids in order of first appearance.
    public let ids: [String]
    /// Per row, the index of its run in ``ids``.
    public let runOfRow: [Int]

    public init(ids rowIds: [String]) {
        var index: [String: Int] = [:], ids: [String] = []
        runOfRow = rowIds.map { id in
            if let k = index[id] { return k }
            index[id] = ids.count
            ids.append(id)
            return ids.count - 1
        }
        self.ids = ids
    }

    public var count: Int { ids.count }

    /// The last row of each run in table order (a training log appends its evaluations in time order, so
    /// this is each run's final point), ascending.
    public var finalRows: [Int] {
        var last = [Int](repeating: -1, count: count)
        for (i, r) in runOfRow.enumerated() { last[r] = i }
        return last.sorted()
    }

    /// Per run, its rows in table order.
    public var rowsOfRun: [[Int]] {
        var rows = [[Int]](repeating: [], count: count)
        for (i, r) in runOfRow.enumerated() { rows[r].append(i) }
        return rows
    }

    /// The groups restricted to rows `rows` (in that order), renumbered.
    public func subset(_ rows: [Int]) -> RunGroups { RunGroups(ids: rows.map { ids[runOfRow[$0]] }) }

    /// Per-row multiplicity weights when the runs drawn are `draws` (run indices, with repetition): every
    /// row of a run drawn `m` times weighs `m`.
    public func rowWeights(draws: [Int]) -> [Double] {
        var times = [Double](repeating: 0, count: count)
        for r in draws { times[r] += 1 }
        return runOfRow.map { times[$0] }
    }
}
