import ChatDataset
import Testing
@testable import Tokenization

@Suite("Pre-tokenizers split text like the reference regular expressions")
struct BPEPreTokenizerTests {
    @Test("GGUF pre-tokenizer names map to their patterns")
    func names() throws {
        #expect(try PreTokenizer(ggufName: "smollm") == .gpt2)
        #expect(try PreTokenizer(ggufName: "gpt2") == .gpt2)
        #expect(try PreTokenizer(ggufName: nil) == .gpt2)
        #expect(try PreTokenizer(ggufName: "llama-bpe") == .llama3)
        #expect(try PreTokenizer(ggufName: "qwen2") == .qwen2)
    }

    @Test("an unknown pre-tokenizer name is an error that names it and the supported ones")
    func unknownName() {
        #expect(throws: TokenizationError.unsupportedPreTokenizer("tekken", source: "model.gguf")) {
            try PreTokenizer(ggufName: "tekken", source: "model.gguf")
        }
        let message = TokenizationError.unsupportedPreTokenizer("tekken", source: "model.gguf").description
        #expect(message.contains("\"tekken\"") && message.contains("model.gguf") && message.contains("llama-bpe"))
    }

    @Test("GPT-2's pattern", arguments: [
        ("Hello world", ["Hello", " world"]),
        ("it's they're we'll I'd", ["it", "'s", " they", "'re", " we", "'ll", " I", "'d"]),
        ("IT'S", ["IT", "'", "S"]),
        ("   x", ["  ", " x"]),
        ("x   ", ["x", "   "]),
        ("a\n\nb", ["a", "\n", "\n", "b"]),
        ("a \n b", ["a", " \n", " b"]),
        ("1,299.99 $5", ["1", ",", "299", ".", "99", " $", "5"]),
        ("héllo wörld", ["héllo", " wörld"]),
        ("cafe\u{301}", ["cafe", "\u{301}"]),
        ("你好，世界", ["你好", "，", "世界"]),
        ("👨‍👩‍👧 ok", ["👨‍👩‍👧", " ok"]),
        ("\u{a0}\u{a0}y", ["\u{a0}", "\u{a0}", "y"]),
    ])
    func gpt2(text: String, words: [String]) {
        #expect(PreTokenizer.gpt2.words(of: text) == words)
    }

    @Test("Llama 3's pattern", arguments: [
        ("it'S x'Re", ["it", "'S", " x", "'Re"]),
        ("12345 digits", ["123", "45", " digits"]),
        ("a \n\n  b", ["a", " \n\n", " ", " b"]),
        ("x.\r\ny", ["x", ".\r\n", "y"]),
        ("(hello)", ["(hello", ")"]),
    ])
    func llama3(text: String, words: [String]) {
        #expect(PreTokenizer.llama3.words(of: text) == words)
    }

    @Test("Qwen 2's pattern splits digits one by one")
    func qwen2() {
        #expect(PreTokenizer.qwen2.words(of: "x 2024") == ["x", " ", "2", "0", "2", "4"])
    }

    /// Scalar lengths of each word, as the fixture stores them.
    private func lengths(_ pattern: PreTokenizer, _ text: String) -> [Int] {
        pattern.words(of: text).map(\.unicodeScalars.count)
    }

    private struct Splits: Decodable {
        let llama3: [Int]
        let qwen2: [Int]
    }

    @Test("Llama 3 and Qwen 2 patterns agree with Hugging Face tokenizers on the whole corpus")
    func corpusSplits() throws {
        let splits = try TokenizerFixtures.lines("pretokenizer_splits.jsonl", as: Splits.self)
        let corpus = TokenizerFixtures.corpus
        try #require(corpus.count >= 2_000 && splits.count == corpus.count)
        var failures: [String] = []
        for (text, expected) in zip(corpus, splits) {
            for (pattern, reference) in [(PreTokenizer.llama3, expected.llama3), (.qwen2, expected.qwen2)] {
                let actual = lengths(pattern, text)
                if actual != reference {
                    failures.append("\(pattern) \(text.debugDescription): expected lengths \(reference), got \(actual)")
                }
            }
        }
        #expect(failures.count == 0, Comment(rawValue: "\(failures.count) differ; first: \(failures.prefix(5).joined(separator: "\n"))"))
    }

    @Test("words always cover the text exactly", arguments: PreTokenizer.allCases)
    func coverage(pattern: PreTokenizer) {
        var generator = SeededGenerator(seed: 7)
        let pool = Array("aZ9 \n\r\t.'’sSé你😀\u{301}\u{200d}\u{a0}½")
        for _ in 0..<300 {
            let text = String((0..<Int.random(in: 0...20, using: &generator)).compactMap { _ in pool.randomElement(using: &generator) })
            let words = pattern.words(of: text)
            #expect(words.joined() == text)
            #expect(!words.contains(""))
        }
    }
}
