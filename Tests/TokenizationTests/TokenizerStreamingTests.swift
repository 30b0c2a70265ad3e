import ChatDataset
import Testing
@testable import Tokenization

@Suite("Streaming detokenization holds back incomplete characters")
struct TokenizerStreamingTests {
    /// One token per byte: every multi-byte character arrives split across tokens.
    let bytes: ByteLevelBPETokenizer

    init() throws {
        bytes = try TinyVocabulary.tokenizer(merges: [], control: ["<|im_end|>"])
    }

    private func ids(_ text: String) -> [Int] { bytes.encode(text, parseSpecialTokens: true) }

    @Test("an emoji split over four byte tokens comes out whole with its last byte")
    func emojiSplitAcrossTokens() {
        let ids = ids("😀")
        #expect(ids.count == 4)
        var detokenizer = StreamingDetokenizer(tokenizer: bytes)
        #expect(ids.map { detokenizer.append($0) } == ["", "", "", "😀"])
        #expect(detokenizer.finish() == "")
    }

    @Test("a ZWJ family and CJK text stream to the same text as decode")
    func multiScalar() {
        let text = "a👨‍👩‍👧‍👦b你好<|im_end|>é"
        let ids = ids(text)
        var detokenizer = StreamingDetokenizer(tokenizer: bytes)
        let pieces = ids.map { detokenizer.append($0) }
        #expect(pieces.joined() + detokenizer.finish() == text)
        #expect(pieces.contains("你") && pieces.contains("<|im_end|>"))
        var skipping = StreamingDetokenizer(tokenizer: bytes, skipSpecialTokens: true)
        #expect(ids.map { skipping.append($0) }.joined() + skipping.finish() == bytes.decode(ids, skipSpecialTokens: true))
    }

    @Test("an unfinished character at the end becomes U+FFFD, as decode makes it")
    func unfinished() {
        let ids = Array(ids("😀").dropLast())
        var detokenizer = StreamingDetokenizer(tokenizer: bytes)
        #expect(ids.map { detokenizer.append($0) }.joined() == "")
        #expect(detokenizer.finish() == bytes.decode(ids, skipSpecialTokens: false))
        #expect(bytes.decode(ids, skipSpecialTokens: false) == "\u{FFFD}")
    }

    @Test("random byte sequences, valid or not, stream exactly as decode reads them")
    func randomBytes() {
        var generator = SeededGenerator(seed: 1)
        let interesting: [UInt8] = [0x41, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xA0, 0x9F, 0xEF, 0xF0, 0xF4, 0x90, 0x8F, 0xF5, 0xFF]
        for _ in 0..<2_000 {
            let sequence = (0..<Int.random(in: 1...10, using: &generator)).map { _ in
                Int(interesting.randomElement(using: &generator) ?? 0x41)
            }
            // Byte b is token b's bytes only if the alphabet maps it so; look the ids up to be sure.
            let ids = sequence.compactMap { bytes.id(forPiece: ByteEncoding.piece(ofBytes: [UInt8($0)])) }
            var detokenizer = StreamingDetokenizer(tokenizer: bytes)
            let streamed = ids.map { detokenizer.append($0) }.joined() + detokenizer.finish()
            #expect(streamed == bytes.decode(ids, skipSpecialTokens: false), "bytes \(sequence)")
        }
    }

    @Test("text is released as soon as a character is complete")
    func releasesEarly() {
        var detokenizer = StreamingDetokenizer(tokenizer: bytes)
        #expect(ids("ab").map { detokenizer.append($0) } == ["a", "b"])
        // 0xE0 0x80 can never be completed: released at once as replacement characters.
        let lone = [0xE0, 0x80].compactMap { bytes.id(forPiece: ByteEncoding.piece(ofBytes: [UInt8($0)])) }
        #expect(detokenizer.append(lone[0]) == "")
        #expect(detokenizer.append(lone[1]) == "\u{FFFD}\u{FFFD}")
    }

    @Test("ids outside the vocabulary add nothing")
    func unknownIDs() {
        var detokenizer = StreamingDetokenizer(tokenizer: bytes)
        #expect(detokenizer.append(-1) == "")
        #expect(detokenizer.append(1_000_000) == "")
        #expect(detokenizer.finish() == "")
    }
}
