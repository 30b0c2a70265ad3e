import GGUF

/// The hyperparameters of a Llama-architecture model, read from GGUF metadata (`llama.*`).
public struct LlamaConfiguration: Sendable, Equatable {
    /// Number of transformer blocks (L).
    public var layerCount: Int
    /// Model width (C).
    public var embeddingLength: Int
    /// Width of the SwiGLU hidden layer (F).
    public var feedForwardLength: Int
    /// Query heads (H).
    public var headCount: Int
    /// Key/value heads (grouped-query attention; H is a multiple of it).
    public var kvHeadCount: Int
    /// Size of one head (C / H unless the file says otherwise).
    public var headDimension: Int
    /// Leading values of each head that RoPE rotates.
    public var rotaryDimension: Int
    public var ropeFrequencyBase: Float
    public var rmsNormEpsilon: Float
    /// Context the model was trained for.
    public var contextLength: Int
    /// Vocabulary size (V).
    public var vocabularySize: Int

    public init(layerCount: Int, embeddingLength: Int, feedForwardLength: Int, headCount: Int,
                kvHeadCount: Int, headDimension: Int? = nil, rotaryDimension: Int? = nil,
                ropeFrequencyBase: Float = 10_000, rmsNormEpsilon: Float = 1e-5,
                contextLength: Int = 2048, vocabularySize: Int) {
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        let head = headDimension ?? embeddingLength / max(1, headCount)
        self.headDimension = head
        self.rotaryDimension = rotaryDimension ?? head
        self.ropeFrequencyBase = ropeFrequencyBase
        self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Width of all query heads together (H · head size).
    public var queryWidth: Int { headCount * headDimension }
    /// Width of all key (or value) heads together.
    public var kvWidth: Int { kvHeadCount * headDimension }

    /// Reads `llama.*` metadata.
    /// - Throws: `LanguageModelError` when the architecture isn't llama or a key is missing or inconsistent.
    public init(gguf file: GGUFFile) throws(LanguageModelError) {
        let name = file.url.lastPathComponent
        let architecture = file.architecture ?? "(none)"
        guard architecture == "llama" else {
            throw .unsupportedArchitecture(file: name, architecture: architecture)
        }
        func int(_ key: String) throws(LanguageModelError) -> Int {
            guard let value = file.int("llama." + key), value > 0 else { throw .missingMetadata(file: name, key: "llama." + key) }
            return value
        }
        let heads = try int("attention.head_count")
        let width = try int("embedding_length")
        let kvHeads = file.int("llama.attention.head_count_kv") ?? heads
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw .invalidMetadata(file: name, key: "llama.attention.head_count_kv",
                                   message: "\(kvHeads) key/value heads do not divide \(heads) query heads.")
        }
        let headSize = file.int("llama.attention.key_length") ?? width / heads
        guard headSize > 0, headSize % 2 == 0 else {
            throw .invalidMetadata(file: name, key: "llama.attention.key_length", message: "head size \(headSize) must be even and positive.")
        }
        let rotary = file.int("llama.rope.dimension_count") ?? headSize
        guard rotary > 0, rotary <= headSize, rotary % 2 == 0 else {
            throw .invalidMetadata(file: name, key: "llama.rope.dimension_count", message: "\(rotary) must be even and at most the head size \(headSize).")
        }
        var vocabulary = file.int("llama.vocab_size") ?? 0
        if vocabulary == 0, let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 {
            vocabulary = embedding.shape[1]
        }
        guard vocabulary > 0 else { throw .missingMetadata(file: name, key: "llama.vocab_size") }
        self.init(
            layerCount: try int("block_count"),
            embeddingLength: width,
            feedForwardLength: try int("feed_forward_length"),
            headCount: heads,
            kvHeadCount: kvHeads,
            headDimension: headSize,
            rotaryDimension: rotary,
            ropeFrequencyBase: Float(file.double("llama.rope.freq_base") ?? 10_000),
            rmsNormEpsilon: Float(file.double("llama.attention.layer_norm_rms_epsilon") ?? 1e-5),
            contextLength: file.int("llama.context_length") ?? 2048,
            vocabularySize: vocabulary
        )
    }
}
