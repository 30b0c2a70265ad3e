import ChatDataset
import Foundation
import OpenAIAPI

extension CompletionRequest {
    /// Most choices one request may ask for.
    static let maxChoices = 8
    /// Most alternatives per token (OpenAI's limit).
    static let maxTopLogprobs = 20
    /// Most stop sequences (OpenAI's limit).
    static let maxStopSequences = 4

    /// Checks a chat request the way OpenAI does and turns it into typed form. Every error names
    /// the offending field in `param`, so the SDK user sees which one to fix.
    ///
    /// Roles: system, developer (given to the template as system), user, assistant; tool and
    /// function messages, tools and structured output are refused (this server runs plain chat).
    /// - Throws: `APIError` 400 for anything the server can't honour.
    init(validating request: ChatCompletionRequest) throws(APIError) {
        guard !request.messages.isEmpty else {
            throw .badRequest("'messages' must hold at least one message", param: "messages")
        }
        var messages: [ChatMessage] = []
        for (index, message) in request.messages.enumerated() {
            messages.append(try Self.message(message, at: index))
        }
        if let tools = request.tools, tools != .null, tools != .array([]) {
            throw .badRequest("Tools are not supported by this server; send plain chat messages", param: "tools", code: "unsupported_parameter")
        }
        if let choice = request.toolChoice, choice != .null, choice != .string("none") {
            throw .badRequest("'tool_choice' is not supported by this server", param: "tool_choice", code: "unsupported_parameter")
        }
        if let format = request.responseFormat, format != .null, format["type"]?.stringValue != "text" {
            throw .badRequest("Only response_format {\"type\": \"text\"} is supported by this server",
                              param: "response_format", code: "unsupported_parameter")
        }
        let n = request.n ?? 1
        guard (1...Self.maxChoices).contains(n) else {
            throw .badRequest("Invalid 'n': \(n); it must be between 1 and \(Self.maxChoices)", param: "n")
        }
        if let value = request.maxTokens, value < 1 {
            throw .badRequest("Invalid 'max_tokens': \(value); it must be at least 1", param: "max_tokens")
        }
        if let value = request.maxCompletionTokens, value < 1 {
            throw .badRequest("Invalid 'max_completion_tokens': \(value); it must be at least 1", param: "max_completion_tokens")
        }
        let temperature = request.temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw .badRequest("Invalid 'temperature': \(temperature); it must be between 0 and 2", param: "temperature")
        }
        let topP = request.topP ?? 1
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw .badRequest("Invalid 'top_p': \(topP); it must be greater than 0 and at most 1", param: "top_p")
        }
        var topLogprobs: Int?
        if let k = request.topLogprobs {
            guard (0...Self.maxTopLogprobs).contains(k) else {
                throw .badRequest("Invalid 'top_logprobs': \(k); it must be between 0 and \(Self.maxTopLogprobs)", param: "top_logprobs")
            }
            guard request.logprobs == true else {
                throw .badRequest("'top_logprobs' requires 'logprobs' to be true", param: "top_logprobs")
            }
            topLogprobs = k
        } else if request.logprobs == true {
            topLogprobs = 0
        }
        let stop = request.stop?.sequences ?? []
        guard stop.count <= Self.maxStopSequences else {
            throw .badRequest("Invalid 'stop': \(stop.count) sequences; at most \(Self.maxStopSequences) are allowed", param: "stop")
        }
        self.init(messages: messages, maxTokens: request.maxCompletionTokens ?? request.maxTokens,
                  temperature: Float(temperature), topP: Float(topP),
                  seed: request.seed.map { UInt64(bitPattern: Int64($0)) }, stop: stop.filter { !$0.isEmpty },
                  choices: n, topLogprobs: topLogprobs)
    }

    private static func message(_ message: ChatCompletionMessage, at index: Int) throws(APIError) -> ChatMessage {
        let role: Role
        switch message.role {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        case "tool", "function":
            throw .badRequest("Messages with role '\(message.role)' are not supported: this server runs no tools",
                              param: "messages.[\(index)].role", code: "unsupported_parameter")
        default:
            throw .badRequest("Invalid role '\(message.role)' in messages.[\(index)]; use system, developer, user or assistant",
                              param: "messages.[\(index)].role")
        }
        guard let content = message.content else {
            if role == .assistant { return ChatMessage(role: role, content: "") }
            throw .badRequest("messages.[\(index)] has no content", param: "messages.[\(index)].content")
        }
        guard let text = content.text else {
            throw .badRequest("messages.[\(index)].content holds a part that is not text; this server reads text only",
                              param: "messages.[\(index)].content", code: "unsupported_parameter")
        }
        return ChatMessage(role: role, content: text)
    }
}
