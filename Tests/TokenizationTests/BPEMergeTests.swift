import ChatDataset
import Testing
@testable import Tokenization

/// Small byte-level vocabularies built in code: the 256 byte tokens, then one token per merge,
/// then added tokens.
enum TinyVocabulary {
    /// The GPT-2 alphabet spelling of plain text (`" the"` is `"Ġthe"`).
    static func spell(_ text: String) -> String { ByteEncoding.piece(ofBytes: text.utf8) }

    static let byteTokens: [String] = (0..<256).map { ByteEncoding.piece(ofBytes: [UInt8($0)]) }

    /// - Parameters:
    ///   - merges: Pairs of plain-text pieces, best first; each merged piece joins the vocabulary.
    ///   - control: Control tokens (special), e.g. `"<|im_start|>"`.
    ///   - userDefined: User-defined added tokens (matched whole, not special).
    static func parts(merges: [(String, String)], control: [String] = [], userDefined: [String] = [])
        -> (tokens: [String], merges: [String], types: [TokenType]) {
        var tokens = byteTokens
        var rules: [String] = []
        for (left, right) in merges {
            let merged = spell(left + right)
            if !tokens.contains(merged) { tokens.append(merged) }
            rules.append("\(spell(left)) \(spell(right))")
        }
        var types = [TokenType](repeating: .normal, count: tokens.count)
        tokens += control
        types += control.map { _ in .control }
        tokens += userDefined
        types += userDefined.map { _ in .userDefined }
        return (tokens, rules, types)
    }

    static func tokenizer(merges: [(String, String)], control: [String] = [], userDefined: [String] = [],
                          preTokenizer: String = "gpt2", eos: String? = nil) throws -> ByteLevelBPETokenizer {
        let parts = parts(merges: merges, control: control, userDefined: userDefined)
        return try ByteLevelBPETokenizer(
            tokens: parts.tokens, merges: parts.merges, tokenTypes: parts.types, preTokenizer: preTokenizer,
            eosTokenID: eos.flatMap { parts.tokens.firstIndex(of: $0) })
    }

    /// The plain-text pieces a string encodes to.
    static func pieces(_ text: String, _ tokenizer: ByteLevelBPETokenizer, parseSpecialTokens: Bool = true) -> [String] {
        tokenizer.encode(text, parseSpecialTokens: parseSpecialTokens).map {
            String(decoding: tokenizer.bytes(for: $0), as: UTF8.self)
        }
    }
}

/// GPT-2's original merge loop (openai/gpt-2 src/encoder.py, `bpe`): merge every occurrence of the
/// best-ranked pair, left to right, until no pair has a rank. The heap in `BPEModel` must agree.
private func referenceBPE(_ word: [String], ranks: [String: Int]) -> [String] {
    var parts = word
    while parts.count > 1 {
        var best: (rank: Int, pair: (String, String))?
        for index in 0..<(parts.count - 1) {
            if let rank = ranks[parts[index] + " " + parts[index + 1]], rank < best?.rank ?? .max {
                best = (rank, (parts[index], parts[index + 1]))
            }
        }
        guard let best else { break }
        var merged: [String] = []
        var index = 0
        while index < parts.count {
            if index + 1 < parts.count, parts[index] == best.pair.0, parts[index + 1] == best.pair.1 {
                merged.append(parts[index] + parts[index + 1])
                index += 2
            } else {
                merged.append(parts[index])
                index += 1
            }
        }
        parts = merged
    }
    return parts
}

@Suite("BPE merges follow their ranks")
struct BPEMergeTests {
    @Test("the better-ranked merge wins when two overlap")
    func rankOrder() throws {
        let abFirst = try TinyVocabulary.tokenizer(merges: [("a", "b"), ("b", "c")])
        #expect(TinyVocabulary.pieces("abc", abFirst) == ["ab", "c"])
        let bcFirst = try TinyVocabulary.tokenizer(merges: [("b", "c"), ("a", "b")])
        #expect(TinyVocabulary.pieces("abc", bcFirst) == ["a", "bc"])
    }

    @Test("equal pairs merge from the left, without overlapping")
    func leftmostFirst() throws {
        let tokenizer = try TinyVocabulary.tokenizer(merges: [("a", "a")])
        #expect(TinyVocabulary.pieces("aaa", tokenizer) == ["aa", "a"])
        #expect(TinyVocabulary.pieces("aaaa", tokenizer) == ["aa", "aa"])
    }

    @Test("merges build on earlier merges, and words stay apart")
    func chainedMerges() throws {
        let tokenizer = try TinyVocabulary.tokenizer(merges: [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (" ", "w")])
        #expect(TinyVocabulary.pieces("hello", tokenizer) == ["hello"])
        #expect(TinyVocabulary.pieces("hello world", tokenizer) == ["hello", " w", "o", "r", "l", "d"])
        // No merge crosses the word boundary the pre-tokenizer put between "o" and " ".
        #expect(TinyVocabulary.pieces("ho w", tokenizer) == ["h", "o", " w"])
    }

    @Test("a pair listed twice ranks by its later position, as in the reference")
    func duplicateMergeRank() throws {
        let tokenizer = try TinyVocabulary.tokenizer(merges: [("a", "b"), ("b", "c"), ("a", "b")])
        #expect(TinyVocabulary.pieces("abc", tokenizer) == ["a", "bc"])
    }

    @Test("the merge queue agrees with GPT-2's merge loop on random vocabularies and words")
    func agreesWithReferenceLoop() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<40 {
            var pieces = ["a", "b", "c"]
            var merges: [(String, String)] = []
            for _ in 0..<Int.random(in: 3...25, using: &generator) {
                let left = pieces.randomElement(using: &generator) ?? "a"
                let right = pieces.randomElement(using: &generator) ?? "b"
                guard !merges.contains(where: { $0 == (left, right) }) else { continue }
                merges.append((left, right))
                if !pieces.contains(left + right) { pieces.append(left + right) }
            }
            let tokenizer = try TinyVocabulary.tokenizer(merges: merges)
            var ranks: [String: Int] = [:]
            for (rank, merge) in merges.enumerated() { ranks[merge.0 + " " + merge.1] = rank }
            for _ in 0..<50 {
                let word = String((0..<Int.random(in: 1...30, using: &generator)).map { _ in
                    "abc".randomElement(using: &generator) ?? "a"
                })
                let expected = referenceBPE(word.map(String.init), ranks: ranks)
                #expect(TinyVocabulary.pieces(word, tokenizer) == expected, "word \(word), merges \(merges)")
            }
        }
    }

    @Test("a long word (a run of 5,000 spaces) merges in reasonable time and round-trips")
    func longWord() throws {
        let tokenizer = try TinyVocabulary.tokenizer(merges: [(" ", " "), ("  ", "  "), ("    ", "    ")])
        let text = String(repeating: " ", count: 5_000) + "x"
        let pieces = TinyVocabulary.pieces(text, tokenizer)
        #expect(pieces.joined() == text)
        #expect(pieces.filter { $0 == "        " }.count == 624)
    }

    @Test("bytes the vocabulary lacks are dropped, as the reference does without an unknown token")
    func missingByte() throws {
        var parts = TinyVocabulary.parts(merges: [])
        let x = try #require(parts.tokens.firstIndex(of: "x"))
        parts.tokens[x] = "<no x>"
        let tokenizer = try ByteLevelBPETokenizer(tokens: parts.tokens, merges: parts.merges)
        #expect(tokenizer.decode(tokenizer.encode("axb", parseSpecialTokens: false), skipSpecialTokens: false) == "ab")
    }
}
