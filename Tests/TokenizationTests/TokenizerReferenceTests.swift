import Foundation
import GGUF
import Testing
@testable import Tokenization

/// The real model (SmolLM2-135M-Instruct) and the reference fixtures under `Fixtures/tokenizer/`,
/// written by scripts/reference/make_tokenizer_fixtures.py.
enum TokenizerFixtures {
    /// `$FINETUNE_TEST_MODEL`, else `$FINETUNE_HOME/models/smollm2-135m-instruct/...` (FINETUNE_HOME
    /// defaults to ~/.cache/finetune); nil when neither file exists.
    static let modelURL: URL? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let path = environment["FINETUNE_TEST_MODEL"], !path.isEmpty { candidates.append(path) }
        let home = environment["FINETUNE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/finetune"
        candidates.append(home + "/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }()

    static var hasModel: Bool { modelURL != nil }

    /// The model's tokenizer, loaded once for all tests.
    static let smolLMResult: Result<ByteLevelBPETokenizer, any Error>? = modelURL.map { url in
        Result { try ByteLevelBPETokenizer(gguf: GGUFFile(contentsOf: url)) }
    }

    static func smolLM() throws -> ByteLevelBPETokenizer {
        try #require(smolLMResult, "the model file is absent").get()
    }

    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizer/\(name)")
    }

    /// Decodes each non-empty line of a JSON Lines fixture.
    static func lines<Record: Decodable>(_ name: String, as type: Record.Type) throws -> [Record] {
        let data = try Data(contentsOf: url(name))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Record.self, from: Data($0)) }
    }

    struct CorpusLine: Decodable { let text: String }

    /// The reference's ids and decodings for one corpus line.
    struct Expected: Decodable {
        let ids: [Int]
        let plainIDs: [Int]?
        let decoded: String?
        let decodedSkip: String?
        enum CodingKeys: String, CodingKey {
            case ids, decoded
            case plainIDs = "plain_ids"
            case decodedSkip = "decoded_skip"
        }
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let decoded: String
        let decodedSkip: String
        enum CodingKeys: String, CodingKey {
            case ids, decoded
            case decodedSkip = "decoded_skip"
        }
    }

    static let corpus: [String] = (try? lines("corpus.jsonl", as: CorpusLine.self).map(\.text)) ?? []

    /// Corpus lines paired with the reference's answers.
    static func cases() throws -> [(text: String, expected: Expected)] {
        let expected = try lines("smollm2-135m-instruct.jsonl", as: Expected.self)
        try #require(expected.count == corpus.count, "fixture files disagree; rerun the reference script")
        return Array(zip(corpus, expected)).map { (text: $0.0, expected: $0.1) }
    }

    /// Ids as vocabulary pieces, for failure messages.
    static func pieces(_ ids: [Int], _ tokenizer: some Tokenizer) -> String {
        ids.map { tokenizer.piece(for: $0).map { "\($0.debugDescription)" } ?? "#\($0)" }.joined(separator: " ")
    }

    /// A report of the first few mismatches.
    static func report(_ mismatches: [(text: String, expected: [Int], actual: [Int])], of total: Int,
                       tokenizer: some Tokenizer) -> Comment {
        var lines = ["\(mismatches.count) of \(total) strings differ from the reference; the first ones:"]
        for mismatch in mismatches.prefix(5) {
            lines.append("text:     \(mismatch.text.debugDescription)")
            lines.append("expected: \(pieces(mismatch.expected, tokenizer))")
            lines.append("actual:   \(pieces(mismatch.actual, tokenizer))")
        }
        return Comment(rawValue: lines.joined(separator: "\n"))
    }
}

