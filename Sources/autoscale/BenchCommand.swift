import Base
import ArgumentParser
import Foundation
import Training
import Transformer

/// `autoscale bench`: times full training steps (forward, backward, clipping, AdamW) of a randomly
/// initialized GPT-2 or BERT on one random batch, after a warm-up, with `TrainingBenchmark.measure`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time full training steps of a random GPT-2 or BERT (tokens/s, GFLOP/s, sgemm-peak fraction, memory).",
        discussion: """
            The model has n_positions (max_position_embeddings) = --ctx and GPT-2's or BERT's random \
            initialization (seed --seed). GPT-2 trains on one batch of --batch x --ctx uniform random \
            token ids and predicts every next token. BERT trains on masked-LM batches: four batches of \
            sequences [CLS] w... [SEP] (ids 1 and 2; w uniform in 4..<--vocab; 0 is [PAD], 3 is [MASK]) \
            served in turn, each masked afresh every step by dynamic masking (15% of the non-special \
            positions; 80% [MASK], 10% random, 10% kept), as MaskedLMBatchSource does in training. \
            AdamW at lr 1e-4, weight decay 0.01, clipping at 1.0, as the PyTorch reference in \
            Fixtures/bench/train_reference.py. Memory: peak_resident_bytes (VmHWM) against \
            theoretical_bytes = parameters + gradients + AdamW m and v (16 bytes per parameter) + \
            activation_bytes, the Float activations a backward pass must keep (see _BenchMemory). \
            GEMM roofline (gemm_bound_tokens_per_s): after the timed steps, one forward+backward records \
            every GEMM it issues (shape, transposes, leading dimensions, OpenBLAS threads); each distinct \
            shape is then timed alone (best of 5 rounds of at least 5 ms) and the step's GEMM time summed: the tokens/s a \
            step made only of its GEMMs would reach, a ceiling for this engine on this machine.
            """)

    @Option(help: "gpt2 or bert.") var arch: String
    @Option(help: "Number of layers.") var layers: Int
    @Option(help: "Embedding (hidden) width.") var embd: Int
    @Option(help: "Attention heads (must divide --embd).") var heads: Int
    @Option(help: "Vocabulary size.") var vocab: Int
    @Option(help: "Sequence length (also the model's context).") var ctx: Int
    @Option(help: "Sequences per step.") var batch: Int
    @Option(help: "Timed steps.") var steps: Int
    @Option(help: "Untimed warm-up steps.") var warmup: Int = 2
    @Option(help: "Seed of the initialization and the batch.") var seed: UInt64 = 0
    @Flag(help: "Also list the GEMM roofline per shape (calls, time, GFLOP/s).") var gemmDetail = false
    @Flag(help: "Print one JSON object.") var json = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        for (v, name, least) in [(layers, "layers", 1), (embd, "embd", 1), (heads, "heads", 1), (vocab, "vocab", 2),
                                 (ctx, "ctx", 2), (batch, "batch", 1), (steps, "steps", 1), (warmup, "warmup", 0)]
        where v < least {
            throw CLIError("bench: --\(name) must be at least \(least) (got \(v))")
        }
        guard embd % heads == 0 else { throw CLIError("bench: --embd (\(embd)) must be a multiple of --heads (\(heads))") }
        let baseline = TrainingBenchmark.peakResidentBytes()
        var rng = TrainingRNG(seed: seed)
        let n = batch * ctx
        let model: any LanguageModel
        let data: any TrainingBatchSource
        let activations: Int
        switch arch {
        case "gpt2":
            model = try GPT2LMHeadModel(config: GPT2Config(vocabSize: vocab, nPositions: ctx, nEmbd: embd,
                                                           nLayer: layers, nHead: heads), seed: seed)
            let ids = (0..<n).map { _ in Int32(rng.below(vocab)) }
            data = try ArrayBatchSource([TokenBatch(batchSize: batch, sequenceLength: ctx, inputIDs: ids)])
            activations = _BenchMemory.gpt2ActivationBytes(B: batch, T: ctx, C: embd, H: heads, V: vocab, L: layers)
        case "bert":
            guard vocab >= 5, ctx >= 3 else {
                throw CLIError("bench: --arch bert needs --vocab >= 5 (ids 0-3 are special) and --ctx >= 3")
            }
            model = try BertForMaskedLM(config: BertConfig(vocabSize: vocab, hiddenSize: embd, numHiddenLayers: layers,
                                                           numAttentionHeads: heads, maxPositionEmbeddings: ctx), seed: seed)
            let sequences = (0..<4).map { _ in
                TokenBatch(batchSize: batch, sequenceLength: ctx, inputIDs: (0..<n).map { i -> Int32 in
                    let t = i % ctx
                    return t == 0 ? _BenchMLM.cls : t == ctx - 1 ? _BenchMLM.sep : Int32(4 + rng.below(vocab - 4))
                })
            }
            data = MaskedLMBatchSource(tokens: try ArrayBatchSource(sequences),
                                       masking: try DynamicMasking(maskTokenID: _BenchMLM.mask, vocabSize: vocab,
                                                                   padTokenID: _BenchMLM.pad,
                                                                   specialTokenIDs: [_BenchMLM.cls, _BenchMLM.sep, _BenchMLM.mask]))
            // The expected number of labelled rows: 15% of the non-special positions.
            let masked = Int((0.15 * Double(batch * (ctx - 2))).rounded())
            activations = _BenchMemory.bertActivationBytes(B: batch, T: ctx, C: embd, H: heads, V: vocab, L: layers,
                                                           masked: max(masked, 1))
        default:
            throw CLIError("bench: --arch must be gpt2 or bert (got \"\(arch)\")")
        }
        let r = try TrainingBenchmark.measure(model: model, data: data, steps: steps, warmup: warmup,
                                              optimizer: OptimizerConfig(weightDecay: 0.01, maxGradNorm: 1.0), seed: seed,
                                              roofline: true, rooflineDetail: gemmDetail)
        let report = BenchReport(result: r, parameters: model.parameters.count, activationBytes: activations,
                                 baselineResidentBytes: baseline)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(report.text(arch: arch))
        }
    }
}

