import ChatDataset
import Foundation
import LanguageModel
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("Inference engine on the real SmolLM2", .needsServerModel)
struct InferenceEngineTests {
    @Test("temperature 0 gives the same text on repeated calls")
    func greedyIsDeterministic() async throws {
        let first = try await InferenceFixture.complete(InferenceFixture.request())
        let second = try await InferenceFixture.complete(InferenceFixture.request())
        let a = first.collector.completion(id: "x", created: 0, model: "m", logprobs: false)
        let b = second.collector.completion(id: "x", created: 0, model: "m", logprobs: false)
        #expect(a.choices.first?.message.content?.isEmpty == false)
        #expect(a == b)
    }

    @Test("max tokens ends with finish reason length after exactly that many tokens; usage adds up")
    func maxTokensIsLength() async throws {
        let (collector, events) = try await InferenceFixture.complete(InferenceFixture.request("Write a long story about a cat.", maxTokens: 5))
        let completion = collector.completion(id: "x", created: 0, model: "m", logprobs: false)
        #expect(completion.choices.map(\.finishReason) == ["length"])
        #expect(completion.usage.completionTokens == 5)
        #expect(completion.usage.promptTokens > 10)
        #expect(completion.usage.totalTokens == completion.usage.promptTokens + 5)
        #expect(events.first == .began(choice: 0))
        guard case .finished(0, .length, 5, _)? = events.last else {
            Issue.record("last event \(String(describing: events.last))")
            return
        }
    }

    @Test("a stop sequence ends the text before it, with finish reason stop")
    func stopSequence() async throws {
        let free = try await InferenceFixture.complete(InferenceFixture.request(maxTokens: 12))
        let text = try #require(free.collector.completion(id: "x", created: 0, model: "m", logprobs: false).choices.first?.message.content)
        let words = text.split(separator: " ")
        try #require(words.count >= 3, "the free answer is too short: \(text)")
        let stop = String(words[2].prefix(3))
        let cut = try #require(text.range(of: stop)).lowerBound
        let prefix = String(text[..<cut])

        let stopped = try await InferenceFixture.complete(InferenceFixture.request(maxTokens: 12, stop: [stop, "never-matches"]))
        let choice = try #require(stopped.collector.completion(id: "x", created: 0, model: "m", logprobs: false).choices.first)
        #expect(choice.message.content == prefix)
        #expect(choice.finishReason == "stop")
    }

    @Test("n = 2 gives choices 0 and 1, reproducible with a seed, usage counts the prompt once")
    func severalChoices() async throws {
        let request = InferenceFixture.request("Name a colour.", maxTokens: 6, temperature: 1, seed: 42, choices: 2)
        let first = try await InferenceFixture.complete(request)
        let second = try await InferenceFixture.complete(request)
        let a = first.collector.completion(id: "x", created: 0, model: "m", logprobs: false)
        #expect(a.choices.map(\.index) == [0, 1])
        #expect(a == second.collector.completion(id: "x", created: 0, model: "m", logprobs: false))
        let tokens = first.events.reduce(0) { sum, event in
            if case let .finished(_, _, count, _) = event { return sum + count }
            return sum
        }
        #expect(a.usage.completionTokens == tokens)
        #expect(a.usage.promptTokens == first.collector.promptTokens)
        // Choices run one after another: began 0 … finished 0, began 1 … finished 1.
        let order = first.events.compactMap { event -> String? in
            switch event {
            case .began(let choice): "b\(choice)"
            case let .finished(choice, _, _, _): "f\(choice)"
            case .delta: nil
            }
        }
        #expect(order == ["b0", "f0", "b1", "f1"])
    }

    @Test("log probabilities: one entry per token, ≤ 0, top alternatives sorted, greedy token first")
    func logprobs() async throws {
        let (collector, _) = try await InferenceFixture.complete(InferenceFixture.request(maxTokens: 6, topLogprobs: 3))
        let completion = collector.completion(id: "x", created: 0, model: "m", logprobs: true)
        let choice = try #require(completion.choices.first)
        let entries = try #require(choice.logprobs?.content)
        #expect(entries.count == completion.usage.completionTokens)
        #expect(entries.map(\.token).joined() == choice.message.content)
        for entry in entries {
            #expect(entry.logprob <= 0)
            #expect(entry.bytes == Array(entry.token.utf8).map(Int.init))
            #expect(entry.topLogprobs.count == 3)
            #expect(entry.topLogprobs.first?.token == entry.token)
            #expect(entry.topLogprobs.first?.logprob == entry.logprob)
            #expect(entry.topLogprobs.map(\.logprob) == entry.topLogprobs.map(\.logprob).sorted(by: >))
        }
        #expect(choice.logprobs?.refusal == nil)
    }