@Suite("The SmolLM2 tokenizer agrees with the reference", .enabled(if: TokenizerFixtures.hasModel))
struct TokenizerReferenceTests {
    @Test("the GGUF metadata gives the vocabulary, special ids and split pattern")
    func metadata() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        #expect(tokenizer.vocabularySize == 49_152)
        #expect(tokenizer.bosTokenID == 1)
        #expect(tokenizer.eosTokenID == 2)
        #expect(tokenizer.addsBOS == false)
        #expect(tokenizer.endOfTurnTokenIDs == [0, 2])   // <|endoftext|> and <|im_end|>
        #expect(tokenizer.preTokenizerPattern == .gpt2)
        #expect(tokenizer.piece(for: 1) == "<|im_start|>")
        #expect(tokenizer.id(forPiece: "<|im_end|>") == 2)
        #expect(tokenizer.isSpecial(1) && tokenizer.isSpecial(16) && !tokenizer.isSpecial(17))
        #expect(tokenizer.tokenType(of: 0) == .control)
        let the = try #require(tokenizer.id(forPiece: "Ġthe"))
        #expect(tokenizer.bytes(for: the) == Array(" the".utf8))
    }

    @Test("every corpus string encodes to the reference's ids")
    func encodeMatchesReference() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        let cases = try TokenizerFixtures.cases()
        #expect(cases.count >= 2_000)
        var mismatches: [(text: String, expected: [Int], actual: [Int])] = []
        for (text, expected) in cases {
            let actual = tokenizer.encode(text, parseSpecialTokens: true)
            if actual != expected.ids { mismatches.append((text, expected.ids, actual)) }
        }
        #expect(mismatches.count == 0, TokenizerFixtures.report(mismatches, of: cases.count, tokenizer: tokenizer))
    }

    @Test("with special-token parsing off, special tokens in the text are tokenized as text")
    func plainTextSpecials() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        let cases = try TokenizerFixtures.cases()
        var checked = 0
        var mismatches: [(text: String, expected: [Int], actual: [Int])] = []
        for (text, expected) in cases {
            let reference = expected.plainIDs ?? expected.ids
            checked += expected.plainIDs == nil ? 0 : 1
            let actual = tokenizer.encode(text, parseSpecialTokens: false)
            if actual != reference { mismatches.append((text, reference, actual)) }
        }
        #expect(checked > 100, "the corpus should hold many strings with special tokens")
        #expect(mismatches.count == 0, TokenizerFixtures.report(mismatches, of: cases.count, tokenizer: tokenizer))
    }

    @Test("decoding gives back every corpus string, and decodes as the reference does")
    func decodeRoundTrips() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        var failures: [String] = []
        for (text, expected) in try TokenizerFixtures.cases() {
            let roundTrip = tokenizer.decode(tokenizer.encode(text, parseSpecialTokens: true), skipSpecialTokens: false)
            if roundTrip != text { failures.append("round trip of \(text.debugDescription) gave \(roundTrip.debugDescription)") }
            let decoded = tokenizer.decode(expected.ids, skipSpecialTokens: false)
            if decoded != expected.decoded ?? text { failures.append("decode of \(expected.ids) gave \(decoded.debugDescription)") }
            let skipped = tokenizer.decode(expected.ids, skipSpecialTokens: true)
            let reference = expected.decodedSkip ?? expected.decoded ?? text
            if skipped != reference {
                failures.append("decode skipping specials of \(expected.ids) gave \(skipped.debugDescription), expected \(reference.debugDescription)")
            }
        }
        #expect(failures.count == 0, Comment(rawValue: "\(failures.count) failures; first: \(failures.prefix(5).joined(separator: "\n"))"))
    }

    @Test("id sequences a model may generate (split characters, unknown ids) decode as in the reference")
    func decodeCases() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        let cases = try TokenizerFixtures.lines("decode_cases.jsonl", as: TokenizerFixtures.DecodeCase.self)
        #expect(cases.count >= 300)
        for item in cases {
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: false) == item.decoded, "ids \(item.ids)")
            #expect(tokenizer.decode(item.ids, skipSpecialTokens: true) == item.decodedSkip, "ids \(item.ids)")
        }
    }

    @Test("streaming detokenization produces the same text as decode, for the corpus and the decode cases")
    func streamingMatchesDecode() throws {
        let tokenizer = try TokenizerFixtures.smolLM()
        var sequences = try TokenizerFixtures.cases().map(\.expected.ids)
        sequences += try TokenizerFixtures.lines("decode_cases.jsonl", as: TokenizerFixtures.DecodeCase.self).map(\.ids)
        for skip in [false, true] {
            var failures = 0
            for ids in sequences {
                var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: skip)
                var streamed = ids.map { detokenizer.append($0) }.joined()
                streamed += detokenizer.finish()
                let decoded = tokenizer.decode(ids, skipSpecialTokens: skip)
                if streamed != decoded {
                    failures += 1
                    if failures <= 5 { Issue.record("ids \(ids): streamed \(streamed.debugDescription), decoded \(decoded.debugDescription)") }
                }
            }
            #expect(failures == 0)
        }
    }
}
