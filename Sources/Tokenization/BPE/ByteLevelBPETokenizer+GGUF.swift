import GGUF

extension ByteLevelBPETokenizer {
    /// Reads the tokenizer stored in a GGUF file's metadata.
    ///
    /// Keys read: `tokenizer.ggml.model` (must be "gpt2"), `.pre` (the split pattern; absent means
    /// GPT-2's), `.tokens`, `.merges`, `.token_type`, `.bos_token_id`, `.eos_token_id`,
    /// `.add_bos_token`, and `.eot_token_id` / `.eom_token_id` when present.
    ///
    /// ```swift
    /// let file = try GGUFFile(contentsOf: URL(fileURLWithPath: "SmolLM2-135M-Instruct.Q4_1.gguf"))
    /// let tokenizer = try ByteLevelBPETokenizer(gguf: file)
    /// ```
    ///
    /// - Parameter gguf: An opened GGUF file.
    /// - Throws: `TokenizationError.unsupportedModel` when the file holds another kind of tokenizer
    ///   (e.g. SentencePiece, "llama"), `.unsupportedPreTokenizer` for an unknown split pattern,
    ///   `.missingMetadata` / `.invalidMetadata` / `.invalidMerge` for a file that is incomplete or damaged.
    public init(gguf: GGUFFile) throws(TokenizationError) {
        let source = gguf.url.path
        let metadata = gguf.metadata

        func value(_ key: String) -> GGUFValue? { metadata[key] }
        func required<T>(_ key: String, _ kind: String, _ read: (GGUFValue) -> T?) throws(TokenizationError) -> T {
            guard let raw = value(key) else { throw .missingMetadata(key: key, source: source) }
            guard let result = read(raw) else {
                throw .invalidMetadata(key: key, source: source, message: "expected \(kind)")
            }
            return result
        }
        func optional<T>(_ key: String, _ kind: String, _ read: (GGUFValue) -> T?) throws(TokenizationError) -> T? {
            guard let raw = value(key) else { return nil }
            guard let result = read(raw) else {
                throw .invalidMetadata(key: key, source: source, message: "expected \(kind)")
            }
            return result
        }

        let model = try required("tokenizer.ggml.model", "a string", \.stringValue)
        guard model == "gpt2" else { throw .unsupportedModel(model, source: source) }
        let pre = try optional("tokenizer.ggml.pre", "a string", \.stringValue)
        let tokens = try required("tokenizer.ggml.tokens", "an array of strings", \.stringArray)
        let merges = try required("tokenizer.ggml.merges", "an array of strings", \.stringArray)
        let types = try optional("tokenizer.ggml.token_type", "an array of integers", \.intArray)
        let bos = try optional("tokenizer.ggml.bos_token_id", "an integer", \.intValue)
        let eos = try optional("tokenizer.ggml.eos_token_id", "an integer", \.intValue)
        let addsBOS = try optional("tokenizer.ggml.add_bos_token", "a boolean", \.boolValue) ?? false
        var endOfTurn: [Int] = []
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = try optional(key, "an integer", \.intValue) { endOfTurn.append(id) }
        }

        try self.init(
            tokens: tokens, merges: merges,
            // Types outside llama.cpp's numbering (0 = undefined) count as normal text.
            tokenTypes: types.map { $0.map { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .normal } },
            preTokenizer: pre, bosTokenID: bos, eosTokenID: eos, addsBOS: addsBOS,
            endOfTurnTokenIDs: endOfTurn, source: source)
    }
}
