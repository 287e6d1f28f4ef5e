import Foundation

extension PipelineReport {
    /// A self-contained HTML page (no scripts, no external files) with the weights and validation tables.
    public func html() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>\n"
        }
        let f4 = { (v: Double) in String(format: "%.4f", v) }
        var body = "<h1>AutoScale report</h1>\n<h2>Optimal weights</h2>\n"
        var rows = ddo.map { e in ["DDO \(TokenCount.label(e.budget))"] + domains.map { f4(e.result.weights[$0]!) } }
        rows.append(["AutoScale \(TokenCount.label(target))"] + domains.map { f4(prediction.weights[$0]!) })
        body += table(["budget"] + domains, rows)
        if let v = validation {
            body += "<h2>Validation loss at \(TokenCount.label(target)) tokens</h2>\n"
            body += table(["mixture"] + domains + ["mean", "sd"], v.summaries.map { s in
                [s.mixture] + domains.map { f4(s.losses[$0]!) } + [f4(s.meanLoss), f4(s.meanLossSD)]
            })
        }
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>AutoScale report</title></head><body>\n"
            + body + "</body></html>\n"
    }
}
