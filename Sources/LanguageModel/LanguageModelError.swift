import Foundation

/// What went wrong loading or running a model. Messages say what, where and what to do.
public enum LanguageModelError: Error, CustomStringConvertible, Equatable {
    /// The GGUF's `general.architecture` is not one finetune runs.
    case unsupportedArchitecture(file: String, architecture: String)
    /// A required metadata key is missing or has the wrong type.
    case missingMetadata(file: String, key: String)
    /// A metadata value makes no sense (e.g. heads not dividing the width).
    case invalidMetadata(file: String, key: String, message: String)
    /// A tensor the architecture needs is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor has the wrong shape.
    case tensorShape(file: String, tensor: String, expected: [Int], actual: [Int])
    /// A tensor is stored in a type the kernels don't run.
    case unsupportedTensorType(file: String, tensor: String, type: String)
    /// The GGUF file itself could not be read.
    case unreadableFile(String)
    /// A prompt with no tokens.
    case emptyPrompt
    /// prompt + generation would exceed the context the model was trained for.
    case contextOverflow(tokens: Int, contextLength: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// The chat template could not render the conversation.
    case template(String)
    /// Invalid generation parameters.
    case invalidParameter(name: String, message: String)
    /// A LoRA adapter that was trained for another model.
    case adapterMismatch(file: String, message: String)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(file, architecture):
            return "\(file): the model's architecture is '\(architecture)'; finetune runs 'llama' models (Llama, SmolLM, Mistral-style GGUF files)."
        case let .missingMetadata(file, key):
            return "\(file): metadata key '\(key)' is missing or not a number; the file may be incomplete or from an unsupported converter."
        case let .invalidMetadata(file, key, message):
            return "\(file): metadata '\(key)': \(message)"
        case let .missingTensor(file, tensor):
            return "\(file): tensor '\(tensor)' is missing; the file is not a complete Llama model."
        case let .tensorShape(file, tensor, expected, actual):
            return "\(file): tensor '\(tensor)' has shape \(actual), expected \(expected) from the model's metadata."
        case let .unsupportedTensorType(file, tensor, type):
            return "\(file): tensor '\(tensor)' is stored as \(type); finetune runs F32, F16, BF16, Q8_0, Q5_0, Q5_1, Q4_0, Q4_1, Q4_K and Q6_K weights (re-quantize the model to one of these, e.g. Q8_0 or Q4_K_M)."
        case let .unreadableFile(message):
            return message
        case .emptyPrompt:
            return "The prompt is empty: give at least one token of input."
        case let .contextOverflow(tokens, contextLength):
            return "The prompt and answer need \(tokens) tokens but the model's context holds \(contextLength); shorten the prompt or lower --max-tokens."
        case let .tokenOutOfRange(id, size):
            return "Token id \(id) is outside the vocabulary (0..<\(size))."
        case let .template(message):
            return "The chat template failed: \(message)"
        case let .invalidParameter(name, message):
            return "\(name): \(message)"
        case let .adapterMismatch(file, message):
            return "The adapter doesn't fit \(file): \(message). Use the base model the adapter was trained on."
        }
    }
}