/// The special ids of the BERT bench's sequences.
enum _BenchMLM {
    static let pad: Int32 = 0, cls: Int32 = 1, sep: Int32 = 2, mask: Int32 = 3
}

/// The `--json` object: ``BenchmarkResult``'s fields plus the memory budget.
struct BenchReport: Encodable {
    var result: BenchmarkResult
    var parameters: Int
    var activationBytes: Int
    /// `VmHWM` before the model was built: the runtime, Foundation and OpenBLAS's own buffers.
    var baselineResidentBytes: Int?
    /// `16 * parameters + activationBytes`.
    var theoreticalBytes: Int { result.optimizerStateBytes + activationBytes }
    /// `peak_resident_bytes / theoretical_bytes` (includes the process baseline: runtime, BLAS buffers).
    var memoryRatio: Double? { result.peakResidentBytes.map { Double($0) / Double(theoreticalBytes) } }
    /// `(peak_resident_bytes - baseline_resident_bytes) / theoretical_bytes`: what the training step added.
    var memoryRatioAboveBaseline: Double? {
        guard let peak = result.peakResidentBytes, let base = baselineResidentBytes else { return nil }
        return Double(peak - base) / Double(theoreticalBytes)
    }

    enum Extra: String, CodingKey {
        case parameters, activationBytes = "activation_bytes", theoreticalBytes = "theoretical_bytes"
        case memoryRatio = "memory_ratio", baselineResidentBytes = "baseline_resident_bytes"
        case memoryRatioAboveBaseline = "memory_ratio_above_baseline"
    }

