/// What a vocabulary entry is, as GGUF's `tokenizer.ggml.token_type` numbers it (llama.cpp's
/// `llama_token_type`).
public enum TokenType: Int32, Sendable, CaseIterable {
    /// Ordinary text, produced by BPE merges.
    case normal = 1
    /// The unknown token.
    case unknown = 2
    /// A control token such as `<|im_start|>`: special, matched whole in text when parsing specials.
    case control = 3
    /// A token added by the model's authors (e.g. `<think>`): matched whole in text, not special.
    case userDefined = 4
    /// A reserved entry.
    case unused = 5
    /// A byte token (`<0x0A>`) of a SentencePiece vocabulary.
    case byte = 6
}
