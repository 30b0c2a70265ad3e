/// Counts tokens of message contents. The validator and statistics take one, so the model's real
/// tokenizer plugs in where today an estimate stands.
///
/// Implementations must be cheap: the validator calls `tokenCount(of:)` once per message on files of
/// gigabytes.
public protocol TokenCounter: Sendable {
    /// True when counts come from a real tokenizer; false for estimates, which reports label as such.
    var isExact: Bool { get }
    /// A short description for reports, e.g. "estimated at 4 bytes per token".
    var description: String { get }
    /// Tokens the chat template adds around each message (role header, end-of-turn markers).
    var tokensPerMessage: Int { get }
    /// Tokens added once per example (e.g. the assistant header that primes the reply).
    var tokensPerExample: Int { get }
    /// Tokens in one message's text.
    func tokenCount(of text: TextSpan) -> Int
}

/// The text of one JSON string as it sits in the input: raw bytes between the quotes, plus whether
/// they hold escapes. Estimators read `rawCount`; a real tokenizer asks for `string`.
public struct TextSpan {
    public let raw: UnsafeBufferPointer<UInt8>
    public let hasEscapes: Bool

    public init(raw: UnsafeBufferPointer<UInt8>, hasEscapes: Bool) {
        self.raw = raw
        self.hasEscapes = hasEscapes
    }

    /// Length in bytes as written in the file (escape sequences count as written).
    public var rawCount: Int { raw.count }

    /// The decoded text.
    public var string: String {
        guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var bytes: [UInt8] = []
        unescapeJSONString(raw, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// An estimate used until a model's tokenizer is available: about four bytes of UTF-8 per token,
/// the usual figure for English text under GPT-style byte-level BPE vocabularies, plus the overhead
/// OpenAI's cookbook counts for chat formatting (3 tokens per message, 3 per example).
public struct EstimatedTokenCounter: TokenCounter {
    public init() {}
    public var isExact: Bool { false }
    public var description: String { "estimated at ~4 bytes per token (no tokenizer loaded)" }
    public var tokensPerMessage: Int { 3 }
    public var tokensPerExample: Int { 3 }
    public func tokenCount(of text: TextSpan) -> Int { (text.rawCount + 3) / 4 }
}
