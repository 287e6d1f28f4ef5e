/// Validation of a ``TokenBatch`` against a model's sizes, before any kernel reads it.
enum BatchCheck {
    static func shape(_ batch: TokenBatch, maxLength: Int) throws {
        let B = batch.batchSize, T = batch.sequenceLength
        guard B > 0, T > 0 else {
            throw ModelError.batch("batch size and sequence length must be positive (got \(B) x \(T))")
        }
        guard T <= maxLength else {
            throw ModelError.batch("sequence length \(T) exceeds the model's \(maxLength) positions")
        }
        for (name, array) in [("input_ids", batch.inputIDs), ("labels", batch.labels),
                              ("attention_mask", batch.attentionMask), ("token_type_ids", batch.tokenTypeIDs)] {
            if let array, array.count != B * T {
                throw ModelError.batch("\(name) has \(array.count) values, expected \(B) x \(T) = \(B * T)")
            }
        }
    }

    static func ids(_ values: [Int32], name: String, below limit: Int, allowIgnore: Bool = false, T: Int) throws {
        for (i, v) in values.enumerated() where !(v >= 0 && Int(v) < limit) && !(allowIgnore && v == -100) {
            let or = allowIgnore ? " (and not -100)" : ""
            throw ModelError.batch("\(name)[\(i / T)][\(i % T)] = \(v) is outside 0..<\(limit)\(or)")
        }
    }
}
