/// BERT encoder with masked-LM head (`BertForMaskedLM` semantics), generic over the scalar.
///
/// `h0 = LN(word[ids] + pos[t] + type[tt])`; per layer (post-LN): `h1 = LN(h + attn(h))`,
/// `h2 = LN(h1 + W_out gelu(W_in h1))`; head on the positions with a label (others cost nothing
/// and contribute nothing): `t = LN(gelu(W_t h))`, `logits = t · word^T + bias`; loss = mean CE
/// over labels != -100.
final class _Bert<F: ModelScalar> {
    let config: BertConfig
    let params: _Parameters<F>
    private let C: Int, L: Int, H: Int, V: Int, I: Int
    private let eps: F
    private let gelu: GELUKind

    struct Layer { var qkvw, qkvb, ow, ob, ln1w, ln1b, iw, ib, outw, outb, ln2w, ln2b: Int }
    private let word: Int, pos: Int, type: Int, elnw: Int, elnb: Int
    private let tw: Int, tb: Int, tlnw: Int, tlnb: Int, decb: Int
    private let layers: [Layer]

    init(config: BertConfig) throws {
        try config.validate()
        self.config = config
        C = config.hiddenSize; L = config.numHiddenLayers; H = config.numAttentionHeads; V = config.vocabSize
        I = config.intermediateSize; eps = F(config.layerNormEps); gelu = config.gelu
        var b = _LayoutBuilder()
        let e = "bert.embeddings."
        word = b.add(e + "word_embeddings.weight", [V, C], decay: false)
        pos = b.add(e + "position_embeddings.weight", [config.maxPositionEmbeddings, C], decay: false)
        type = b.add(e + "token_type_embeddings.weight", [config.typeVocabSize, C], decay: false)
        elnw = b.add(e + "LayerNorm.weight", [C], decay: false)
        elnb = b.add(e + "LayerNorm.bias", [C], decay: false)
        var ls: [Layer] = []
        for l in 0..<L {
            let p = "bert.encoder.layer.\(l)."
            // query, key, value weights are adjacent, so together they form one [3C, C] matrix
            // (and their biases one [3C] vector): the q|k|v projection is a single GEMM.
            let qw = b.add(p + "attention.self.query.weight", [C, C], decay: true)
            b.add(p + "attention.self.key.weight", [C, C], decay: true)
            b.add(p + "attention.self.value.weight", [C, C], decay: true)
            let qb = b.add(p + "attention.self.query.bias", [C], decay: false)
            b.add(p + "attention.self.key.bias", [C], decay: false)
            b.add(p + "attention.self.value.bias", [C], decay: false)
            ls.append(Layer(
                qkvw: qw, qkvb: qb,
                ow: b.add(p + "attention.output.dense.weight", [C, C], decay: true),
                ob: b.add(p + "attention.output.dense.bias", [C], decay: false),
                ln1w: b.add(p + "attention.output.LayerNorm.weight", [C], decay: false),
                ln1b: b.add(p + "attention.output.LayerNorm.bias", [C], decay: false),
                iw: b.add(p + "intermediate.dense.weight", [I, C], decay: true),
                ib: b.add(p + "intermediate.dense.bias", [I], decay: false),
                outw: b.add(p + "output.dense.weight", [C, I], decay: true),
                outb: b.add(p + "output.dense.bias", [C], decay: false),
                ln2w: b.add(p + "output.LayerNorm.weight", [C], decay: false),
                ln2b: b.add(p + "output.LayerNorm.bias", [C], decay: false)))
        }
        layers = ls
        tw = b.add("cls.predictions.transform.dense.weight", [C, C], decay: true)
        tb = b.add("cls.predictions.transform.dense.bias", [C], decay: false)
        tlnw = b.add("cls.predictions.transform.LayerNorm.weight", [C], decay: false)
        tlnb = b.add("cls.predictions.transform.LayerNorm.bias", [C], decay: false)
        decb = b.add("cls.predictions.bias", [V], decay: false)
        params = _Parameters(specs: b.specs)
    }

    /// BERT initialization (`BertPreTrainedModel._init_weights`): N(0, 0.02^2) for weights and
    /// embeddings, zero biases, LayerNorm weight 1 (the padding row is not zeroed: no padding_idx
    /// gradient masking is implemented, and HF's own MLM pretraining init zeroes it only once).
    func initialize(seed: UInt64) {
        var rng = _InitRNG(seed: seed)
        params.values.zero()
        for s in params.specs {
            if s.name.hasSuffix("LayerNorm.weight") { params.fill(s.name, 1) }
            else if s.shape.count == 2 { params.fillNormal(s.name, std: config.initializerRange, rng: &rng) }
        }
    }

