import ChatDataset
import GGUF
import Tokenization

/// Turns chat messages into the token ids a model expects: the model's own chat template
/// (`tokenizer.chat_template`), then its tokenizer with special tokens parsed.
public struct ChatFormatter: Sendable {
    public let tokenizer: ByteLevelBPETokenizer
    /// The model's template, or ChatML when the file has none (most small instruct models use it).
    public let template: Tokenization.ChatTemplate
    /// Whether `template` came from the file.
    public let hasOwnTemplate: Bool

    /// - Throws: `LanguageModelError` when the tokenizer or the template can't be built.
    public init(file: GGUFFile) throws(LanguageModelError) {
        do { tokenizer = try ByteLevelBPETokenizer(gguf: file) } catch { throw .unreadableFile(error.description) }
        let source = file.string("tokenizer.chat_template")
        hasOwnTemplate = source != nil
        do {
            template = try Tokenization.ChatTemplate(source ?? Self.chatML)
        } catch {
            throw .template("\(file.url.lastPathComponent): \(error.description)")
        }
    }

    /// The text the model sees for `messages`, ending with the assistant's turn opening when
    /// `addGenerationPrompt` is true.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(LanguageModelError) -> String {
        let values = messages.map { message in
            TemplateValue.object(TemplateObject([("role", .string(message.role.rawValue)), ("content", .string(message.content))]))
        }
        do {
            return try template.render(messages: values, addGenerationPrompt: addGenerationPrompt,
                                       bosToken: piece(tokenizer.bosTokenID), eosToken: piece(tokenizer.eosTokenID))
        } catch {
            throw .template(error.description)
        }
    }

    /// Token ids of `messages` rendered by the template.
    public func prompt(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(LanguageModelError) -> [Int] {
        encode(try render(messages, addGenerationPrompt: addGenerationPrompt))
    }

    /// Token ids of prompt text: special tokens written in it are parsed, and BOS is added when the
    /// model asks for it and the text doesn't start with it.
    public func encode(_ text: String) -> [Int] {
        var ids = tokenizer.encode(text, parseSpecialTokens: true)
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID, ids.first != bos { ids.insert(bos, at: 0) }
        return ids
    }

    private func piece(_ id: Int?) -> String { id.flatMap { tokenizer.piece(for: $0) } ?? "" }

    static let chatML = """
    {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
    """
}
