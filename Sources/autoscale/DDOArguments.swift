import Base
import Corpus
import DataMixing
import Foundation
import LinearAlgebra
import Proxies
import Transformer

/// Parsing of `ddo` / `predict` option values inside `run()`, so a bad value gets one line
/// (`Error: --budget: ...`) rather than ArgumentParser's usage block.
enum DDOArguments {
    /// Refuses a proxy whose training cannot fit in this machine's memory (``MemoryEstimate``: parameters, AdamW
    /// state and the activations of one batch), naming the config, before any model is allocated (GPT-2 and BERT).
    static func checkMemory(_ proxy: ProxyConfig, vocabSize: Int) throws {
        if proxy.isBert {
            let model = try proxy.bertConfig(vocabSize: vocabSize, padTokenID: 0)
            return try MemoryEstimate.bertTraining(model, batch: proxy.settings.batchSize, sequence: proxy.settings.context,
                                                   workers: BLASThreads.count).check(proxy.source)
        }
        let model = try proxy.modelConfig(vocabSize: vocabSize)
        try MemoryEstimate.gpt2Training(model, batch: proxy.settings.batchSize, sequence: proxy.settings.context,
                                        workers: BLASThreads.count).check(proxy.source)
    }

    /// Warnings for `eval_tokens` above a domain's validation split (the run evaluates on what the split holds:
    /// whole windows of ``ProxyConfig/sequenceTokens`` tokens: `context - 1` predicted, BERT's `context - 2`).
    static func evalTokenWarnings(_ proxy: ProxyConfig, store: TokenStore, domains: [String]) throws -> [String] {
        let t = proxy.sequenceTokens, asked = proxy.settings.evalTokens
        return try domains.compactMap { d in
            let reader = try ValidationReader(shard: try store.shard(d, split: .val), sequenceLength: t)
            let held = reader.count * t
            return held < asked ? "warning: \(proxy.source): eval_tokens \(asked) is more than the validation split "
                + "of \(d) holds (\(held) \(proxy.isBert ? "tokens" : "predicted tokens") in \(reader.count) windows of \(t)); "
                + "evaluating on \(held)" : nil
        }
    }

    /// Refuses eval domains the runs do not evaluate (before the first run trains).
    static func checkEvalDomains(_ chosen: [String]?, evaluated: [String], field: String = "eval_domains") throws {
        for d in chosen ?? [] where !evaluated.contains(d) {
            throw FieldError(field, "unknown domain '\(d)': the runs evaluate " + evaluated.joined(separator: ", "))
        }
    }

    /// A token count: a plain number (`1200000`, `1.2e6`) or with a suffix `k`, `M`, `B`/`G`, `T` (powers of 1000).
    static func tokens(_ text: String, option: String) throws -> Double {
        try TokenCount.parse(text, field: field(option))
    }

    /// The setting behind an option: `--eval-domains` -> `eval_domains` (``FieldError`` renders it back).
    static func field(_ option: String) -> String {
        String(option.drop { $0 == "-" }).replacingOccurrences(of: "-", with: "_")
    }

