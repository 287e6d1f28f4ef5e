import Foundation

/// The `GPT2Config` fields this engine reads and writes (Hugging Face names in comments).
///
/// Dropout probabilities are kept for the checkpoint but the engine always trains with dropout 0
/// (proxy models for data mixing are trained for far less than one epoch, where dropout only adds noise).
public struct GPT2Config: Sendable, Equatable {
    public var vocabSize: Int          // vocab_size
    public var nPositions: Int         // n_positions
    public var nEmbd: Int              // n_embd
    public var nLayer: Int             // n_layer
    public var nHead: Int              // n_head
    public var nInner: Int?            // n_inner (nil: 4 * n_embd)
    public var activation: String      // activation_function
    public var layerNormEpsilon: Double  // layer_norm_epsilon
    public var residPdrop: Double      // resid_pdrop
    public var embdPdrop: Double       // embd_pdrop
    public var attnPdrop: Double       // attn_pdrop
    public var initializerRange: Double  // initializer_range
    public var bosTokenID: Int?        // bos_token_id
    public var eosTokenID: Int?        // eos_token_id
    /// Whether the LM head is `wte` itself (true, GPT-2's default) or its own `lm_head.weight` (V, C).
    public var tieWordEmbeddings: Bool  // tie_word_embeddings

    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int, nInner: Int? = nil,
                activation: String = "gelu_new", layerNormEpsilon: Double = 1e-5, residPdrop: Double = 0,
                embdPdrop: Double = 0, attnPdrop: Double = 0, initializerRange: Double = 0.02,
                bosTokenID: Int? = nil, eosTokenID: Int? = nil, tieWordEmbeddings: Bool = true) {
        self.vocabSize = vocabSize; self.nPositions = nPositions; self.nEmbd = nEmbd; self.nLayer = nLayer
        self.nHead = nHead; self.nInner = nInner; self.activation = activation; self.layerNormEpsilon = layerNormEpsilon
        self.residPdrop = residPdrop; self.embdPdrop = embdPdrop; self.attnPdrop = attnPdrop
        self.initializerRange = initializerRange; self.bosTokenID = bosTokenID; self.eosTokenID = eosTokenID
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// Inner (MLP) width.
    public var innerSize: Int { nInner ?? 4 * nEmbd }
    var gelu: GELUKind { GELUKind(huggingFaceName: activation)! }

    /// Checks the sizes and that the variant is one this engine implements.
    public func validate(file: String = "config") throws {
        for (v, k) in [(vocabSize, "vocab_size"), (nPositions, "n_positions"), (nEmbd, "n_embd"),
                       (nLayer, "n_layer"), (nHead, "n_head"), (innerSize, "n_inner")] {
            try ConfigIO.positive(v, k, file)
        }
        if nEmbd % nHead != 0 {
            throw ModelError.config(file: file, message: "n_embd (\(nEmbd)) must be a multiple of n_head (\(nHead))")
        }
        if GELUKind(huggingFaceName: activation) == nil {
            throw ModelError.config(file: file,
                message: "activation_function \"\(activation)\" is not supported (gelu_new, gelu_pytorch_tanh, gelu)")
        }
        if !(layerNormEpsilon > 0) {
            throw ModelError.config(file: file, message: "layer_norm_epsilon must be positive")
        }
    }

    /// Reads a `config.json` object; unsupported GPT-2 variants are rejected.
    init(json o: JSONObject, file: String) throws {
        let f = file
        if let t = o["model_type"] as? String, t != "gpt2" {
            throw ModelError.config(file: f, message: "model_type is \"\(t)\", expected \"gpt2\"")
        }
        self.init(vocabSize: try ConfigIO.int(o, "vocab_size", f), nPositions: try ConfigIO.int(o, "n_positions", f),
                  nEmbd: try ConfigIO.int(o, "n_embd", f), nLayer: try ConfigIO.int(o, "n_layer", f),
                  nHead: try ConfigIO.int(o, "n_head", f),
                  nInner: o["n_inner"] is NSNull || o["n_inner"] == nil ? nil : try ConfigIO.int(o, "n_inner", f),
                  activation: try ConfigIO.string(o, "activation_function", f, default: "gelu_new"),
                  layerNormEpsilon: try ConfigIO.double(o, "layer_norm_epsilon", f, default: 1e-5),
                  residPdrop: try ConfigIO.double(o, "resid_pdrop", f, default: 0.1),
                  embdPdrop: try ConfigIO.double(o, "embd_pdrop", f, default: 0.1),
                  attnPdrop: try ConfigIO.double(o, "attn_pdrop", f, default: 0.1),
                  initializerRange: try ConfigIO.double(o, "initializer_range", f, default: 0.02),
                  bosTokenID: o["bos_token_id"] == nil || o["bos_token_id"] is NSNull
                      ? nil : try ConfigIO.int(o, "bos_token_id", f),
                  eosTokenID: o["eos_token_id"] == nil || o["eos_token_id"] is NSNull
                      ? nil : try ConfigIO.int(o, "eos_token_id", f),
                  tieWordEmbeddings: try ConfigIO.bool(o, "tie_word_embeddings", f, default: true))
        if try !ConfigIO.bool(o, "scale_attn_weights", f, default: true) {
            throw ModelError.config(file: f, message: "scale_attn_weights=false is not supported")
        }
        if try ConfigIO.bool(o, "scale_attn_by_inverse_layer_idx", f, default: false) {
            throw ModelError.config(file: f, message: "scale_attn_by_inverse_layer_idx=true is not supported")
        }
        try validate(file: f)
    }

    /// The `config.json` object; `base` (a loaded config) keeps its other fields.
    func json(base: JSONObject = [:]) -> JSONObject {
        var o = base
        o["model_type"] = "gpt2"
        o["architectures"] = ["GPT2LMHeadModel"]
        o["vocab_size"] = vocabSize; o["n_positions"] = nPositions; o["n_embd"] = nEmbd
        o["n_layer"] = nLayer; o["n_head"] = nHead; o["n_inner"] = nInner ?? NSNull()
        o["activation_function"] = activation; o["layer_norm_epsilon"] = layerNormEpsilon
        o["resid_pdrop"] = residPdrop; o["embd_pdrop"] = embdPdrop; o["attn_pdrop"] = attnPdrop
        o["initializer_range"] = initializerRange
        o["bos_token_id"] = bosTokenID ?? NSNull(); o["eos_token_id"] = eosTokenID ?? NSNull()
        o["tie_word_embeddings"] = tieWordEmbeddings
        o["scale_attn_weights"] = true
        o["scale_attn_by_inverse_layer_idx"] = false
        o["reorder_and_upcast_attn"] = false
        return o
    }
}
