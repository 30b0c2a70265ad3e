/// Where a dataset is going; each provider accepts slightly different data.
public enum Provider: String, Sendable, CaseIterable, Codable {
    case openai, together, local

    /// The provider's name for messages.
    public var displayName: String {
        switch self {
        case .openai: "OpenAI"
        case .together: "Together"
        case .local: "the local engine"
        }
    }

    /// Whether the provider's chat fine-tuning accepts `role`. Together's conversational format takes system,
    /// user and assistant only; OpenAI's also takes developer and tool messages; the local engine's
    /// ChatML template renders all five.
    public func accepts(_ role: Role) -> Bool {
        switch self {
        case .together: role == .system || role == .user || role == .assistant
        case .openai, .local: true
        }
    }

    /// The roles `accepts(_:)` allows, for messages.
    public var acceptedRoles: [Role] { Role.allCases.filter(accepts) }

    /// Tokens one example may hold before the provider rejects or truncates it: OpenAI's per-example
    /// training context for gpt-4o-mini and gpt-4.1 models (65,536); 8,192 for Together's common
    /// 8B-class models (raise it with `--max-tokens` for long-context models); the context of the
    /// embedded SmolLM2 model (8,192) locally.
    public var exampleTokenLimit: Int {
        switch self {
        case .openai: 65_536
        case .together: 8_192
        case .local: 8_192
        }
    }

    /// OpenAI refuses training files with fewer than 10 examples; the others accept them, so there
    /// it is a warning.
    public var minimumExamplesSeverity: Severity {
        self == .openai ? .error : .warning
    }

    /// Together requires strictly alternating user/assistant turns after an optional system message.
    public var requiresAlternatingTurns: Bool { self == .together }

    /// Whether `{"type":"image_url"}` content parts are accepted (OpenAI vision fine-tuning).
    public var acceptsImageParts: Bool { self == .openai }
}
