import Foundation

/// The `BertConfig` fields this engine reads and writes (Hugging Face names in comments).
///
/// Dropout probabilities are kept for the checkpoint but the engine always trains with dropout 0.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize: Int              // vocab_size
    public var hiddenSize: Int             // hidden_size
    public var numHiddenLayers: Int        // num_hidden_layers
    public var numAttentionHeads: Int      // num_attention_heads
    public var intermediateSize: Int       // intermediate_size
    public var maxPositionEmbeddings: Int  // max_position_embeddings
    public var typeVocabSize: Int          // type_vocab_size
    public var layerNormEps: Double        // layer_norm_eps
    public var hiddenAct: String           // hidden_act
    public var hiddenDropoutProb: Double   // hidden_dropout_prob
    public var attentionProbsDropoutProb: Double  // attention_probs_dropout_prob
    public var initializerRange: Double    // initializer_range
    public var padTokenID: Int             // pad_token_id

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                intermediateSize: Int? = nil, maxPositionEmbeddings: Int, typeVocabSize: Int = 2,
                layerNormEps: Double = 1e-12, hiddenAct: String = "gelu", hiddenDropoutProb: Double = 0,
                attentionProbsDropoutProb: Double = 0, initializerRange: Double = 0.02, padTokenID: Int = 0) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize ?? 4 * hiddenSize
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps; self.hiddenAct = hiddenAct; self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb; self.initializerRange = initializerRange
        self.padTokenID = padTokenID
    }

    var gelu: GELUKind { GELUKind(huggingFaceName: hiddenAct)! }

    public func validate(file: String = "config") throws {
        for (v, k) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"), (numHiddenLayers, "num_hidden_layers"),
                       (numAttentionHeads, "num_attention_heads"), (intermediateSize, "intermediate_size"),
                       (maxPositionEmbeddings, "max_position_embeddings"), (typeVocabSize, "type_vocab_size")] {
            try ConfigIO.positive(v, k, file)
        }
        if hiddenSize % numAttentionHeads != 0 {
            throw ModelError.config(file: file,
                message: "hidden_size (\(hiddenSize)) must be a multiple of num_attention_heads (\(numAttentionHeads))")
        }
        if GELUKind(huggingFaceName: hiddenAct) == nil {
            throw ModelError.config(file: file,
                message: "hidden_act \"\(hiddenAct)\" is not supported (gelu, gelu_new)")
        }
        if !(layerNormEps > 0) { throw ModelError.config(file: file, message: "layer_norm_eps must be positive") }
    }

    init(json o: JSONObject, file: String) throws {
        let f = file
        if let t = o["model_type"] as? String, t != "bert" {
            throw ModelError.config(file: f, message: "model_type is \"\(t)\", expected \"bert\"")
        }
        self.init(vocabSize: try ConfigIO.int(o, "vocab_size", f), hiddenSize: try ConfigIO.int(o, "hidden_size", f),
                  numHiddenLayers: try ConfigIO.int(o, "num_hidden_layers", f),
                  numAttentionHeads: try ConfigIO.int(o, "num_attention_heads", f),
                  intermediateSize: try ConfigIO.int(o, "intermediate_size", f),
                  maxPositionEmbeddings: try ConfigIO.int(o, "max_position_embeddings", f),
                  typeVocabSize: try ConfigIO.int(o, "type_vocab_size", f, default: 2),
                  layerNormEps: try ConfigIO.double(o, "layer_norm_eps", f, default: 1e-12),
                  hiddenAct: try ConfigIO.string(o, "hidden_act", f, default: "gelu"),
                  hiddenDropoutProb: try ConfigIO.double(o, "hidden_dropout_prob", f, default: 0.1),
                  attentionProbsDropoutProb: try ConfigIO.double(o, "attention_probs_dropout_prob", f, default: 0.1),
                  initializerRange: try ConfigIO.double(o, "initializer_range", f, default: 0.02),
                  padTokenID: try ConfigIO.int(o, "pad_token_id", f, default: 0))
        let pe = try ConfigIO.string(o, "position_embedding_type", f, default: "absolute")
        if pe != "absolute" {
            throw ModelError.config(file: f, message: "position_embedding_type \"\(pe)\" is not supported (absolute)")
        }
        if try ConfigIO.bool(o, "is_decoder", f, default: false) {
            throw ModelError.config(file: f,
                message: "is_decoder=true is not supported (BertForMaskedLM is bidirectional)")
        }
        if try !ConfigIO.bool(o, "tie_word_embeddings", f, default: true) {
            throw ModelError.config(file: f,
                message: "tie_word_embeddings=false is not supported (the decoder is tied)")
        }
        try validate(file: f)
    }

    func json(base: JSONObject = [:]) -> JSONObject {
        var o = base
        o["model_type"] = "bert"
        o["architectures"] = ["BertForMaskedLM"]
        o["vocab_size"] = vocabSize; o["hidden_size"] = hiddenSize; o["num_hidden_layers"] = numHiddenLayers
        o["num_attention_heads"] = numAttentionHeads; o["intermediate_size"] = intermediateSize
        o["max_position_embeddings"] = maxPositionEmbeddings; o["type_vocab_size"] = typeVocabSize
        o["layer_norm_eps"] = layerNormEps; o["hidden_act"] = hiddenAct
        o["hidden_dropout_prob"] = hiddenDropoutProb; o["attention_probs_dropout_prob"] = attentionProbsDropoutProb
        o["initializer_range"] = initializerRange; o["pad_token_id"] = padTokenID
        o["is_decoder"] = false  // position_embedding_type absent means "absolute"
        o["tie_word_embeddings"] = true
        return o
    }
}
