/// One server-sent event of a streamed chat answer (`object: "chat.completion.chunk"`).
///
/// `usage` is left out unless set (only the final usage chunk, whose `choices` is empty, has it).
public struct ChatCompletionChunk: Codable, Sendable, Equatable, Identifiable {
    /// The same in every chunk of one answer.
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var systemFingerprint: String?
    public var choices: [ChunkChoice]
    public var usage: CompletionUsage?

    public init(
        id: String, object: String = "chat.completion.chunk", created: Int, model: String,
        systemFingerprint: String? = nil, choices: [ChunkChoice], usage: CompletionUsage? = nil
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
        try container.encodeIfPresent(usage, forKey: .usage)
    }
}

/// One choice's delta in a chunk; `finish_reason` and `logprobs` are always present (`null` when unset).
public struct ChunkChoice: Codable, Sendable, Equatable {
    public var index: Int
    public var delta: ChunkDelta
    public var finishReason: String?
    public var logprobs: ChoiceLogprobs?

    public init(index: Int, delta: ChunkDelta, finishReason: String? = nil, logprobs: ChoiceLogprobs? = nil) {
        self.index = index
        self.delta = delta
        self.finishReason = finishReason
        self.logprobs = logprobs
    }

    enum CodingKeys: String, CodingKey {
        case index, delta, logprobs
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(delta, forKey: .delta)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encode(logprobs, forKey: .logprobs)
    }
}

/// The new part of a message; nil keys are left out (`{}` in the final chunk).
public struct ChunkDelta: Codable, Sendable, Equatable {
    public var role: String?
    public var content: String?

    public init(role: String? = nil, content: String? = nil) {
        self.role = role
        self.content = content
    }
}
