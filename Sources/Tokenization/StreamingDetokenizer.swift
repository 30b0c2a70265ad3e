/// Turns a stream of token ids into text, holding back incomplete UTF-8 sequences.
///
/// A token may end in the middle of a character (byte-level BPE splits emoji and CJK into byte
/// tokens), so text is released only up to the last complete character. The pieces returned by
/// `append` and `finish`, concatenated, equal `tokenizer.decode(ids, skipSpecialTokens:)` of all ids:
/// bytes that can never form a character become U+FFFD there and here alike.
///
/// ```swift
/// var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
/// for id in generatedIDs { print(detokenizer.append(id), terminator: "") }
/// print(detokenizer.finish())
/// ```
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: any Tokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    /// - Parameters:
    ///   - tokenizer: The tokenizer whose ids will be appended.
    ///   - skipSpecialTokens: Leave out special tokens (as `decode(_:skipSpecialTokens: true)` does).
    public init(tokenizer: any Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token and returns the text it completes (possibly empty). Ids outside the
    /// vocabulary add nothing.
    public mutating func append(_ id: Int) -> String {
        if skipSpecialTokens, tokenizer.isSpecial(id) { return "" }
        pending.append(contentsOf: tokenizer.bytes(for: id))
        let cut = pending.count - Self.incompleteSuffixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (an incomplete sequence becomes U+FFFD) and starts over.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of a trailing lead byte and its continuation bytes when they could still become a
    /// valid character; 0 when the bytes end on a character boundary or cannot be completed.
    /// Cutting before a lead byte never changes how the bytes before it decode.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        var continuations = 0
        var index = bytes.count - 1
        while index >= 0, continuations < 3, bytes[index] & 0xC0 == 0x80 {
            continuations += 1
            index -= 1
        }
        guard index >= 0 else { return 0 }
        let lead = bytes[index]
        let needed = switch lead {
        case 0xC2...0xDF: 1
        case 0xE0...0xEF: 2
        case 0xF0...0xF4: 3
        default: 0   // ASCII, or a byte that never starts a character
        }
        guard continuations < needed else { return 0 }
        // The second byte of some sequences has a narrower range (no overlongs, surrogates or > U+10FFFF).
        if continuations >= 1 {
            let second = bytes[index + 1]
            let valid = switch lead {
            case 0xE0: second >= 0xA0
            case 0xED: second <= 0x9F
            case 0xF0: second >= 0x90
            case 0xF4: second <= 0x8F
            default: true
            }
            guard valid else { return 0 }
        }
        return continuations + 1
    }
}
