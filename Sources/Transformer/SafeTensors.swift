import Foundation

/// The safetensors format (https://github.com/huggingface/safetensors), read and written by hand:
/// 8 bytes little-endian `N`, then `N` bytes of JSON header
/// `{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}`
/// (offsets relative to the byte after the header), then the tensor data, little-endian, row-major.
/// The reader checks everything the reference library checks: header length within the file,
/// valid UTF-8 JSON, known dtype, `end - begin == count * size`, and offsets that tile the data
/// exactly (no gaps, overlaps or trailing bytes).
public enum SafeTensors {
    /// Element types. Everything is converted to Float on read; the writer writes F32.
    public enum DType: String, Sendable {
        case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16"
        var size: Int { switch self { case .f32: 4; case .f64: 8; case .f16, .bf16: 2 } }
    }

    /// A tensor as Float values with its shape.
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    /// Reads every tensor of the file at `url` (converted to Float), and the `__metadata__` strings.
    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.io(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, file: url.path)
    }

    public static func decode(_ data: Data, file: String) throws
        -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ m: String) -> ModelError { .safetensors(file: file, message: m) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let bytes = [UInt8](data)
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail("header length \(n) runs past the end of the file (\(bytes.count) bytes): truncated")
        }
        guard n <= 100_000_000 else { throw fail("header length \(n) is implausibly large") }
        let headerEnd = 8 + Int(n)
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
              let header = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataStart = headerEnd, dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__ value for \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry \"\(name)\" is not an object") }
            guard let ds = info["dtype"] as? String else { throw fail("tensor \"\(name)\" has no dtype") }
            guard let dtype = DType(rawValue: ds) else {
                throw fail("tensor \"\(name)\" has unsupported dtype \(ds) (F32, F64, F16, BF16)")
            }
            guard let shapeAny = info["shape"] as? [Any], let shape = jsonInts(shapeAny),
                  shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \"\(name)\" has no valid shape")
            }
            guard let offAny = info["data_offsets"] as? [Any], let off = jsonInts(offAny), off.count == 2 else {
                throw fail("tensor \"\(name)\" has no valid data_offsets")
            }
            let count = shape.reduce(1, *)
            guard off[0] >= 0, off[1] >= off[0], off[1] - off[0] == count * dtype.size else {
                throw fail("tensor \"\(name)\": data_offsets \(off) do not hold \(shape) x \(dtype.rawValue)")
            }
            guard off[1] <= dataLength else {
                throw fail("tensor \"\(name)\" ends at byte \(off[1]) but the data has \(dataLength) bytes: truncated")
            }
            entries.append((name, dtype, shape, off[0], off[1]))
        }
        var cursor = 0
        for e in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard e.begin == cursor else {
                throw fail("tensor \"\(e.name)\" starts at \(e.begin), expected \(cursor) (gap or overlap)")
            }
            cursor = e.end
        }
        guard cursor == dataLength else { throw fail("data has \(dataLength) bytes but the tensors cover \(cursor)") }

        var tensors: [String: Tensor] = [:]
        for e in entries {
            let count = e.shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            let base = dataStart + e.begin
            bytes.withUnsafeBufferPointer { src in
                let raw = UnsafeRawBufferPointer(src)
                for i in 0..<count {
                    switch e.dtype {
                    case .f32:
                        let bits = raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self)
                        values[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    case .f64:
                        let bits = raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self)
                        values[i] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
                    case .f16:
                        let bits = raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self)
                        values[i] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
                    case .bf16:
                        let bits = raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self)
                        values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
                    }
                }
            }
            tensors[e.name] = Tensor(shape: e.shape, values: values)
        }
        return (tensors, metadata)
    }

    /// The file bytes for `tensors` in the given order (F32), header padded with spaces to a multiple of 8.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)],
                              metadata: [String: String] = ["format": "pt"]) throws -> Data {
        var header = "{"
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonQuote($0.key)):\(jsonQuote($0.value))" }
            header += "\"__metadata__\":{" + fields.joined(separator: ",") + "}"
        }
        var offset = 0
        for (i, (name, t)) in tensors.enumerated() {
            guard t.shape.reduce(1, *) == t.values.count else {
                throw ModelError.safetensors(file: name,
                    message: "shape \(t.shape) does not match \(t.values.count) values")
            }
            let end = offset + 4 * t.values.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += (i > 0 || !metadata.isEmpty ? "," : "")
                + "\(jsonQuote(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = Data(capacity: 8 + h.count + offset)
        var n = UInt64(h.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        for (_, t) in tensors where !t.values.isEmpty {
            t.values.withUnsafeBufferPointer { p in
                // Float is little-endian on every platform Swift supports here.
                let bytes = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self)
                out.append(UnsafeBufferPointer(start: bytes, count: 4 * p.count))
            }
        }
        return out
    }

    /// Writes atomically (temporary file, then rename).
    public static func write(_ tensors: [(name: String, tensor: Tensor)], to url: URL,
                             metadata: [String: String] = ["format": "pt"]) throws {
        let data = try encode(tensors, metadata: metadata)
        do { try data.write(to: url, options: .atomic) } catch {
            throw ModelError.io(file: url.path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}

private func jsonInts(_ a: [Any]) -> [Int]? {
    var r: [Int] = []
    for x in a {
        guard let n = x as? NSNumber, !isJSONBool(x), n.doubleValue == n.doubleValue.rounded(),
              abs(n.doubleValue) < 1e15 else { return nil }
        r.append(n.intValue)
    }
    return r
}

private func jsonQuote(_ s: String) -> String {
    let d = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    return String(decoding: d.dropFirst().dropLast(), as: UTF8.self)
}
