import Foundation

/// A minimal reader/writer of safetensors files holding only little-endian `F32` tensors, used for
/// optimizer state and the default flat weight file (the model layer owns the full HF format).
///
/// Layout (the safetensors format): an 8-byte little-endian header length `n`, `n` bytes of JSON
/// `{"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__":
/// {"key": "value"}}` padded with spaces to a multiple of 8, then the tensor bytes; offsets are
/// relative to the end of the header and tensors are stored back to back in the order written.
enum _TensorFile {
    struct Tensor { var shape: [Int]; var values: [Float] }

    /// Writes `tensors` (name, shape, values) atomically to `url`.
    static func write(_ tensors: [(name: String, shape: [Int], values: [Float])],
                      metadata: [String: String], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            precondition(t.shape.reduce(1, *) == t.values.count, "tensor \(t.name): shape does not match its values")
            let bytes = t.values.count * MemoryLayout<Float>.size
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in tensors { t.values.withUnsafeBytes { data.append(contentsOf: $0) } }
        do { try data.write(to: url, options: .atomic) } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads every tensor and the metadata of `url`, rejecting truncated or malformed files.
    static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func bad(_ r: String) -> TrainingError { .checkpoint(path: url.path, reason: r) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw bad("cannot read: \(error.localizedDescription)") }
        guard data.count >= 8 else { throw bad("truncated: \(data.count) bytes, no header length") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8) else { throw bad("truncated: header of \(n) bytes but file has \(data.count)") }
        let start = 8 + Int(n)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<start)) as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ is not a string map") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("tensor \(name): malformed header entry") }
            guard dtype == "F32" else { throw bad("tensor \(name): dtype \(dtype), expected F32") }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == 4 * count else {
                throw bad("tensor \(name): shape \(shape) does not match data_offsets \(offsets)")
            }
            guard start + offsets[1] <= data.count else {
                throw bad("truncated: tensor \(name) ends at byte \(start + offsets[1]) of \(data.count)")
            }
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst, from: (start + offsets[0])..<(start + offsets[1]))
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }
}
