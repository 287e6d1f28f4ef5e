import Foundation

/// One key convention for every JSON the tool writes: snake_case (as Hugging Face configs and the proxy YAML
/// are). Output types spell their keys in `CodingKeys`; files the tool reads back and that older versions wrote
/// in camelCase (the token folder's `manifest.json`, `corpus.json`, `result.json`) are decoded with
/// ``JSONDecoder/acceptingCamelCase()``, which reads every key under its snake_case spelling.
///
/// `endOfTextId` -> `end_of_text_id`, `invalidUTF8Replaced` -> `invalid_utf8_replaced`, `meanLossSD` ->
/// `mean_loss_sd`: an underscore before each uppercase letter that follows a lowercase letter or a digit, or that
/// starts a new word after an acronym (`GFLOPs`-style runs keep together), then lowercase. Keys already in
/// snake_case are unchanged.
public func snakeCased(_ key: String) -> String {
    let chars = Array(key)
    var out = ""
    for (i, ch) in chars.enumerated() {
        if ch.isUppercase, i > 0 {
            let prev = chars[i - 1]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if prev.isLowercase || prev.isNumber || (prev.isUppercase && next?.isLowercase == true) { out.append("_") }
        }
        out.append(contentsOf: ch.lowercased())
    }
    return out
}

extension JSONDecoder {
    /// A decoder that reads every object key under its snake_case spelling (``snakeCased(_:)``), so a type whose
    /// `CodingKeys` are snake_case also reads files written with the older camelCase keys. Dictionary keys (domain
    /// names, tensor names) are data and are not touched.
    public static func acceptingCamelCase() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .custom { path in _SnakeKey(snakeCased(path.last!.stringValue)) }
        return d
    }
}

struct _SnakeKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
