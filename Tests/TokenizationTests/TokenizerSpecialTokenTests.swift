import Testing
@testable import Tokenization

@Suite("Special tokens are found in text and kept whole")
struct TokenizerSpecialTokenTests {
    let tokenizer: ByteLevelBPETokenizer
    let imStart: Int
    let imEnd: Int
    let think: Int

    init() throws {
        tokenizer = try TinyVocabulary.tokenizer(
            merges: [("<", "|"), ("u", "s")], control: ["<|im_start|>", "<|im_end|>", "<|im_start|>x"],
            userDefined: ["<think>"], eos: "<|im_end|>")
        imStart = try #require(tokenizer.id(forPiece: "<|im_start|>"))
        imEnd = try #require(tokenizer.id(forPiece: "<|im_end|>"))
        think = try #require(tokenizer.id(forPiece: "<think>"))
    }

    @Test("control tokens written in the text become their ids")
    func parsed() throws {
        let ids = tokenizer.encode("<|im_start|>us<|im_end|>", parseSpecialTokens: true)
        let us = try #require(tokenizer.id(forPiece: "us"))
        #expect(ids == [imStart, us, imEnd])
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == "<|im_start|>us<|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "us")
    }

    @Test("with parsing off they are plain text")
    func notParsed() {
        let ids = tokenizer.encode("<|im_start|>", parseSpecialTokens: false)
        #expect(!ids.contains(imStart))
        #expect(TinyVocabulary.pieces("<|im_start|>", tokenizer, parseSpecialTokens: false)
            == ["<|", "i", "m", "_", "s", "t", "a", "r", "t", "|", ">"])
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "<|im_start|>")
    }

    @Test("the longest token starting at the leftmost position wins")
    func leftmostLongest() throws {
        let longer = try #require(tokenizer.id(forPiece: "<|im_start|>x"))
        #expect(tokenizer.encode("<|im_start|>x", parseSpecialTokens: true) == [longer])
        #expect(tokenizer.encode("<|im_start|>y", parseSpecialTokens: true).first == imStart)
    }

    @Test("a partial special token is plain text")
    func partial() {
        for text in ["<|im_start", "<|im_start|", "im_start|>", "<|im_end"] {
            let ids = tokenizer.encode(text, parseSpecialTokens: true)
            #expect(!ids.contains(imStart) && !ids.contains(imEnd), "\(text)")
            #expect(tokenizer.decode(ids, skipSpecialTokens: false) == text)
        }
        #expect(tokenizer.encode("<|im_start<|im_end|>", parseSpecialTokens: true).last == imEnd)
    }

    @Test("user-defined tokens are matched whole but are not special")
    func userDefined() {
        let ids = tokenizer.encode("a<think>b", parseSpecialTokens: true)
        #expect(ids.contains(think))
        #expect(!tokenizer.isSpecial(think))
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "a<think>b")
    }

    @Test("EOS and control tokens named like end-of-turn markers end a turn")
    func endOfTurn() throws {
        #expect(tokenizer.eosTokenID == imEnd)
        #expect(tokenizer.endOfTurnTokenIDs == [imEnd])
        // A piece spelled like an end-of-turn marker counts only when it is a control token.
        let plain = try TinyVocabulary.tokenizer(merges: [], userDefined: ["<|eot_id|>"])
        #expect(plain.endOfTurnTokenIDs.isEmpty)
        let control = try TinyVocabulary.tokenizer(merges: [], control: ["<|eot_id|>", "<end_of_turn>"])
        #expect(control.endOfTurnTokenIDs == [256, 257])
    }
}
