import GGUF

/// Everything that can go wrong reading or writing adapters and merged models: safetensors files,
/// PEFT adapter folders, llama.cpp adapter GGUFs and merged GGUF models. Each case names the file
/// and, where there is one, the tensor or key; its description says what to do.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file that should be there is not (`hint` says what produces it).
    case missingFile(path: String, hint: String)
    /// A file exists but cannot be read.
    case cannotRead(path: String, reason: String)
    /// A file could not be written; the destination was left as it was.
    case cannotWrite(path: String, reason: String)
    /// A safetensors file whose framing is broken: header length, JSON, offsets.
    case malformedSafetensors(path: String, reason: String)
    /// A tensor stored in a type this library does not convert to `Float`.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A configuration value that is missing, of the wrong type or one this library cannot honour.
    case invalidConfiguration(path: String, key: String, reason: String)
    /// A tensor the adapter or model needs is not in the file.
    case missingTensor(path: String, tensor: String)
    /// A tensor this library cannot place (a module LoRA here does not adapt, an unknown suffix).
    case unexpectedTensor(path: String, tensor: String, reason: String)
    /// A tensor whose shape does not match the model.
    case tensorShape(path: String, tensor: String, expected: [Int], actual: [Int])
    /// A LoRA factor whose rank differs from the adapter's.
    case rankMismatch(path: String, tensor: String, expected: Int, actual: Int)
    /// The adapter was trained for another model, or the base model cannot be read as a Llama.
    case adapterMismatch(path: String, reason: String)
    /// Values that cannot be written (NaN or infinity, a count not matching the shape).
    case invalidValues(tensor: String, reason: String)
    /// An error from the GGUF library (reading the base, quantizing, writing).
    case gguf(GGUFError)

    public var description: String {
        switch self {
        case let .missingFile(path, hint):
            return "\(path) does not exist; \(hint)"
        case let .cannotRead(path, reason):
            return "cannot read \(path): \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason); nothing was written there"
        case let .malformedSafetensors(path, reason):
            return "\(path) is not a valid safetensors file: \(reason); the file is damaged or incomplete, "
                + "so save or download it again"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' is stored as \(dtype); only F32, F16 and BF16 tensors can be read, "
                + "so save the adapter in one of those (e.g. model.to(torch.float32) before save_pretrained)"
        case let .invalidConfiguration(path, key, reason):
            return "\(path): '\(key)' \(reason)"
        case let .missingTensor(path, tensor):
            return "\(path) has no tensor '\(tensor)'; the file is incomplete or was made for another model"
        case let .unexpectedTensor(path, tensor, reason):
            return "\(path): tensor '\(tensor)' \(reason)"
        case let .tensorShape(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' has shape \(actual), but the model needs \(expected); "
                + "use the adapter with the base model it was trained on"
        case let .rankMismatch(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' has rank \(actual), but the adapter's rank is \(expected); "
                + "the configuration and the weights disagree, so export the adapter again"
        case let .adapterMismatch(path, reason):
            return "\(path): \(reason)"
        case let .invalidValues(tensor, reason):
            return "cannot write tensor '\(tensor)': \(reason)"
        case let .gguf(error):
            return error.description
        }
    }
}