    func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: Extra.self)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(activationBytes, forKey: .activationBytes)
        try c.encode(theoreticalBytes, forKey: .theoreticalBytes)
        try c.encodeIfPresent(memoryRatio, forKey: .memoryRatio)
        try c.encodeIfPresent(baselineResidentBytes, forKey: .baselineResidentBytes)
        try c.encodeIfPresent(memoryRatioAboveBaseline, forKey: .memoryRatioAboveBaseline)
    }

    func text(arch: String) -> String {
        let mib = { (b: Int) in String(format: "%.1f MiB", Double(b) / 1048576) }
        var s = String(format: "%@: %.0f tokens/s, %.1f GFLOP/s, %.0f%% of the sgemm peak (%.1f GFLOP/s), %.1f ms/step, %d BLAS threads\n",
                       arch, result.tokensPerSecond, result.gflops, 100 * result.peakFraction, result.sgemmPeakGFLOPs,
                       1e3 * result.secondsPerStep, result.blasThreads)
        if let bound = result.gemmBoundTokensPerSecond, let g = result.gemmSecondsPerStep,
           let calls = result.gemmCallsPerStep, let shapes = result.gemmShapes {
            s += String(format: "GEMM roofline: %.0f tokens/s if a step were only its %d GEMMs (%d shapes, each timed alone: %.1f ms/step); the step reaches %.0f%% of it\n",
                        bound, calls, shapes, 1e3 * g, 100 * result.tokensPerSecond / bound)
        }
        for e in result.gemmBreakdown ?? [] {
            s += String(format: "  %6.2f ms/step  %4d x %@  %.1f us/call, %.1f GFLOP/s\n", 1e3 * e.secondsPerStep, e.calls,
                        e.shape.description, 1e6 * e.secondsPerCall, e.gflops)
        }
        s += "memory: \(parameters) parameters; params+grads+AdamW \(mib(result.optimizerStateBytes)) + activations \(mib(activationBytes)) = \(mib(theoreticalBytes))"
        if let peak = result.peakResidentBytes, let ratio = memoryRatio {
            s += String(format: "; peak resident %@ (%.2fx)", mib(peak), ratio)
            if let base = baselineResidentBytes, let above = memoryRatioAboveBaseline {
                s += String(format: ", %@ above the %@ process baseline (%.2fx)", mib(peak - base), mib(base), above)
            }
        }
        return s
    }
}

/// Theoretical activation memory of one training step: the Float tensors a backward pass must keep,
/// counted per token (N = B·T tokens, C width, I = 4C inner, H heads, V vocabulary, L layers), with the
/// logits (softmax probabilities) counted in full, as an eager framework holds them.
enum _BenchMemory {
    /// GPT-2: embeddings out `C`; per layer ln1 out `C` + stats 2, qkv `3C`, attention probabilities
    /// `H·T`, attention out `C`, residual `C`, ln2 out `C` + stats 2, fc `I`, gelu `I`; final LN `C` + 2;
    /// logits `V`.
    static func gpt2ActivationBytes(B: Int, T: Int, C: Int, H: Int, V: Int, L: Int) -> Int {
        let n = B * T, i = 4 * C
        let perLayer = n * (C + 2 + 3 * C + C + C + C + 2 + i + i) + B * H * T * T
        return 4 * (n * C + L * perLayer + n * (C + 2) + n * V)
    }

    /// BERT: embeddings sum and LN out `2C` + 2; per layer q, k, v `3C`, probabilities `H·T`, context
    /// `C`, attention dense out and LN out `2C` + 2, intermediate `I`, gelu `I`, output dense and LN out
    /// `2C` + 2; MLM head on the `masked` rows: dense `C`, gelu `C`, LN `C` + 2, logits `V`.
    static func bertActivationBytes(B: Int, T: Int, C: Int, H: Int, V: Int, L: Int, masked m: Int) -> Int {
        let n = B * T, i = 4 * C
        let perLayer = n * (3 * C + C + 2 * C + 2 + i + i + 2 * C + 2) + B * H * T * T
        return 4 * (n * (2 * C + 2) + L * perLayer + m * (3 * C + 2 + V))
    }
}
