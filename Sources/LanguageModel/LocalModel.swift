import ChatDataset
import Foundation
import GGUF
import TensorCore
import Tokenization

/// A model ready to chat: the network, its tokenizer and chat template, all from one GGUF file,
/// optionally with a LoRA adapter.
///
/// ```swift
/// let local = try LocalModel(url: modelURL)
/// let prompt = try local.formatter.prompt([ChatMessage(role: .user, content: "Hi")])
/// let result = try local.generator.generate(prompt: prompt, parameters: .init(maxTokens: 64)) {
///     print($0, terminator: ""); return true
/// }
/// ```
public final class LocalModel: Sendable {
    public let file: GGUFFile
    public let model: LlamaModel
    public let formatter: ChatFormatter

    /// - Parameters:
    ///   - url: a Llama GGUF file.
    ///   - threads: compute threads.
    ///   - adapter: a LoRA adapter trained for this model, applied beside the frozen weights.
    /// - Throws: `LanguageModelError` when the file can't be read, isn't a Llama model, or its
    ///   tokenizer or chat template can't be built; `.adapterMismatch` for an adapter made for
    ///   another model.
    public convenience init(url: URL, threads: Int = ThreadPool.defaultThreadCount,
                            adapter: LowRankAdapter? = nil) throws(LanguageModelError) {
        let file: GGUFFile
        do { file = try GGUFFile(contentsOf: url) } catch { throw .unreadableFile(error.description) }
        try self.init(file: file, threads: threads, adapter: adapter)
    }

    /// A model from an opened GGUF file (read the configuration from it first to load an adapter).
    /// - Throws: as `init(url:threads:adapter:)`.
    public init(file: GGUFFile, threads: Int = ThreadPool.defaultThreadCount,
                adapter: LowRankAdapter? = nil) throws(LanguageModelError) {
        self.file = file
        model = try LlamaModel(file: file, threads: threads, adapter: adapter)
        formatter = try ChatFormatter(file: file)
    }

    public var tokenizer: ByteLevelBPETokenizer { formatter.tokenizer }
    public var generator: TextGenerator { TextGenerator(model: model, tokenizer: formatter.tokenizer) }
}
