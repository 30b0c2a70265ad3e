import ChatDataset
import Foundation
import GGUF
import TensorCore
import Tokenization

/// A model ready to chat: the network, its tokenizer and chat template, all from one GGUF file.
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

    /// - Throws: `LanguageModelError` when the file can't be read, isn't a Llama model, or its
    ///   tokenizer or chat template can't be built.
    public init(url: URL, threads: Int = ThreadPool.defaultThreadCount) throws(LanguageModelError) {
        do { file = try GGUFFile(contentsOf: url) } catch { throw .unreadableFile(error.description) }
        model = try LlamaModel(file: file, threads: threads)
        formatter = try ChatFormatter(file: file)
    }

    public var tokenizer: ByteLevelBPETokenizer { formatter.tokenizer }
    public var generator: TextGenerator { TextGenerator(model: model, tokenizer: formatter.tokenizer) }
}
