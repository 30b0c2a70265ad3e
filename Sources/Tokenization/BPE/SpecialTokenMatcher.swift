/// Finds added tokens (control tokens such as `<|im_start|>` and user-defined ones) written in the
/// text, so they become single ids instead of being cut into pieces.
///
/// Matching is leftmost-longest on the raw text, as Hugging Face `tokenizers` does for added tokens
/// that are not normalized (`AddedVocabulary`, an Aho-Corasick automaton with `LeftmostLongest`):
/// the earliest position where any token starts wins, and there the longest token.
struct SpecialTokenMatcher: Sendable {
    /// Tokens by their first byte, longest first.
    private let candidates: [[(bytes: [UInt8], id: Int)]]
    let isEmpty: Bool

    init(tokens: [(text: String, id: Int)]) {
        var table = [[(bytes: [UInt8], id: Int)]](repeating: [], count: 256)
        for token in tokens where !token.text.isEmpty {
            let bytes = Array(token.text.utf8)
            table[Int(bytes[0])].append((bytes, token.id))
        }
        for index in table.indices {
            // Stable order for equal lengths: the lower id first (duplicate spellings are not expected).
            table[index].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }
        candidates = table
        isEmpty = tokens.allSatisfy { $0.text.isEmpty }
    }

    /// Splits `text` into plain stretches and added tokens, in order.
    ///
    /// - Parameters:
    ///   - plain: Called with each non-empty byte range between tokens.
    ///   - token: Called with the id of each token found.
    func split(_ text: UnsafeBufferPointer<UInt8>, plain: (Range<Int>) -> Void, token: (Int) -> Void) {
        var plainStart = 0
        var position = 0
        while position < text.count {
            if let (length, id) = match(text, at: position) {
                if plainStart < position { plain(plainStart..<position) }
                token(id)
                position += length
                plainStart = position
            } else {
                position += 1
            }
        }
        if plainStart < text.count { plain(plainStart..<text.count) }
    }

    @inline(__always)
    private func match(_ text: UnsafeBufferPointer<UInt8>, at position: Int) -> (length: Int, id: Int)? {
        let options = candidates[Int(text[position])]
        guard !options.isEmpty else { return nil }
        let remaining = text.count - position
        for option in options where option.bytes.count <= remaining {
            var equal = true
            for offset in 1..<option.bytes.count where text[position + offset] != option.bytes[offset] {
                equal = false
                break
            }
            if equal { return (option.bytes.count, option.id) }
        }
        return nil
    }
}
