/// GPT-2 decoder with tied LM head (`GPT2LMHeadModel` semantics), generic over the scalar so the
/// same code runs in `Float` (training) and `Double` (finite-difference oracle).
///
/// Per layer (pre-LN): `x += attn(ln_1(x))`, `x += mlp(ln_2(x))`; then `ln_f`, `logits = h · wte^T`,
/// loss = mean CE of `logits[:, t]` against `labels[:, t+1]` (shift inside; -100 ignored).
final class GPT2Core<F: ModelScalar> {
    let config: GPT2Config
    let params: ParameterStore<F>
    private let C: Int, L: Int, H: Int, V: Int, I: Int
    private let eps: F
    private let gelu: GELUKind

    struct Layer { var ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcpw, fcpb: Int }
    private let wte: Int, wpe: Int, lnfw: Int, lnfb: Int
    private let layers: [Layer]

    init(config: GPT2Config) throws {
        try config.validate()
        self.config = config
        C = config.nEmbd; L = config.nLayer; H = config.nHead; V = config.vocabSize; I = config.innerSize
        eps = F(config.layerNormEpsilon); gelu = config.gelu
        var b = LayoutBuilder()
        wte = b.add("transformer.wte.weight", [V, C], decay: false)
        wpe = b.add("transformer.wpe.weight", [config.nPositions, C], decay: false)
        var ls: [Layer] = []
        for l in 0..<L {
            let p = "transformer.h.\(l)."
            ls.append(Layer(
                ln1w: b.add(p + "ln_1.weight", [C], decay: false), ln1b: b.add(p + "ln_1.bias", [C], decay: false),
                qkvw: b.add(p + "attn.c_attn.weight", [C, 3 * C], decay: true), qkvb: b.add(p + "attn.c_attn.bias", [3 * C], decay: false),
                projw: b.add(p + "attn.c_proj.weight", [C, C], decay: true), projb: b.add(p + "attn.c_proj.bias", [C], decay: false),
                ln2w: b.add(p + "ln_2.weight", [C], decay: false), ln2b: b.add(p + "ln_2.bias", [C], decay: false),
                fcw: b.add(p + "mlp.c_fc.weight", [C, I], decay: true), fcb: b.add(p + "mlp.c_fc.bias", [I], decay: false),
                fcpw: b.add(p + "mlp.c_proj.weight", [I, C], decay: true), fcpb: b.add(p + "mlp.c_proj.bias", [C], decay: false)))
        }
        layers = ls
        lnfw = b.add("transformer.ln_f.weight", [C], decay: false)
        lnfb = b.add("transformer.ln_f.bias", [C], decay: false)
        params = ParameterStore(specs: b.specs)
    }

