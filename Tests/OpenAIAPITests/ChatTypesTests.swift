import Foundation
import Testing
@testable import OpenAIAPI

@Suite("Chat completion types")
struct ChatTypesTests {
    /// What `client.chat.completions.create(..., stream=True)` sends with most options used (API.md §8).
    static let sdkBody = #"""
    {"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]},
     {"role":"assistant","content":null,"tool_calls":[]},{"role":"user","content":"Hi","name":"bob"}],
     "model":"ft:smollm2-135m-instruct:local:pricer:7p4lURel","max_completion_tokens":16,"temperature":0,"top_p":0.9,"seed":1,
     "stop":["\n","END"],"n":2,"logprobs":true,"top_logprobs":3,"stream":true,"stream_options":{"include_usage":true},
     "user":"u","parallel_tool_calls":false,"store":false}
    """#

    @Test("Decodes the body the Python SDK sends, ignoring unknown keys")
    func decodesSDKBody() throws {
        let request = try decode(ChatCompletionRequest.self, Self.sdkBody)
        #expect(request.model == "ft:smollm2-135m-instruct:local:pricer:7p4lURel")
        #expect(request.messages.map(\.role) == ["developer", "user", "assistant", "user"])
        #expect(request.messages[0].content?.text == "Be brief.")
        #expect(request.messages[1].content?.text == "Hello there")
        #expect(request.messages[2].content == nil)
        #expect(request.messages[3].name == "bob")
        #expect(request.maxCompletionTokens == 16)
        #expect(request.maxTokens == nil)
        #expect(request.temperature == 0)
        #expect(request.topP == 0.9)
        #expect(request.stop?.sequences == ["\n", "END"])
        #expect(request.n == 2)
        #expect(request.logprobs == true)
        #expect(request.topLogprobs == 3)
        #expect(request.stream == true)
        #expect(request.streamOptions?.includeUsage == true)
        #expect(request.tools == nil)
    }

    @Test("stop may be one string or a list")
    func stopForms() throws {
        #expect(try decode(StopSequences.self, #""END""#) == .single("END"))
        #expect(try decode(StopSequences.self, #""END""#).sequences == ["END"])
        #expect(try decode(StopSequences.self, #"["a","b"]"#).sequences == ["a", "b"])
        #expect(throws: DecodingError.self) { try decode(StopSequences.self, "3") }
        #expect(try json(StopSequences.single("x")) == #""x""#)
    }

    @Test("Content may be a string or parts; a non-text part has no text")
    func contentForms() throws {
        #expect(try decode(MessageContent.self, #""hi""#).text == "hi")
        #expect(try decode(MessageContent.self, #"[{"type":"text","text":"a"},{"type":"text","text":"b"}]"#).text == "ab")
        let image = try decode(MessageContent.self, #"[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]"#)
        #expect(image.text == nil)
        #expect(throws: DecodingError.self) { try decode(MessageContent.self, "42") }
    }

    @Test("tools and response_format are kept so the server can refuse them")
    func keepsTools() throws {
        let request = try decode(ChatCompletionRequest.self,
            #"{"model":"m","messages":[],"tools":[{"type":"function"}],"response_format":{"type":"json_object"}}"#)
        #expect(request.tools == [["type": "function"]])
        #expect(request.responseFormat?["type"] == "json_object")
    }

    @Test("A completion emits system_fingerprint, refusal and logprobs as null")
    func completionNulls() throws {
        let completion = ChatCompletion(
            id: "chatcmpl-1", created: 2, model: "m",
            choices: [ChatCompletionChoice(index: 0, message: AssistantMessage(content: "Hi"), finishReason: "stop")],
            usage: CompletionUsage(promptTokens: 5, completionTokens: 1))
        #expect(try json(completion) == #"{"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"Hi","refusal":null,"role":"assistant"}}],"created":2,"id":"chatcmpl-1","model":"m","object":"chat.completion","system_fingerprint":null,"usage":{"completion_tokens":1,"prompt_tokens":5,"total_tokens":6}}"#)
        #expect(try decode(ChatCompletion.self, try json(completion)) == completion)
    }

    @Test("Logprobs emit refusal and bytes as null when unset")
    func logprobs() throws {
        let logprobs = ChoiceLogprobs(content: [TokenLogprob(
            token: "Hi", logprob: -0.25, bytes: [72, 105], topLogprobs: [TopLogprob(token: "Hey", logprob: -1.5, bytes: nil)])])
        #expect(try json(logprobs) == #"{"content":[{"bytes":[72,105],"logprob":-0.25,"token":"Hi","top_logprobs":[{"bytes":null,"logprob":-1.5,"token":"Hey"}]}],"refusal":null}"#)
    }

    @Test("A chunk omits unset delta keys and usage, but emits finish_reason and logprobs as null")
    func chunk() throws {
        let first = ChatCompletionChunk(id: "chatcmpl-1", created: 2, model: "m",
                                        choices: [ChunkChoice(index: 0, delta: ChunkDelta(role: "assistant", content: ""))])
        #expect(try json(first) == #"{"choices":[{"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":2,"id":"chatcmpl-1","model":"m","object":"chat.completion.chunk","system_fingerprint":null}"#)
        let last = ChatCompletionChunk(id: "chatcmpl-1", created: 2, model: "m",
                                       choices: [ChunkChoice(index: 0, delta: ChunkDelta(), finishReason: "length")])
        #expect(try json(last).contains(#""delta":{},"finish_reason":"length""#))
        let usage = ChatCompletionChunk(id: "chatcmpl-1", created: 2, model: "m", choices: [],
                                        usage: CompletionUsage(promptTokens: 3, completionTokens: 4))
        #expect(try json(usage).contains(#""choices":[],"#))
        #expect(try json(usage).contains(#""usage":{"completion_tokens":4,"prompt_tokens":3,"total_tokens":7}"#))
        #expect(try decode(ChatCompletionChunk.self, try json(usage)) == usage)
    }

    @Test("Slashes in ids are not escaped")
    func slashes() throws {
        #expect(try json(Model(id: "org/model", created: 0, ownedBy: "system")).contains(#""id":"org/model""#))
    }
}
