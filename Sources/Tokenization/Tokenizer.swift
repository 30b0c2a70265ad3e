/// Turns text into token ids and back, for one model's vocabulary.
///
/// The seam between text and models: the trainer, the validator's token counts and `finetune chat`
/// all talk to a `Tokenizer`, and tests can hand them a small one built in code.
///
/// ```swift
/// let tokenizer = try ByteLevelBPETokenizer(gguf: GGUFFile(contentsOf: modelURL))
/// let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n", parseSpecialTokens: true)
/// let text = tokenizer.decode(ids, skipSpecialTokens: false)   // the same string again
/// ```
public protocol Tokenizer: Sendable {
    /// Number of entries in the vocabulary; valid ids are `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// The beginning-of-sequence token, if the model has one.
    var bosTokenID: Int? { get }
    /// The end-of-sequence token, if the model has one.
    var eosTokenID: Int? { get }
    /// Whether a prompt should start with BOS (`tokenizer.ggml.add_bos_token`). `encode` never adds it;
    /// callers that build model inputs prepend `bosTokenID` when this is true.
    var addsBOS: Bool { get }
    /// Tokens that end an assistant turn: EOS plus the model's end-of-turn token(s)
    /// (`<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`, ...). Generation stops at any of them.
    var endOfTurnTokenIDs: Set<Int> { get }
    /// Text to ids. Never adds BOS itself, and never fails: every string has an encoding.
    ///
    /// - Parameters:
    ///   - text: Any string.
    ///   - parseSpecialTokens: When true, control and user-defined tokens written in the text
    ///     (e.g. `"<|im_start|>"`) become their single ids; when false they are tokenized as plain text.
    func encode(_ text: String, parseSpecialTokens: Bool) -> [Int]
    /// Ids to text. Ids outside `0..<vocabularySize` are skipped; byte sequences that are not valid
    /// UTF-8 (e.g. half of an emoji) become U+FFFD.
    ///
    /// - Parameters:
    ///   - ids: Token ids, e.g. from `encode` or from a model.
    ///   - skipSpecialTokens: Leave out tokens for which `isSpecial` is true.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
    /// The raw vocabulary entry (e.g. `"Ġthe"`), or nil for an id outside the vocabulary.
    func piece(for id: Int) -> String?
    /// The bytes this token stands for when decoded (for streaming output); empty for an id outside
    /// the vocabulary.
    func bytes(for id: Int) -> [UInt8]
    /// Whether the token is a special (control) token such as `<|im_start|>`.
    func isSpecial(_ id: Int) -> Bool
    /// The id of a raw vocabulary entry (as `piece(for:)` spells it), or nil.
    func id(forPiece piece: String) -> Int?
}

extension Tokenizer {
    /// Text to ids, parsing special tokens written in the text.
    public func encode(_ text: String) -> [Int] {
        encode(text, parseSpecialTokens: true)
    }

    /// Ids to text, keeping special tokens.
    public func decode(_ ids: [Int]) -> String {
        decode(ids, skipSpecialTokens: false)
    }
}
