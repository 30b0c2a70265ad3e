import Foundation

/// A model's chat template (`tokenizer.chat_template`, Jinja), parsed once and rendered as Python's
/// transformers renders it (`apply_chat_template(..., tokenize=False)`): same whitespace handling
/// (trim_blocks, lstrip_blocks), same globals (`raise_exception`, `strftime_now`, `namespace`), same
/// `tojson`. A construct this renderer does not implement is an error naming it, never a different prompt.
///
/// ```swift
/// let template = try ChatTemplate(gguf.string("tokenizer.chat_template") ?? "")
/// let prompt = try template.render(
///     messages: [.message(role: "user", content: "Hello")],
///     addGenerationPrompt: true, bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>")
/// ```
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let statements: [Statement]

    /// Parses `source`.
    /// - Throws: `TemplateError` (.syntax) for invalid Jinja, (.unsupported) for a tag, filter or test
    ///   this renderer does not implement; both with the line and column.
    public init(_ source: String) throws(TemplateError) {
        self.source = source
        self.statements = try TemplateParser.parse(source)
    }

    /// Renders with exactly the variables in `context`.
    /// - Throws: `TemplateError`: `.raised` with the template's own message when it calls
    ///   `raise_exception`, `.runtime` or `.unsupported` when rendering cannot go on.
    public func render(_ context: [String: TemplateValue]) throws(TemplateError) -> String {
        try render(context, now: Date.init)
    }

    /// Renders with `now` as the clock `strftime_now` reads (for tests).
    func render(_ context: [String: TemplateValue], now: @escaping () -> Date) throws(TemplateError) -> String {
        try TemplateRenderer(context: context, now: now).render(statements)
    }

    /// Renders a conversation with the variables `apply_chat_template` gives a template: `messages`,
    /// `add_generation_prompt`, `bos_token`, `eos_token`, and `tools` and `documents` as none (as
    /// transformers passes them when there are none), then `extra` (`tools`, `date_string`, ...), which
    /// overrides any of these.
    /// - Parameters:
    ///   - messages: message objects, e.g. `.message(role: "user", content: "Hi")` or objects with
    ///     `tool_calls`; leave out keys whose value would be null, as transformers drops them.
    ///   - addGenerationPrompt: end with the header of an assistant turn.
    ///   - bosToken: the model's BOS token text (e.g. "<|begin_of_text|>").
    ///   - eosToken: the model's EOS token text (e.g. "<|eot_id|>").
    ///   - extra: more variables.
    /// - Throws: as `render(_:)`.
    public func render(
        messages: [TemplateValue], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
        extra: [String: TemplateValue] = [:]
    ) throws(TemplateError) -> String {
        var context: [String: TemplateValue] = [
            "messages": .array(messages),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": .none,
            "documents": .none,
        ]
        context.merge(extra) { _, new in new }
        return try render(context)
    }
}
