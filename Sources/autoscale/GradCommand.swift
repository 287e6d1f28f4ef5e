import ArgumentParser
import Foundation
import Transformer

/// `autoscale grad`: one forward and backward pass of a Hugging Face checkpoint on one batch,
/// writing every parameter's gradient under its HF name, for checking the engine against PyTorch.
struct Grad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Write d(loss)/d(param) of a GPT-2 or BERT checkpoint on one batch (prints the loss; --json: {\"loss\": x}).",
        discussion: """
            The batch file is {"input_ids": [[...]], "labels": [[...]]}; labels are optional for GPT-2 \
            (default input_ids, shifted inside as GPT2LMHeadModel does; an "attention_mask" of right \
            padding is taken, its padded positions labelled -100 as the HF collator does) and required \
            for BERT, which also takes "attention_mask" and "token_type_ids". Labels of -100 are ignored. \
            The model folder may be sharded (model.safetensors.index.json); a BertForPreTraining \
            checkpoint loads its masked-LM head (the rest is ignored with a warning). The output \
            holds one F32 tensor per saved parameter; a tied weight (GPT-2 lm_head / wte, BERT decoder / \
            word embeddings) is one tensor carrying the summed gradient.
            """)

    @Option(help: "Hugging Face model directory (config.json + model.safetensors or a sharded index).")
    var model: String
    @Option(help: "Batch JSON file.")
    var batch: String
    @Option(help: "Output safetensors file for the gradients.")
    var out: String
    @Flag(help: "Print {\"loss\": x, \"tensors\": n} instead of a sentence.") var json = false
    @Flag(help: "No warnings on stderr (grad reports no progress).") var quiet = false

    func run() throws {
        let lm = try Checkpoint.load(URL(fileURLWithPath: model)) { line in
            if !quiet { FileHandle.standardError.write(Data("warning: \(line)\n".utf8)) }
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: batch)) } catch {
            throw ModelError.io(file: batch, message: "cannot read: \(error.localizedDescription)")
        }
        let tokens = try TokenBatch.fromJSON(data, file: batch)
        lm.gradients.update(repeating: 0)
        let loss = try lm.forwardBackward(tokens, lossScale: 1)
        guard loss.isFinite, lm.gradients.allSatisfy({ $0.isFinite }) else {
            throw ModelError.batch("\(batch): the loss or a gradient is not finite (loss \(loss))")
        }
        let tensors = Checkpoint.tensors(of: lm.parameterSpecs, in: UnsafeBufferPointer(lm.gradients))
        try SafeTensors.write(tensors, to: URL(fileURLWithPath: out))
        if json {
            print("{\"loss\": \(loss), \"tensors\": \(tensors.count)}")
        } else {
            print("loss \(loss); wrote \(tensors.count) gradient tensors to \(out)")
        }
    }
}
