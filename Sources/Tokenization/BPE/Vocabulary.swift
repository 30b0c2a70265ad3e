/// The tables of a byte-level BPE vocabulary, built once and shared by every copy of the tokenizer.
///
/// Mirrors how transformers builds a tokenizer from GGUF metadata (integrations/gguf,
/// `byte_level_tokenizer` and `add_gguf_special_tokens`): a token spelled with characters outside
/// GPT-2's byte alphabet is looked up by the spelling of its UTF-8 bytes; control tokens become
/// special added tokens and user-defined ones plain added tokens, both matched whole in text, but
/// only when spelled in the alphabet (a control token that is not is a converter's mislabel).
/// When a spelling occurs twice, the later id wins, as in a Python dict.
final class Vocabulary: Sendable {
    /// The raw entries, by id.
    let pieces: [String]
    let types: [TokenType]
    /// Raw entry to id.
    let idsByPiece: [String: Int]
    /// The bytes each token decodes to: added tokens their text, others their alphabet spelling
    /// mapped back to bytes (or their UTF-8 when a character is outside the alphabet).
    let tokenBytes: [[UInt8]]
    /// Special added tokens (skipped by `decode(_:skipSpecialTokens: true)`).
    let isSpecial: [Bool]
    let addedTokens: SpecialTokenMatcher
    let bpe: BPEModel

    init(tokens: [String], merges: [String], tokenTypes: [TokenType]?, source: String) throws(TokenizationError) {
        guard !tokens.isEmpty else {
            throw .invalidMetadata(key: "tokenizer.ggml.tokens", source: source, message: "the vocabulary is empty")
        }
        guard tokens.count < Int(Int32.max) else {
            throw .invalidMetadata(key: "tokenizer.ggml.tokens", source: source,
                                   message: "\(tokens.count) tokens are more than this tokenizer supports")
        }
        if let tokenTypes, tokenTypes.count != tokens.count {
            throw .invalidMetadata(key: "tokenizer.ggml.token_type", source: source,
                                   message: "\(tokenTypes.count) types for \(tokens.count) tokens")
        }
        pieces = tokens
        types = tokenTypes ?? Array(repeating: .normal, count: tokens.count)

        var idsByPiece: [String: Int] = [:]
        idsByPiece.reserveCapacity(tokens.count)
        var alphabetBytes: [[UInt8]?] = []
        alphabetBytes.reserveCapacity(tokens.count)
        for (id, piece) in tokens.enumerated() {
            idsByPiece[piece] = id
            alphabetBytes.append(ByteEncoding.bytes(ofPiece: piece))
        }
        self.idsByPiece = idsByPiece

        // The table BPE looks pieces up in: raw entries, unless some need respelling.
        var bpeIDs = idsByPiece
        if alphabetBytes.contains(where: { $0 == nil }) {
            bpeIDs = [:]
            for (id, piece) in tokens.enumerated() {
                bpeIDs[alphabetBytes[id] == nil ? ByteEncoding.piece(ofBytes: piece.utf8) : piece] = id
            }
        }

        var added: [(text: String, id: Int)] = []
        var isSpecial = [Bool](repeating: false, count: tokens.count)
        var isAdded = [Bool](repeating: false, count: tokens.count)
        for (id, type) in types.enumerated() where alphabetBytes[id] != nil {
            let piece = tokens[id]
            guard type == .control || type == .userDefined, bpeIDs[piece] == id else { continue }
            added.append((piece, id))
            isAdded[id] = true
            isSpecial[id] = type == .control
        }
        self.isSpecial = isSpecial
        addedTokens = SpecialTokenMatcher(tokens: added)
        tokenBytes = tokens.indices.map { id in
            isAdded[id] ? Array(tokens[id].utf8) : alphabetBytes[id] ?? Array(tokens[id].utf8)
        }

        let byteTokenIDs: [Int32] = ByteEncoding.characterForByte.map { character in
            bpeIDs[String(character)].map { Int32($0) } ?? -1
        }
        var rules: [(left: Int32, right: Int32, merged: Int32)] = []
        rules.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalidMerge(index: index, merge: merge, source: source,
                                    reason: "expected two pieces separated by one space")
            }
            let left = String(parts[0]), right = String(parts[1])
            guard let leftID = bpeIDs[left] else {
                throw .invalidMerge(index: index, merge: merge, source: source, reason: "\"\(left)\" is not in the vocabulary")
            }
            guard let rightID = bpeIDs[right] else {
                throw .invalidMerge(index: index, merge: merge, source: source, reason: "\"\(right)\" is not in the vocabulary")
            }
            guard let mergedID = bpeIDs[left + right] else {
                throw .invalidMerge(index: index, merge: merge, source: source,
                                    reason: "the merged piece \"\(left + right)\" is not in the vocabulary")
            }
            rules.append((Int32(leftID), Int32(rightID), Int32(mergedID)))
        }
        bpe = BPEModel(byteTokenIDs: byteTokenIDs, merges: rules)
    }
}
