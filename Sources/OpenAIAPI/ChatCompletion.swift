/// A non-streamed chat answer (`object: "chat.completion"`).
public struct ChatCompletion: Codable, Sendable, Equatable, Identifiable {
    /// `chatcmpl-...`.
    public var id: String
    public var object: String
    /// Unix seconds.
    public var created: Int
    /// The model id as requested.
    public var model: String
    public var systemFingerprint: String?
    public var choices: [ChatCompletionChoice]
    public var usage: CompletionUsage

    public init(
        id: String, object: String = "chat.completion", created: Int, model: String, systemFingerprint: String? = nil,
        choices: [ChatCompletionChoice], usage: CompletionUsage
    ) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        try container.encode(usage, forKey: .usage)
    }
}

/// One choice of a `ChatCompletion`.
public struct ChatCompletionChoice: Codable, Sendable, Equatable {
    public var index: Int
    public var message: AssistantMessage
    /// `stop` or `length`.
    public var finishReason: String
    /// nil (encoded `null`) unless the request asked for logprobs.
    public var logprobs: ChoiceLogprobs?

    public init(index: Int, message: AssistantMessage, finishReason: String, logprobs: ChoiceLogprobs? = nil) {
        self.index = index
        self.message = message
        self.finishReason = finishReason
        self.logprobs = logprobs
    }

    enum CodingKeys: String, CodingKey {
        case index, message, logprobs
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(message, forKey: .message)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encode(logprobs, forKey: .logprobs)
    }
}

/// The generated message: `{"role": "assistant", "content", "refusal": null}`.
public struct AssistantMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String?
    public var refusal: String?

    public init(role: String = "assistant", content: String?, refusal: String? = nil) {
        self.role = role
        self.content = content
        self.refusal = refusal
    }

    enum CodingKeys: String, CodingKey {
        case role, content, refusal
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encode(refusal, forKey: .refusal)
    }
}

/// Token counts: the prompt once, plus every choice's completion.
public struct CompletionUsage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    /// `totalTokens` defaults to the sum.
    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }
}

/// `choices[i].logprobs`: one entry per generated token; `refusal` always `null` here.
public struct ChoiceLogprobs: Codable, Sendable, Equatable {
    public var content: [TokenLogprob]
    public var refusal: [TokenLogprob]?

    public init(content: [TokenLogprob], refusal: [TokenLogprob]? = nil) {
        self.content = content
        self.refusal = refusal
    }

    enum CodingKeys: String, CodingKey {
        case content, refusal
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(content, forKey: .content)
        try container.encode(refusal, forKey: .refusal)
    }
}

/// One generated token with its log probability (≤ 0) and the most likely alternatives.
public struct TokenLogprob: Codable, Sendable, Equatable {
    public var token: String
    public var logprob: Double
    /// The token's UTF-8 bytes (a token may hold part of a character).
    public var bytes: [Int]?
    public var topLogprobs: [TopLogprob]

    public init(token: String, logprob: Double, bytes: [Int]?, topLogprobs: [TopLogprob] = []) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }

    enum CodingKeys: String, CodingKey {
        case token, logprob, bytes
        case topLogprobs = "top_logprobs"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(logprob, forKey: .logprob)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(topLogprobs, forKey: .topLogprobs)
    }
}

/// One alternative token in `top_logprobs`.
public struct TopLogprob: Codable, Sendable, Equatable {
    public var token: String
    public var logprob: Double
    public var bytes: [Int]?

    public init(token: String, logprob: Double, bytes: [Int]?) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
    }

    enum CodingKeys: String, CodingKey {
        case token, logprob, bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(logprob, forKey: .logprob)
        try container.encode(bytes, forKey: .bytes)
    }
}
