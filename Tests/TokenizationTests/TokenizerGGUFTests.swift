import Foundation
import GGUF
import Testing
@testable import Tokenization

@Suite("A tokenizer is read from GGUF metadata")
struct TokenizerGGUFTests {
    /// Writes a tiny GGUF holding only tokenizer metadata, then opens it.
    private func gguf(pre: String? = "smollm", _ edit: (inout GGUFWriter) -> Void = { _ in }) throws -> GGUFFile {
        let parts = TinyVocabulary.parts(merges: [("h", "i"), (" ", "hi")], control: ["<|im_start|>", "<|im_end|>"])
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        if let pre { writer.set("tokenizer.ggml.pre", .string(pre)) }
        writer.set("tokenizer.ggml.tokens", .array(parts.tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.merges", .array(parts.merges.map { .string($0) }))
        writer.set("tokenizer.ggml.token_type", .array(parts.types.map { .int32($0.rawValue) }))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(parts.tokens.count - 2)))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(parts.tokens.count - 1)))
        writer.set("tokenizer.ggml.add_bos_token", .bool(true))
        edit(&writer)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(contentsOf: url)
    }

    @Test("vocabulary, merges, types and special ids come back from the file")
    func readsTokenizer() throws {
        let file = try gguf()
        let tokenizer = try ByteLevelBPETokenizer(gguf: file)
        #expect(tokenizer.vocabularySize == 256 + 2 + 2)
        #expect(tokenizer.bosTokenID == 258)
        #expect(tokenizer.eosTokenID == 259)
        #expect(tokenizer.addsBOS)
        #expect(tokenizer.endOfTurnTokenIDs == [259])
        #expect(tokenizer.isSpecial(258) && !tokenizer.isSpecial(256))
        let ids = tokenizer.encode("<|im_start|>hi hi<|im_end|>", parseSpecialTokens: true)
        #expect(ids == [258, 256, 257, 259])
        #expect(tokenizer.piece(for: 257) == "Ġhi")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "hi hi")
    }

    @Test("an end-of-turn id in the metadata joins EOS")
    func endOfTurnKey() throws {
        let tokenizer = try ByteLevelBPETokenizer(gguf: try gguf { $0.set("tokenizer.ggml.eot_token_id", .uint32(258)) })
        #expect(tokenizer.endOfTurnTokenIDs == [258, 259])
    }

    @Test("tokenizer.ggml.pre picks the split pattern; a file without it gets GPT-2's, as in the reference")
    func preTokenizerName() throws {
        #expect(try ByteLevelBPETokenizer(gguf: try gguf(pre: "llama-bpe")).preTokenizerPattern == .llama3)
        #expect(try ByteLevelBPETokenizer(gguf: try gguf(pre: "qwen2")).preTokenizerPattern == .qwen2)
        #expect(try ByteLevelBPETokenizer(gguf: try gguf(pre: nil)).preTokenizerPattern == .gpt2)
    }

    @Test("a tokenizer other than byte-level BPE is an error naming its type")
    func nonGPT2Model() throws {
        let file = try gguf { $0.set("tokenizer.ggml.model", .string("llama")) }
        #expect(throws: TokenizationError.unsupportedModel("llama", source: file.url.path)) {
            try ByteLevelBPETokenizer(gguf: file)
        }
        let message = TokenizationError.unsupportedModel("llama", source: file.url.path).description
        #expect(message.contains("\"llama\"") && message.contains(file.url.path) && message.contains("gpt2"))
    }

    @Test("an unknown pre-tokenizer is an error naming it")
    func unknownPre() throws {
        let file = try gguf { $0.set("tokenizer.ggml.pre", .string("mystery-bpe")) }
        #expect(throws: TokenizationError.unsupportedPreTokenizer("mystery-bpe", source: file.url.path)) {
            try ByteLevelBPETokenizer(gguf: file)
        }
    }

    @Test("missing or mistyped metadata is an error naming the key")
    func badMetadata() throws {
        let noModel = try gguf { $0.set("tokenizer.ggml.model", .uint8(1)) }
        #expect(throws: TokenizationError.invalidMetadata(key: "tokenizer.ggml.model", source: noModel.url.path,
                                                          message: "expected a string")) {
            try ByteLevelBPETokenizer(gguf: noModel)
        }
        let badTokens = try gguf { $0.set("tokenizer.ggml.tokens", .array([.uint8(1)])) }
        #expect(throws: TokenizationError.invalidMetadata(key: "tokenizer.ggml.tokens", source: badTokens.url.path,
                                                          message: "expected an array of strings")) {
            try ByteLevelBPETokenizer(gguf: badTokens)
        }
        let badBOS = try gguf { $0.set("tokenizer.ggml.bos_token_id", .uint32(9_999)) }
        #expect(throws: TokenizationError.self) { try ByteLevelBPETokenizer(gguf: badBOS) }
    }

    @Test("a file with no tokenizer at all says which key is missing")
    func noTokenizer() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-tokenizer-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try GGUFFile(contentsOf: url)
        #expect(throws: TokenizationError.missingMetadata(key: "tokenizer.ggml.model", source: url.path)) {
            try ByteLevelBPETokenizer(gguf: file)
        }
    }

    @Test("merges that name pieces outside the vocabulary are an error naming the merge")
    func badMerges() throws {
        let parts = TinyVocabulary.parts(merges: [])
        #expect(throws: TokenizationError.invalidMerge(index: 1, merge: "x yz", source: "tokenizer built in code",
                                                       reason: "\"yz\" is not in the vocabulary")) {
            try ByteLevelBPETokenizer(tokens: parts.tokens + ["xy"], merges: ["x y", "x yz"])
        }
        #expect(throws: TokenizationError.invalidMerge(index: 0, merge: "a b", source: "tokenizer built in code",
                                                       reason: "the merged piece \"ab\" is not in the vocabulary")) {
            try ByteLevelBPETokenizer(tokens: parts.tokens, merges: ["a b"])
        }
        #expect(throws: TokenizationError.invalidMerge(index: 0, merge: "ab", source: "tokenizer built in code",
                                                       reason: "expected two pieces separated by one space")) {
            try ByteLevelBPETokenizer(tokens: parts.tokens, merges: ["ab"])
        }
    }
}
