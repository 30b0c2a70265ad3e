import Foundation
import OpenAIAPI

/// Chat completions on an OpenAI-compatible endpoint: OpenAI, Together (`/v1/chat/completions`)
/// and `finetune serve` speak the same request and answer, so one client runs a hosted base model,
/// a hosted fine-tuned model or one served on this machine.
///
/// ```swift
/// let chat = ChatCompletionClient(client: client)
/// let answer = try await chat.complete(model: "ft:gpt-4o-mini-2024-07-18:org:pricer:abc",
///                                      messages: [.init(role: "user", text: "How much?")], maxTokens: 16)
/// print(answer.choices.first?.message.content ?? "")
/// ```
public struct ChatCompletionClient: Sendable {
    public let client: APIClient

    public init(client: APIClient) {
        self.client = client
    }

    /// One answer, decoded deterministically by default (temperature 0).
    /// - Parameters:
    ///   - seed: sent where given (OpenAI and `finetune serve` honour it).
    /// - Throws: `ProviderError` (the client's retries already spent), `.invalidResponse` when the
    ///   answer has no choice.
    public func complete(model: String, messages: [ChatCompletionMessage], maxTokens: Int,
                         temperature: Double = 0, seed: Int? = nil) async throws -> ChatCompletion {
        var request = ChatCompletionRequest(model: model, messages: messages)
        request.maxTokens = maxTokens
        request.temperature = temperature
        request.seed = seed
        let completion: ChatCompletion = try await client.json("POST", "chat/completions", sending: request)
        guard !completion.choices.isEmpty else {
            throw ProviderError.invalidResponse(method: "POST", url: client.url("chat/completions"),
                                                reason: "the answer holds no choices")
        }
        return completion
    }
}