    /// A non-negative finite multiplier bound.
    static func bound(_ text: String, option: String) throws -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else {
            throw DataMixingError.invalidArgument("\(option): '\(text)' is not a non-negative number")
        }
        return v
    }

    static func objective(_ text: String) throws -> DDOObjective.Kind {
        guard let k = DDOObjective.Kind(rawValue: text) else {
            throw DataMixingError.invalidArgument("--objective: '\(text)' is not one of mean-ppl, mean-loss")
        }
        return k
    }

    /// Prints `warning: ...` lines on stderr.
    static func warn(_ warnings: [String], quiet: Bool) {
        guard !quiet else { return }
        for w in warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
    }

    /// Writes the result to `path` atomically when given, then prints JSON or the table.
    static func emit(_ result: MixtureResult, json: Bool, output: String?, table: () -> String) throws {
        try emit(result.jsonData, json: json, output: output, table: table)
    }

    /// ``emit(_:json:output:table:)`` for any result's JSON encoder (`mix fit`'s ``MixingFit`` too).
    static func emit(_ encode: () throws -> Data, json: Bool, output: String?, table: () -> String) throws {
        let data: Data
        do { data = try encode() } catch is EncodingError {
            throw DataMixingError.invalidArgument("the result holds a non-finite number (the budget is beyond what "
                                                  + "the fit extrapolates to)")
        }
        if let path = output { try AtomicFile.write(data, to: URL(fileURLWithPath: path)) }
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(table(), terminator: "")
        }
    }

    /// A whole number (to 1e-9 relative) below 1e15 without exponent, else `%.6g`.
    static func number(_ v: Double) -> String {
        abs(v - v.rounded()) <= 1e-9 * max(1, abs(v)) && abs(v) < 1e15 ? String(Int64(v.rounded())) : String(format: "%.6g", v)
    }

    /// Left-aligned first column, right-aligned others.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { j in all.map { $0[j].count }.max()! }
        return all.map { row in
            row.indices.map { j in
                let pad = String(repeating: " ", count: widths[j] - row[j].count)
                return j == 0 ? row[j] + pad : pad + row[j]
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension DDOArguments {
    /// `--factors`: comma-separated positive numbers or fractions (`0.333,3` or `1/3,3`).
    static func factors(_ text: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { try TokenCount.factor(String($0), field: "factors") }
    }

    /// `--domains a,b,c` or `--domains a=2,b=1,c=1` (base weights): names and weights (`nil` when none given).
    static func domains(_ text: String) throws -> (names: [String], weights: [Double]?) {
        let parsed = try DDOObjective.parseDomains(text, field: "domains")
        return (parsed.domains, text.contains("=") ? parsed.weights : nil)
    }
}

extension DDOArguments {
    /// `--caps d1=N1,d2=N2`: per-domain caps in tokens (token-count syntax: `5e6`, `1.2M`).
    static func caps(_ text: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard parts.count == 2, !name.isEmpty else {
                throw FieldError("caps", "'\(item)' is not domain=tokens (e.g. --caps web=5M,code=1.2M)")
            }
            guard out[name] == nil else { throw FieldError("caps", "domain '\(name)' is listed twice") }
            do { out[name] = try TokenCount.parse(String(parts[1]), field: "caps") } catch let e as FieldError {
                throw FieldError("caps", "\(name): \(e.message)")
            }
        }
        return out
    }

    /// `--level`: a nominal coverage strictly between 0 and 1.
    static func level(_ text: String) throws -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v > 0, v < 1 else {
            throw DataMixingError.invalidArgument("--level: '\(text)' is not a number strictly between 0 and 1")
        }
        return v
    }

    /// `--noise`: a positive finite number.
    static func noise(_ text: String) throws -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else {
            throw DataMixingError.invalidArgument("--noise: '\(text)' is not a positive number (nats)")
        }
        return v
    }

    /// A whole number option (`--bootstrap`, `--seed`) in `minimum...maximum`.
    static func count(_ text: String, option: String, minimum: UInt64, maximum: UInt64 = .max) throws -> UInt64 {
        guard let v = UInt64(text.trimmingCharacters(in: .whitespaces)), v >= minimum, v <= maximum else {
            throw DataMixingError.invalidArgument("\(option): '\(text)' is not a whole number "
                + (maximum == .max ? ">= \(minimum)" : "from \(minimum) to \(maximum)"))
        }
        return v
    }

    static func fitRule(_ text: String) throws -> FitRule {
        guard let r = FitRule(rawValue: text) else {
            throw DataMixingError.invalidArgument("--fit-rule: '\(text)' is not one of " + FitRule.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return r
    }

    /// ` [lo, hi]` columns of an interval, or empty.
    static func interval(_ iv: [Double]?, _ format: String) -> String {
        guard let iv, iv.count == 2 else { return "" }
        return "[" + String(format: format, iv[0]) + ", " + String(format: format, iv[1]) + "]"
    }
}