    /// Rows per MLM-decoder chunk: each chunk's logits (rows, V) are computed, turned into their
    /// gradient and consumed by the decoder's backward GEMMs before the next chunk, so the (M, V)
    /// logits are never stored (tests set small values to exercise several chunks).
    var headRows = 128 { didSet { head = nil } }

    /// Activations of one (B, T) shape, allocated once and reused. Kept for the backward pass:
    /// per layer q|k|v, the attention probabilities, the context, the two LayerNorm inputs and
    /// outputs (+ statistics), and the pre-GELU intermediate (the backward pass overwrites it with the
    /// GELU slope); the layer outputs `h`. Not kept: the embedding sum and the GELU output (recomputed
    /// in the backward pass into the scratch `x`).
    private final class Acts {
        let B: Int, T: Int
        let buffer: _Buffer<F>
        var embm = 0, embr = 0
        var h: [Int] = []  // h[0] = embeddings after LN; h[l+1] = output of layer l
        var qkv: [Int] = [], att: [Int] = [], ctx: [Int] = [], a: [Int] = [], h1: [Int] = [], ln1m: [Int] = [], ln1r: [Int] = []
        var inter: [Int] = [], o: [Int] = [], ln2m: [Int] = [], ln2r: [Int] = []
        /// Scratch (N, max(I, 4C)): the embedding sum; a layer's GELU output (forward, and recomputed
        /// in the backward pass), then d(intermediate); d(context) | d(q|k|v) in the attention backward.
        var x = 0
        var dres = 0, dtmp = 0, datt = 0
        /// N zeros: the token types of a batch that gives none (allocated once per shape, not per step).
        let zeroTypes: UnsafeMutablePointer<Int32>

        init(B: Int, T: Int, C: Int, H: Int, I: Int, L: Int) {
            self.B = B; self.T = T
            let N = B * T
            var r = _Arena<F>()
            embm = r.reserve(N); embr = r.reserve(N)
            for _ in 0...L { h.append(r.reserve(N * C)) }
            for _ in 0..<L {
                qkv.append(r.reserve(N * 3 * C)); att.append(r.reserve(B * H * T * T)); ctx.append(r.reserve(N * C))
                a.append(r.reserve(N * C)); h1.append(r.reserve(N * C)); ln1m.append(r.reserve(N)); ln1r.append(r.reserve(N))
                inter.append(r.reserve(N * I)); o.append(r.reserve(N * C)); ln2m.append(r.reserve(N)); ln2r.append(r.reserve(N))
            }
            x = r.reserve(N * Swift.max(I, 4 * C))
            dres = r.reserve(N * C); dtmp = r.reserve(N * C); datt = r.reserve(H * T * T)
            buffer = _Buffer(count: r.total)
            zeroTypes = .allocate(capacity: Swift.max(N, 1)); zeroTypes.initialize(repeating: 0, count: N)
        }
        deinit { zeroTypes.deallocate() }
    }

    /// The MLM head's buffers for up to `capacity` labelled rows (grown, with headroom, when a batch
    /// has more; dynamic masking varies M from step to step).
    private final class Head {
        let capacity: Int, rowsPerChunk: Int
        let buffer: _Buffer<F>
        var g = 0, t = 0, tg = 0, tl = 0, tlm = 0, tlr = 0, dg = 0, dt = 0, logits = 0
        let rows: UnsafeMutablePointer<Int>, targets: UnsafeMutablePointer<Int32>

        init(capacity: Int, rowsPerChunk: Int, C: Int, V: Int) {
            self.capacity = capacity; self.rowsPerChunk = rowsPerChunk
            var r = _Arena<F>()
            g = r.reserve(capacity * C); t = r.reserve(capacity * C); tg = r.reserve(capacity * C); tl = r.reserve(capacity * C)
            tlm = r.reserve(capacity); tlr = r.reserve(capacity); dg = r.reserve(capacity * C); dt = r.reserve(capacity * C)
            logits = r.reserve(Swift.min(capacity, rowsPerChunk) * V)
            buffer = _Buffer(count: r.total)
            rows = .allocate(capacity: capacity); targets = .allocate(capacity: capacity)
        }
        deinit { rows.deallocate(); targets.deallocate() }
    }
    private var acts: Acts?
    private var head: Head?

