import Foundation

/// Why a chat completion could not run. The controller maps each case to an HTTP error.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    /// The model's files could not be loaded (a server-side problem: the catalog points at them).
    case modelUnavailable(model: String, reason: String)
    /// The prompt alone fills the model's context.
    case contextOverflow(promptTokens: Int, contextLength: Int)
    /// The messages can't be turned into a prompt (the chat template failed, or nothing to say).
    case invalidPrompt(String)
    /// Generation failed part-way.
    case generationFailed(String)
    /// The server is shutting down.
    case shutDown

    public var description: String {
        switch self {
        case let .modelUnavailable(model, reason):
            return "The model '\(model)' could not be loaded: \(reason)"
        case let .contextOverflow(promptTokens, contextLength):
            return "This model's maximum context length is \(contextLength) tokens. However, your messages resulted in "
                + "\(promptTokens) tokens. Please reduce the length of the messages."
        case let .invalidPrompt(message):
            return message
        case let .generationFailed(message):
            return "Generation failed: \(message)"
        case .shutDown:
            return "The server is shutting down."
        }
    }
}
