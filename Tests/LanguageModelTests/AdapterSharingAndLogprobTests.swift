import ChatDataset
import Foundation
import GGUF
import Testing
import Tokenization
@testable import LanguageModel

/// A random adapter on every target of `TinyLlama`, large enough to move the logits.
private func randomAdapter(rank: Int = 4, seed: UInt64 = 7, layers: Int = TinyLlama.configuration.layerCount) -> LowRankAdapter {
    var random = SeededGenerator(seed: seed)
    let c = TinyLlama.configuration
    let blocks = (0..<layers).map { _ in
        Dictionary(uniqueKeysWithValues: LoRATarget.allCases.map { target in
            let shape = target.shape(in: c)
            let factors = LowRankAdapter.Factors(a: (0..<(rank * shape.in)).map { _ in random.uniform() * 0.5 },
                                                 b: (0..<(shape.out * rank)).map { _ in random.uniform() * 0.5 })
            return (target, factors)
        })
    }
    return LowRankAdapter(rank: rank, alpha: 8, targets: LoRATarget.allCases, layers: blocks)
}

/// One printable byte per id, no special tokens and no end of turn, so generation runs to `maxTokens`.
private struct ByteTokenizer: Tokenizer {
    let vocabularySize = TinyLlama.configuration.vocabularySize
    let bosTokenID: Int? = nil
    let eosTokenID: Int? = nil
    let addsBOS = false
    let endOfTurnTokenIDs: Set<Int> = []
    func encode(_ text: String, parseSpecialTokens: Bool) -> [Int] { text.utf8.map { Int($0) % vocabularySize } }
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String { String(decoding: ids.flatMap(bytes(for:)), as: UTF8.self) }
    func piece(for id: Int) -> String? { (0..<vocabularySize).contains(id) ? String(decoding: bytes(for: id), as: UTF8.self) : nil }
    func bytes(for id: Int) -> [UInt8] { (0..<vocabularySize).contains(id) ? [UInt8(33 + id % 90)] : [] }
    func isSpecial(_ id: Int) -> Bool { false }
    func id(forPiece piece: String) -> Int? { nil }
}

@Suite("LlamaModel.withAdapter shares the base model")
struct AdapterSharingTests {
    static let prompt = [5, 17, 99, 0, 42, 42, 7, 63, 1, 88]

    @Test("withAdapter(nil) gives the base model's logits exactly")
    func noAdapterSameLogits() throws {
        let tiny = try TinyLlama(type: .q4_1)
        defer { tiny.remove() }
        let base = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let bare = try base.withAdapter(nil)
        #expect(bare.adapter == nil)
        #expect(bare.pool === base.pool)
        let expected = try base.forward(Self.prompt, session: base.makeSession(), logits: .all)
        #expect(try bare.forward(Self.prompt, session: bare.makeSession(), logits: .all) == expected)
    }

    @Test("an adapter attached later gives the logits of a model loaded with it, and changes the base's")
    func attachedAdapterSameLogits() throws {
        let tiny = try TinyLlama(type: .q8_0)
        defer { tiny.remove() }
        let file = try GGUFFile(contentsOf: tiny.url)
        let adapter = randomAdapter()
        let loaded = try LlamaModel(file: file, threads: 2, adapter: adapter)
        let base = try LlamaModel(file: file, threads: 2)
        let attached = try base.withAdapter(adapter)
        #expect(attached.pool === base.pool)
        let expected = try loaded.forward(Self.prompt, session: loaded.makeSession(), logits: .all)
        let actual = try attached.forward(Self.prompt, session: attached.makeSession(), logits: .all)
        #expect(actual == expected)
        let plain = try base.forward(Self.prompt, session: base.makeSession(), logits: .all)
        #expect(zip(plain, actual).map { abs($0 - $1) }.max()! > 1e-3, "the adapter must change the logits")
    }