    /// GPT-2 initialization as in `GPT2PreTrainedModel._init_weights`: N(0, 0.02^2) for weights and
    /// embeddings, `c_proj` weights with std 0.02/sqrt(2 n_layer), zero biases, LayerNorm weight 1.
    func initialize(seed: UInt64) {
        var rng = _InitRNG(seed: seed)
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

    /// Buffers for one (B, T); rebuilt when the shape changes.
    /// Rows per LM-head chunk (tests set small values to exercise several chunks).
    var headRows = 256 { didSet { acts = nil } }

    private final class Acts {
        let B: Int, T: Int, workers: Int
        let buffer: AlignedBuffer<F>
        var res: [Int] = [], ln1: [Int] = [], ln1m: [Int] = [], ln1r: [Int] = [], qkv: [Int] = [], att: [Int] = []
        var atty: [Int] = [], res2: [Int] = [], ln2: [Int] = [], ln2m: [Int] = [], ln2r: [Int] = [], fc: [Int] = [], fcg: [Int] = []
        var lnf = 0, lnfm = 0, lnfr = 0
        var dres = 0, dtmp = 0, dfc = 0
        /// Per worker: LM-head logits chunk (headRows, V) and attention scratch (H, T, T).
        var logits: [Int] = [], datt: [Int] = []
        /// Gradients of slices 1..<workers (slice 0 adds into the model's own).
        let extraGrads: [AlignedBuffer<F>]
        let targets: UnsafeMutablePointer<Int32>

        init(B: Int, T: Int, C: Int, H: Int, V: Int, I: Int, L: Int, headRows: Int, workers: Int, parameters: Int) {
            self.B = B; self.T = T; self.workers = workers
            let N = B * T
            var a = Arena<F>()
            for _ in 0...L { res.append(a.reserve(N * C)) }
            for _ in 0..<L {
                ln1.append(a.reserve(N * C)); ln1m.append(a.reserve(N)); ln1r.append(a.reserve(N))
                qkv.append(a.reserve(N * 3 * C)); att.append(a.reserve(B * H * T * T)); atty.append(a.reserve(N * C))
                res2.append(a.reserve(N * C)); ln2.append(a.reserve(N * C)); ln2m.append(a.reserve(N)); ln2r.append(a.reserve(N))
                fc.append(a.reserve(N * I)); fcg.append(a.reserve(N * I))
            }
            lnf = a.reserve(N * C); lnfm = a.reserve(N); lnfr = a.reserve(N)
            // Backward scratch: dfc (N, max(I, 3C)) also holds d(qkv) once the MLP's backward is done.
            dres = a.reserve(N * C); dtmp = a.reserve(N * C); dfc = a.reserve(N * Swift.max(I, 3 * C))
            let rowsPerWorker = (B + workers - 1) / workers * T
            for _ in 0..<workers {
                logits.append(a.reserve(Swift.min(rowsPerWorker, headRows) * V)); datt.append(a.reserve(H * T * T))
            }
            buffer = AlignedBuffer(count: a.total)
            extraGrads = (1..<Swift.max(workers, 1)).map { _ in AlignedBuffer(count: parameters) }
            targets = .allocate(capacity: N)
        }
        deinit { targets.deallocate() }
    }
    private var acts: Acts?

    private func activations(B: Int, T: Int, workers: Int) -> Acts {
        if let a = acts, a.B == B, a.T == T, a.workers == workers { return a }
        acts = nil  // free the old set first
        let a = Acts(B: B, T: T, C: C, H: H, V: V, I: I, L: L, headRows: headRows, workers: workers,
                     parameters: params.grads.count)
        acts = a
        return a
    }

    // MARK: forward / backward

    func validate(_ batch: TokenBatch) throws {
        try BatchCheck.shape(batch, maxLength: config.nPositions)
        if batch.attentionMask != nil || batch.tokenTypeIDs != nil {
            throw ModelError.batch("GPT-2 takes no attention_mask or token_type_ids (every sequence is full length)")
        }
        try BatchCheck.ids(batch.inputIDs, name: "input_ids", below: V, T: batch.sequenceLength)
        if let l = batch.labels { try BatchCheck.ids(l, name: "labels", below: V, allowIgnore: true, T: batch.sequenceLength) }
        let labels = batch.labels ?? batch.inputIDs
        let T = batch.sequenceLength
        var any = false
        for b in 0..<batch.batchSize { for t in 1..<max(T, 1) where labels[b * T + t] != -100 { any = true } }
        if !any { throw ModelError.batch("no position has a next-token label (all labels after the first are -100, or length 1)") }
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
    func run(_ batch: TokenBatch, lossScale: F?) throws -> F {
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
        let sum = batch.inputIDs.withUnsafeBufferPointer { idBuffer in
            let ids = idBuffer.baseAddress!
            return Parallel.slicedSum(W, grads: params.grads.pointer, extra: a.extraGrads, backward: lossScale != nil) { i, grads in
                self.runSlice(a, rows: (i * B / W)..<((i + 1) * B / W), worker: i, ids: ids, grads: grads,
                            lossScale: lossScale, count: count)
            }
        }
        return F(sum / Double(count))
    }

    /// Forward (and backward when `lossScale != nil`) of batch rows `rows`, on `worker`'s scratch,
    /// adding gradients into `grads`; returns the slice's summed loss (the mean divides by `count`).
    private func runSlice(_ a: Acts, rows: Range<Int>, worker: Int, ids: UnsafePointer<Int32>, grads G: UnsafeMutablePointer<F>,
                        lossScale: F?, count: Int) -> Double {
        let T = a.T, B = rows.count, N = B * T, n0 = rows.lowerBound * T
        let P = params.values.pointer, A = a.buffer.pointer
        // Row-indexed activations of this slice start n0 rows in; attention probabilities b0 (H,T,T) blocks in.
        func row(_ off: Int, _ width: Int) -> UnsafeMutablePointer<F> { A + off + n0 * width }
        let attOffset = rows.lowerBound * H * T * T
        Embedding.forward(out: row(a.res[0], C), ids: ids + n0, types: nil, wte: P + wte, wpe: P + wpe, wtt: nil, B: B, T: T, C: C)
        for l in 0..<L {
            let w = layers[l]
            LayerNorm.forward(out: row(a.ln1[l], C), mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), inp: row(a.res[l], C),
                               weight: P + w.ln1w, bias: P + w.ln1b, N: N, C: C, eps: eps)
            Linear.forward(out: row(a.qkv[l], 3 * C), ldo: 3 * C, inp: row(a.ln1[l], C), ldi: C, weight: P + w.qkvw, bias: P + w.qkvb,
                            N: N, IC: C, OC: 3 * C, layout: .inOut, accumulate: false)
            Attention.forward(out: row(a.atty[l], C), att: A + a.att[l] + attOffset, qkv: row(a.qkv[l], 3 * C), keyMask: nil,
                               causal: true, B: B, T: T, C: C, H: H)
            row(a.res2[l], C).update(from: row(a.res[l], C), count: N * C)
            Linear.forward(out: row(a.res2[l], C), ldo: C, inp: row(a.atty[l], C), ldi: C, weight: P + w.projw, bias: P + w.projb,
                            N: N, IC: C, OC: C, layout: .inOut, accumulate: true)
            LayerNorm.forward(out: row(a.ln2[l], C), mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), inp: row(a.res2[l], C),
                               weight: P + w.ln2w, bias: P + w.ln2b, N: N, C: C, eps: eps)
            Linear.forward(out: row(a.fc[l], I), ldo: I, inp: row(a.ln2[l], C), ldi: C, weight: P + w.fcw, bias: P + w.fcb,
                            N: N, IC: C, OC: I, layout: .inOut, accumulate: false)
            GELU.forward(out: row(a.fcg[l], I), inp: row(a.fc[l], I), count: N * I, kind: gelu)
            row(a.res[l + 1], C).update(from: row(a.res2[l], C), count: N * C)
            Linear.forward(out: row(a.res[l + 1], C), ldo: C, inp: row(a.fcg[l], I), ldi: I, weight: P + w.fcpw, bias: P + w.fcpb,
                            N: N, IC: I, OC: C, layout: .inOut, accumulate: true)
        }
        let lnf = row(a.lnf, C)
        LayerNorm.forward(out: lnf, mean: row(a.lnfm, 1), rstd: row(a.lnfr, 1), inp: row(a.res[L], C),
                           weight: P + lnfw, bias: P + lnfb, N: N, C: C, eps: eps)
        // LM head + loss in chunks of `headRows` rows: logits (rows,V) stay in cache from the GEMM through
        // softmax-CE to the two backward GEMMs, and the full (N,V) logits are never stored.
        let dres = row(a.dres, C), dtmp = row(a.dtmp, C)  // dres carries d(residual stream); dtmp is scratch (N,C)
        let logits = A + a.logits[worker], targets = a.targets + n0
        var sum = 0.0
        for r0 in stride(from: 0, to: N, by: headRows) {
            let rows = min(headRows, N - r0)
            Linear.forward(out: logits, ldo: V, inp: lnf + r0 * C, ldi: C, weight: P + wte, bias: nil,
                            N: rows, IC: C, OC: V, layout: .outIn, accumulate: false)
            sum += SoftmaxCrossEntropy.run(logits: logits, targets: targets + r0, N: rows, V: V, gradScale: lossScale,
                                            count: count).sum
            if lossScale != nil {
                Linear.backward(dinp: dtmp + r0 * C, lddi: C, dweight: G + wte, dbias: nil, dout: logits, lddo: V,
                                 inp: lnf + r0 * C, ldi: C, weight: P + wte, N: rows, IC: C, OC: V, layout: .outIn,
                                 accumulateInput: false)
            }
        }
        guard lossScale != nil else { return sum }

        // Backward.
        LayerNorm.backward(dinp: dres, dweight: G + lnfw, dbias: G + lnfb, dout: dtmp, inp: row(a.res[L], C), weight: P + lnfw,
                            mean: row(a.lnfm, 1), rstd: row(a.lnfr, 1), N: N, C: C, accumulate: false)
        // The MLP's d(fc) (rows, I) and later d(qkv) (rows, 3C) share this slice's part of dfc.
        let dfc = A + a.dfc + n0 * Swift.max(I, 3 * C)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let w = layers[l]
            Linear.backward(dinp: dfc, lddi: I, dweight: G + w.fcpw, dbias: G + w.fcpb, dout: dres, lddo: C, inp: row(a.fcg[l], I), ldi: I,
                             weight: P + w.fcpw, N: N, IC: I, OC: C, layout: .inOut, accumulateInput: false)
            GELU.backward(dinp: dfc, inp: row(a.fc[l], I), dout: dfc, count: N * I, kind: gelu)
            Linear.backward(dinp: dtmp, lddi: C, dweight: G + w.fcw, dbias: G + w.fcb, dout: dfc, lddo: I, inp: row(a.ln2[l], C), ldi: C,
                             weight: P + w.fcw, N: N, IC: C, OC: I, layout: .inOut, accumulateInput: false)
            LayerNorm.backward(dinp: dres, dweight: G + w.ln2w, dbias: G + w.ln2b, dout: dtmp, inp: row(a.res2[l], C), weight: P + w.ln2w,
                                mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), N: N, C: C, accumulate: true)
            Linear.backward(dinp: dtmp, lddi: C, dweight: G + w.projw, dbias: G + w.projb, dout: dres, lddo: C, inp: row(a.atty[l], C), ldi: C,
                             weight: P + w.projw, N: N, IC: C, OC: C, layout: .inOut, accumulateInput: false)
            let dqkv = dfc  // the MLP's scratch is free again
            Attention.backward(dqkv: dqkv, datt: A + a.datt[worker], dout: dtmp, att: A + a.att[l] + attOffset, qkv: row(a.qkv[l], 3 * C),
                                causal: true, B: B, T: T, C: C, H: H)
            Linear.backward(dinp: dtmp, lddi: C, dweight: G + w.qkvw, dbias: G + w.qkvb, dout: dqkv, lddo: 3 * C, inp: row(a.ln1[l], C), ldi: C,
                             weight: P + w.qkvw, N: N, IC: C, OC: 3 * C, layout: .inOut, accumulateInput: false)
            LayerNorm.backward(dinp: dres, dweight: G + w.ln1w, dbias: G + w.ln1b, dout: dtmp, inp: row(a.res[l], C), weight: P + w.ln1w,
                                mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), N: N, C: C, accumulate: true)
        }
        Embedding.backward(dwte: G + wte, dwpe: G + wpe, dwtt: nil, dout: dres, ids: ids + n0, types: nil, B: B, T: T, C: C)
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
