import ChatDataset
import Foundation
import OpenAIAPI
import Testing
@testable import APIServer

@Suite("Chat request validation")
struct ChatRequestValidationTests {
    static func body(_ fields: String, messages: String = #"[{"role":"user","content":"Hi"}]"#) throws -> ChatCompletionRequest {
        let json = #"{"model":"m","messages":\#(messages)\#(fields.isEmpty ? "" : ",")\#(fields)}"#
        return try OpenAIJSON.decoder().decode(ChatCompletionRequest.self, from: Data(json.utf8))
    }

    static func refusal(_ fields: String, messages: String = #"[{"role":"user","content":"Hi"}]"#) throws -> APIError? {
        let request = try body(fields, messages: messages)
        do {
            _ = try CompletionRequest(validating: request)
            return nil
        } catch {
            return error
        }
    }

    @Test("defaults: temperature 1, top_p 1, one choice, no cap, no logprobs, no seed")
    func defaults() throws {
        let request = try CompletionRequest(validating: try Self.body(""))
        #expect(request == CompletionRequest(messages: [ChatMessage(role: .user, content: "Hi")]))
    }

    @Test("developer becomes system, text parts are joined, an assistant without content is empty")
    func messages() throws {
        let messages = #"""
        [{"role":"developer","content":"Be brief."},
         {"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]},
         {"role":"assistant","content":null},
         {"role":"user","content":"Again"}]
        """#
        let request = try CompletionRequest(validating: try Self.body("", messages: messages))
        #expect(request.messages == [
            ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hello there"),
            ChatMessage(role: .assistant, content: ""), ChatMessage(role: .user, content: "Again"),
        ])
    }

    @Test("parameters map to typed values; max_completion_tokens wins over max_tokens")
    func parameters() throws {
        let request = try CompletionRequest(validating: try Self.body(
            #""max_tokens":9,"max_completion_tokens":5,"temperature":0,"top_p":0.5,"seed":-1,"stop":"END","n":3,"logprobs":true,"top_logprobs":2,"response_format":{"type":"text"},"tools":null"#))
        #expect(request.maxTokens == 5)
        #expect(request.temperature == 0)
        #expect(request.topP == 0.5)
        #expect(request.seed == UInt64.max)
        #expect(request.stop == ["END"])
        #expect(request.choices == 3)
        #expect(request.topLogprobs == 2)
        #expect(try CompletionRequest(validating: try Self.body(#""logprobs":true"#)).topLogprobs == 0)
        #expect(try CompletionRequest(validating: try Self.body(#""logprobs":false"#)).topLogprobs == nil)
    }

    @Test("out-of-range parameters are refused naming the parameter", arguments: [
        (#""n":0"#, "n"), (#""n":9"#, "n"), (#""max_tokens":0"#, "max_tokens"),
        (#""max_completion_tokens":-3"#, "max_completion_tokens"), (#""temperature":2.5"#, "temperature"),
        (#""temperature":-0.1"#, "temperature"), (#""top_p":0"#, "top_p"), (#""top_p":1.5"#, "top_p"),
        (#""logprobs":true,"top_logprobs":21"#, "top_logprobs"), (#""top_logprobs":2"#, "top_logprobs"),
        (#""stop":["a","b","c","d","e"]"#, "stop"),
        (#""tools":[{"type":"function","function":{"name":"f"}}]"#, "tools"),
        (#""tool_choice":"required""#, "tool_choice"),
        (#""response_format":{"type":"json_object"}"#, "response_format"),
    ])
    func refused(fields: String, param: String) throws {
        let error = try #require(try Self.refusal(fields))
        #expect(error.status == .badRequest)
        #expect(error.param == param)
        #expect(error.type == "invalid_request_error")
    }

    @Test("tool messages, unknown roles, non-text parts and empty message lists are refused", arguments: [
        (#"[{"role":"tool","content":"x","tool_call_id":"1"}]"#, "messages.[0].role"),
        (#"[{"role":"user","content":"a"},{"role":"wizard","content":"x"}]"#, "messages.[1].role"),
        (#"[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]"#, "messages.[0].content"),
        (#"[{"role":"user","content":null}]"#, "messages.[0].content"),
        ("[]", "messages"),
    ])
    func refusedMessages(messages: String, param: String) throws {
        let error = try #require(try Self.refusal("", messages: messages))
        #expect(error.status == .badRequest)
        #expect(error.param == param)
    }
}