    private func activations(B: Int, T: Int) -> Acts {
        if let a = acts, a.B == B, a.T == T { return a }
        acts = nil  // free the old set first
        let a = Acts(B: B, T: T, C: C, H: H, I: I, L: L)
        acts = a
        return a
    }

    private func headBuffers(M: Int) -> Head {
        if let h = head, h.capacity >= M { return h }
        let capacity = (M + M / 8 + 63) / 64 * 64  // 1/8 headroom, whole 64-row blocks
        head = nil
        let h = Head(capacity: capacity, rowsPerChunk: Swift.max(1, headRows), C: C, V: V)
        head = h
        return h
    }

    /// The batch's token types, or the preallocated zeros when it gives none.
    private func _withTypes<R>(_ given: [Int32]?, _ zeros: UnsafeMutablePointer<Int32>,
                               _ body: (UnsafePointer<Int32>) -> R) -> R {
        guard let given else { return body(zeros) }
        return given.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func validate(_ batch: TokenBatch) throws {
        let T = batch.sequenceLength
        try _BatchCheck.shape(batch, maxLength: config.maxPositionEmbeddings)
        try _BatchCheck.ids(batch.inputIDs, name: "input_ids", below: V, T: T)
        guard let labels = batch.labels else { throw ModelError.batch("BERT needs labels (-100 where no prediction is made)") }
        try _BatchCheck.ids(labels, name: "labels", below: V, allowIgnore: true, T: T)
        if let tt = batch.tokenTypeIDs { try _BatchCheck.ids(tt, name: "token_type_ids", below: config.typeVocabSize, T: T) }
        if let m = batch.attentionMask { try _BatchCheck.ids(m, name: "attention_mask", below: 2, T: T) }
        if !labels.contains(where: { $0 != -100 }) { throw ModelError.batch("no position has a label (all labels are -100)") }
    }

    /// `x = word[ids] + pos[t] + type[tt]` (N, C).
    private func _embed(_ batch: TokenBatch, into x: UnsafeMutablePointer<F>, zeros: UnsafeMutablePointer<Int32>) {
        let P = params.values.pointer
        _withTypes(batch.tokenTypeIDs, zeros) { tt in batch.inputIDs.withUnsafeBufferPointer { ids in
            _Embedding.forward(out: x, ids: ids.baseAddress!, types: tt, wte: P + word, wpe: P + pos, wtt: P + type,
                               B: batch.batchSize, T: batch.sequenceLength, C: C)
        } }
    }

    func run(_ batch: TokenBatch, lossScale: F?) throws -> F {
        try validate(batch)
        let B = batch.batchSize, T = batch.sequenceLength, N = B * T
        let labels = batch.labels!
        let M = labels.reduce(0) { $0 + ($1 != -100 ? 1 : 0) }
        let a = activations(B: B, T: T), hd = headBuffers(M: M)
        let P = params.values.pointer, G = params.grads.pointer, A = a.buffer.pointer, Hb = hd.buffer.pointer
        var m = 0
        for n in 0..<N where labels[n] != -100 { hd.rows[m] = n; hd.targets[m] = labels[n]; m += 1 }

        let mask: [Int32]? = batch.attentionMask
        let X = A + a.x
        _embed(batch, into: X, zeros: a.zeroTypes)
        _LayerNorm.forward(out: A + a.h[0], mean: A + a.embm, rstd: A + a.embr, inp: X, weight: P + elnw, bias: P + elnb,
                           N: N, C: C, eps: eps)
        for l in 0..<L {
            let w = layers[l]
            _Linear.forward(out: A + a.qkv[l], ldo: 3 * C, inp: A + a.h[l], ldi: C, weight: P + w.qkvw, bias: P + w.qkvb,
                            N: N, IC: C, OC: 3 * C, layout: .outIn, accumulate: false)
            if let mask {
                mask.withUnsafeBufferPointer { mk in
                    _Attention.forward(out: A + a.ctx[l], att: A + a.att[l], qkv: A + a.qkv[l], keyMask: mk.baseAddress!,
                                       causal: false, B: B, T: T, C: C, H: H)
                }
            } else {
                _Attention.forward(out: A + a.ctx[l], att: A + a.att[l], qkv: A + a.qkv[l], keyMask: nil, causal: false,
                                   B: B, T: T, C: C, H: H)
            }
            (A + a.a[l]).update(from: A + a.h[l], count: N * C)
            _Linear.forward(out: A + a.a[l], ldo: C, inp: A + a.ctx[l], ldi: C, weight: P + w.ow, bias: P + w.ob,
                            N: N, IC: C, OC: C, layout: .outIn, accumulate: true)
            _LayerNorm.forward(out: A + a.h1[l], mean: A + a.ln1m[l], rstd: A + a.ln1r[l], inp: A + a.a[l],
                               weight: P + w.ln1w, bias: P + w.ln1b, N: N, C: C, eps: eps)
            _Linear.forward(out: A + a.inter[l], ldo: I, inp: A + a.h1[l], ldi: C, weight: P + w.iw, bias: P + w.ib,
                            N: N, IC: C, OC: I, layout: .outIn, accumulate: false)
            _GELU.forward(out: X, inp: A + a.inter[l], count: N * I, kind: gelu)
            (A + a.o[l]).update(from: A + a.h1[l], count: N * C)
            _Linear.forward(out: A + a.o[l], ldo: C, inp: X, ldi: I, weight: P + w.outw, bias: P + w.outb,
                            N: N, IC: I, OC: C, layout: .outIn, accumulate: true)
            _LayerNorm.forward(out: A + a.h[l + 1], mean: A + a.ln2m[l], rstd: A + a.ln2r[l], inp: A + a.o[l],
                               weight: P + w.ln2w, bias: P + w.ln2b, N: N, C: C, eps: eps)
        }
        // MLM head on the M labelled rows only.
        let hL = A + a.h[L]
        for i in 0..<M { (Hb + hd.g + i * C).update(from: hL + hd.rows[i] * C, count: C) }
        _Linear.forward(out: Hb + hd.t, ldo: C, inp: Hb + hd.g, ldi: C, weight: P + tw, bias: P + tb, N: M, IC: C, OC: C,
                        layout: .outIn, accumulate: false)
        _GELU.forward(out: Hb + hd.tg, inp: Hb + hd.t, count: M * C, kind: gelu)
        _LayerNorm.forward(out: Hb + hd.tl, mean: Hb + hd.tlm, rstd: Hb + hd.tlr, inp: Hb + hd.tg, weight: P + tlnw, bias: P + tlnb,
                           N: M, C: C, eps: eps)
        // Decoder + loss (+ the decoder's backward) in chunks of rows.
        var sum = 0.0
        for r0 in stride(from: 0, to: M, by: hd.rowsPerChunk) {
            let rows = Swift.min(hd.rowsPerChunk, M - r0)
            _Linear.forward(out: Hb + hd.logits, ldo: V, inp: Hb + hd.tl + r0 * C, ldi: C, weight: P + word, bias: P + decb,
                            N: rows, IC: C, OC: V, layout: .outIn, accumulate: false)
            sum += _SoftmaxCrossEntropy.run(logits: Hb + hd.logits, targets: hd.targets + r0, N: rows, V: V,
                                            gradScale: lossScale, count: M).sum
            if lossScale != nil {
                _Linear.backward(dinp: Hb + hd.dt + r0 * C, lddi: C, dweight: G + word, dbias: G + decb, dout: Hb + hd.logits,
                                 lddo: V, inp: Hb + hd.tl + r0 * C, ldi: C, weight: P + word, N: rows, IC: C, OC: V,
                                 layout: .outIn, accumulateInput: false)
            }
        }
        let loss = F(sum / Double(M))
        guard lossScale != nil else { return loss }

        // Backward through the rest of the head.
        _LayerNorm.backward(dinp: Hb + hd.dg, dweight: G + tlnw, dbias: G + tlnb, dout: Hb + hd.dt, inp: Hb + hd.tg, weight: P + tlnw,
                            mean: Hb + hd.tlm, rstd: Hb + hd.tlr, N: M, C: C, accumulate: false)
        _GELU.backward(dinp: Hb + hd.dg, inp: Hb + hd.t, dout: Hb + hd.dg, count: M * C, kind: gelu)
        _Linear.backward(dinp: Hb + hd.dt, lddi: C, dweight: G + tw, dbias: G + tb, dout: Hb + hd.dg, lddo: C, inp: Hb + hd.g, ldi: C,
                         weight: P + tw, N: M, IC: C, OC: C, layout: .outIn, accumulateInput: false)
        let dres = A + a.dres, dtmp = A + a.dtmp
        dres.update(repeating: 0, count: N * C)
        for i in 0..<M { (dres + hd.rows[i] * C).update(from: Hb + hd.dt + i * C, count: C) }

        // Encoder layers; dres = d(output of layer l) on entry.
        for l in stride(from: L - 1, through: 0, by: -1) {
            let w = layers[l]
            _LayerNorm.backward(dinp: dtmp, dweight: G + w.ln2w, dbias: G + w.ln2b, dout: dres, inp: A + a.o[l], weight: P + w.ln2w,
                                mean: A + a.ln2m[l], rstd: A + a.ln2r[l], N: N, C: C, accumulate: false)
            // The GELU output again (not kept) into X, its slope over the intermediate (not needed after
            // this), then d(GELU output) written over X (the weight gradient reads X first) times the slope.
            _GELU.valueAndSlope(out: X, inputToSlope: A + a.inter[l], count: N * I, kind: gelu)
            _Linear.backward(dinp: X, lddi: I, dweight: G + w.outw, dbias: G + w.outb, dout: dtmp, lddo: C, inp: X,
                             ldi: I, weight: P + w.outw, N: N, IC: I, OC: C, layout: .outIn, accumulateInput: false)
            _GELU.applySlope(X, slope: A + a.inter[l], count: N * I)
            dres.update(from: dtmp, count: N * C)  // residual path into h1
            _Linear.backward(dinp: dres, lddi: C, dweight: G + w.iw, dbias: G + w.ib, dout: X, lddo: I, inp: A + a.h1[l], ldi: C,
                             weight: P + w.iw, N: N, IC: C, OC: I, layout: .outIn, accumulateInput: true)
            _LayerNorm.backward(dinp: dtmp, dweight: G + w.ln1w, dbias: G + w.ln1b, dout: dres, inp: A + a.a[l], weight: P + w.ln1w,
                                mean: A + a.ln1m[l], rstd: A + a.ln1r[l], N: N, C: C, accumulate: false)
            // dtmp = d(a); its residual part goes to h[l], the rest through the output dense and attention.
            dres.update(from: dtmp, count: N * C)
            let dctx = X, dqkv = X + N * C  // (N,C) then (N,3C) in the scratch
            _Linear.backward(dinp: dctx, lddi: C, dweight: G + w.ow, dbias: G + w.ob, dout: dtmp, lddo: C, inp: A + a.ctx[l], ldi: C,
                             weight: P + w.ow, N: N, IC: C, OC: C, layout: .outIn, accumulateInput: false)
            _Attention.backward(dqkv: dqkv, datt: A + a.datt, dout: dctx, att: A + a.att[l], qkv: A + a.qkv[l],
                                causal: false, B: B, T: T, C: C, H: H)
            _Linear.backward(dinp: dres, lddi: C, dweight: G + w.qkvw, dbias: G + w.qkvb, dout: dqkv, lddo: 3 * C, inp: A + a.h[l],
                             ldi: C, weight: P + w.qkvw, N: N, IC: C, OC: 3 * C, layout: .outIn, accumulateInput: true)
        }
        _embed(batch, into: X, zeros: a.zeroTypes)  // the embedding sum again (not kept)
        _LayerNorm.backward(dinp: dtmp, dweight: G + elnw, dbias: G + elnb, dout: dres, inp: X, weight: P + elnw,
                            mean: A + a.embm, rstd: A + a.embr, N: N, C: C, accumulate: false)
        _withTypes(batch.tokenTypeIDs, a.zeroTypes) { tt in batch.inputIDs.withUnsafeBufferPointer { ids in
            _Embedding.backward(dwte: G + word, dwpe: G + pos, dwtt: G + type, dout: dtmp, ids: ids.baseAddress!, types: tt,
                                B: B, T: T, C: C)
        } }
        return loss
    }

    /// Training FLOPs per token at sequence length `T`, counting the MLM head on `maskedFraction` of the tokens
    /// (the head runs only on labelled positions): 3x the forward's `2·(encoder matrix parameters)
    /// + 4·L·T·C + maskedFraction·(2·C·C + 2·C·V)`.
    func trainingFLOPsPerToken(sequenceLength T: Int, maskedFraction: Double = 0.15) -> Double {
        let matmul = Double(L) * Double(4 * C * C + 2 * C * I)
        let forward = 2 * matmul + 4 * Double(L) * Double(T) * Double(C) + maskedFraction * Double(2 * C * C + 2 * C * V)
        return 3 * forward
    }
}
