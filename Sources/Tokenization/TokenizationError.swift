/// Why a tokenizer could not be built. Each case names the source (the GGUF file's path, or
/// "tokenizer built in code"), the metadata key or merge at fault, and what is supported.
///
/// Encoding and decoding never fail: only construction throws.
public enum TokenizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `tokenizer.ggml.model` names a tokenizer other than byte-level BPE ("gpt2").
    case unsupportedModel(String, source: String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer (split pattern) this implementation does not know.
    case unsupportedPreTokenizer(String, source: String)
    /// A required metadata key is absent.
    case missingMetadata(key: String, source: String)
    /// A metadata value has the wrong type, length or range.
    case invalidMetadata(key: String, source: String, message: String)
    /// An entry of `tokenizer.ggml.merges` (0-based index) cannot be used.
    case invalidMerge(index: Int, merge: String, source: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let model, let source):
            "\(source): tokenizer.ggml.model is \"\(model)\", but only \"gpt2\" (byte-level BPE) tokenizers are "
                + "supported; use a model whose GGUF has a byte-level BPE vocabulary (Llama 3, Qwen 2, SmolLM, GPT-2)"
        case .unsupportedPreTokenizer(let name, let source):
            "\(source): tokenizer.ggml.pre is \"\(name)\", a pre-tokenizer this version does not know; supported: "
                + PreTokenizer.supportedNames.joined(separator: ", ")
        case .missingMetadata(let key, let source):
            "\(source): metadata key \(key) is missing; the file has no usable tokenizer"
        case .invalidMetadata(let key, let source, let message):
            "\(source): metadata key \(key): \(message)"
        case .invalidMerge(let index, let merge, let source, let reason):
            "\(source): tokenizer.ggml.merges[\(index)] \"\(merge)\": \(reason)"
        }
    }
}