    @Test("an adapter is read once and served from the cache after that, beside the loaded base")
    func adapterCache() async throws {
        let engine = InferenceFixture.engine
        let base = try #require(InferenceFixture.serving)
        let configuration = try engine.cache.model(for: base).model.configuration
        let folder = try InferenceFixture.writeRandomAdapter(configuration: configuration)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tuned = ServingModel(id: "ft:test", baseURL: base.baseURL, adapterPath: folder)
        let before = engine.cache.statistics
        let request = InferenceFixture.request(maxTokens: 2)
        _ = try await InferenceFixture.complete(request, model: tuned)
        _ = try await InferenceFixture.complete(request, model: tuned)
        _ = try await InferenceFixture.complete(request, model: base)
        let after = engine.cache.statistics
        #expect(after.baseLoads == before.baseLoads, "the base model was loaded again")
        #expect(after.adapterLoads == before.adapterLoads + 1)
        let ready = try engine.cache.model(for: tuned)
        #expect(ready.model.adapter != nil)
        #expect(ready.model.pool === (try engine.cache.model(for: base)).model.pool)
    }

    @Test("the adapter cache keeps the most recently used adapters and counts evictions")
    func adapterEviction() throws {
        let cache = ModelCache(threads: 1, adapterCapacity: 1)
        let base = try #require(InferenceFixture.serving)
        let configuration = try cache.model(for: base).model.configuration
        let first = try InferenceFixture.writeRandomAdapter(configuration: configuration, seed: 1)
        let second = try InferenceFixture.writeRandomAdapter(configuration: configuration, seed: 2)
        defer { [first, second].forEach { try? FileManager.default.removeItem(at: $0) } }
        let a = ServingModel(id: "a", baseURL: base.baseURL, adapterPath: first)
        let b = ServingModel(id: "b", baseURL: base.baseURL, adapterPath: second)
        _ = try cache.model(for: a)
        _ = try cache.model(for: a)
        _ = try cache.model(for: b)
        _ = try cache.model(for: a)
        #expect(cache.statistics == ModelCacheStatistics(baseLoads: 1, adapterLoads: 3, adapterEvictions: 2))
    }

    @Test("cancelling a run stops the generation and the next request is served")
    func cancel() async throws {
        let serving = try #require(InferenceFixture.serving)
        // Counted on the generation thread: on a loaded machine the reading task can wake long after
        // the generation thread has produced many tokens, so the events read say little about when
        // generation stopped.
        let run = try await InferenceFixture.engine.start(InferenceFixture.request("Write a long story about a cat.", maxTokens: 1500),
                                                          model: serving)
        run.cancel()
        let atCancel = run.generatedTokens      // read after the cancel: at most one more token follows
        var finished = false
        for try await event in run.events {
            if case .finished = event { finished = true }
        }
        let total = run.generatedTokens
        if atCancel < 200 {
            // Still generating when cancelled (the story runs far longer): it stops at the next token.
            #expect(!finished)
            #expect(total <= atCancel + 1, "generated \(total) tokens, \(atCancel) at the cancel")
        } else {
            // This machine was too busy to cancel early; only the next request can be checked.
            #expect(total >= atCancel)
        }
        let next = try await InferenceFixture.complete(InferenceFixture.request(maxTokens: 2))
        #expect(next.collector.completionTokens == 2)
    }

    @Test("a prompt longer than the context is refused before generation")
    func contextOverflow() async throws {
        let serving = try #require(InferenceFixture.serving)
        let long = String(repeating: "hello ", count: 9000)
        await #expect {
            _ = try await InferenceFixture.engine.start(InferenceFixture.request(long), model: serving)
        } throws: { error in
            guard case .contextOverflow(let tokens, let context)? = error as? InferenceError else { return false }
            return tokens > context
        }
    }

    @Test("a model file that can't be read is reported as unavailable")
    func missingModel() async throws {
        let missing = ServingModel(id: "ghost", baseURL: URL(fileURLWithPath: "/nonexistent/ghost.gguf"), adapterPath: nil)
        await #expect {
            _ = try await InferenceFixture.engine.start(InferenceFixture.request(), model: missing)
        } throws: { error in
            guard case .modelUnavailable(let model, _)? = error as? InferenceError else { return false }
            return model == "ghost"
        }
    }
}
