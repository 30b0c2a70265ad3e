import ChatDataset
import Foundation
import LanguageModel
import LoRATraining
import OpenAIAPI
import Testing
@testable import APIServer

/// Shared pieces of the inference and chat tests: one engine for the real SmolLM2 (loaded once
/// for every test), a resolver over it, and an SSE reader.
enum InferenceFixture {
    static let modelID = "smollm2-chat-test"

    /// One engine for all tests, so the model is read once. One compute thread: tests of other
    /// suites run at the same time, and two spinning pools on two cores slow each other down.
    static let engine = InferenceEngine(threads: 1)

    static var serving: ServingModel? {
        ServerFixture.realModel.map { ServingModel(id: modelID, baseURL: URL(fileURLWithPath: $0), adapterPath: nil) }
    }

    static func request(_ text: String = "What is the capital of France?", maxTokens: Int? = 8, temperature: Float = 0,
                        seed: UInt64? = nil, stop: [String] = [], choices: Int = 1, topLogprobs: Int? = nil) -> CompletionRequest {
        CompletionRequest(messages: [ChatMessage(role: .system, content: "Answer in one short sentence."),
                                     ChatMessage(role: .user, content: text)],
                          maxTokens: maxTokens, temperature: temperature, seed: seed, stop: stop, choices: choices,
                          topLogprobs: topLogprobs)
    }

    /// Runs a completion to the end and gathers it.
    static func complete(_ request: CompletionRequest, engine: InferenceEngine = engine,
                         model: ServingModel? = nil) async throws -> (collector: ChatCompletionCollector, events: [CompletionEvent]) {
        let serving = try #require(model ?? serving)
        let run = try await engine.start(request, model: serving)
        var collector = ChatCompletionCollector(promptTokens: run.promptTokens)
        var events: [CompletionEvent] = []
        for try await event in run.events {
            collector.add(event)
            events.append(event)
        }
        return (collector, events)
    }

    /// A LoRA adapter with random factors for `configuration`, written as a PEFT folder.
    static func writeRandomAdapter(configuration: LlamaConfiguration, seed: UInt64 = 3) throws -> URL {
        var random = SeededGenerator(seed: seed)
        let rank = 4, targets: [LoRATarget] = [.query, .value]
        let layers = (0..<configuration.layerCount).map { _ in
            Dictionary(uniqueKeysWithValues: targets.map { target in
                let shape = target.shape(in: configuration)
                func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(random.next() % 2001) / 1000 - 1 } }
                return (target, LowRankAdapter.Factors(a: values(rank * shape.in).map { $0 * 0.05 },
                                                       b: values(shape.out * rank).map { $0 * 0.05 }))
            })
        }
        let adapter = LowRankAdapter(rank: rank, alpha: 8, targets: targets, layers: layers)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("h3-adapter-\(UUID().uuidString)", isDirectory: true)
        try PEFTAdapterFormat.write(adapter, configuration: configuration, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct",
                                    dropout: 0, to: folder)
        return folder
    }
}

/// A resolver over a fixed table of models.
struct FixedModelResolver: ModelResolver {
    var models: [String: ServingModel]

    func servingModel(id: String) async throws -> ServingModel? { models[id] }
}

/// Server-sent events as the OpenAI SDK splits them.
enum ChatSSE {
    /// The `data:` payloads of a text/event-stream body, in order.
    /// - Throws: when an event is not a single `data: ` line or the body doesn't end with a blank line.
    static func payloads(_ body: String) throws -> [String] {
        try #require(body.hasSuffix("\n\n"), "the stream must end with a blank line")
        return try body.dropLast(2).components(separatedBy: "\n\n").map { event in
            try #require(event.hasPrefix("data: ") && !event.contains("\n"), "not a single data line: \(event)")
            return String(event.dropFirst(6))
        }
    }

    /// The chunks of a stream that ended with `[DONE]`.
    static func chunks(_ body: String) throws -> [ChatCompletionChunk] {
        let payloads = try payloads(body)
        try #require(payloads.last == "[DONE]", "the stream must end with data: [DONE]")
        return try payloads.dropLast().map { try OpenAIJSON.decoder().decode(ChatCompletionChunk.self, from: Data($0.utf8)) }
    }
}
