import ArgumentParser
import Base
import Corpus
import Foundation

/// `autoscale tokenizer train|encode|decode`.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, apply and invert a byte-level BPE tokenizer (Hugging Face tokenizers JSON format).",
        subcommands: [TokenizerTrainCommand.self, TokenizerEncodeCommand.self, TokenizerDecodeCommand.self])
}

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train byte-level BPE on a balanced sample of every domain's training split.")

    @Option(name: .long, help: "Corpus folder written by `corpus build`.")
    var corpus: String

    @Option(name: .long, help: "Vocabulary size, including the 256 byte tokens and the special tokens.")
    var vocabSize = 4096

    @Option(name: .long, help: "Output tokenizer file.")
    var out: String

    @Option(name: .long, help: "Total MB of training text, split equally across domains.")
    var sampleMB = 48.0

    @Flag(name: .long, help: "Add the BERT special tokens [PAD] [CLS] [SEP] [MASK] after <|endoftext|>.")
    var bert = false

    @Flag(name: .long, help: "Print a JSON summary.")
    var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        guard sampleMB > 0 else { throw CorpusError.invalidArgument("--sample-mb must be > 0") }
        let store = try CorpusStore(URL(fileURLWithPath: corpus))
        var options = BPETrainer.Options()
        options.vocabSize = vocabSize
        if bert { options.specialTokens += ["[PAD]", "[CLS]", "[SEP]", "[MASK]"] }
        var trainer = BPETrainer(options: options)
        let start = Date(), bar = progress.bar()
        defer { bar.finish() }
        let perDomain = Int(sampleMB * 1e6) / max(1, store.manifest.domains.count)
        for d in store.manifest.domains {
            var used = 0
            try store.forEachDocument(domain: d.name, split: .train) { doc in
                trainer.add(doc)
                used += doc.count
                return used < perDomain
            }
            bar.line(String(format: "tokenizer: %@: %.1f MB sampled", d.name, Double(used) / 1e6))
        }
        let counted = Date().timeIntervalSince(start)
        // On a terminal the bar replaces the every-1000-merges lines.
        let model = try trainer.train(progress: { if !bar.showsBar { bar.line($0) } }) {
            bar.update($0, of: $1, unit: "merges")
        }
        bar.finish()
        let seconds = Date().timeIntervalSince(start)
        try TokenizerJSON.save(model, to: URL(fileURLWithPath: out))
        progress.report(String(format: "tokenizer: %d tokens from %.1f MB in %.1f s (counting %.1f s)",
                               model.vocabSize, Double(trainer.bytesSeen) / 1e6, seconds, counted))
        if json {
            print("{\"vocab_size\": \(model.vocabSize), \"merges\": \(model.merges.count), \"bytes\": \(trainer.bytesSeen), "
                  + "\"pieces\": \(trainer.distinctPieces), \"seconds\": \(String(format: "%.3f", seconds))}")
        } else {
            print("wrote \(out): \(model.vocabSize) tokens (\(model.merges.count) merges) from \(trainer.bytesSeen) bytes")
        }
    }
}

struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Read UTF-8 text on stdin and print its token ids as one JSON array.")

    @Option(name: .long, help: "Tokenizer file.")
    var tokenizer: String

    @Flag(name: .long, help: "Print throughput as JSON (bytes, tokens, seconds, MB/s of the encoding alone) instead of the ids.")
    var throughput = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let model = try TokenizerJSON.load(URL(fileURLWithPath: tokenizer))
        let input = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        let tok = BPETokenizer(model: model)
        let (valid, replaced) = TextCleaning.repairUTF8(input)
        if replaced > 0 { progress.report("encode: replaced \(replaced) invalid UTF-8 sequence(s) with U+FFFD") }
        var ids: [Int32] = []
        ids.reserveCapacity(valid.count / 3)
        let start = DispatchTime.now().uptimeNanoseconds
        valid.withUnsafeBufferPointer { tok.encode(validUTF8: $0, into: &ids) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if throughput {
            print(String(format: "{\"bytes\": %d, \"tokens\": %d, \"seconds\": %.6f, \"mb_per_second\": %.3f}",
                         valid.count, ids.count, seconds, Double(valid.count) / 1e6 / max(seconds, 1e-12)))
            return
        }
        var out = "["
        out.reserveCapacity(ids.count * 6)
        for (i, id) in ids.enumerated() {
            if i > 0 { out += ", " }
            out += String(id)
        }
        print(out + "]")
    }
}

struct TokenizerDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Read a JSON array of token ids on stdin and print the text.")

    @Option(name: .long, help: "Tokenizer file.")
    var tokenizer: String

    @Flag(name: .long, help: "Leave out special tokens (as Hugging Face's decode does by default).")
    var skipSpecial = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let model = try TokenizerJSON.load(URL(fileURLWithPath: tokenizer))
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else {
            throw CorpusError.badFormat(path: "<stdin>", detail: "expected a JSON array of token ids")
        }
        var ids: [Int32] = []
        for (i, v) in array.enumerated() {
            guard let n = v as? NSNumber, case let d = n.doubleValue, d == d.rounded(), abs(d) < 2e9 else {
                throw CorpusError.badFormat(path: "<stdin>", detail: "element \(i) is not an integer token id")
            }
            ids.append(Int32(d))
        }
        let special = Set(model.specials.map(\.id))
        if skipSpecial { ids.removeAll { special.contains($0) } }
        FileHandle.standardOutput.write(Data(try BPETokenizer(model: model).decodeBytes(ids)))
    }
}
