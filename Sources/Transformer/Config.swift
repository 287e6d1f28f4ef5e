import Foundation

/// A JSON object read from / written to a Hugging Face `config.json`. Fields this engine does not
/// use are kept, so a loaded config is saved back unchanged apart from the fields we set.
typealias JSONObject = [String: Any]

/// Whether a `JSONSerialization` value is `true`/`false` (on Linux, integers 0 and 1 also cast to Bool).
func isJSONBool(_ v: Any) -> Bool {
    guard let n = v as? NSNumber else { return false }
    return String(cString: n.objCType) == "c"
}

enum ConfigIO {
    static func read(_ url: URL) throws -> JSONObject {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.io(file: url.path, message: "cannot read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? JSONObject else {
            throw ModelError.config(file: url.path, message: "not a JSON object")
        }
        return object
    }

    static func int(_ o: JSONObject, _ key: String, _ file: String, default d: Int? = nil) throws -> Int {
        guard let v = o[key], !(v is NSNull) else {
            if let d { return d }
            throw ModelError.config(file: file, message: "missing field \"\(key)\"")
        }
        guard let n = v as? NSNumber, !isJSONBool(v), n.doubleValue == n.doubleValue.rounded() else {
            throw ModelError.config(file: file, message: "field \"\(key)\" must be an integer")
        }
        return n.intValue
    }

    static func double(_ o: JSONObject, _ key: String, _ file: String, default d: Double) throws -> Double {
        guard let v = o[key], !(v is NSNull) else { return d }
        guard let n = v as? NSNumber, !isJSONBool(v) else {
            throw ModelError.config(file: file, message: "field \"\(key)\" must be a number")
        }
        return n.doubleValue
    }

    static func string(_ o: JSONObject, _ key: String, _ file: String, default d: String) throws -> String {
        guard let v = o[key], !(v is NSNull) else { return d }
        guard let s = v as? String else {
            throw ModelError.config(file: file, message: "field \"\(key)\" must be a string")
        }
        return s
    }

    static func bool(_ o: JSONObject, _ key: String, _ file: String, default d: Bool) throws -> Bool {
        guard let v = o[key], !(v is NSNull) else { return d }
        guard isJSONBool(v), let b = v as? Bool else {
            throw ModelError.config(file: file, message: "field \"\(key)\" must be true or false")
        }
        return b
    }

    static func positive(_ value: Int, _ key: String, _ file: String) throws {
        if value <= 0 {
            throw ModelError.config(file: file, message: "field \"\(key)\" must be positive, got \(value)")
        }
    }

    static func encode(_ o: JSONObject) throws -> Data {
        try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys])
    }
}
