import Base

// Shapes: B batch rows (of one slice, in the kernels), T positions, C channels (hidden_size), NH heads,
// HS = C/NH head size, I intermediate width, V vocabulary, L layers, N = B·T rows, M labelled rows,
// R decoder chunk rows.

/// BERT encoder with masked-LM head (`BertForMaskedLM` semantics), generic over the scalar.
///
/// `h0 = LN(word[ids] + pos[t] + type[tt])`; per layer (post-LN): `h1 = LN(h + attn(h))`,
/// `h2 = LN(h1 + W_out gelu(W_in h1))`; head on the positions with a label (others cost nothing
/// and contribute nothing): `t = LN(gelu(W_t h))`, `logits = t · word^T + bias`; loss = mean CE
/// over labels != -100.
final class BertCore<F: ModelScalar> {
    let config: BertConfig
    let params: ParameterStore<F>
    private let C: Int, L: Int, NH: Int, V: Int, I: Int
    private let eps: F
    private let gelu: GELUKind

    /// Offsets of one layer's tensors in the flat parameter buffer (checkpoint name in the comment).
    struct Layer {
        var qkvw, qkvb: Int  // attention.self.{query,key,value}.weight (3C, C), .bias (3C), adjacent
        var ow, ob: Int  // attention.output.dense.weight (C, C), .bias (C)
        var ln1w, ln1b: Int  // attention.output.LayerNorm.{weight,bias} (C)
        var iw, ib: Int  // intermediate.dense.weight (I, C), .bias (I)
        var outw, outb: Int  // output.dense.weight (C, I), .bias (C)
        var ln2w, ln2b: Int  // output.LayerNorm.{weight,bias} (C)
    }
    private let word: Int, pos: Int, type: Int, elnw: Int, elnb: Int
    private let tw: Int, tb: Int, tlnw: Int, tlnb: Int, decb: Int
    private let layers: [Layer]

    init(config: BertConfig) throws {
        try config.validate()
        // Parameters, gradients and AdamW moments alone must fit (commands check the whole training first).
        try MemoryEstimate.bertTraining(config, batch: 0, sequence: 0)
            .check("model (num_hidden_layers \(config.numHiddenLayers), hidden_size \(config.hiddenSize), vocab \(config.vocabSize))")
        self.config = config
        C = config.hiddenSize; L = config.numHiddenLayers; NH = config.numAttentionHeads; V = config.vocabSize
        I = config.intermediateSize; eps = F(config.layerNormEps); gelu = config.gelu
        var b = LayoutBuilder()
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
        params = ParameterStore(specs: b.specs)
    }

