import Base

// Shapes: B batch rows (of one slice, in the kernels), T positions, C channels (n_embd), NH heads,
// HS = C/NH head size, I MLP width (n_inner), V vocabulary, L layers, N = B·T rows, R LM-head chunk rows.

/// GPT-2 decoder (`GPT2LMHeadModel` semantics), generic over the scalar so the
/// same code runs in `Float` (training) and `Double` (finite-difference oracle).
///
/// Per layer (pre-LN): `x += attn(ln_1(x))`, `x += mlp(ln_2(x))`; then `ln_f`, `logits = h · W^T` with the LM
/// head `W = wte` (tied, the default) or `lm_head.weight` (`tie_word_embeddings: false`),
/// loss = mean CE of `logits[:, t]` against `labels[:, t+1]` (shift inside; -100 ignored).
final class GPT2Core<F: ModelScalar> {
    let config: GPT2Config
    let params: ParameterStore<F>
    private let C: Int, L: Int, NH: Int, V: Int, I: Int
    private let eps: F
    private let gelu: GELUKind

    /// Offsets of one layer's tensors in the flat parameter buffer (checkpoint name in the comment).
    struct Layer {
        var ln1w, ln1b: Int  // ln_1.{weight,bias} (C)
        var qkvw, qkvb: Int  // attn.c_attn.weight (C, 3C), .bias (3C)
        var projw, projb: Int  // attn.c_proj.weight (C, C), .bias (C)
        var ln2w, ln2b: Int  // ln_2.{weight,bias} (C)
        var fcw, fcb: Int  // mlp.c_fc.weight (C, I), .bias (I)
        var fcpw, fcpb: Int  // mlp.c_proj.weight (I, C), .bias (C)
    }
    private let wte: Int, wpe: Int, lnfw: Int, lnfb: Int
    private let head: Int  // LM head (V, C): wte's offset when tied, lm_head.weight's when untied
    private let layers: [Layer]

    init(config: GPT2Config) throws {
        try config.validate()
        // Parameters, gradients and AdamW moments alone must fit (commands check the whole training first).
        try MemoryEstimate.gpt2Training(config, batch: 0, sequence: 0)
            .check("model (n_layer \(config.nLayer), n_embd \(config.nEmbd), vocab \(config.vocabSize))")
        self.config = config
        C = config.nEmbd; L = config.nLayer; NH = config.nHead; V = config.vocabSize; I = config.innerSize
        eps = F(config.layerNormEpsilon); gelu = config.gelu
        var b = LayoutBuilder()
        wte = b.add("transformer.wte.weight", [V, C], decay: false)
        wpe = b.add("transformer.wpe.weight", [config.nPositions, C], decay: false)
        var ls: [Layer] = []
        for l in 0..<L {
            let p = "transformer.h.\(l)."
            ls.append(Layer(
                ln1w: b.add(p + "ln_1.weight", [C], decay: false),
                ln1b: b.add(p + "ln_1.bias", [C], decay: false),
                qkvw: b.add(p + "attn.c_attn.weight", [C, 3 * C], decay: true),
                qkvb: b.add(p + "attn.c_attn.bias", [3 * C], decay: false),
                projw: b.add(p + "attn.c_proj.weight", [C, C], decay: true),
                projb: b.add(p + "attn.c_proj.bias", [C], decay: false),
                ln2w: b.add(p + "ln_2.weight", [C], decay: false),
                ln2b: b.add(p + "ln_2.bias", [C], decay: false),
                fcw: b.add(p + "mlp.c_fc.weight", [C, I], decay: true),
                fcb: b.add(p + "mlp.c_fc.bias", [I], decay: false),
                fcpw: b.add(p + "mlp.c_proj.weight", [I, C], decay: true),
                fcpb: b.add(p + "mlp.c_proj.bias", [C], decay: false)))
        }
        layers = ls
        lnfw = b.add("transformer.ln_f.weight", [C], decay: false)
        lnfb = b.add("transformer.ln_f.bias", [C], decay: false)
        // An untied head is a linear layer's weight (decayed like c_attn, c_fc, c_proj); a tied one is wte.
        head = config.tieWordEmbeddings ? wte : b.add("lm_head.weight", [V, C], decay: true)
        params = ParameterStore(specs: b.specs)
    }

