import ChatDataset
import Testing
@testable import Tokenization

@Suite("Any input is handled without failing")
struct TokenizerInvalidInputTests {
    /// Every byte is a token, so every string round-trips exactly.
    let tokenizer: ByteLevelBPETokenizer

    init() throws {
        tokenizer = try TinyVocabulary.tokenizer(merges: [("a", "b"), (" ", "t")], control: ["<|im_start|>"])
    }

    @Test("every string encodes and decodes back to itself, whatever its scalars",
          arguments: PreTokenizer.allCases.map(\.rawValue))
    func randomStrings(preTokenizer: String) throws {
        let tokenizer = try TinyVocabulary.tokenizer(merges: [("a", "b")], control: ["<|im_start|>"], preTokenizer: preTokenizer)
        var generator = SeededGenerator(seed: 99)
        let ranges: [ClosedRange<UInt32>] = [0x0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let range = ranges.randomElement(using: &generator) ?? ranges[0]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let ids = tokenizer.encode(text, parseSpecialTokens: true)
            #expect(ids.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) })
            #expect(tokenizer.decode(ids, skipSpecialTokens: false) == text)
        }
    }

    @Test("edge strings: empty, NUL, lone combining marks, noncharacters, a long run")
    func edgeStrings() {
        for text in ["", "\0", "\u{301}", "\u{FFFF}\u{10FFFF}", "\u{FEFF}", String(repeating: "ab", count: 10_000),
                     String(repeating: "\n", count: 1_000), "<|im_start|><|im_start|"] {
            let ids = tokenizer.encode(text, parseSpecialTokens: true)
            #expect(tokenizer.decode(ids, skipSpecialTokens: false) == text)
        }
        #expect(tokenizer.encode("", parseSpecialTokens: true).isEmpty)
    }

    @Test("decode skips ids outside the vocabulary (as the reference does)")
    func outOfRangeIDs() throws {
        let ab = try #require(tokenizer.id(forPiece: "ab"))
        #expect(tokenizer.decode([-1, ab, tokenizer.vocabularySize, Int.max, Int.min, ab], skipSpecialTokens: false) == "abab")
        #expect(tokenizer.piece(for: -1) == nil)
        #expect(tokenizer.piece(for: tokenizer.vocabularySize) == nil)
        #expect(tokenizer.bytes(for: Int.max).isEmpty)
        #expect(!tokenizer.isSpecial(-5))
        #expect(tokenizer.tokenType(of: 1 << 40) == nil)
        #expect(tokenizer.id(forPiece: "no such piece") == nil)
    }

    @Test("a tokenizer is usable from many tasks at once (shared word cache)")
    func concurrentEncoding() async {
        let tokenizer = self.tokenizer
        let texts = (0..<64).map { "ab tab \($0) " + String(repeating: "ab", count: $0) }
        await withTaskGroup(of: Bool.self) { group in
            for text in texts {
                group.addTask {
                    (0..<20).allSatisfy { _ in
                        tokenizer.decode(tokenizer.encode(text, parseSpecialTokens: true), skipSpecialTokens: false) == text
                    }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
