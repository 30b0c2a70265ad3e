/// The body of `POST /v1/chat/completions`. Unknown keys are ignored.
public struct ChatCompletionRequest: Codable, Sendable, Equatable {
    /// A base model id or an `ft:` model name.
    public var model: String
    public var messages: [ChatCompletionMessage]
    /// Older name of the per-choice token cap.
    public var maxTokens: Int?
    /// Newer name of the per-choice token cap (the SDK sends this one).
    public var maxCompletionTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var seed: Int?
    public var stop: StopSequences?
    public var n: Int?
    public var logprobs: Bool?
    public var topLogprobs: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var tools: JSONValue?
    public var toolChoice: JSONValue?
    public var responseFormat: JSONValue?
    public var user: String?

    public init(
        model: String, messages: [ChatCompletionMessage], maxTokens: Int? = nil, maxCompletionTokens: Int? = nil,
        temperature: Double? = nil, topP: Double? = nil, seed: Int? = nil, stop: StopSequences? = nil, n: Int? = nil,
        logprobs: Bool? = nil, topLogprobs: Int? = nil, stream: Bool? = nil, streamOptions: StreamOptions? = nil,
        tools: JSONValue? = nil, toolChoice: JSONValue? = nil, responseFormat: JSONValue? = nil, user: String? = nil
    ) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.n = n
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
        self.stream = stream
        self.streamOptions = streamOptions
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, n, logprobs, stream, tools, user
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topLogprobs = "top_logprobs"
        case streamOptions = "stream_options"
        case toolChoice = "tool_choice"
        case responseFormat = "response_format"
    }
}

/// `stream_options`: `{"include_usage": true}` adds a final usage chunk.
public struct StreamOptions: Codable, Sendable, Equatable {
    public var includeUsage: Bool?

    public init(includeUsage: Bool? = nil) {
        self.includeUsage = includeUsage
    }

    enum CodingKeys: String, CodingKey {
        case includeUsage = "include_usage"
    }
}

/// `stop`: one string or a list of strings.
public enum StopSequences: Codable, Sendable, Equatable {
    case single(String)
    case multiple([String])

    /// The stop strings, whichever form they came in.
    public var sequences: [String] {
        switch self {
        case .single(let text): [text]
        case .multiple(let texts): texts
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .single(text)
        } else {
            self = .multiple(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .single(let text): try container.encode(text)
        case .multiple(let texts): try container.encode(texts)
        }
    }
}

/// One message of a chat request. Unknown keys (`tool_calls`, ...) are ignored.
public struct ChatCompletionMessage: Codable, Sendable, Equatable {
    /// `system`, `developer`, `user`, `assistant` (or `tool`/`function`, which the server refuses).
    public var role: String
    /// nil when the key is absent or `null` (an assistant message with tool calls).
    public var content: MessageContent?
    public var name: String?

    public init(role: String, content: MessageContent?, name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }

    /// A message with plain text content.
    public init(role: String, text: String) {
        self.init(role: role, content: .text(text))
    }
}

/// Message content: a string, or a list of parts such as `{"type": "text", "text": "..."}`.
public enum MessageContent: Codable, Sendable, Equatable {
    case text(String)
    case parts([ContentPart])

    /// The text: the string, or the text parts joined with nothing between them (as ChatDataset
    /// joins parts in training data); nil when a part is not text.
    public var text: String? {
        switch self {
        case .text(let text):
            return text
        case .parts(let parts):
            var joined = ""
            for part in parts {
                guard part.type == "text", let text = part.text else { return nil }
                joined += text
            }
            return joined
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ContentPart].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .parts(let parts): try container.encode(parts)
        }
    }
}

/// One content part; only `type` and `text` are read (image parts and the like decode, then get refused).
public struct ContentPart: Codable, Sendable, Equatable {
    public var type: String
    public var text: String?

    public init(type: String = "text", text: String?) {
        self.type = type
        self.text = text
    }
}
