import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OpenAIAPI
import Testing
@testable import APIServer

/// The chat route behind the server's middleware stack, over a fixed table of models.
enum ChatTestApp {
    static func make(models: [String: ServingModel] = [:], engine: InferenceEngine = InferenceFixture.engine) -> some ApplicationProtocol {
        var logger = Logger(label: "chat-test")
        logger.logLevel = .critical
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: logger))
        router.add(middleware: OpenAIErrorMiddleware(logger: logger))
        ChatController(resolver: FixedModelResolver(models: models), engine: engine, maxBodyBytes: 1 << 20)
            .addRoutes(to: router.group("v1"))
        return Application(router: router)
    }

    static var realModels: [String: ServingModel] {
        InferenceFixture.serving.map { [InferenceFixture.modelID: $0] } ?? [:]
    }

    static func body(_ fields: String = "", content: String = "What is the capital of France?") -> String {
        #"{"model":"\#(InferenceFixture.modelID)","messages":[{"role":"user","content":"\#(content)"}]\#(fields.isEmpty ? "" : ",")\#(fields)}"#
    }
}

@Suite("POST /v1/chat/completions errors")
struct ChatEndpointErrorTests {
    @Test("an unknown model is a 404 model_not_found naming the model parameter")
    func unknownModel() async throws {
        try await ChatTestApp.make().test(.router) { client in
            let response = try await client.request(.post, "/v1/chat/completions", json: #"{"model":"ft:nope","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/json")
            let error = try #require(response.apiError)
            #expect(error.code == "model_not_found")
            #expect(error.param == "model")
            #expect(error.message.contains("ft:nope"))
        }
    }

    @Test("bad parameters and bodies are 400s in OpenAI's shape", arguments: [
        (#"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":5}"#, "temperature"),
        (#"{"model":"m","messages":[{"role":"tool","content":"Hi"}]}"#, "messages.[0].role"),
        (#"{"model":"m"}"#, "messages"),
        (#"{"model":"m","messages":"Hi"}"#, "messages"),
    ])
    func badRequests(body: String, param: String) async throws {
        try await ChatTestApp.make().test(.router) { client in
            let response = try await client.request(.post, "/v1/chat/completions", json: body)
            #expect(response.status == .badRequest)
            let error = try #require(response.apiError)
            #expect(error.param == param)
            #expect(error.type == "invalid_request_error")
        }
    }
}

@Suite("POST /v1/chat/completions on the real SmolLM2", .needsServerModel)
struct ChatEndpointTests {
    @Test("a non-streamed answer has every key the SDK reads, explicit nulls included")
    func nonStreamed() async throws {
        try await ChatTestApp.make(models: ChatTestApp.realModels).test(.router) { client in
            let response = try await client.request(.post, "/v1/chat/completions", json: ChatTestApp.body(#""max_completion_tokens":6,"temperature":0"#, content: "Write a long story about a cat."))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let json = try #require(object)
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == InferenceFixture.modelID)
            #expect(json["system_fingerprint"] is NSNull)
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            #expect(choice["logprobs"] is NSNull)
            #expect(choice["finish_reason"] as? String == "length")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["refusal"] is NSNull)
            let completion = try response.decode(ChatCompletion.self)
            #expect(completion.usage.completionTokens == 6)
            #expect(completion.usage.totalTokens == completion.usage.promptTokens + 6)
        }
    }

    @Test("a stream is SSE: role chunk first, the same text as the plain answer, one finish per choice, usage, [DONE]")
    func streamed() async throws {
        try await ChatTestApp.make(models: ChatTestApp.realModels).test(.router) { client in
            let plain = try await client.request(.post, "/v1/chat/completions",
                                                 json: ChatTestApp.body(#""max_tokens":8,"temperature":0,"n":2"#))
            let expected = try plain.decode(ChatCompletion.self)
            let response = try await client.request(.post, "/v1/chat/completions", json: ChatTestApp.body(
                #""max_tokens":8,"temperature":0,"n":2,"stream":true,"stream_options":{"include_usage":true}"#))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let chunks = try ChatSSE.chunks(response.text)
            #expect(Set(chunks.map(\.id)).count == 1)
            #expect(chunks.allSatisfy { $0.object == "chat.completion.chunk" && $0.model == InferenceFixture.modelID })
            for index in 0..<2 {
                let mine = chunks.flatMap(\.choices).filter { $0.index == index }
                #expect(mine.first?.delta == ChunkDelta(role: "assistant", content: ""))
                #expect(mine.filter { $0.finishReason != nil }.count == 1)
                #expect(mine.last?.finishReason == expected.choices[index].finishReason)
                #expect(mine.compactMap(\.delta.content).joined() == expected.choices[index].message.content)
            }
            let usage = try #require(chunks.last)
            #expect(usage.choices.isEmpty)
            #expect(usage.usage == expected.usage)
            #expect(chunks.dropLast().allSatisfy { $0.usage == nil })
        }
    }

    @Test("without include_usage no chunk carries usage; logprobs ride on the text chunks")
    func streamedLogprobs() async throws {
        try await ChatTestApp.make(models: ChatTestApp.realModels).test(.router) { client in
            let response = try await client.request(.post, "/v1/chat/completions", json: ChatTestApp.body(
                #""max_tokens":5,"temperature":0,"stream":true,"logprobs":true,"top_logprobs":2"#))
            let chunks = try ChatSSE.chunks(response.text)
            #expect(chunks.allSatisfy { $0.usage == nil && $0.choices.count == 1 })
            let entries = chunks.flatMap { $0.choices.first?.logprobs?.content ?? [] }
            #expect(entries.count == 5)
            #expect(entries.allSatisfy { $0.logprob <= 0 && $0.topLogprobs.count == 2 })
            #expect(entries.map(\.token).joined() == chunks.compactMap { $0.choices.first?.delta.content }.joined())
        }
    }

    @Test("once a request reaches the generation thread, its first text comes long before the answer ends")
    func timeToFirstChunk() async throws {
        let serving = try #require(InferenceFixture.serving)
        // Other tests share the engine: time from acceptance, not from the queue.
        let run = try await InferenceFixture.engine.start(InferenceFixture.request("Write a long story about a cat.", maxTokens: 64), model: serving)
        let clock = ContinuousClock()
        let start = clock.now
        var firstText: Duration?
        for try await event in run.events {
            if case .delta = event, firstText == nil { firstText = clock.now - start }
        }
        let total = clock.now - start
        let first = try #require(firstText)
        // About 0.1 s on an idle two-core machine; the bound is loose because tests share the cores.
        #expect(first < .seconds(5))
        #expect(first * 2 < total, "the first text came after \(first) of \(total)")
    }
}

/// Collects what a response body writes; fails every write after `failAfter` writes (a client
/// that went away).
final class ChatRecordingWriter: ResponseBodyWriter, @unchecked Sendable {
    // @unchecked: used by one task at a time in these tests.
    struct Gone: Error {}
    var buffers: [ByteBuffer] = []
    var finished = false
    let failAfter: Int

    init(failAfter: Int = .max) { self.failAfter = failAfter }

    func write(_ buffer: ByteBuffer) async throws {
        guard buffers.count < failAfter else { throw Gone() }
        buffers.append(buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws { finished = true }

    var text: String { buffers.map { String(buffer: $0) }.joined() }
}

@Suite("Chat SSE framing without a model")
struct ChatStreamFramingTests {
    static let builder = ChatChunkBuilder(id: "chatcmpl-test", created: 7, model: "m", logprobs: false)

    static func run(_ events: [CompletionEvent], failure: (any Error)? = nil) -> CompletionRun {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: CompletionEvent.self, throwing: (any Error).self)
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        events.forEach { continuation.yield($0) }
        continuation.finish(throwing: failure)
        return CompletionRun(promptTokens: 3, events: stream, flag: flag)
    }

    static func write(_ response: Response, into writer: ChatRecordingWriter) async throws {
        try await response.body.write(writer)
    }

    @Test("events become data lines: role chunk, text, finish, usage, [DONE]")
    func framing() async throws {
        let run = Self.run([.began(choice: 0), .delta(choice: 0, text: "Hi", logprobs: []),
                            .finished(choice: 0, reason: .stop, completionTokens: 1, logprobs: [])])
        let response = ChatController<FixedModelResolver>.stream(run, builder: Self.builder, includeUsage: true,
                                                          logger: Logger(label: "test"), requestID: "req_1")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/event-stream")
        let writer = ChatRecordingWriter()
        try await Self.write(response, into: writer)
        #expect(writer.finished)
        let chunks = try ChatSSE.chunks(writer.text)
        #expect(chunks.map { $0.choices.first?.delta } == [ChunkDelta(role: "assistant", content: ""), ChunkDelta(content: "Hi"), ChunkDelta(), nil])
        #expect(chunks.map { $0.choices.first?.finishReason } == [nil, nil, "stop", nil])
        #expect(chunks.last?.usage == CompletionUsage(promptTokens: 3, completionTokens: 1))
        #expect(writer.text.contains(#""finish_reason":null"#), "finish_reason must be an explicit null")
    }

    @Test("a failure after the first byte is sent as a data: {\"error\": …} event, without [DONE]")
    func errorAfterFirstByte() async throws {
        let run = Self.run([.began(choice: 0)], failure: InferenceError.generationFailed("boom"))
        let response = ChatController<FixedModelResolver>.stream(run, builder: Self.builder, includeUsage: false,
                                                          logger: Logger(label: "test"), requestID: "req_42")
        let writer = ChatRecordingWriter()
        try await Self.write(response, into: writer)
        let payloads = try ChatSSE.payloads(writer.text)
        #expect(payloads.count == 2)
        let error = try OpenAIJSON.decoder().decode(APIErrorResponse.self, from: Data(try #require(payloads.last).utf8)).error
        #expect(error.type == "server_error")
        #expect(error.message.contains("req_42"))
        #expect(!error.message.contains("boom"), "internal details stay in the log")
    }

    @Test("a client that goes away cancels the generation")
    func disconnectCancels() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: CompletionEvent.self, throwing: (any Error).self)
        let flag = CancellationFlag()
        continuation.yield(.began(choice: 0))
        continuation.yield(.delta(choice: 0, text: "a", logprobs: []))
        let run = CompletionRun(promptTokens: 1, events: stream, flag: flag)
        let response = ChatController<FixedModelResolver>.stream(run, builder: Self.builder, includeUsage: false,
                                                          logger: Logger(label: "test"), requestID: nil)
        await #expect(throws: ChatRecordingWriter.Gone.self) {
            try await Self.write(response, into: ChatRecordingWriter(failAfter: 1))
        }
        #expect(flag.isCancelled)
        continuation.finish()
    }
}
