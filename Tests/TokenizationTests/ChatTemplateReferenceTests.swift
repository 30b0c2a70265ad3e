import Foundation
import GGUF
import Testing
@testable import Tokenization

/// The fixtures under `Fixtures/chat_templates/`, written by
/// scripts/reference/make_chat_template_fixtures.py with transformers' own renderer.
enum ChatTemplateFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat_templates")

    static let templateNames = [
        "smollm2-135m-instruct", "llama-3.2-3b-instruct", "qwen2.5-7b-instruct", "mistral-nemo-instruct-2407",
        "gemma-2-2b-it",
    ]

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> TemplateValue {
        try TemplateValue(json: text(name))
    }

    /// A fixture's context object as render variables.
    static func context(_ value: TemplateValue?) throws -> [String: TemplateValue] {
        let object = try #require(value?.objectValue, "the case has no context object")
        return Dictionary(uniqueKeysWithValues: object.entries.map { ($0.key, $0.value) })
    }

    /// `$FINETUNE_TEST_MODEL`, else `$FINETUNE_HOME/models/smollm2-135m-instruct/...`; nil when absent.
    static let modelURL: URL? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let path = environment["FINETUNE_TEST_MODEL"], !path.isEmpty { candidates.append(path) }
        let home = environment["FINETUNE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache/finetune"
        candidates.append(home + "/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }()
}

/// Where two renderings first differ, for a readable failure message.
func firstDifference(_ actual: String, _ expected: String) -> String {
    let a = Array(actual.unicodeScalars)
    let b = Array(expected.unicodeScalars)
    let index = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    func excerpt(_ scalars: [Unicode.Scalar]) -> String {
        let start = max(0, index - 30)
        return String(String.UnicodeScalarView(scalars[start..<min(scalars.count, index + 30)])).debugDescription
    }
    return "first difference at code point \(index): got \(excerpt(a)), expected \(excerpt(b))"
}

@Suite("Real chat templates render byte for byte as transformers' apply_chat_template")
struct ChatTemplateReferenceTests {
    @Test("each conversation renders as in the fixture, or fails with the template's own message",
          arguments: ChatTemplateFixtures.templateNames)
    func reference(name: String) throws {
        let fixture = try ChatTemplateFixtures.json("\(name).json")
        let templateFile = try #require(fixture["template"]?.stringValue)
        let template = try ChatTemplate(ChatTemplateFixtures.text(templateFile))
        let cases = try #require(fixture["cases"]?.arrayValue)
        #expect(cases.count >= 15)
        var matched = 0
        for testCase in cases {
            let caseName = testCase["name"]?.stringValue ?? "?"
            let context = try ChatTemplateFixtures.context(testCase["context"])
            if let expected = testCase["expected"]?.stringValue {
                do {
                    let rendered = try template.render(context)
                    #expect(rendered == expected, "\(name) / \(caseName): \(firstDifference(rendered, expected))")
                    if rendered == expected { matched += 1 }
                } catch {
                    Issue.record("\(name) / \(caseName): \(error)")
                }
            } else {
                let message = try #require(testCase["error"]?.stringValue)
                do {
                    let rendered = try template.render(context)
                    Issue.record("\(name) / \(caseName): rendered \(rendered.debugDescription) instead of failing with \(message)")
                } catch {
                    #expect(error.message == message, "\(name) / \(caseName)")
                    #expect(error.kind == .raised, "\(name) / \(caseName): \(error)")
                    #expect(error.line > 0, "\(name) / \(caseName): the error has no position")
                    if error.message == message { matched += 1 }
                }
            }
        }
        #expect(matched == cases.count, "\(name): \(matched) of \(cases.count) cases matched")
    }

    @Test("the convenience render call passes the variables apply_chat_template passes")
    func convenience() throws {
        let fixture = try ChatTemplateFixtures.json("llama-3.2-3b-instruct.json")
        let template = try ChatTemplate(ChatTemplateFixtures.text("llama-3.2-3b-instruct.jinja"))
        let testCase = try #require(fixture["cases"]?.arrayValue?.first { $0["name"]?.stringValue == "tool call and result" })
        let context = try ChatTemplateFixtures.context(testCase["context"])
        let rendered = try template.render(
            messages: try #require(context["messages"]?.arrayValue),
            addGenerationPrompt: context["add_generation_prompt"] == .bool(true),
            bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>",
            extra: ["tools": try #require(context["tools"]), "date_string": "26 Jul 2024"])
        #expect(rendered == testCase["expected"]?.stringValue)
    }

    @Test("without tools, templates see tools as none, as transformers passes it")
    func toolsDefaultToNone() throws {
        let template = try ChatTemplate("{{ tools is defined }} {{ tools is none }} {{ documents is none }}")
        let rendered = try template.render(messages: [], addGenerationPrompt: false, bosToken: "", eosToken: "")
        #expect(rendered == "True True True")
    }

    @Test("SmolLM2's template read from the model file is the committed fixture and renders it",
          .enabled(if: ChatTemplateFixtures.modelURL != nil, "the SmolLM2 model file is absent"))
    func smolLMFromGGUF() throws {
        let gguf = try GGUFFile(contentsOf: try #require(ChatTemplateFixtures.modelURL))
        let source = try #require(gguf.string("tokenizer.chat_template"))
        #expect(source == (try ChatTemplateFixtures.text("smollm2-135m-instruct.jinja")))
        let rendered = try ChatTemplate(source).render(
            messages: [.message(role: "user", content: "What is the capital of France?")],
            addGenerationPrompt: true, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
        #expect(rendered == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            What is the capital of France?<|im_end|>
            <|im_start|>assistant

            """)
    }
}
