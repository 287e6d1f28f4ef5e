import Foundation

extension TokenBatch {
    /// Reads `{"input_ids": [[...]], "labels": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]]}`
    /// (only `input_ids` required; all rows the same length). Errors name the file, field and row.
    public static func fromJSON(_ data: Data, file: String) throws -> TokenBatch {
        func fail(_ m: String) -> ModelError { .batch("\(file): \(m)") }
        guard let object = try? JSONSerialization.jsonObject(with: data), let o = object as? [String: Any] else {
            throw fail("not a JSON object")
        }
        let known: Set<String> = ["input_ids", "labels", "attention_mask", "token_type_ids"]
        if let extra = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown field \"\(extra)\" (expected input_ids, labels, attention_mask, token_type_ids)")
        }
        func matrix(_ key: String) throws -> (rows: Int, columns: Int, values: [Int32])? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let rows = v as? [Any], !rows.isEmpty else {
                throw fail("\"\(key)\" must be a non-empty array of rows")
            }
            var values: [Int32] = []
            var width = -1
            for (r, rowAny) in rows.enumerated() {
                guard let row = rowAny as? [Any] else { throw fail("\"\(key)\"[\(r)] is not an array") }
                if width < 0 { width = row.count }
                guard row.count == width else {
                    throw fail("\"\(key)\"[\(r)] has \(row.count) values, row 0 has \(width)")
                }
                for (c, x) in row.enumerated() {
                    guard let n = x as? NSNumber, !isJSONBool(x), n.doubleValue == n.doubleValue.rounded(),
                          abs(n.doubleValue) <= Double(Int32.max) else {
                        throw fail("\"\(key)\"[\(r)][\(c)] is not an integer")
                    }
                    values.append(Int32(n.intValue))
                }
            }
            guard width > 0 else { throw fail("\"\(key)\" rows are empty") }
            return (rows.count, width, values)
        }
        guard let ids = try matrix("input_ids") else { throw fail("missing field \"input_ids\"") }
        var batch = TokenBatch(batchSize: ids.rows, sequenceLength: ids.columns, inputIDs: ids.values)
        for key in ["labels", "attention_mask", "token_type_ids"] {
            guard let m = try matrix(key) else { continue }
            guard m.rows == ids.rows, m.columns == ids.columns else {
                throw fail("\"\(key)\" is \(m.rows) x \(m.columns), input_ids is \(ids.rows) x \(ids.columns)")
            }
            switch key {
            case "labels": batch.labels = m.values
            case "attention_mask": batch.attentionMask = m.values
            default: batch.tokenTypeIDs = m.values
            }
        }
        return batch
    }
}