    @Test("an adapter for another model is refused")
    func mismatchRefused() throws {
        let tiny = try TinyLlama()
        defer { tiny.remove() }
        let base = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 1)
        #expect(throws: LanguageModelError.self) { try base.withAdapter(randomAdapter(layers: 3)) }
    }

    @Test("models sharing a pool can run forward passes from several threads at once")
    func concurrentForwardPasses() async throws {
        let tiny = try TinyLlama(type: .q4_0)
        defer { tiny.remove() }
        let base = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let tuned = try base.withAdapter(randomAdapter())
        let expectedBase = try base.forward(Self.prompt, session: base.makeSession(), logits: .last)
        let expectedTuned = try tuned.forward(Self.prompt, session: tuned.makeSession(), logits: .last)
        let results = await withTaskGroup(of: (Bool, [Float]).self) { group in
            for index in 0..<8 {
                let model = index.isMultiple(of: 2) ? base : tuned
                group.addTask {
                    (index.isMultiple(of: 2), (try? model.forward(Self.prompt, session: model.makeSession(), logits: .last)) ?? [])
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (isBase, logits) in results { #expect(logits == (isBase ? expectedBase : expectedTuned)) }
    }
}

@Suite("Token log probabilities")
struct TokenLogprobTests {
    @Test("log probabilities are a log-softmax: ≤ 0 and their exponentials sum to 1")
    func logSoftmax() {
        let logits: [Float] = [2, -1, 0.5, 7, 7, -30, 3]
        let probabilities = TokenProbabilities(logits: logits)
        let values = logits.indices.map { probabilities.logprob(of: $0) }
        #expect(values.allSatisfy { $0 <= 0 })
        #expect(abs(values.map { exp(Double($0)) }.reduce(0, +) - 1) < 1e-5)
        #expect(abs(values[3] - values[0] - 5) < 1e-5)
        #expect(probabilities.logprob(of: 99) == -.infinity)
    }

    @Test("top(k) lists the k most likely tokens, most likely first, ties by id")
    func topK() {
        let logits: [Float] = [2, -1, 0.5, 7, 7, -30, 3]
        let top = TokenProbabilities(logits: logits).top(4)
        #expect(top.map(\.id) == [3, 4, 6, 0])
        #expect(top[0].logprob == top[1].logprob)
        #expect(TokenProbabilities(logits: logits).top(0).isEmpty)
        #expect(TokenProbabilities(logits: logits).top(20).count == logits.count)
    }

    @Test("greedy generation reports each token with the top alternative being that token")
    func greedySteps() throws {
        let tiny = try TinyLlama(type: .q8_0)
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 2)
        let generator = TextGenerator(model: model, tokenizer: ByteTokenizer())
        var steps: [GenerationStep] = []
        let result = try generator.generateSteps(prompt: [1, 2, 3], parameters: .init(maxTokens: 6, topLogprobs: 3)) {
            steps.append($0)
            return true
        }
        #expect(result.tokens.count == 6)
        #expect(result.finishReason == .length)
        #expect(steps.compactMap(\.token) == result.tokens)
        #expect(steps.map(\.text).joined() == result.text)
        for step in steps where step.token != nil {
            let logprob = try #require(step.logprob)
            #expect(logprob.id == step.token)
            #expect(logprob.logprob <= 0)
            #expect(step.alternatives.count == 3)
            #expect(step.alternatives.first?.id == step.token)
            #expect(step.alternatives.map(\.logprob) == step.alternatives.map(\.logprob).sorted(by: >))
        }
        // The same run through `generate` gives the same text, and no log probabilities are computed without asking.
        var plainSteps: [GenerationStep] = []
        let plain = try generator.generateSteps(prompt: [1, 2, 3], parameters: .init(maxTokens: 6)) { plainSteps.append($0); return true }
        #expect(plain.text == result.text)
        #expect(plainSteps.allSatisfy { $0.logprob == nil && $0.alternatives.isEmpty })
        #expect(try generator.generate(prompt: [1, 2, 3], parameters: .init(maxTokens: 6)).text == result.text)
    }

    @Test("returning false from onStep stops generation")
    func stopEarly() throws {
        let tiny = try TinyLlama()
        defer { tiny.remove() }
        let model = try LlamaModel(file: try GGUFFile(contentsOf: tiny.url), threads: 1)
        let generator = TextGenerator(model: model, tokenizer: ByteTokenizer())
        var calls = 0
        let result = try generator.generateSteps(prompt: [4], parameters: .init(maxTokens: 20)) { _ in
            calls += 1
            return calls < 3
        }
        #expect(result.tokens.count == 3)
        #expect(result.finishReason == .stop)
    }
}
