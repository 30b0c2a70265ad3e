/// The byte-level BPE tokenizer of GPT-2, Llama 3, Qwen 2 and SmolLM (`tokenizer.ggml.model = "gpt2"`).
///
/// Encoding runs the pipeline stage by stage:
/// 1. added tokens written in the text (`<|im_start|>`) are cut out whole (`SpecialTokenMatcher`);
/// 2. the rest is split into words by the model's pattern (`PreTokenizer`);
/// 3. each word's UTF-8 bytes are merged by rank (`BPEModel`), through a cache of words already seen.
///
/// Decoding maps each token back to its bytes (`ByteEncoding`) and reads them as UTF-8.
///
/// Tested token for token against Hugging Face `tokenizers` as transformers loads it from the same
/// GGUF (scripts/reference/make_tokenizer_fixtures.py).
///
/// ```swift
/// let tokenizer = try ByteLevelBPETokenizer(gguf: GGUFFile(contentsOf: url))
/// let ids = tokenizer.encode("Hello world", parseSpecialTokens: true)   // [19556, 905]
/// ```
public struct ByteLevelBPETokenizer: Tokenizer {
    private let vocabulary: Vocabulary
    private let preTokenizer: PreTokenizer
    private let cache = WordCache()

    public let bosTokenID: Int?
    public let eosTokenID: Int?
    public let addsBOS: Bool
    public let endOfTurnTokenIDs: Set<Int>

    /// Pieces that end an assistant turn in common chat formats; those present as control tokens
    /// join `endOfTurnTokenIDs`. `<|endoftext|>` is included because models trained on documents
    /// also stop there (llama.cpp counts it as end of generation too).
    static let endOfTurnPieces: Set<String> = [
        "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>",
    ]

    /// Builds a tokenizer from the vocabulary's parts (what `init(gguf:)` reads from the file).
    ///
    /// - Parameters:
    ///   - tokens: The vocabulary, indexed by id, spelled in GPT-2's byte alphabet (`"Ġthe"`).
    ///   - merges: Merge rules, best first, each two pieces separated by one space (`"Ġ t"`).
    ///   - tokenTypes: One per token; nil treats all as `.normal`.
    ///   - preTokenizer: The `tokenizer.ggml.pre` name of the split pattern; nil means GPT-2's.
    ///   - bosTokenID: Beginning-of-sequence id.
    ///   - eosTokenID: End-of-sequence id.
    ///   - addsBOS: Whether prompts start with BOS.
    ///   - endOfTurnTokenIDs: Further end-of-turn ids (e.g. `tokenizer.ggml.eot_token_id`); EOS and the
    ///     control tokens named in `endOfTurnPieces` are added to them.
    ///   - source: Where the parts come from, for error messages.
    /// - Throws: `TokenizationError` for an unknown pre-tokenizer, unusable merges, or ids outside
    ///   the vocabulary.
    public init(
        tokens: [String], merges: [String], tokenTypes: [TokenType]? = nil, preTokenizer: String? = "gpt2",
        bosTokenID: Int? = nil, eosTokenID: Int? = nil, addsBOS: Bool = false, endOfTurnTokenIDs: [Int] = [],
        source: String = "tokenizer built in code"
    ) throws(TokenizationError) {
        self.preTokenizer = try PreTokenizer(ggufName: preTokenizer, source: source)
        self.vocabulary = try Vocabulary(tokens: tokens, merges: merges, tokenTypes: tokenTypes, source: source)
        let count = tokens.count
        func checked(_ id: Int?, _ key: String) throws(TokenizationError) -> Int? {
            guard let id else { return nil }
            guard (0..<count).contains(id) else {
                throw .invalidMetadata(key: key, source: source,
                                       message: "token id \(id) is outside the vocabulary of \(count) tokens")
            }
            return id
        }
        self.bosTokenID = try checked(bosTokenID, "tokenizer.ggml.bos_token_id")
        self.eosTokenID = try checked(eosTokenID, "tokenizer.ggml.eos_token_id")
        self.addsBOS = addsBOS
        var endOfTurn = Set<Int>()
        for id in endOfTurnTokenIDs {
            if let id = try checked(id, "tokenizer.ggml.eot_token_id") { endOfTurn.insert(id) }
        }
        if let eosTokenID = self.eosTokenID { endOfTurn.insert(eosTokenID) }
        for piece in Self.endOfTurnPieces {
            if let id = vocabulary.idsByPiece[piece], vocabulary.types[id] == .control { endOfTurn.insert(id) }
        }
        self.endOfTurnTokenIDs = endOfTurn
    }

    /// The split pattern this tokenizer uses.
    public var preTokenizerPattern: PreTokenizer { preTokenizer }

    public var vocabularySize: Int { vocabulary.pieces.count }

    public func encode(_ text: String, parseSpecialTokens: Bool) -> [Int] {
        var text = text
        return text.withUTF8 { buffer in
            var output: [Int32] = []
            output.reserveCapacity(buffer.count / 3 + 1)
            var scratch = ScalarBuffer()
            if parseSpecialTokens, !vocabulary.addedTokens.isEmpty {
                vocabulary.addedTokens.split(buffer, plain: { range in
                    encodePlain(UnsafeBufferPointer(rebasing: buffer[range]), scratch: &scratch, into: &output)
                }, token: { id in
                    output.append(Int32(id))
                })
            } else {
                encodePlain(buffer, scratch: &scratch, into: &output)
            }
            return output.map(Int.init)
        }
    }

    /// Pre-tokenizes and BPE-encodes text that holds no added tokens to parse.
    private func encodePlain(_ text: UnsafeBufferPointer<UInt8>, scratch: inout ScalarBuffer, into output: inout [Int32]) {
        let bpe = vocabulary.bpe
        let cache = self.cache
        preTokenizer.split(text, scratch: &scratch) { range in
            let word = UnsafeBufferPointer(rebasing: text[range])
            guard word.count <= cache.maxWordLength else {
                bpe.encode(word, into: &output)
                return
            }
            let key = Array(word)
            if let tokens = cache.tokens(for: key) {
                output.append(contentsOf: tokens)
                return
            }
            let start = output.count
            bpe.encode(word, into: &output)
            cache.store(Array(output[start...]), for: key)
        }
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < vocabulary.pieces.count {
            if skipSpecialTokens, vocabulary.isSpecial[id] { continue }
            bytes.append(contentsOf: vocabulary.tokenBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func piece(for id: Int) -> String? {
        vocabulary.pieces.indices.contains(id) ? vocabulary.pieces[id] : nil
    }

    public func bytes(for id: Int) -> [UInt8] {
        vocabulary.tokenBytes.indices.contains(id) ? vocabulary.tokenBytes[id] : []
    }

    public func isSpecial(_ id: Int) -> Bool {
        vocabulary.isSpecial.indices.contains(id) && vocabulary.isSpecial[id]
    }

    public func id(forPiece piece: String) -> Int? {
        vocabulary.idsByPiece[piece]
    }

    /// The type of a token, or nil for an id outside the vocabulary.
    public func tokenType(of id: Int) -> TokenType? {
        vocabulary.types.indices.contains(id) ? vocabulary.types[id] : nil
    }
}