    /// BERT initialization (`BertPreTrainedModel._init_weights`): N(0, 0.02^2) for weights and
    /// embeddings, zero biases, LayerNorm weight 1 (the padding row is not zeroed: no padding_idx
    /// gradient masking is implemented, and HF's own MLM pretraining init zeroes it only once).
    func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        params.values.zero()
        for s in params.specs {
            if s.name.hasSuffix("LayerNorm.weight") { params.fill(s.name, 1) }
            else if s.shape.count == 2 { params.fillNormal(s.name, std: config.initializerRange, rng: &rng) }
        }
    }

    /// Rows per MLM-decoder chunk: each chunk's logits (R, V) are computed, turned into their
    /// gradient and consumed by the decoder's backward GEMMs before the next chunk, so the (M, V)
    /// logits are never stored (tests set small values to exercise several chunks).
    var headRows = MemoryEstimate.bertHeadRows { didSet { heads = [] } }

    /// Activations of one (B, T) shape of the whole batch, as offsets into one arena, allocated once
    /// and reused. Kept for the backward pass: per layer q|k|v, the attention probabilities, the
    /// context, the two LayerNorm inputs and outputs (+ statistics), and the pre-GELU intermediate
    /// (the backward pass overwrites it with the GELU slope); the layer outputs `h`. Not kept: the
    /// embedding sum and the GELU output (recomputed in the backward pass into the scratch `x`).
    final class Acts {
        let B: Int, T: Int, workers: Int
        let buffer: AlignedBuffer<F>
        var embm = 0  // (B, T) embedding LayerNorm mean
        var embr = 0  // (B, T) embedding LayerNorm rstd
        var h: [Int] = []  // (L+1) x (B, T, C): h[0] embeddings after LN, h[l+1] output of layer l
        var qkv: [Int] = []  // L x (B, T, 3C) q | k | v
        var att: [Int] = []  // L x (B, NH, T, T) attention probabilities
        var ctx: [Int] = []  // L x (B, T, C) attention context, heads merged
        var a: [Int] = []  // L x (B, T, C) h + attention output (input of the first LayerNorm)
        var h1: [Int] = []  // L x (B, T, C) first LayerNorm output
        var ln1m: [Int] = []  // L x (B, T) first LayerNorm mean
        var ln1r: [Int] = []  // L x (B, T) first LayerNorm rstd
        var inter: [Int] = []  // L x (B, T, I) pre-GELU intermediate (its GELU slope in the backward)
        var o: [Int] = []  // L x (B, T, C) h1 + output dense (input of the second LayerNorm)
        var ln2m: [Int] = []  // L x (B, T) second LayerNorm mean
        var ln2r: [Int] = []  // L x (B, T) second LayerNorm rstd
        /// (B, T, max(I, 4C)) scratch: the embedding sum; a layer's GELU output (forward, and recomputed
        /// in the backward pass), then d(intermediate); d(context) (B, T, C) | d(q|k|v) (B, T, 3C) in the
        /// attention backward.
        var x = 0
        var dres = 0  // (B, T, C) d(residual stream)
        var dtmp = 0  // (B, T, C) backward scratch
        var datt: [Int] = []  // per worker (NH, T, T) attention backward scratch (dP, dS)
        /// Gradients of slices 1..<workers (slice 0 adds into the model's own).
        let extraGrads: [AlignedBuffer<F>]
        /// (B, T) zeros: the token types of a batch that gives none (allocated once per shape, not per step).
        let zeroTypes: UnsafeMutablePointer<Int32>

        init(B: Int, T: Int, C: Int, NH: Int, I: Int, L: Int, workers: Int, parameters: Int) {
            self.B = B; self.T = T; self.workers = workers
            let N = B * T
            var r = Arena<F>()
            embm = r.reserve(N); embr = r.reserve(N)
            for _ in 0...L { h.append(r.reserve(N * C)) }
            for _ in 0..<L {
                qkv.append(r.reserve(N * 3 * C)); att.append(r.reserve(B * NH * T * T)); ctx.append(r.reserve(N * C))
                a.append(r.reserve(N * C)); h1.append(r.reserve(N * C))
                ln1m.append(r.reserve(N)); ln1r.append(r.reserve(N))
                inter.append(r.reserve(N * I)); o.append(r.reserve(N * C))
                ln2m.append(r.reserve(N)); ln2r.append(r.reserve(N))
            }
            x = r.reserve(N * Swift.max(I, 4 * C))
            dres = r.reserve(N * C); dtmp = r.reserve(N * C)
            for _ in 0..<workers { datt.append(r.reserve(NH * T * T)) }
            buffer = AlignedBuffer(count: r.total)
            extraGrads = (1..<Swift.max(workers, 1)).map { _ in AlignedBuffer(count: parameters) }
            zeroTypes = .allocate(capacity: Swift.max(N, 1)); zeroTypes.initialize(repeating: 0, count: N)
        }
        deinit { zeroTypes.deallocate() }
    }

    /// The MLM head's buffers for up to `capacity` labelled rows (grown, with headroom, when a batch
    /// has more; dynamic masking varies M from step to step). Shapes with M = `capacity`.
    private final class Head {
        let capacity: Int, rowsPerChunk: Int
        let buffer: AlignedBuffer<F>
        var g = 0  // (M, C) the labelled rows of h[L], gathered
        var t = 0  // (M, C) transform.dense output
        var tg = 0  // (M, C) its GELU
        var tl = 0  // (M, C) transform.LayerNorm output
        var tlm = 0  // (M) its mean
        var tlr = 0  // (M) its rstd
        var dg = 0  // (M, C) d(GELU output), then d(transform.dense output)
        var dt = 0  // (M, C) d(transform.LayerNorm output), then d(gathered rows)
        var logits = 0  // (R, V) decoder logits chunk, then their gradient
        /// Labelled rows of the current slice (slice-relative row indices in `rows`).
        var used = 0
        let rows: UnsafeMutablePointer<Int>  // (M) slice-relative row of each labelled position
        let targets: UnsafeMutablePointer<Int32>  // (M) its label

        init(capacity: Int, rowsPerChunk: Int, C: Int, V: Int) {
            self.capacity = capacity; self.rowsPerChunk = rowsPerChunk
            var r = Arena<F>()
            g = r.reserve(capacity * C); t = r.reserve(capacity * C)
            tg = r.reserve(capacity * C); tl = r.reserve(capacity * C)
            tlm = r.reserve(capacity); tlr = r.reserve(capacity)
            dg = r.reserve(capacity * C); dt = r.reserve(capacity * C)
            logits = r.reserve(Swift.min(capacity, rowsPerChunk) * V)
            buffer = AlignedBuffer(count: r.total)
            rows = .allocate(capacity: capacity); targets = .allocate(capacity: capacity)
        }
        deinit { rows.deallocate(); targets.deallocate() }
    }
    var acts: Acts?
    /// One head per worker (slice).
    private var heads: [Head] = []

    private func activations(B: Int, T: Int, workers: Int) -> Acts {
        if let a = acts, a.B == B, a.T == T, a.workers == workers { return a }
        acts = nil  // free the old set first
        let a = Acts(B: B, T: T, C: C, NH: NH, I: I, L: L, workers: workers, parameters: params.grads.count)
        acts = a
        return a
    }

    private func headBuffers(worker: Int, M: Int) -> Head {
        if worker < heads.count, heads[worker].capacity >= M { return heads[worker] }
        let capacity = (M + M / 8 + 63) / 64 * 64  // 1/8 headroom, whole 64-row blocks
        let h = Head(capacity: capacity, rowsPerChunk: Swift.max(1, headRows), C: C, V: V)
        if worker < heads.count { heads[worker] = h } else { heads.append(h) }
        return h
    }

    func validate(_ batch: TokenBatch) throws {
        let T = batch.sequenceLength
        try BatchCheck.shape(batch, maxLength: config.maxPositionEmbeddings)
        try BatchCheck.ids(batch.inputIDs, name: "input_ids", below: V, T: T)
        guard let labels = batch.labels else {
            throw ModelError.batch("BERT needs labels (-100 where no prediction is made)")
        }
        try BatchCheck.ids(labels, name: "labels", below: V, allowIgnore: true, T: T)
        if let tt = batch.tokenTypeIDs {
            try BatchCheck.ids(tt, name: "token_type_ids", below: config.typeVocabSize, T: T)
        }
        if let m = batch.attentionMask { try BatchCheck.ids(m, name: "attention_mask", below: 2, T: T) }
        if batch.lossWeights != nil { throw ModelError.batch("BERT takes no loss_weights (they are GPT-2 only)") }
        if !labels.contains(where: { $0 != -100 }) {
            throw ModelError.batch("no position has a label (all labels are -100)")
        }
    }

    /// Mean loss over the labelled positions; with `lossScale`, adds `lossScale · dloss/dparams` to the
    /// gradients. As GPT-2 (``GPT2Core/run(_:lossScale:)``): with W = min(OpenBLAS threads, B) > 1 the
    /// batch rows split into W slices that run forward and backward at once, one thread each (OpenBLAS
    /// at one thread), each with its own MLM head buffers over its own labelled rows; gradients of
    /// slices > 0 go to their own buffers, added in slice order; same thread count -> same bits.
    func run(_ batch: TokenBatch, lossScale: F?) throws -> F {
        try validate(batch)
        let B = batch.batchSize, T = batch.sequenceLength
        let labels = batch.labels!
        let M = labels.reduce(0) { $0 + ($1 != -100 ? 1 : 0) }
        let W = Swift.max(1, Swift.min(Parallel.workers, B))
        let a = activations(B: B, T: T, workers: W)
        var hds: [Head] = []
        for i in 0..<W {
            let n0 = i * B / W * T, n1 = (i + 1) * B / W * T
            let hd = headBuffers(worker: i, M: (n0..<n1).reduce(0) { $0 + (labels[$1] != -100 ? 1 : 0) })
            hd.used = 0
            for n in n0..<n1 where labels[n] != -100 {
                hd.rows[hd.used] = n - n0; hd.targets[hd.used] = labels[n]; hd.used += 1
            }
            hds.append(hd)
        }
        let ids = batch.inputIDs, mask = batch.attentionMask, types = batch.tokenTypeIDs
        let grads = params.grads.pointer, backward = lossScale != nil
        let sum = ids.withUnsafeBufferPointer { idb in (mask ?? []).withUnsafeBufferPointer { mkb in
            (types ?? []).withUnsafeBufferPointer { ttb in
                let ids = idb.baseAddress!, mk = mask == nil ? nil : mkb.baseAddress!
                let tt = types == nil ? UnsafePointer(a.zeroTypes) : ttb.baseAddress!
                return Parallel.slicedSum(W, grads: grads, extra: a.extraGrads, backward: backward) { i, grads in
                    self.runSlice(a, hds[i], rows: (i * B / W)..<((i + 1) * B / W), worker: i, ids: ids, types: tt,
                                  mask: mk, grads: grads, lossScale: lossScale, count: M)
                }
            }
        } }
        return F(sum / Double(M))
    }

    /// Forward (and backward with `lossScale`) of batch rows `rows` with head buffers `hd` (its labelled
    /// rows), on `worker`'s scratch, adding gradients into `grads`; returns the slice's summed loss.
    /// Inside, B is the slice's row count, N = B·T its rows and m its labelled rows.
    private func runSlice(_ a: Acts, _ hd: Head, rows: Range<Int>, worker: Int, ids: UnsafePointer<Int32>,
                          types: UnsafePointer<Int32>, mask: UnsafePointer<Int32>?, grads G: UnsafeMutablePointer<F>,
                          lossScale: F?, count M: Int) -> Double {
        let T = a.T, B = rows.count, N = B * T, n0 = rows.lowerBound * T
        let P = params.values.pointer, A = a.buffer.pointer, Hb = hd.buffer.pointer, m = hd.used
        func row(_ off: Int, _ width: Int) -> UnsafeMutablePointer<F> { A + off + n0 * width }
        let attOffset = rows.lowerBound * NH * T * T
        let X = row(a.x, Swift.max(I, 4 * C)), mk = mask.map { $0 + n0 }
        let attention = AttentionShape(B: B, T: T, NH: NH, HS: C / NH)
        let qkvShape = LinearShape(N: N, IC: C, OC: 3 * C, layout: .outIn)  // attention.self.{query,key,value}
        let oShape = LinearShape(N: N, IC: C, OC: C, layout: .outIn)  // attention.output.dense
        let iShape = LinearShape(N: N, IC: C, OC: I, layout: .outIn)  // intermediate.dense
        let outShape = LinearShape(N: N, IC: I, OC: C, layout: .outIn)  // output.dense
        let tShape = LinearShape(N: m, IC: C, OC: C, layout: .outIn)  // cls.predictions.transform.dense
        // x = word[ids] + pos[t] + type[tt] (B, T, C)
        func embed() {
            Embedding.forward(out: X, ids: ids + n0, types: types + n0, wte: P + word, wpe: P + pos, wtt: P + type,
                              B: B, T: T, C: C)
        }
        embed()
        LayerNorm.forward(out: row(a.h[0], C), mean: row(a.embm, 1), rstd: row(a.embr, 1), inp: X,
                          weight: P + elnw, bias: P + elnb, N: N, C: C, eps: eps)
        for l in 0..<L {
            let w = layers[l]
            let h = row(a.h[l], C), qkv = row(a.qkv[l], 3 * C), att = A + a.att[l] + attOffset
            let ctx = row(a.ctx[l], C), sum1 = row(a.a[l], C), h1 = row(a.h1[l], C)
            let inter = row(a.inter[l], I), sum2 = row(a.o[l], C)
            Linear.forward(out: qkv, inp: h, weight: P + w.qkvw, bias: P + w.qkvb, shape: qkvShape, accumulate: false)
            Attention.forward(out: ctx, att: att, qkv: qkv, keyMask: mk, causal: false, shape: attention)
            sum1.update(from: h, count: N * C)
            Linear.forward(out: sum1, inp: ctx, weight: P + w.ow, bias: P + w.ob, shape: oShape, accumulate: true)
            LayerNorm.forward(out: h1, mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), inp: sum1,
                              weight: P + w.ln1w, bias: P + w.ln1b, N: N, C: C, eps: eps)
            Linear.forward(out: inter, inp: h1, weight: P + w.iw, bias: P + w.ib, shape: iShape, accumulate: false)
            GELU.forward(out: X, inp: inter, count: N * I, kind: gelu)
            sum2.update(from: h1, count: N * C)
            Linear.forward(out: sum2, inp: X, weight: P + w.outw, bias: P + w.outb, shape: outShape, accumulate: true)
            LayerNorm.forward(out: row(a.h[l + 1], C), mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), inp: sum2,
                              weight: P + w.ln2w, bias: P + w.ln2b, N: N, C: C, eps: eps)
        }
        // MLM head on this slice's m labelled rows only.
        let hL = row(a.h[L], C)
        let g = Hb + hd.g, t = Hb + hd.t, tg = Hb + hd.tg, tl = Hb + hd.tl, dg = Hb + hd.dg, dt = Hb + hd.dt
        let logits = Hb + hd.logits
        var sum = 0.0
        if m > 0 {
            for i in 0..<m { (g + i * C).update(from: hL + hd.rows[i] * C, count: C) }
            Linear.forward(out: t, inp: g, weight: P + tw, bias: P + tb, shape: tShape, accumulate: false)
            GELU.forward(out: tg, inp: t, count: m * C, kind: gelu)
            LayerNorm.forward(out: tl, mean: Hb + hd.tlm, rstd: Hb + hd.tlr, inp: tg, weight: P + tlnw, bias: P + tlnb,
                              N: m, C: C, eps: eps)
            // Decoder + loss (+ the decoder's backward) in chunks of rows.
            for r0 in stride(from: 0, to: m, by: hd.rowsPerChunk) {
                let decoder = LinearShape(N: Swift.min(hd.rowsPerChunk, m - r0), IC: C, OC: V, layout: .outIn)
                Linear.forward(out: logits, inp: tl + r0 * C, weight: P + word, bias: P + decb, shape: decoder,
                               accumulate: false)
                sum += SoftmaxCrossEntropy.run(logits: logits, targets: hd.targets + r0, N: decoder.N, V: V,
                                               gradScale: lossScale, count: M).sum
                if lossScale != nil {
                    Linear.backward(dinp: dt + r0 * C, dweight: G + word, dbias: G + decb, dout: logits,
                                    inp: tl + r0 * C, weight: P + word, shape: decoder, accumulateInput: false)
                }
            }
        }
        guard lossScale != nil else { return sum }

        let dres = row(a.dres, C), dtmp = row(a.dtmp, C)
        dres.update(repeating: 0, count: N * C)
        if m > 0 {
            // Backward through the rest of the head.
            LayerNorm.backward(dinp: dg, dweight: G + tlnw, dbias: G + tlnb, dout: dt, inp: tg, weight: P + tlnw,
                               mean: Hb + hd.tlm, rstd: Hb + hd.tlr, N: m, C: C, accumulate: false)
            GELU.backward(dinp: dg, inp: t, dout: dg, count: m * C, kind: gelu)
            Linear.backward(dinp: dt, dweight: G + tw, dbias: G + tb, dout: dg, inp: g, weight: P + tw,
                            shape: tShape, accumulateInput: false)
            for i in 0..<m { (dres + hd.rows[i] * C).update(from: dt + i * C, count: C) }
        }

        // Encoder layers; dres = d(output of layer l) on entry.
        for l in stride(from: L - 1, through: 0, by: -1) {
            let w = layers[l]
            let h = row(a.h[l], C), qkv = row(a.qkv[l], 3 * C), att = A + a.att[l] + attOffset
            let ctx = row(a.ctx[l], C), sum1 = row(a.a[l], C), h1 = row(a.h1[l], C)
            let inter = row(a.inter[l], I), sum2 = row(a.o[l], C)
            LayerNorm.backward(dinp: dtmp, dweight: G + w.ln2w, dbias: G + w.ln2b, dout: dres, inp: sum2,
                               weight: P + w.ln2w, mean: row(a.ln2m[l], 1), rstd: row(a.ln2r[l], 1), N: N, C: C,
                               accumulate: false)
            // The GELU output again (not kept) into X, its slope over the intermediate (not needed after
            // this), then d(GELU output) written over X (the weight gradient reads X first) times the slope.
            GELU.valueAndSlope(out: X, inputToSlope: inter, count: N * I, kind: gelu)
            Linear.backward(dinp: X, dweight: G + w.outw, dbias: G + w.outb, dout: dtmp, inp: X, weight: P + w.outw,
                            shape: outShape, accumulateInput: false)
            GELU.applySlope(X, slope: inter, count: N * I)
            dres.update(from: dtmp, count: N * C)  // residual path into h1
            Linear.backward(dinp: dres, dweight: G + w.iw, dbias: G + w.ib, dout: X, inp: h1, weight: P + w.iw,
                            shape: iShape, accumulateInput: true)
            LayerNorm.backward(dinp: dtmp, dweight: G + w.ln1w, dbias: G + w.ln1b, dout: dres, inp: sum1,
                               weight: P + w.ln1w, mean: row(a.ln1m[l], 1), rstd: row(a.ln1r[l], 1), N: N, C: C,
                               accumulate: false)
            // dtmp = d(a); its residual part goes to h[l], the rest through the output dense and attention.
            dres.update(from: dtmp, count: N * C)
            let dctx = X, dqkv = X + N * C  // (B, T, C) then (B, T, 3C) in this slice's scratch
            Linear.backward(dinp: dctx, dweight: G + w.ow, dbias: G + w.ob, dout: dtmp, inp: ctx, weight: P + w.ow,
                            shape: oShape, accumulateInput: false)
            Attention.backward(dqkv: dqkv, datt: A + a.datt[worker], dout: dctx, att: att, qkv: qkv, causal: false,
                               shape: attention)
            Linear.backward(dinp: dres, dweight: G + w.qkvw, dbias: G + w.qkvb, dout: dqkv, inp: h, weight: P + w.qkvw,
                            shape: qkvShape, accumulateInput: true)
        }
        embed()  // the embedding sum again (not kept)
        LayerNorm.backward(dinp: dtmp, dweight: G + elnw, dbias: G + elnb, dout: dres, inp: X, weight: P + elnw,
                           mean: row(a.embm, 1), rstd: row(a.embr, 1), N: N, C: C, accumulate: false)
        Embedding.backward(dwte: G + word, dwpe: G + pos, dwtt: G + type, dout: dtmp, ids: ids + n0, types: types + n0,
                           B: B, T: T, C: C)
        return sum
    }

    /// Training FLOPs per token at sequence length `T`, counting the MLM head on `maskedFraction` of
    /// the tokens (the head runs only on labelled positions): 3x the forward's
    /// `2·(encoder matrix parameters) + 4·L·T·C + maskedFraction·(2·C·C + 2·C·V)`.
    func trainingFLOPsPerToken(sequenceLength T: Int, maskedFraction: Double = 0.15) -> Double {
        let matmul = Double(L) * Double(4 * C * C + 2 * C * I)
        let head = maskedFraction * Double(2 * C * C + 2 * C * V)
        let forward = 2 * matmul + 4 * Double(L) * Double(T) * Double(C) + head
        return 3 * forward
    }
}
