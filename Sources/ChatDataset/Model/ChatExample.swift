/// The role of a chat message, as OpenAI's chat format names it.
public enum Role: String, Sendable, CaseIterable, Codable {
    case system, developer, user, assistant, tool

    /// A small stable number per role, for hashing.
    var ordinal: Int {
        switch self {
        case .system: 1
        case .developer: 2
        case .user: 3
        case .assistant: 4
        case .tool: 5
        }
    }
}

/// One message of a chat example.
public struct ChatMessage: Sendable, Equatable {
    public var role: Role
    /// Text content; parts given as a list of `{"type":"text","text":…}` are joined.
    public var content: String
    /// Training weight of an assistant message: 1 trains on it, 0 keeps it as context only.
    public var weight: Int?

    public init(role: Role, content: String, weight: Int? = nil) {
        self.role = role
        self.content = content
        self.weight = weight
    }

    /// Whether a trainer computes loss on this message (assistant messages unless weight is 0).
    public var isTrained: Bool { role == .assistant && weight != 0 }
}

/// One training example: a conversation in OpenAI's chat fine-tuning format.
///
/// ```swift
/// let example = ChatExample(messages: [.init(role: .user, content: "Hi"), .init(role: .assistant, content: "Hello")])
/// let line = example.jsonLine   // {"messages":[{"role":"user","content":"Hi"},…]}
/// ```
public struct ChatExample: Sendable, Equatable {
    public var messages: [ChatMessage]

    public init(messages: [ChatMessage]) {
        self.messages = messages
    }

    /// The example as one line of chat JSONL (without the newline): `role` before `content`,
    /// `weight` only where set.
    public var jsonValue: JSONValue {
        .object([JSONValue.Member("messages", .array(messages.map { message in
            var members = [JSONValue.Member("role", .string(message.role.rawValue)),
                           JSONValue.Member("content", .string(message.content))]
            if let weight = message.weight { members.append(.init("weight", .number(String(weight)))) }
            return .object(members)
        }))])
    }

    /// The example as one line of chat JSONL, without the trailing newline.
    public var jsonLine: String { JSONWriter.serialize(jsonValue) }

    /// Reads an example from a parsed JSON object with a `messages` array. Only the fields this type
    /// models are read; use `ExampleAnalyzer` to check a line thoroughly first.
    /// - Throws: `DatasetError.invalidArgument` naming the first field that does not fit.
    public init(json: JSONValue) throws(DatasetError) {
        guard case .array(let items)? = json["messages"] else {
            throw .invalidArgument("messages: expected an array of {\"role\", \"content\"} objects")
        }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            guard case .string(let roleName)? = item["role"], let role = Role(rawValue: roleName) else {
                throw .invalidArgument("messages[\(index)].role: expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var content = ""
            switch item["content"] {
            case .string(let text)?: content = text
            case .array(let parts)?: content = parts.compactMap { $0["text"]?.textValue }.joined()
            case .null?, nil: content = ""
            default: throw .invalidArgument("messages[\(index)].content: expected a string or a list of text parts")
            }
            var weight: Int?
            if case .number(let text)? = item["weight"] { weight = Int(text) }
            messages.append(ChatMessage(role: role, content: content, weight: weight))
        }
        self.messages = messages
    }
}
