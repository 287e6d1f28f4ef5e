import Base
import Foundation
import Testing

/// snake_case keys: the spelling of old camelCase keys, and a decoder that reads both spellings while leaving
/// dictionary keys (data: domain names) alone.
struct JSONKeysTests {
    @Test func snakeCasedSpellings() {
        let cases = ["endOfTextId": "end_of_text_id", "invalidUTF8Replaced": "invalid_utf8_replaced",
                     "meanLossSD": "mean_loss_sd", "allreduceOK": "allreduce_ok", "tokenWidth": "token_width",
                     "mpiBuilt": "mpi_built", "vocab_size": "vocab_size", "seed": "seed", "x": "x"]
        for (camel, snake) in cases { #expect(snakeCased(camel) == snake, "\(camel)") }
    }

    struct Doc: Codable, Equatable {
        var endOfTextId: Int
        var byDomain: [String: Int]
        var inner: Inner
        struct Inner: Codable, Equatable {
            var meanLossSD: Double
            enum CodingKeys: String, CodingKey { case meanLossSD = "mean_loss_sd" }
        }
        enum CodingKeys: String, CodingKey { case endOfTextId = "end_of_text_id", byDomain = "by_domain", inner }
    }

    @Test func decoderReadsBothSpellingsAndKeepsDictionaryKeys() throws {
        let expected = Doc(endOfTextId: 7, byDomain: ["Web": 1, "markovWords": 2], inner: .init(meanLossSD: 0.5))
        let old = #"{"endOfTextId": 7, "byDomain": {"Web": 1, "markovWords": 2}, "inner": {"meanLossSD": 0.5}}"#
        let new = #"{"end_of_text_id": 7, "by_domain": {"Web": 1, "markovWords": 2}, "inner": {"mean_loss_sd": 0.5}}"#
        for text in [old, new] {
            #expect(try JSONDecoder.acceptingCamelCase().decode(Doc.self, from: Data(text.utf8)) == expected, "\(text)")
        }
        // What the types write: the snake_case keys, the dictionary keys as given.
        let written = String(decoding: try prettyJSON(expected), as: UTF8.self)
        #expect(written.contains("\"end_of_text_id\"") && written.contains("\"mean_loss_sd\"") && written.contains("\"markovWords\""))
        // A plain decoder does not read the old spelling (the test above is not vacuous).
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Doc.self, from: Data(old.utf8)) }
    }
}