    /// GPT-2 initialization as in `GPT2PreTrainedModel._init_weights`: N(0, 0.02^2) for weights and
    /// embeddings, `c_proj` weights with std 0.02/sqrt(2 n_layer), zero biases, LayerNorm weight 1.
    func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let std = config.initializerRange
        params.values.zero()
        for s in params.specs {
            if s.name.hasSuffix("ln_1.weight") || s.name.hasSuffix("ln_2.weight") || s.name.hasSuffix("ln_f.weight") {
                params.fill(s.name, 1)
            } else if s.shape.count == 2 {
                let scaled = s.name.hasSuffix("c_proj.weight")
                params.fillNormal(s.name, std: scaled ? std / (2 * Double(L)).squareRoot() : std, rng: &rng)
            }
        }
    }

    // MARK: activations

    /// Rows per LM-head chunk (tests set small values to exercise several chunks).
    var headRows = MemoryEstimate.headRows { didSet { acts = nil } }

    /// Buffers for one (B, T) of the whole batch, as offsets into one arena; rebuilt when the shape
    /// changes. Row-indexed buffers hold all B·T rows (a slice uses its own rows); per-layer arrays
    /// have one entry per layer.
    final class Acts {
        let B: Int, T: Int, workers: Int
        let buffer: AlignedBuffer<F>
        var res: [Int] = []  // (L+1) x (B, T, C) residual stream: res[0] embeddings, res[l+1] after layer l
        var ln1: [Int] = []  // L x (B, T, C) ln_1 output
        var ln1m: [Int] = []  // L x (B, T) ln_1 mean
        var ln1r: [Int] = []  // L x (B, T) ln_1 rstd
        var qkv: [Int] = []  // L x (B, T, 3C) q | k | v
        var att: [Int] = []  // L x (B, NH, T, T) attention probabilities
        var atty: [Int] = []  // L x (B, T, C) attention output, heads merged
        var res2: [Int] = []  // L x (B, T, C) residual stream after the attention
        var ln2: [Int] = []  // L x (B, T, C) ln_2 output
        var ln2m: [Int] = []  // L x (B, T) ln_2 mean
        var ln2r: [Int] = []  // L x (B, T) ln_2 rstd
        var fc: [Int] = []  // L x (B, T, I) MLP pre-activation
        var fcg: [Int] = []  // L x (B, T, I) GELU output
        var lnf = 0  // (B, T, C) ln_f output
        var lnfm = 0  // (B, T) ln_f mean
        var lnfr = 0  // (B, T) ln_f rstd
        var dres = 0  // (B, T, C) d(residual stream)
        var dtmp = 0  // (B, T, C) backward scratch
        var dfc = 0  // (B, T, max(I, 3C)) d(fc), later d(qkv) once the MLP's backward is done
        var logits: [Int] = []  // per worker (R, V) LM-head logits chunk, then their gradient
        var datt: [Int] = []  // per worker (NH, T, T) attention backward scratch (dP, dS)
        /// Gradients of slices 1..<workers (slice 0 adds into the model's own).
        let extraGrads: [AlignedBuffer<F>]
        let targets: UnsafeMutablePointer<Int32>  // (B, T) next-token targets, -100 at t = T-1

        init(B: Int, T: Int, C: Int, NH: Int, V: Int, I: Int, L: Int, headRows: Int, workers: Int,
             parameters: Int) {
            self.B = B; self.T = T; self.workers = workers
            let N = B * T
            var a = Arena<F>()
            for _ in 0...L { res.append(a.reserve(N * C)) }
            for _ in 0..<L {
                ln1.append(a.reserve(N * C)); ln1m.append(a.reserve(N)); ln1r.append(a.reserve(N))
                qkv.append(a.reserve(N * 3 * C)); att.append(a.reserve(B * NH * T * T))
                atty.append(a.reserve(N * C)); res2.append(a.reserve(N * C))
                ln2.append(a.reserve(N * C)); ln2m.append(a.reserve(N)); ln2r.append(a.reserve(N))
                fc.append(a.reserve(N * I)); fcg.append(a.reserve(N * I))
            }
            lnf = a.reserve(N * C); lnfm = a.reserve(N); lnfr = a.reserve(N)
            dres = a.reserve(N * C); dtmp = a.reserve(N * C); dfc = a.reserve(N * Swift.max(I, 3 * C))
            let rowsPerWorker = (B + workers - 1) / workers * T
            for _ in 0..<workers {
                logits.append(a.reserve(Swift.min(rowsPerWorker, headRows) * V))
                datt.append(a.reserve(NH * T * T))
            }
            buffer = AlignedBuffer(count: a.total)
            extraGrads = (1..<Swift.max(workers, 1)).map { _ in AlignedBuffer(count: parameters) }
            targets = .allocate(capacity: N)
        }
        deinit { targets.deallocate() }
    }
    private(set) var acts: Acts?

    private func activations(B: Int, T: Int, workers: Int) -> Acts {
        if let a = acts, a.B == B, a.T == T, a.workers == workers { return a }
        acts = nil  // free the old set first
        let a = Acts(B: B, T: T, C: C, NH: NH, V: V, I: I, L: L, headRows: headRows, workers: workers,
                     parameters: params.grads.count)
        acts = a
        return a
    }

    // MARK: forward / backward

    /// `batch` without its attention mask, as the causal model computes it: an all-ones mask changes nothing;
    /// right padding (each row `1 ... 1 0 ... 0`, what a tokenizer with `padding_side="right"` returns) changes
    /// nothing at the real positions either (a causal query never sees a later key), so the padded positions
    /// become label -100 (as `DataCollatorForLanguageModeling` labels them) and the mask goes. The loss and the
    /// gradients are then those of HF `GPT2LMHeadModel` with that mask and those labels. A mask with a 1 after a
    /// 0 (left padding, holes), a value other than 0 and 1, or a label other than -100 at a padded position is
    /// an error naming the row.
    static func unpadded(_ batch: TokenBatch) throws -> TokenBatch {
        guard let mask = batch.attentionMask else { return batch }
        try BatchCheck.shape(batch, maxLength: .max)  // the positions are checked against the model in validate
        let B = batch.batchSize, T = batch.sequenceLength
        var out = batch
        out.attentionMask = nil
        guard mask.contains(where: { $0 != 1 }) else { return out }
        var labels = batch.labels ?? batch.inputIDs
        for b in 0..<B {
            let row = Array(mask[(b * T)..<((b + 1) * T)])
            guard row.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw ModelError.batch("attention_mask[\(b)] has values other than 0 and 1")
            }
            let n = row.firstIndex(of: 0) ?? T
            guard !row[n...].contains(1) else {
                throw ModelError.batch("attention_mask[\(b)] is not right padding (a 1 after a 0): GPT-2 takes "
                                       + "right-padded rows only")
            }
            for t in n..<T {
                if batch.labels != nil, labels[b * T + t] != -100 {
                    throw ModelError.batch("labels[\(b)][\(t)] = \(labels[b * T + t]) at a padded position "
                                           + "(attention_mask 0): give -100 there")
                }
                labels[b * T + t] = -100
            }
        }
        out.labels = labels
        return out
    }

    func validate(_ batch: TokenBatch) throws {
        let T = batch.sequenceLength
        try BatchCheck.shape(batch, maxLength: config.nPositions)
        if batch.tokenTypeIDs != nil { throw ModelError.batch("GPT-2 takes no token_type_ids") }
        try BatchCheck.ids(batch.inputIDs, name: "input_ids", below: V, T: T)
        if let l = batch.labels { try BatchCheck.ids(l, name: "labels", below: V, allowIgnore: true, T: T) }
        let labels = batch.labels ?? batch.inputIDs
        var any = false
        for b in 0..<batch.batchSize { for t in 1..<max(T, 1) where labels[b * T + t] != -100 { any = true } }
        if !any {
            throw ModelError.batch(
                "no position has a next-token label (all labels after the first are -100, or length 1)")
        }
        if let w = batch.lossWeights {
            guard w.count == batch.batchSize else {
                throw ModelError.batch("loss_weights has \(w.count) values for \(batch.batchSize) rows (one per sequence)")
            }
            if let b = w.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw ModelError.batch("loss_weights[\(b)] = \(w[b]): a loss weight must be finite and >= 0")
            }
        }
    }

    /// Mean loss; when `lossScale != nil`, also adds `lossScale * dloss/dparams` to the gradients.
    ///
    /// With W = min(OpenBLAS threads, B) > 1, the batch rows split into W contiguous slices (slice i:
    /// rows `i·B/W ..< (i+1)·B/W`) that run forward and backward at once, one thread each, with
    /// OpenBLAS at one thread (``Parallel/slices(_:_:)``): sequences never interact, so only the loss
    /// sum and the gradients need combining. Slice 0 adds its gradient into the model's, slice i > 0
    /// into its own buffer, added afterwards in slice order; the loss is the slices' sums added in
    /// order over the whole batch's label count. The split depends only on B and the thread count,
    /// so the same thread count gives the same bits.
    ///
    /// Loss weights (`batch.lossWeights`, one per sequence, B): the loss is `sum_n w_b(n) loss_n / sum_n w_b(n)`
    /// over the counted positions n (DoReMi's reweighted objective, ``SoftmaxCrossEntropy``); all 1 gives the
    /// unweighted bits. `tokenLosses` (N), when given, receives every counted position's unweighted loss.
    func run(_ padded: TokenBatch, lossScale: F?, tokenLosses: UnsafeMutablePointer<F>? = nil) throws -> F {
        let batch = try Self.unpadded(padded)
        try validate(batch)
        let B = batch.batchSize, T = batch.sequenceLength, N = B * T
        let W = Swift.max(1, Swift.min(Parallel.workers, B))
        let a = activations(B: B, T: T, workers: W)
        let labels = batch.labels ?? batch.inputIDs
        for b in 0..<B {
            for t in 0..<T { a.targets[b * T + t] = t + 1 < T ? labels[b * T + t + 1] : -100 }
        }
        var count = 0
        for n in 0..<N where a.targets[n] != -100 { count += 1 }
        // Per-position weights (N) from the per-sequence ones, and their sum over the counted positions.
        var rowWeights: [F] = [], weightSum = 0.0
        if let w = batch.lossWeights {
            rowWeights = (0..<N).map { F(w[$0 / T]) }
            for n in 0..<N where a.targets[n] != -100 { weightSum += Double(rowWeights[n]) }
            guard weightSum > 0 else { throw ModelError.batch("loss_weights are 0 at every predicted position") }
        }
        let grads = params.grads.pointer, backward = lossScale != nil
        let sum = batch.inputIDs.withUnsafeBufferPointer { idBuffer in
            rowWeights.withUnsafeBufferPointer { wBuffer in
                let ids = idBuffer.baseAddress!
                let weights = batch.lossWeights == nil ? nil : wBuffer.baseAddress
                return Parallel.slicedSum(W, grads: grads, extra: a.extraGrads, backward: backward) { i, grads in
                    self.runSlice(a, rows: (i * B / W)..<((i + 1) * B / W), worker: i, ids: ids, grads: grads,
                                  lossScale: lossScale, count: count, weights: weights, weightSum: weightSum,
                                  tokenLosses: tokenLosses)
                }
            }
        }
        return F(sum / (batch.lossWeights == nil ? Double(count) : weightSum))
    }

    /// Forward only: the unweighted loss of every position (B, T), position t of row b the loss of predicting
    /// token t+1; `.nan` where there is no target (the last position, label -100, padding).
    func tokenLosses(_ batch: TokenBatch) throws -> [F] {
        var out = [F](repeating: .nan, count: batch.batchSize * batch.sequenceLength)
        _ = try out.withUnsafeMutableBufferPointer { try run(batch, lossScale: nil, tokenLosses: $0.baseAddress!) }
        return out
    }

    /// Forward (and backward when `lossScale != nil`) of batch rows `rows`, on `worker`'s scratch,
    /// adding gradients into `grads`; returns the slice's summed loss (the mean divides by `count`).
    /// Inside, B is the slice's row count and N = B·T its rows.
    private func runSlice(_ a: Acts, rows: Range<Int>, worker: Int, ids: UnsafePointer<Int32>,
                          grads G: UnsafeMutablePointer<F>, lossScale: F?, count: Int,
                          weights: UnsafePointer<F>?, weightSum: Double, tokenLosses: UnsafeMutablePointer<F>?) -> Double {
        let T = a.T, B = rows.count, N = B * T, n0 = rows.lowerBound * T
        let P = params.values.pointer, A = a.buffer.pointer
        // Row-indexed activations of this slice start n0 rows in; attention probabilities b0 (NH,T,T) blocks in.
        func row(_ off: Int, _ width: Int) -> UnsafeMutablePointer<F> { A + off + n0 * width }
        let attOffset = rows.lowerBound * NH * T * T
        let attention = AttentionShape(B: B, T: T, NH: NH, HS: C / NH)
        let qkvShape = LinearShape(N: N, IC: C, OC: 3 * C, layout: .inOut)  // attn.c_attn
        let projShape = LinearShape(N: N, IC: C, OC: C, layout: .inOut)  // attn.c_proj
        let fcShape = LinearShape(N: N, IC: C, OC: I, layout: .inOut)  // mlp.c_fc
        let fcpShape = LinearShape(N: N, IC: I, OC: C, layout: .inOut)  // mlp.c_proj
        Embedding.forward(out: row(a.res[0], C), ids: ids + n0, types: nil, wte: P + wte, wpe: P + wpe, wtt: nil,
                          B: B, T: T, C: C)
        for l in 0..<L {
            let w = layers[l]
            let res = row(a.res[l], C), ln1 = row(a.ln1[l], C), qkv = row(a.qkv[l], 3 * C)
            let att = A + a.att[l] + attOffset, atty = row(a.atty[l], C), res2 = row(a.res2[l], C)
            let ln2 = row(a.ln2[l], C), fc = row(a.fc[l], I), fcg = row(a.fcg[l], I), next = row(a.res[l + 1], C)
            LayerNorm.forward(out: ln1, mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), inp: res,
                              weight: P + w.ln1w, bias: P + w.ln1b, N: N, C: C, eps: eps)
            Linear.forward(out: qkv, inp: ln1, weight: P + w.qkvw, bias: P + w.qkvb, shape: qkvShape,
                           accumulate: false)
            Attention.forward(out: atty, att: att, qkv: qkv, keyMask: nil, causal: true, shape: attention)
            res2.update(from: res, count: N * C)
            Linear.forward(out: res2, inp: atty, weight: P + w.projw, bias: P + w.projb, shape: projShape,
                           accumulate: true)
            LayerNorm.forward(out: ln2, mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), inp: res2,
                              weight: P + w.ln2w, bias: P + w.ln2b, N: N, C: C, eps: eps)
            Linear.forward(out: fc, inp: ln2, weight: P + w.fcw, bias: P + w.fcb, shape: fcShape, accumulate: false)
            GELU.forward(out: fcg, inp: fc, count: N * I, kind: gelu)
            next.update(from: res2, count: N * C)
            Linear.forward(out: next, inp: fcg, weight: P + w.fcpw, bias: P + w.fcpb, shape: fcpShape,
                           accumulate: true)
        }
        let lnf = row(a.lnf, C)
        LayerNorm.forward(out: lnf, mean: row(a.lnfm, 1), rstd: row(a.lnfr, 1), inp: row(a.res[L], C),
                          weight: P + lnfw, bias: P + lnfb, N: N, C: C, eps: eps)
        // LM head + loss in chunks of `headRows` rows: logits (R, V) stay in cache from the GEMM through
        // softmax-CE to the two backward GEMMs, and the full (N, V) logits are never stored.
        let dres = row(a.dres, C), dtmp = row(a.dtmp, C)  // dres carries d(residual stream); dtmp is scratch
        let logits = A + a.logits[worker], targets = a.targets + n0
        var sum = 0.0
        for r0 in stride(from: 0, to: N, by: headRows) {
            let shape = LinearShape(N: min(headRows, N - r0), IC: C, OC: V, layout: .outIn)  // W = wte or lm_head
            Linear.forward(out: logits, inp: lnf + r0 * C, weight: P + head, bias: nil, shape: shape, accumulate: false)
            sum += SoftmaxCrossEntropy.run(logits: logits, targets: targets + r0, N: shape.N, V: V,
                                           gradScale: lossScale, count: count, weights: weights.map { $0 + n0 + r0 },
                                           weightSum: weightSum, losses: tokenLosses.map { $0 + n0 + r0 }).sum
            if lossScale != nil {
                Linear.backward(dinp: dtmp + r0 * C, dweight: G + head, dbias: nil, dout: logits, inp: lnf + r0 * C,
                                weight: P + head, shape: shape, accumulateInput: false)
            }
        }
        guard lossScale != nil else { return sum }

        // Backward.
        LayerNorm.backward(dinp: dres, dweight: G + lnfw, dbias: G + lnfb, dout: dtmp, inp: row(a.res[L], C),
                           weight: P + lnfw, mean: row(a.lnfm, 1), rstd: row(a.lnfr, 1), N: N, C: C,
                           accumulate: false)
        // The MLP's d(fc) (B, T, I) and later d(qkv) (B, T, 3C) share this slice's part of dfc.
        let dfc = A + a.dfc + n0 * Swift.max(I, 3 * C)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let w = layers[l]
            let res = row(a.res[l], C), ln1 = row(a.ln1[l], C), qkv = row(a.qkv[l], 3 * C)
            let att = A + a.att[l] + attOffset, atty = row(a.atty[l], C), res2 = row(a.res2[l], C)
            let ln2 = row(a.ln2[l], C), fc = row(a.fc[l], I), fcg = row(a.fcg[l], I)
            Linear.backward(dinp: dfc, dweight: G + w.fcpw, dbias: G + w.fcpb, dout: dres, inp: fcg,
                            weight: P + w.fcpw, shape: fcpShape, accumulateInput: false)
            GELU.backward(dinp: dfc, inp: fc, dout: dfc, count: N * I, kind: gelu)
            Linear.backward(dinp: dtmp, dweight: G + w.fcw, dbias: G + w.fcb, dout: dfc, inp: ln2,
                            weight: P + w.fcw, shape: fcShape, accumulateInput: false)
            LayerNorm.backward(dinp: dres, dweight: G + w.ln2w, dbias: G + w.ln2b, dout: dtmp, inp: res2,
                               weight: P + w.ln2w, mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), N: N, C: C,
                               accumulate: true)
            Linear.backward(dinp: dtmp, dweight: G + w.projw, dbias: G + w.projb, dout: dres, inp: atty,
                            weight: P + w.projw, shape: projShape, accumulateInput: false)
            let dqkv = dfc  // (B, T, 3C): the MLP's scratch is free again
            Attention.backward(dqkv: dqkv, datt: A + a.datt[worker], dout: dtmp, att: att, qkv: qkv,
                               causal: true, shape: attention)
            Linear.backward(dinp: dtmp, dweight: G + w.qkvw, dbias: G + w.qkvb, dout: dqkv, inp: ln1,
                            weight: P + w.qkvw, shape: qkvShape, accumulateInput: false)
            LayerNorm.backward(dinp: dres, dweight: G + w.ln1w, dbias: G + w.ln1b, dout: dtmp, inp: res,
                               weight: P + w.ln1w, mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), N: N, C: C,
                               accumulate: true)
        }
        Embedding.backward(dwte: G + wte, dwpe: G + wpe, dwtt: nil, dout: dres, ids: ids + n0, types: nil,
                           B: B, T: T, C: C)
        return sum
    }

    /// Training FLOPs per token at sequence length `T`: 3x the forward's `2·(matrix parameters) + 2·C·V`
    /// (LM head) `+ 4·L·C·k̄`, where k̄ is the mean number of keys a query meets in the causal block GEMMs
    /// (`(T + 64)/2` for T a multiple of 64, `T` when T <= 64): QK^T and PV as computed.
    func trainingFLOPsPerToken(sequenceLength T: Int) -> Double {
        let matmul = Double(L) * Double(3 * C * C + C * C + 2 * C * I)
        var keys = 0
        for i0 in stride(from: 0, to: T, by: Attention.defaultBlock) {
            let i1 = min(T, i0 + Attention.defaultBlock)
            keys += (i1 - i0) * i1
        }
        let meanKeys = Double(keys) / Double(max(T, 1))
        let forward = 2 * matmul + 2 * Double(C * V) + 4 * Double(L) * Double(C) * meanKeys
        return 3 * forward
    }
}
